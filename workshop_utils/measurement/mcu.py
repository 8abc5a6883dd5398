"""Microcontrollers: run a .tflite model on TensorFlow Lite Micro, measure its tensor arena, fit it to boards.

A microcontroller keeps the model in flash (the flatbuffer bytes, compiled in as a C array) and its
tensors in RAM (the *tensor arena*, one buffer the interpreter plans every tensor into). The
``tflite-micro`` package runs the same interpreter on the host with its reference kernels, so the
arena measured here estimates the device's: the target's optimized kernels may need a little more or
less scratch, and the application's stack and code come on top.

TFLite Micro runs in a child process with a time limit (:mod:`.mcu_process`): some models make it
abort the whole process, and that must cost a note in the table, not the caller's notebook or run.
"""

from __future__ import annotations

import platform

import numpy as np

from ..core.native_output import capture_native_output
from .boards import BOARDS, DEFAULT_BUDGET, KB, Board, FitVerdict, boards_table, fit_table, fits
from .c_source import c_array, c_header, parse_c_array
from .interpreter import as_blob, predict_tflite
from .mcu_process import (
    DEFAULT_TIMEOUT_S,
    McuCrashedError,
    McuRefusedError,
    McuUnavailableError,
    is_transient,
    refusal_reason,
    run_tflm,
)

__all__ = [
    "AGREEMENT_FLOOR", "BOARDS", "DEFAULT_BUDGET", "DEFAULT_TIMEOUT_S", "KB", "MAX_ARENA_BYTES", "Board",
    "FitVerdict", "PER_IMAGE_S", "McuCrashedError", "McuRefusedError", "McuUnavailableError", "arena_or_reason",
    "boards_table", "c_array", "c_header", "fit_table", "fits", "is_transient", "make_mcu_interpreter",
    "mcu_agreement", "mcu_available", "mcu_unavailable_reason", "measure_arena", "parse_c_array", "predict_mcu",
    "refusal_reason",
]

MAX_ARENA_BYTES = 16 * 1024 * KB  # generous arena used to measure the real need
PER_IMAGE_S = 0.1  # added to timeout_s per image predicted: reference kernels on a busy CPU, with room to spare


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


def _run(op: str, model, arena_size: int, images=None, timeout_s: float = DEFAULT_TIMEOUT_S):
    """``op`` in TFLM's child process; the time limit grows by PER_IMAGE_S for each image to predict."""
    _runtime()  # the clear "not available here" error before any child starts
    if arena_size < 1:
        raise ValueError(f"arena_size must be a positive number of bytes; got {arena_size}.")
    if timeout_s <= 0:
        raise ValueError(f"timeout_s is a time limit in seconds and must be > 0; got {timeout_s}.")
    limit = timeout_s + (0 if images is None else PER_IMAGE_S * len(images))
    return run_tflm(op, as_blob(model), arena_size, images, limit)


def make_mcu_interpreter(model: bytes, arena_size: int = MAX_ARENA_BYTES, timeout_s: float = DEFAULT_TIMEOUT_S):
    """A TensorFlow Lite Micro interpreter for ``model`` with an ``arena_size``-byte tensor arena, in this process.

    The model is first loaded in a child process: a model that would abort TFLM raises
    :class:`McuCrashedError` here instead of killing this process. Raises :class:`McuUnavailableError`
    without ``tflite-micro`` and :class:`McuRefusedError` (with TFLM's own one-line reason, e.g. "Hybrid
    models are not supported") when the model cannot run there. ``invoke()`` on the result runs in this
    process: prefer :func:`predict_mcu` and :func:`measure_arena`, which run every call in the child.
    """
    blob = as_blob(model)
    _run("check", blob, arena_size, timeout_s=timeout_s)
    with capture_native_output((2,)) as log:
        try:
            interpreter = _runtime().Interpreter.from_bytes(blob, arena_size=int(arena_size))
        except RuntimeError:
            error = True
        else:
            error = False
    if error:
        raise McuRefusedError(refusal_reason(log.lines))
    return interpreter


