"""Microcontrollers: run a .tflite model on TensorFlow Lite Micro, measure its tensor arena, fit it to boards.

A microcontroller keeps the model in flash (the flatbuffer bytes, compiled in as a C array) and its
tensors in RAM (the *tensor arena*, one buffer the interpreter plans every tensor into). The
``tflite-micro`` package runs the same interpreter on the host with its reference kernels, so the
arena measured here estimates the device's: the target's optimized kernels may need a little more or
less scratch, and the application's stack and code come on top.
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.native_output import capture_native_output
from .interpreter import as_blob, dequantize_output, predict_tflite, quantize_input

KB = 1024
MAX_ARENA_BYTES = 16 * 1024 * KB  # generous arena used to measure the real need
DEFAULT_BUDGET = 0.75  # share of a board's RAM and flash the model may take; the rest is code, stack, app
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")
_NODE_FAILED = re.compile(r"Node (\w+) \(number (\d+)\) failed to prepare")
_SOURCE_PREFIX = re.compile(r"^\S+\.(?:cc|h)(?::\d+)?\s+")


class McuUnavailableError(RuntimeError):
    """TensorFlow Lite Micro's Python package is not installed on this platform; the message says why."""


class McuRefusedError(RuntimeError):
    """TensorFlow Lite Micro cannot run this model; ``reason`` is its one-line explanation."""

    def __init__(self, reason: str):
        super().__init__(f"TensorFlow Lite Micro refused the model: {reason}")
        self.reason = reason


def mcu_unavailable_reason() -> str | None:
    """None when ``tflite_micro`` imports; otherwise why not and the fix (the sentence cells print to skip)."""
    try:
        from tflite_micro import runtime  # noqa: F401
    except ImportError as error:
        where = f"{platform.system()} {platform.machine()}"
        return (
            f"TensorFlow Lite Micro (pip package tflite-micro) is not available here ({where}: {error}). Its wheels "
            "exist for Linux x86-64 with CPython 3.10-3.13 only. Fix: `pip install tflite-micro` on Linux x86-64, "
            "or run this notebook on Colab."
        )
    return None


def mcu_available() -> bool:
    """True when the TensorFlow Lite Micro interpreter can run here."""
    return mcu_unavailable_reason() is None


def _runtime():
    reason = mcu_unavailable_reason()
    if reason is not None:
        raise McuUnavailableError(reason)
    from tflite_micro import runtime

    return runtime


def refusal_reason(log_lines: list[str]) -> str:
    """The one line that says why TensorFlow Lite Micro failed, from what it printed to stderr."""
    node = next((m for m in map(_NODE_FAILED.search, log_lines) if m), None)
    checks = [line for line in log_lines if not _NODE_FAILED.search(line) and "failed to allocate" not in line]
    check = _SOURCE_PREFIX.sub("", checks[0]) if checks else "no reason printed"
    if any("Failed to resize buffer" in line or "Failed to allocate" in line for line in log_lines):
        return f"the tensor arena is too small ({check})"
    return f"{node.group(1)} (node {node.group(2)}): {check}" if node else check


def make_mcu_interpreter(model: bytes, arena_size: int = MAX_ARENA_BYTES):
    """A TensorFlow Lite Micro interpreter for ``model`` with an ``arena_size``-byte tensor arena.

    Raises :class:`McuUnavailableError` without ``tflite-micro`` and :class:`McuRefusedError` (with TFLM's
    own one-line reason, e.g. "Hybrid models are not supported") when the model cannot run there.
    """
    runtime = _runtime()
    blob = as_blob(model)
    if arena_size < 1:
        raise ValueError(f"arena_size must be a positive number of bytes; got {arena_size}.")
    with capture_native_output((2,)) as log:
        try:
            interpreter = runtime.Interpreter.from_bytes(blob, arena_size=int(arena_size))
        except RuntimeError:
            error = True
        else:
            error = False
    if error:
        raise McuRefusedError(refusal_reason(log.lines))
    return interpreter


def _lite_detail(detail: dict) -> dict:
    """TFLM's tensor details in the LiteRT form that measure.quantize_input/dequantize_output read."""
    params = detail["quantization_parameters"]
    scales, zero_points = params["scales"], params["zero_points"]
    quantization = (float(scales[0]), int(zero_points[0])) if len(scales) else (0.0, 0)
    return {"dtype": detail["dtype"], "quantization": quantization}


