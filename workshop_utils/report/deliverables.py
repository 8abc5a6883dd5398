"""The files to ship: every row's .tflite, and for a board the recommendation and its C source and header."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.cache import write_bytes_atomic
from ..measurement.boards import KB, Board
from ..measurement.c_source import c_array, c_header
from .recommend import DEFAULT_MARGIN, Recommendation, parse_board, recommend

if TYPE_CHECKING:
    from ..comparison.run import Comparison

C_NAME = "g_model"
C_SOURCE, C_HEADER = "model_data.c", "model_data.h"


def _file_name(row: str) -> str:
    """A row name as a file name: letters, digits, ``_``, ``-`` and ``.`` kept, anything else ``_``."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", row) or "model"


def write_deliverables(
    comparison: Comparison, out_dir: str | Path, board: Board | str | None = None, max_drop_pts: float = 1.0,
    ram_margin: float = DEFAULT_MARGIN, flash_margin: float = DEFAULT_MARGIN,
) -> dict[str, Path]:
    """Write ``out_dir/models/<row>.tflite`` for every row; with ``board``, the recommendation too.

    With a board (a :class:`~workshop_utils.measurement.boards.Board` or what ``--board`` takes),
    ``recommendation.json`` holds :func:`~workshop_utils.report.recommend.recommend`'s answer (row, flash,
    arena, accuracy, board, the rule, why each smaller row was passed over) and, when a row fits,
    ``model_data.c`` and ``model_data.h`` hold it as C (C99, C11 and C++11). Every file is written
    atomically. Returns the paths: ``"models/<row>"``, ``"recommendation"``, ``"c_source"``, ``"c_header"``.
    """
    out_dir = Path(out_dir)
    paths: dict[str, Path] = {}
    for row, blob in comparison.blobs.items():
        target = out_dir / "models" / f"{_file_name(row)}.tflite"
        write_bytes_atomic(target, bytes(blob))
        paths[f"models/{row}"] = target
    if board is None:
        return paths
    board = parse_board(board) if isinstance(board, str) else board
    rec = recommend(comparison.table, board, max_drop_pts, ram_margin, flash_margin)
    paths["recommendation"] = out_dir / "recommendation.json"
    write_bytes_atomic(paths["recommendation"], rec.to_json().encode())
    if rec.row is not None:
        blob = bytes(comparison.blobs[rec.row])
        about = (f"{rec.row}: {len(blob)} bytes of TFLite flatbuffer, {rec.accuracy:.2%} test accuracy; "
                 f"recommended for {board.name} by workshop_utils")
        paths["c_header"] = out_dir / C_HEADER
        write_bytes_atomic(paths["c_header"], c_header(C_NAME, arena_bytes=rec.arena_bytes, description=about).encode())
        paths["c_source"] = out_dir / C_SOURCE
        write_bytes_atomic(paths["c_source"], c_array(blob, C_NAME, header=C_HEADER).encode())
    return paths


def _kb(value: float) -> str:
    return f"{value / KB:,.1f} KB"


def _points(value: float) -> str:
    return f"{value:g} point" + ("" if value == 1 else "s")


def format_recommendation(rec: Recommendation) -> str:
    """For the terminal: the row to ship (or that none fits), the rule, and why each smaller row was passed over."""
    if rec.board is not None:
        where = rec.board.name
        rule = (f"runs on TensorFlow Lite Micro, arena within {1 - rec.ram_margin:.0%} of {_kb(rec.board.ram_bytes)} "
                f"RAM, flash within {1 - rec.flash_margin:.0%} of {_kb(rec.board.flash_bytes)}, loses at most "
                f"{_points(rec.max_drop_pts)}, smallest flash")
    elif rec.runtime == "tflm":
        where, rule = "TensorFlow Lite Micro", f"runs there, loses at most {_points(rec.max_drop_pts)}, smallest flash"
    else:
        where, rule = "LiteRT", f"loses at most {_points(rec.max_drop_pts)}, smallest zipped"
    if rec.row is None:
        lines = [f"No row fits {where}.", f"Rule: {rule}.", "Each row, and why:"]
    else:
        arena = "" if rec.arena_bytes is None else f", {_kb(rec.arena_bytes)} tensor arena"
        lines = [f"Ship {rec.row} on {where}: {_kb(rec.flash_bytes)} flash{arena}, accuracy {rec.accuracy:.2%} "
                 f"({rec.accuracy_delta_pts:+.2f} pts).", f"Rule: {rule}."]
        if rec.reasons:
            lines.append("Smaller rows passed over:")
    lines += [f"  {row}: {why}" for row, why in rec.reasons.items()]
    return "\n".join(lines)
