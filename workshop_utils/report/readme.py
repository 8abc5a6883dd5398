"""The README's headline table, written by ``compare --readme README.md`` between two markers (never typed).

The block between :data:`START` and :data:`END` is replaced by the measured table, the machine stamp and the
speed verdicts computed from the intervals; everything outside the markers is left byte for byte.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..core.cache import atomic_path
from .table import to_markdown
from .verdicts import explain_speeds, row_kind

START = "<!-- results:start -->"
END = "<!-- results:end -->"
# One verdict per kind of row, in this order: the first row of each kind present in the table.
VERDICT_KINDS = ("dynamic_range", "int8", "float16", "int16x8", "sparse_or_clustered_float", "int4")


def marker_problem(text: str) -> str | None:
    """Why ``text`` cannot take a generated block (None when it has one START before one END)."""
    starts, ends = text.count(START), text.count(END)
    if starts != 1 or ends != 1:
        return f"it needs exactly one {START} and one {END} line (found {starts} and {ends})"
    if text.index(START) > text.index(END):
        return f"{START} must come before {END}"
    return None


def check_readme(path: str | Path) -> None:
    """Raise ValueError naming the fix unless ``path`` is a readable file with the two markers."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path} is not a file; --readme takes the README to update, e.g. --readme README.md.")
    problem = marker_problem(path.read_text(encoding="utf-8"))
    if problem:
        raise ValueError(f"Cannot update {path}: {problem}. Fix: put the two marker lines where the table goes.")


def replace_block(text: str, block: str) -> str:
    """``text`` with everything between the markers replaced by ``block`` (the markers stay)."""
    problem = marker_problem(text)
    if problem:
        raise ValueError(f"Cannot place the results block: {problem}.")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{block.strip()}\n{END}{tail}"


def readme_block(table: pd.DataFrame, command: str) -> str:
    """The generated markdown: the command that wrote it, the table with its stamp, one verdict per row kind."""
    lines = [f"<!-- written by `{command}`; edit the command, not this block -->", "", to_markdown(table).strip()]
    if table["speedup_x"].notna().any():
        explained = explain_speeds(table)
        picked = []
        for kind in VERDICT_KINDS:
            first = next((name for name in table.index if row_kind(str(name)) == kind), None)
            if first is not None and explained.loc[first, "likely_cause"]:
                picked.append(f"- {explained.loc[first, 'verdict']} {explained.loc[first, 'likely_cause']}")
        if picked:
            lines += ["", "Speed on the machine above, computed from each interval (one row of each kind):", "",
                      *picked]
    return "\n".join(lines) + "\n"


def update_readme(path: str | Path, block: str) -> Path:
    """Rewrite the marked block of the README at ``path`` in place (atomically); returns the path."""
    path = Path(path)
    check_readme(path)
    updated = replace_block(path.read_text(encoding="utf-8"), block)
    with atomic_path(path) as tmp:
        tmp.write_text(updated, encoding="utf-8")
    return path
