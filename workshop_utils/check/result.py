"""One part of the pre-workshop check and what it found: OK, SKIPPED (with why) or FAILED (with why and the fix)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

OK, SKIPPED, FAILED = "OK", "SKIPPED", "FAILED"


@dataclass
class PartResult:
    """What one part of ``python -m workshop_utils check`` found; ``value`` is handed to the parts after it."""

    name: str
    status: str
    detail: str
    fix: str = ""
    seconds: float = 0.0
    value: Any = None

    @property
    def ok(self) -> bool:
        """False only for a failure: a SKIPPED part (nothing to install on this platform) is not a problem."""
        return self.status != FAILED

    def __str__(self) -> str:
        text = f"{self.status:<8}{self.name}: {self.detail}"
        if self.status == FAILED and self.fix:
            text += f" Fix: {self.fix}"
        return text


def summary(error: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


def part(name: str, fix: str) -> Callable[[Callable[..., PartResult]], Callable[..., PartResult]]:
    """Decorator: an exception inside the check ``name`` becomes its FAILED result, naming ``fix``."""

    def decorate(check: Callable[..., PartResult]) -> Callable[..., PartResult]:
        @functools.wraps(check)
        def run(*args: Any, **kwargs: Any) -> PartResult:
            try:
                return check(*args, **kwargs)
            except Exception as error:  # noqa: BLE001 - any error in a part is that part's failure
                return PartResult(name, FAILED, f"{summary(error)}.", fix)

        run.part_name = name  # type: ignore[attr-defined]
        return run

    return decorate


def needs(name: str, *inputs: PartResult | None) -> PartResult | None:
    """A SKIPPED result for ``name`` when a part it builds on did not deliver; None when all did."""
    missing = [result.name for result in inputs if result is None or result.value is None]
    if not missing:
        return None
    return PartResult(name, SKIPPED, f"not run: it needs {', '.join(missing)}, which did not pass (see above).")
