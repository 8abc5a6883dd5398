"""The child process that runs TensorFlow Lite Micro, so an abort inside it cannot take the caller down.

Run as a script (``python -I mcu_worker.py``), never imported by the package's ``__init__``: it loads
only numpy, tflite_micro and its sibling ``interpreter.py`` (numpy only), so a call costs a fraction of
a second. :mod:`workshop_utils.measurement.mcu` starts it with fd 2 pointing at a file it reads back.

Protocol: one pickled request on stdin, ``{"op", "model", "arena_size", "images"}``; one pickled answer
on the saved stdout: ``{"value": ...}``, ``{"refused": [log lines]}`` or ``{"error": (type name, text)}``.
Descriptor 1 is pointed at descriptor 2 while TFLM runs, so nothing it prints corrupts the answer.
"""

from __future__ import annotations

import importlib.util
import os
import pickle
import re
import sys
import time
from pathlib import Path
from typing import Any

STANDIN_VAR = "WORKSHOP_TFLM_STANDIN"  # tests only: "abort" or "hang" acts out a TFLM that crashes or never returns
STAGE_MARK = "@tflm-stage "  # a line the parent reads to say where a crash happened, then drops
_ARENA_TOTAL = re.compile(r"Arena allocation total (\d+) bytes")


def _sibling(name: str):
    """``interpreter.py`` from this folder, loaded by path (importing the package would start TensorFlow)."""
    spec = importlib.util.spec_from_file_location(f"_mcu_worker_{name}", Path(__file__).with_name(f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Refused(Exception):
    def __init__(self, lines: list[str]):
        self.lines = lines


def _stage(name: str) -> None:
    sys.stderr.flush()
    os.write(2, f"{STAGE_MARK}{name}\n".encode())


def _log_position() -> int:
    sys.stderr.flush()
    return os.lseek(2, 0, os.SEEK_CUR)


def _log_since(start: int) -> list[str]:
    """The lines written to fd 2 (a regular file opened read-write by the parent) since ``start``."""
    end = _log_position()
    text = os.pread(2, end - start, start).decode(errors="replace")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith(STAGE_MARK)]


def _interpreter(runtime, model: bytes, arena_size: int):
    _stage("Interpreter.from_bytes")
    start = _log_position()
    try:
        return runtime.Interpreter.from_bytes(model, arena_size=int(arena_size))
    except RuntimeError:
        raise _Refused(_log_since(start)) from None


def _lite_detail(detail: dict) -> dict:
    """TFLM's tensor details in the LiteRT form that interpreter.quantize_input/dequantize_output read."""
    params = detail["quantization_parameters"]
    scales, zero_points = params["scales"], params["zero_points"]
    quantization = (float(scales[0]), int(zero_points[0])) if len(scales) else (0.0, 0)
    return {"dtype": detail["dtype"], "quantization": quantization}


def _arena(runtime, model: bytes, arena_size: int) -> int:
    import numpy as np

    interpreter = _interpreter(runtime, model, arena_size)
    detail = interpreter.get_input_details(0)
    interpreter.set_input(np.zeros(detail["shape"], dtype=detail["dtype"]), 0)
    _stage("invoke")
    start = _log_position()
    interpreter.invoke()
    interpreter.print_allocations()
    lines = _log_since(start)
    match = next((m for m in map(_ARENA_TOTAL.search, lines) if m), None)
    if match is None:
        raise RuntimeError(f"TFLM printed no arena total; it printed: {' | '.join(lines)[:300]!r}")
    return int(match.group(1))


def _search(runtime, model: bytes, arena_size: int) -> int:
    """The smallest arena that allocates, by bisection up to ``arena_size``."""
    _interpreter(runtime, model, arena_size)  # refuses early, with the reason, if the model cannot run at all
    low, high = 1, int(arena_size)
    while low < high:
        middle = (low + high) // 2
        try:
            _interpreter(runtime, model, middle)
            high = middle
        except _Refused:
            low = middle + 1
    return low


def _predict(runtime, model: bytes, arena_size: int, images):
    import numpy as np

    lite = _sibling("interpreter")
    interpreter = _interpreter(runtime, model, arena_size)
    inp, out = interpreter.get_input_details(0), interpreter.get_output_details(0)
    expected = tuple(int(d) for d in inp["shape"][1:])
    images = np.asarray(images)
    if images.ndim != len(expected) + 1 or tuple(images.shape[1:]) != expected:
        raise ValueError(f"Images have shape {images.shape}; this model takes batches of {expected}.")
    inp_detail, out_detail = _lite_detail(inp), _lite_detail(out)
    outputs = []
    _stage("invoke")
    for image in images:
        interpreter.set_input(lite.quantize_input(image[np.newaxis], inp_detail), 0)
        interpreter.invoke()
        outputs.append(lite.dequantize_output(np.asarray(interpreter.get_output(0)), out_detail))
    return np.concatenate(outputs) if outputs else np.zeros((0,), dtype=np.float32)


def _input_details(runtime, model: bytes, arena_size: int) -> dict[str, Any]:
    detail = _interpreter(runtime, model, arena_size).get_input_details(0)
    return {"shape": tuple(int(d) for d in detail["shape"]), "dtype": str(detail["dtype"].__name__)}


def handle(request: dict[str, Any]) -> Any:
    """Run one request; the value to send back (raises _Refused when TFLM cannot run the model)."""
    standin = os.environ.get(STANDIN_VAR, "")
    if standin == "abort":
        _stage("Interpreter.from_bytes")
        print("tensorflow/lite/micro/micro_allocator.cc:123 stand-in TFLM: check failed, aborting", file=sys.stderr)
        sys.stderr.flush()
        os.abort()
    if standin == "hang":
        time.sleep(3600)
    from tflite_micro import runtime

    op, model, arena = request["op"], request["model"], request["arena_size"]
    if op == "check":
        return _input_details(runtime, model, arena)
    if op == "arena":
        return _arena(runtime, model, arena)
    if op == "search":
        return _search(runtime, model, arena)
    if op == "predict":
        return _predict(runtime, model, arena, request["images"])
    if op == "arena_and_predict":  # what the comparison table needs, in one child
        return _arena(runtime, model, arena), _predict(runtime, model, arena, request["images"])
    raise ValueError(f"Unknown op {op!r}")


def main() -> int:
    answer_fd = os.dup(1)
    os.dup2(2, 1)  # whatever TFLM prints to stdout goes to the log, not into the answer
    request = pickle.loads(sys.stdin.buffer.read())
    try:
        answer: dict[str, Any] = {"value": handle(request)}
    except _Refused as refused:
        answer = {"refused": refused.lines}
    except Exception as error:  # sent back whole; the parent raises it with its type's name
        answer = {"error": (type(error).__name__, str(error))}
    with os.fdopen(answer_fd, "wb") as channel:
        pickle.dump(answer, channel)
    return 0


if __name__ == "__main__":
    sys.exit(main())
