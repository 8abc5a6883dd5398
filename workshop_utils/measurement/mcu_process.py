"""Run TensorFlow Lite Micro in a child process with a time limit: an abort or a hang becomes an error, not a death.

``Interpreter.from_bytes`` aborts the whole process (SIGABRT) on some models, e.g. an int8
MobileNetV3Small, and nothing in Python can catch that. Every TFLM call therefore goes through
:func:`run_tflm`, which starts ``mcu_worker.py`` (numpy and tflite_micro only, ~0.2 s), sends it the
request and turns a crash, a time-out or a refusal into an exception whose message says what happened.
"""

from __future__ import annotations

import pickle
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

WORKER = Path(__file__).with_name("mcu_worker.py")
STAGE_MARK = "@tflm-stage "  # mcu_worker.STAGE_MARK: the worker announces each TFLM call it starts
DEFAULT_TIMEOUT_S = 60.0  # a model this interpreter needs longer than this for is not one to ship to a board
_NODE_FAILED = re.compile(r"Node (\w+) \(number (\d+)\) failed to prepare")
_SOURCE_PREFIX = re.compile(r"^\S+\.(?:cc|h)(?::\d+)?\s+")
_MAX_NOTE_CHARS = 300
TIMEOUT_NOTE = "TFLite Micro did not finish within"  # how a time-out note starts (a busy machine can cause it)


class McuUnavailableError(RuntimeError):
    """TensorFlow Lite Micro's Python package is not installed on this platform; the message says why."""


class McuRefusedError(RuntimeError):
    """TensorFlow Lite Micro cannot run this model; ``reason`` is its one-line explanation."""

    def __init__(self, reason: str):
        super().__init__(f"TensorFlow Lite Micro refused the model: {reason}")
        self.reason = reason


class McuCrashedError(McuRefusedError):
    """TensorFlow Lite Micro's process died (abort, segfault) or ran past its time limit on this model.

    ``reason`` is the whole sentence ("TFLite Micro aborted on this model (signal 6, SIGABRT): ..."), with
    what the process printed to stderr, trimmed; the calling process is unharmed.
    """

    def __init__(self, reason: str):
        RuntimeError.__init__(self, reason)
        self.reason = reason


def is_transient(note: str) -> bool:
    """True for a note a rerun may not repeat (a time-out): a cache should measure that row again next time."""
    return isinstance(note, str) and note.startswith(TIMEOUT_NOTE)


def refusal_reason(log_lines: list[str]) -> str:
    """The one line that says why TensorFlow Lite Micro failed, from what it printed to stderr."""
    node = next((m for m in map(_NODE_FAILED.search, log_lines) if m), None)
    checks = [line for line in log_lines if not _NODE_FAILED.search(line) and "failed to allocate" not in line]
    check = _SOURCE_PREFIX.sub("", checks[0]) if checks else "no reason printed"
    if any("Failed to resize buffer" in line or "Failed to allocate" in line for line in log_lines):
        return f"the tensor arena is too small ({check})"
    return f"{node.group(1)} (node {node.group(2)}): {check}" if node else check


def _trimmed(log: str) -> str:
    """Where a dying process was and the last lines it printed: one line, no source paths, a few hundred chars."""
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    stages = [line[len(STAGE_MARK):] for line in lines if line.startswith(STAGE_MARK)]
    printed = [_SOURCE_PREFIX.sub("", line) for line in lines if not line.startswith(STAGE_MARK)]
    text = " | ".join(printed[-4:]) if printed else "nothing printed to stderr"
    if len(text) > _MAX_NOTE_CHARS:
        text = "..." + text[-_MAX_NOTE_CHARS:]
    return f"in {stages[-1]}, {text}" if stages else text


def _death_reason(returncode: int, log: str) -> str:
    if returncode < 0:
        number = -returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        what = "aborted" if number == signal.SIGABRT else "crashed"
        return f"TFLite Micro {what} on this model (signal {number}, {name}): {_trimmed(log)}"
    return f"TFLite Micro's process exited with code {returncode} on this model: {_trimmed(log)}"


def run_tflm(
    op: str, model: bytes, arena_size: int, images: np.ndarray | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
) -> Any:
    """Run ``op`` ("check", "arena", "search", "predict", "arena_and_predict") on TFLM in a child process.

    Raises :class:`McuRefusedError` (TFLM's one-line reason) when the interpreter refuses the model,
    :class:`McuCrashedError` when the child dies or runs past ``timeout_s`` seconds, ValueError for bad
    input and :class:`McuUnavailableError` when the child cannot import tflite_micro.
    """
    if timeout_s <= 0:
        raise ValueError(f"timeout_s is a time limit in seconds and must be > 0; got {timeout_s}.")
    request = pickle.dumps({"op": op, "model": bytes(model), "arena_size": int(arena_size),
                            "images": None if images is None else np.asarray(images)})
    # -I: no user site, no PYTHON* variables, no script folder on sys.path (its size.py would shadow others)
    command = [sys.executable, "-I", str(WORKER)]
    with tempfile.TemporaryFile(mode="w+b") as log_file:
        try:
            done = subprocess.run(command, input=request, stdout=subprocess.PIPE, stderr=log_file,
                                  timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired:
            log_file.seek(0)
            raise McuCrashedError(
                f"{TIMEOUT_NOTE} {timeout_s:g} s on this model (stopped; pass a larger "
                f"timeout_s if it is only slow): {_trimmed(log_file.read().decode(errors='replace'))}"
            ) from None
        log_file.seek(0)
        log = log_file.read().decode(errors="replace")
    if done.returncode != 0:
        raise McuCrashedError(_death_reason(done.returncode, log))
    try:
        answer = pickle.loads(done.stdout)
    except Exception:  # the child printed something that is not its answer
        raise McuCrashedError(f"TFLite Micro's process sent no answer on this model: {_trimmed(log)}") from None
    if "refused" in answer:
        raise McuRefusedError(refusal_reason(answer["refused"]))
    if "error" in answer:
        kind, message = answer["error"]
        if kind in ("ImportError", "ModuleNotFoundError"):
            raise McuUnavailableError(f"The TensorFlow Lite Micro process could not import it: {message}")
        raise (ValueError if kind == "ValueError" else RuntimeError)(message)
    return answer["value"]
