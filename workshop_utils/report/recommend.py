"""Which row to ship: the one rule every picker uses (``compare --board``, the dashboard, ``smallest_within_budget``).

The rule for a microcontroller: the row runs on TensorFlow Lite Micro (its arena was measured), its
arena fits the board's RAM and its flatbuffer the board's flash once a stated share of each is kept for
the rest of the program, it loses at most ``max_drop_pts`` accuracy points against the reference row,
and among those rows it has the smallest flash. Every smaller row that was passed over gets the reason.
For LiteRT (a phone, a PC: any row runs) the same rule keeps only the accuracy limit, smallest zipped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..measurement.boards import BOARDS, DEFAULT_BUDGET, KB, Board

DEFAULT_MARGIN = 1 - DEFAULT_BUDGET  # share of RAM and of flash kept for the application, the runtime and the stack
_CUSTOM = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*$")


def _normalized(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def known_boards() -> str:
    """The boards ``parse_board`` knows, one per line: short name, full name, RAM and flash."""
    return "\n".join(f"  {b.key:<16} {b.name} ({b.ram_bytes // KB} KB RAM, {b.flash_bytes // KB} KB flash)"
                     for b in BOARDS)


def parse_board(text: str) -> Board:
    """A known board by its short or full name (any case), or ``"RAM_KB,FLASH_KB"`` for any other board."""
    custom = _CUSTOM.match(text)
    if custom:
        ram_kb, flash_kb = (float(value) for value in custom.groups())
        if ram_kb <= 0 or flash_kb <= 0:
            raise ValueError(f"RAM and flash must be positive numbers of KB; got {text!r}.")
        return Board(f"custom board ({ram_kb:g} KB RAM, {flash_kb:g} KB flash)", "", int(ram_kb * KB),
                     int(flash_kb * KB), "given on the command line", key="custom")
    wanted = _normalized(text)
    for board in BOARDS:
        if wanted and wanted in (_normalized(board.name), _normalized(board.key)):
            return board
    raise ValueError(f"unknown board {text!r}. Use one of these names, or RAM_KB,FLASH_KB for another board "
                     f"(e.g. 256,1024):\n{known_boards()}")


@dataclass(frozen=True)
class Recommendation:
    """The row to ship (None when no row passes) and why each row with less flash was passed over."""

    row: str | None
    flash_bytes: int | None
    arena_bytes: int | None
    accuracy: float | None
    accuracy_delta_pts: float | None
    board: Board | None
    max_drop_pts: float
    ram_margin: float
    flash_margin: float
    reasons: dict[str, str] = field(default_factory=dict)  # row -> why it was passed over (smallest first)
    runtime: str = "tflm"  # "tflm": must run on TensorFlow Lite Micro, smallest flash; "litert": smallest zipped

    def to_dict(self) -> dict[str, Any]:
        board = None if self.board is None else {
            "name": self.board.name, "key": self.board.key, "ram_bytes": self.board.ram_bytes,
            "flash_bytes": self.board.flash_bytes, "source": self.board.source}
        delta = None if self.accuracy_delta_pts is None else round(self.accuracy_delta_pts, 4)
        return {"row": self.row, "flash_bytes": self.flash_bytes, "arena_bytes": self.arena_bytes,
                "accuracy": self.accuracy, "accuracy_delta_pts": delta, "board": board,
                "rule": {"max_drop_pts": self.max_drop_pts, "ram_margin": self.ram_margin,
                         "flash_margin": self.flash_margin, "runtime": self.runtime},
                "passed_over": self.reasons}

    def to_json(self) -> str:
        """The recommendation as JSON text: row, flash, arena, accuracy, board, the rule and the reasons."""
        return json.dumps(self.to_dict(), indent=2) + "\n"


def _kb(value: float) -> str:
    return f"{value / KB:,.1f} KB"


def _over(what: str, used: float, total: int, margin: float, memory: str) -> list[str]:
    """["<what> <used> > <allowed> allowed (...)"] when ``used`` exceeds the model's share of ``total``, else []."""
    allowed = total * (1 - margin)
    if not np.isfinite(used) or used <= allowed:
        return []
    return [f"{what} {_kb(used)} > {_kb(allowed)} allowed ({1 - margin:.0%} of {_kb(total)} {memory})"]


