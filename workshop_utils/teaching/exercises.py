"""Checks for the notebooks' "your turn" cells: plain-words feedback instead of a traceback.

A "your turn" cell leaves the learner's answer as ``...`` (Ellipsis) until they write it. The check
cell after it calls :func:`check_answer`, which prints one of three things and never raises, so Run All
works with the exercise left unanswered:

- the exercise is not done yet (the answer is still ``...``), and what to write;
- the first check the answer fails, in plain words, with how to fix it;
- that every check passed.

Later cells never depend on the learner's answer. The solutions notebooks (notebooks/solutions/) fill
the same cells in and assert that :func:`check_answer` returns ``True``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Check = tuple[Callable[[Any], bool], str]

NOT_DONE = "Not done yet: {title} still holds `...`. {hint}"


def is_unanswered(answer: Any) -> bool:
    """True while the learner has not replaced the ``...`` placeholder."""
    return answer is Ellipsis


def check_answer(title: str, answer: Any, checks: list[Check], hint: str = "") -> bool:
    """Print plain-words feedback on ``answer`` and return True when every check passes.

    ``checks`` are ``(predicate, message)`` pairs tried in order; the first failing predicate's message
    is printed (say what is wrong and how to fix it). A predicate that raises counts as failing, and the
    error's type and text are added to its message, so a wrong kind of answer still gets words, not a
    traceback. ``hint`` is printed while the answer is still ``...``.
    """
    if not checks:
        raise ValueError("check_answer needs at least one (predicate, message) check.")
    if is_unanswered(answer):
        print(NOT_DONE.format(title=title, hint=hint).strip())
        return False
    for predicate, message in checks:
        try:
            passed = bool(predicate(answer))
        except Exception as error:  # a wrong kind of answer: explain instead of a traceback
            print(f"Not yet: {message} (checking it raised {type(error).__name__}: {error})")
            return False
        if not passed:
            print(f"Not yet: {message}")
            return False
    print(f"Check passed: {title} is right.")
    return True