def measure_arena(model: bytes, method: str = "allocations") -> int:
    """Bytes of tensor arena TensorFlow Lite Micro needs for ``model`` (reference kernels, host build).

    ``method="allocations"``: run once in a large arena and read ``print_allocations()``'s total, which
    TFLM writes to C-level stderr (captured here at the file-descriptor level). ``method="search"``:
    binary-search the smallest ``arena_size`` that allocates; both agree to within the 16-byte
    alignment of the arena's start.
    """
    blob = as_blob(model)
    if method == "allocations":
        interpreter = make_mcu_interpreter(blob)
        detail = interpreter.get_input_details(0)
        interpreter.set_input(np.zeros(detail["shape"], dtype=detail["dtype"]), 0)
        with capture_native_output((2,)) as log:
            interpreter.invoke()
            interpreter.print_allocations()
        match = next((m for m in map(_ARENA_TOTAL.search, log.lines) if m), None)
        if match is None:
            raise RuntimeError(f"TFLM printed no arena total; it printed: {log.text[:300]!r}")
        return int(match.group(1))
    if method == "search":
        make_mcu_interpreter(blob)  # refuses early, with the reason, if the model cannot run at all
        low, high = 1, MAX_ARENA_BYTES
        while low < high:
            middle = (low + high) // 2
            try:
                make_mcu_interpreter(blob, arena_size=middle)
                high = middle
            except McuRefusedError:
                low = middle + 1
        return low
    raise ValueError(f"Unknown method {method!r}; use 'allocations' or 'search'.")


def predict_mcu(model: bytes, images: np.ndarray, arena_size: int | None = None) -> np.ndarray:
    """Outputs of ``model`` on TensorFlow Lite Micro for every image (one invoke per image, dequantized)."""
    interpreter = make_mcu_interpreter(model, arena_size or MAX_ARENA_BYTES)
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    expected = tuple(int(d) for d in inp["shape"][1:])
    images = np.asarray(images)
    if images.ndim != len(expected) + 1 or tuple(images.shape[1:]) != expected:
        raise ValueError(f"Images have shape {images.shape}; this model takes batches of {expected}.")
    inp_detail, out_detail = _lite_detail(inp), _lite_detail(out)
    outputs = []
    for image in images:
        interpreter.set_input(quantize_input(image[np.newaxis], inp_detail), 0)
        interpreter.invoke()
        outputs.append(dequantize_output(np.asarray(interpreter.get_output(0)), out_detail))
    return np.concatenate(outputs)


def mcu_agreement(model: bytes, images: np.ndarray) -> float:
    """Share of images on which TensorFlow Lite Micro and LiteRT predict the same class, in [0, 1]."""
    if len(images) == 0:
        raise ValueError("mcu_agreement needs at least one image.")
    on_mcu = np.argmax(predict_mcu(model, images), axis=-1)
    on_litert = np.argmax(predict_tflite(model, images), axis=-1)
    return float(np.mean(on_mcu == on_litert))


AGREEMENT_FLOOR = 0.95  # below this share of same predictions as LiteRT, a model "runs but answers wrongly"


def arena_or_reason(model: bytes, images: np.ndarray | None = None) -> tuple[int | None, str]:
    """(arena bytes, "") when TFLM runs ``model`` (and agrees with LiteRT on ``images``); else (None, why not).

    For the comparison table. A model TFLM refuses gets its one-line reason; one that runs but disagrees
    with LiteRT (e.g. per-channel weight-only int8, which TFLM reads with one scale) gets the measured
    agreement. Raises :class:`McuUnavailableError` without tflite-micro (nothing worth caching then).
    """
    try:
        arena = measure_arena(model)
        agreement = mcu_agreement(model, images) if images is not None and len(images) else 1.0
    except McuRefusedError as error:
        return None, f"refused by TensorFlow Lite Micro: {error.reason}"
    if agreement < AGREEMENT_FLOOR:
        return None, f"runs on TensorFlow Lite Micro but agrees with LiteRT on only {agreement:.0%} of images"
    return arena, ""


# ---------------------------------------------------------------------------------------------- C array
_C_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def c_array(model: bytes, name: str = "g_model", bytes_per_line: int = 12) -> str:
    """The model as C source, byte for byte what ``xxd -i`` writes, plus the alignment TFLM wants.

    TFLite Micro reads the flatbuffer in place from flash, so the array is ``alignas(16)`` and ``const``
    (kept in flash, not copied to RAM); ``<name>_len`` holds its length.
    """
    blob = as_blob(model)
    if not _C_NAME.match(name):
        raise ValueError(f"{name!r} is not a C identifier; use letters, digits and underscores, e.g. 'g_model'.")
    lines = [
        "  " + ", ".join(f"0x{byte:02x}" for byte in blob[start : start + bytes_per_line])
        for start in range(0, len(blob), bytes_per_line)
    ]
    return (
        f"// {len(blob)} bytes of TFLite flatbuffer, as `xxd -i` writes them; 16-byte aligned for TFLite Micro.\n"
        f"alignas(16) const unsigned char {name}[] = {{\n" + ",\n".join(lines) + "\n};\n"
        f"const unsigned int {name}_len = {len(blob)};\n"
    )


def parse_c_array(source: str) -> bytes:
    """The bytes inside a C array written by :func:`c_array` or ``xxd -i`` (checked against ``_len``)."""
    body = re.search(r"\[\]\s*=\s*\{(.*?)\}", source, flags=re.S)
    if body is None:
        raise ValueError("No `name[] = { ... }` array found in the C source.")
    data = bytes(int(token, 16) for token in re.findall(r"0x([0-9a-fA-F]{2})", body.group(1)))
    length = re.search(r"_len\s*=\s*(\d+)", source)
    if length is not None and int(length.group(1)) != len(data):
        raise ValueError(f"The array holds {len(data)} bytes but its _len says {length.group(1)}.")
    return data


