"""Input checks shared by the plot helpers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd


def require_table(table: Any, columns: Sequence[str], what: str, hint: str) -> pd.DataFrame:
    """``table`` as a non-empty DataFrame with ``columns``; otherwise an error saying what it must hold."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame; got {type(table).__name__}.")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} lacks the columns {missing}; it needs {', '.join(columns)} ({hint}).")
    if table.empty:
        raise ValueError(f"{what} is empty: {hint}.")
    return table