def row_problems(
    flash: float, arena: float, note: Any, board: Board | None, ram_margin: float = DEFAULT_MARGIN,
    flash_margin: float = DEFAULT_MARGIN, drop_pts: float | None = None, max_drop_pts: float = 1.0,
    runtime: str = "tflm",
) -> list[str]:
    """Why one model may not be shipped ([] when it may): the rule :func:`recommend` applies to every row.

    ``arena`` is NaN when TensorFlow Lite Micro did not run the model, and ``note`` then says why.
    ``drop_pts`` is the accuracy it loses against the reference (None: not known, not checked).
    """
    why = []
    if runtime == "tflm" and not np.isfinite(arena):
        why.append(note if isinstance(note, str) and note else "no TensorFlow Lite Micro arena was measured for it")
    if drop_pts is not None and drop_pts > max_drop_pts:
        why.append(f"loses {drop_pts:.2f} accuracy points > {max_drop_pts:g} allowed")
    if board is not None:
        why += _over("arena", arena, board.ram_bytes, ram_margin, "RAM")
        why += _over("flash", flash, board.flash_bytes, flash_margin, "flash")
    return why


def recommend(table: pd.DataFrame, board: Board | None = None, max_drop_pts: float = 1.0,
              ram_margin: float = DEFAULT_MARGIN, flash_margin: float = DEFAULT_MARGIN,
              runtime: str = "tflm") -> Recommendation:
    """The row to ship on ``board`` from a comparison table (``run_comparison(...).table``).

    ``ram_margin`` and ``flash_margin`` are the shares of the board's RAM and flash kept for everything
    but the model (application, TFLM runtime, stack); the model's arena and flatbuffer must fit in the
    rest. Without a board, TFLM support and the accuracy drop count. ``runtime="litert"`` (no board)
    picks for LiteRT instead: every row runs there, so only the drop counts, and the smallest zipped wins.
    """
    if runtime not in ("tflm", "litert"):
        raise ValueError(f"runtime is 'tflm' (a microcontroller) or 'litert'; got {runtime!r}.")
    if runtime == "litert" and board is not None:
        raise ValueError("A board runs TensorFlow Lite Micro: pass runtime='tflm' (the default) with a board.")
    if max_drop_pts < 0:
        raise ValueError(f"max_drop_pts is an accuracy loss in points and must be >= 0; got {max_drop_pts}.")
    for name, margin in (("ram_margin", ram_margin), ("flash_margin", flash_margin)):
        if not 0 <= margin < 1:
            raise ValueError(f"{name} is the share of memory kept for the program, in [0, 1); got {margin}.")
    if "accuracy_delta_pts" not in table:
        raise ValueError("The table lacks accuracy_delta_pts; pass wu.run_comparison(...).table.")
    flash = table["flash_bytes"] if "flash_bytes" in table else table["raw_bytes"]
    arena = table["mcu_arena_bytes"].astype(float) if "mcu_arena_bytes" in table else pd.Series(np.nan, table.index)
    notes = table["mcu_note"] if "mcu_note" in table else pd.Series("", table.index)
    size = flash if runtime == "tflm" else table["zipped_bytes"]
    row_notes = table["row_note"] if "row_note" in table else pd.Series("", table.index)
    produced = [name for name in table.index if np.isfinite(float(size[name]))]  # a failed technique has no file
    order = sorted(produced, key=lambda name: (float(size[name]), -float(table.loc[name, "accuracy"])))
    reasons: dict[str, str] = {}
    not_produced = {str(name): str(row_notes[name] or "no model was produced")
                    for name in table.index if name not in produced}
    for name in order:
        why = row_problems(flash[name], arena[name], notes[name], board, ram_margin, flash_margin,
                           drop_pts=-float(table.loc[name, "accuracy_delta_pts"]), max_drop_pts=max_drop_pts,
                           runtime=runtime)
        if why:
            reasons[str(name)] = "; ".join(why)
            continue
        reasons.update(not_produced)
        return Recommendation(
            str(name), int(flash[name]), None if not np.isfinite(arena[name]) else int(arena[name]),
            float(table.loc[name, "accuracy"]), float(table.loc[name, "accuracy_delta_pts"]), board,
            max_drop_pts, ram_margin, flash_margin, reasons, runtime)
    reasons.update(not_produced)
    return Recommendation(None, None, None, None, None, board, max_drop_pts, ram_margin, flash_margin, reasons,
                          runtime)