# ---------------------------------------------------------------------------------------------- boards
@dataclass(frozen=True)
class Board:
    """A development board's on-chip memory as its maker publishes it."""

    name: str
    chip: str
    ram_bytes: int
    flash_bytes: int
    source: str


BOARDS: tuple[Board, ...] = (
    Board("Arduino Uno R4 Minima", "Renesas RA4M1 (Cortex-M4)", 32 * KB, 256 * KB,
          "https://docs.arduino.cc/hardware/uno-r4-minima/"),
    Board("Arduino Nano 33 BLE Sense", "nRF52840 (Cortex-M4F)", 256 * KB, 1024 * KB,
          "https://docs.arduino.cc/hardware/nano-33-ble-sense/"),
    Board("Raspberry Pi Pico", "RP2040 (dual Cortex-M0+)", 264 * KB, 2048 * KB,
          "https://datasheets.raspberrypi.com/pico/pico-datasheet.pdf"),
    Board("STM32F746G-DISCO", "STM32F746NG (Cortex-M7)", 320 * KB, 1024 * KB,
          "https://www.st.com/en/microcontrollers-microprocessors/stm32f746ng.html"),
    Board("ESP32-S3-DevKitC-1 (N8)", "ESP32-S3 (dual Xtensa LX7)", 512 * KB, 8192 * KB,
          "https://docs.espressif.com/projects/esp-dev-kits/en/latest/esp32s3/esp32-s3-devkitc-1/user_guide.html"),
)


@dataclass(frozen=True)
class FitVerdict:
    """Whether a model fits a board: both shares must stay within the budget."""

    board: Board
    fits: bool
    flash_share: float
    ram_share: float
    budget: float

    def __str__(self) -> str:
        shares = f"{self.flash_share:.0%} flash, {self.ram_share:.0%} RAM"
        if self.fits:
            return f"fits ({shares})"
        over = [what for what, share in (("flash", self.flash_share), ("RAM", self.ram_share)) if share > self.budget]
        return f"no: {' and '.join(over)} over {self.budget:.0%} ({shares})"


def fits(flash_bytes: float, arena_bytes: float, board: Board, budget: float = DEFAULT_BUDGET) -> FitVerdict:
    """Does a model with these flash and arena bytes fit ``board``, leaving ``1 - budget`` for the program?

    The model may take at most ``budget`` of the board's flash and of its RAM: the rest holds the
    application, the TFLM runtime's code, the stack and buffers (the arena is not all the RAM you need).
    """
    if not 0 < budget <= 1:
        raise ValueError(f"budget is the share of memory the model may use, in (0, 1]; got {budget}.")
    if not (np.isfinite(flash_bytes) and np.isfinite(arena_bytes)):
        raise ValueError("fits needs measured flash and arena bytes; this model has no arena (it cannot run on TFLM).")
    flash_share, ram_share = flash_bytes / board.flash_bytes, arena_bytes / board.ram_bytes
    return FitVerdict(board, bool(flash_share <= budget and ram_share <= budget), flash_share, ram_share, budget)


def fit_table(
    models: pd.DataFrame | Mapping[str, tuple[float, float]],
    boards: tuple[Board, ...] = BOARDS,
    budget: float = DEFAULT_BUDGET,
) -> pd.DataFrame:
    """A verdict per model (rows) and board (columns); models without an arena read "cannot run on TFLM".

    ``models`` is the comparison table (columns ``flash_bytes`` and ``mcu_arena_bytes``) or a mapping
    name -> (flash_bytes, arena_bytes).
    """
    if isinstance(models, pd.DataFrame):
        missing = {"flash_bytes", "mcu_arena_bytes"} - set(models.columns)
        if missing:
            raise ValueError(f"The table lacks {sorted(missing)}; pass wu.run_comparison(...).table.")
        pairs = {name: (row["flash_bytes"], row["mcu_arena_bytes"]) for name, row in models.iterrows()}
    else:
        pairs = dict(models)
    records = {}
    for name, (flash, arena) in pairs.items():
        if not np.isfinite(arena):
            records[name] = {board.name: "cannot run on TFLM" for board in boards}
        else:
            records[name] = {board.name: str(fits(flash, arena, board, budget)) for board in boards}
    table = pd.DataFrame.from_dict(records, orient="index", columns=[board.name for board in boards])
    table.index.name = "model"
    return table


def boards_table(boards: tuple[Board, ...] = BOARDS) -> pd.DataFrame:
    """The boards with their published RAM and flash (KB) and the page the numbers come from."""
    return pd.DataFrame(
        [{"board": b.name, "chip": b.chip, "RAM KB": b.ram_bytes // KB, "flash KB": b.flash_bytes // KB,
          "source": b.source} for b in boards]
    ).set_index("board")
