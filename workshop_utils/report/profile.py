"""``profile FILE.tflite``: one screen on a converted model: flash, arena, TFLM support, latency, board verdicts.

Like Edge Impulse's ``ei.model.profile``, but measured here, offline: the flash is the file, the arena
and the support come from TensorFlow Lite Micro itself (in a child process, so a model that aborts it
gets a line, not a crash), the latency from LiteRT on this machine, the verdicts from
:func:`~workshop_utils.report.recommend.row_problems`, the rule ``compare --board`` applies.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.native_output import capture_native_output
from ..measurement.boards import BOARDS, KB, Board
from ..measurement.interpreter import as_blob, make_interpreter
from ..measurement.mcu import DEFAULT_TIMEOUT_S, McuUnavailableError, arena_or_reason
from ..measurement.size import model_size
from .recommend import DEFAULT_MARGIN, row_problems

AGREEMENT_IMAGES = 16  # random inputs on which TFLM must agree with LiteRT (catches models it runs wrongly)


@dataclass
class Profile:
    """What :func:`profile_model` measured; ``str()`` is the screen ``profile`` prints."""

    name: str
    flash_bytes: int
    zipped_bytes: int
    inputs: str
    outputs: str
    ops: dict[str, int]
    arena_bytes: int | None
    mcu_note: str
    latency_us: tuple[float, float, float] | None  # median, p5, p95 (LiteRT, batch 1, 1 thread)
    latency_note: str
    verdicts: dict[str, list[str]] = field(default_factory=dict)  # board name -> why not ([] = fits)
    boards: tuple[Board, ...] = BOARDS
    ram_margin: float = DEFAULT_MARGIN
    flash_margin: float = DEFAULT_MARGIN

    def __str__(self) -> str:
        return format_profile(self)


def _tensors(details: list[dict]) -> str:
    return ", ".join(f"{d['dtype'].__name__}{list(int(x) for x in d['shape'])}" for d in details)


def profile_model(
    model: bytes | str | Path, board: Board | None = None, measure_latency: bool = True,
    timeout_s: float = DEFAULT_TIMEOUT_S, ram_margin: float = DEFAULT_MARGIN, flash_margin: float = DEFAULT_MARGIN,
) -> Profile:
    """Flash, TFLite Micro arena and support, LiteRT latency and board verdicts for one .tflite model.

    The verdicts cover the known boards, plus ``board`` when it is not one of them. Inputs are random
    values of the model's input shape (latency does not depend on them).
    """
    blob = as_blob(model)
    name = Path(model).name if isinstance(model, (str, Path)) else "model"
    try:
        interpreter = make_interpreter(blob, use_xnnpack=False)
    except (RuntimeError, ValueError) as error:
        raise ValueError(f"LiteRT cannot load {name}: {error}") from None
    inputs, outputs = interpreter.get_input_details(), interpreter.get_output_details()
    ops = Counter(op["op_name"] for op in interpreter._get_ops_details())  # noqa: SLF001 (LiteRT's only op list)
    shape = [int(d) for d in inputs[0]["shape"]]
    rng = np.random.default_rng(0)
    images = rng.random((AGREEMENT_IMAGES, *shape[1:]), dtype=np.float32)
    try:
        with capture_native_output():  # LiteRT's delegate line; TFLM's own output stays in its child
            arena, note = arena_or_reason(blob, images if len(inputs) == 1 else None, timeout_s=timeout_s)
    except McuUnavailableError as error:
        arena, note = None, str(error)
    latency, latency_note = None, "not measured"
    if measure_latency:
        from ..measurement.latency import benchmark_latency

        try:
            with capture_native_output():
                frame = benchmark_latency({name: blob}, images[:1], rounds=10, round_s=0.05, warmup_s=0.2)
            row = frame.iloc[0]
            latency, latency_note = (float(row["median_us"]), float(row["p5_us"]), float(row["p95_us"])), ""
        except (RuntimeError, ValueError) as error:
            latency_note = f"LiteRT could not run it: {error}"
    boards = BOARDS if board is None or board in BOARDS else (*BOARDS, board)
    verdicts = {b.name: row_problems(len(blob), np.nan if arena is None else arena, note, b, ram_margin,
                                     flash_margin) for b in boards}
    return Profile(name, len(blob), model_size(blob).zipped_bytes, _tensors(inputs), _tensors(outputs),
                   dict(ops), arena, note, latency, latency_note, verdicts, boards, ram_margin, flash_margin)


def _kb(value: float) -> str:
    return f"{value / KB:,.1f} KB"


def format_profile(profile: Profile, board: Board | None = None) -> str:
    """The profile as one screen of text; ``board`` adds its verdict as the last line."""
    ops = ", ".join(f"{op} x{n}" if n > 1 else op for op, n in sorted(profile.ops.items(), key=lambda i: -i[1]))
    runs = profile.arena_bytes is not None
    lines = [
        f"{profile.name}",
        f"  flash (the .tflite file)  {_kb(profile.flash_bytes)} ({_kb(profile.zipped_bytes)} zipped)",
        f"  input -> output           {profile.inputs} -> {profile.outputs}",
        f"  ops                       {ops}",
        "  TensorFlow Lite Micro     " + (f"runs; tensor arena {_kb(profile.arena_bytes)} (host reference kernels)"
                                          if runs else f"does not run it: {profile.mcu_note}"),
        "  LiteRT latency            " + (
            f"{profile.latency_us[0]:,.1f} µs median [p5 {profile.latency_us[1]:,.1f}, p95 "
            f"{profile.latency_us[2]:,.1f}], batch 1, 1 thread, this machine" if profile.latency_us
            else profile.latency_note),
        f"Boards ({profile.ram_margin:.0%} of RAM and {profile.flash_margin:.0%} of flash kept for the program):",
    ]
    width = max(len(b.name) for b in profile.boards)
    for b in profile.boards:
        why = profile.verdicts[b.name]
        if not runs:  # the first reason is TFLM's note, printed above
            verdict = "does not fit: " + "; ".join(["TFLite Micro does not run it", *why[1:]])
        elif why:
            verdict = "does not fit: " + "; ".join(why)
        else:
            verdict = (f"fits ({profile.arena_bytes / b.ram_bytes:.0%} of RAM, "
                       f"{profile.flash_bytes / b.flash_bytes:.0%} of flash)")
        lines.append(f"  {b.name:<{width}}  {verdict}")
    if board is not None:
        why = profile.verdicts.get(board.name, [])
        lines.append(f"On {board.name}: " + ("fits." if runs and not why else "does not fit (see above)."))
    return "\n".join(lines)