def measure_arena(model: bytes, method: str = "allocations", timeout_s: float = DEFAULT_TIMEOUT_S) -> int:
    """Bytes of tensor arena TensorFlow Lite Micro needs for ``model`` (reference kernels, host build).

    ``method="allocations"``: run once in a large arena and read ``print_allocations()``'s total, which
    TFLM writes to C-level stderr. ``method="search"``: binary-search the smallest ``arena_size`` that
    allocates; both agree to within the 16-byte alignment of the arena's start. Runs in a child process
    with a ``timeout_s`` limit: a crash or a time-out raises :class:`McuCrashedError`.
    """
    if method not in ("allocations", "search"):
        raise ValueError(f"Unknown method {method!r}; use 'allocations' or 'search'.")
    return int(_run("arena" if method == "allocations" else "search", model, MAX_ARENA_BYTES, timeout_s=timeout_s))


def predict_mcu(model: bytes, images: np.ndarray, arena_size: int | None = None,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> np.ndarray:
    """Outputs of ``model`` on TensorFlow Lite Micro for every image (one invoke per image, dequantized).

    Runs in a child process, limited to ``timeout_s`` plus :data:`PER_IMAGE_S` per image.
    """
    return _run("predict", model, arena_size or MAX_ARENA_BYTES, np.asarray(images), timeout_s)


def _agreement(model: bytes, images: np.ndarray, on_mcu: np.ndarray) -> float:
    on_litert = np.argmax(predict_tflite(model, images), axis=-1)
    return float(np.mean(np.argmax(on_mcu, axis=-1) == on_litert))


def mcu_agreement(model: bytes, images: np.ndarray, timeout_s: float = DEFAULT_TIMEOUT_S) -> float:
    """Share of images on which TensorFlow Lite Micro and LiteRT predict the same class, in [0, 1]."""
    if len(images) == 0:
        raise ValueError("mcu_agreement needs at least one image.")
    return _agreement(model, images, predict_mcu(model, images, timeout_s=timeout_s))


AGREEMENT_FLOOR = 0.95  # below this share of same predictions as LiteRT, a model "runs but answers wrongly"


def arena_or_reason(model: bytes, images: np.ndarray | None = None,
                    timeout_s: float = DEFAULT_TIMEOUT_S) -> tuple[int | None, str]:
    """(arena bytes, "") when TFLM runs ``model`` (and agrees with LiteRT on ``images``); else (None, why not).

    For the comparison table; never raises for anything the model does. A model TFLM refuses gets its
    one-line reason; one that aborts TFLM or runs past ``timeout_s`` gets what happened ("TFLite Micro
    aborted on this model (signal 6, SIGABRT): ..."); one that runs but disagrees with LiteRT (e.g.
    per-channel weight-only int8, which TFLM reads with one scale) gets the measured agreement. Raises
    :class:`McuUnavailableError` without tflite-micro (nothing worth caching then).
    """
    blob = as_blob(model)
    try:
        if images is not None and len(images):
            arena, on_mcu = _run("arena_and_predict", blob, MAX_ARENA_BYTES, np.asarray(images), timeout_s)
            agreement = _agreement(blob, images, on_mcu)
        else:
            arena, agreement = measure_arena(blob, timeout_s=timeout_s), 1.0
    except McuUnavailableError:
        raise
    except McuCrashedError as error:
        return None, error.reason
    except McuRefusedError as error:
        return None, f"refused by TensorFlow Lite Micro: {error.reason}"
    except RuntimeError as error:  # e.g. no arena total printed: a note, like any other failure on this model
        return None, f"TensorFlow Lite Micro could not measure this model: {error}"
    if agreement < AGREEMENT_FLOOR:
        return None, f"runs on TensorFlow Lite Micro but agrees with LiteRT on only {agreement:.0%} of images"
    return int(arena), ""
