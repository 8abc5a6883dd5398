"""Running a TFLite model on the LiteRT interpreter: predictions and accuracy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

TFLITE_IDENTIFIER = b"TFL3"


def as_blob(model: bytes | bytearray | str | Path) -> bytes:
    if isinstance(model, (str, Path)):
        model = Path(model).read_bytes()
    if not isinstance(model, (bytes, bytearray)):
        raise TypeError(
            f"Expected TFLite flatbuffer bytes (from wu.to_tflite) or a .tflite path; got {type(model).__name__}."
        )
    blob = bytes(model)
    if len(blob) < 8 or blob[4:8] != TFLITE_IDENTIFIER:
        raise ValueError(
            "These bytes are not a TFLite model (no 'TFL3' identifier). Fix: pass wu.to_tflite(...)'s output."
        )
    return blob


def make_interpreter(
    model: bytes | str | Path, num_threads: int = 1, use_xnnpack: bool = True, preserve_all_tensors: bool = False
):
    """A LiteRT interpreter with tensors allocated and an explicit thread count.

    ``use_xnnpack=False`` runs the plain TFLite kernels: the op list then shows the model's own ops (not
    one delegate node), and models XNNPACK refuses (e.g. converted with EXPERIMENTAL_SPARSITY) still run.
    ``preserve_all_tensors=True`` keeps intermediate tensors readable after ``invoke()``.
    """
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    if num_threads < 1:
        raise ValueError(f"num_threads must be at least 1; got {num_threads}.")
    resolver = OpResolverType.AUTO if use_xnnpack else OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = Interpreter(
        model_content=as_blob(model), num_threads=num_threads, experimental_op_resolver_type=resolver,
        experimental_preserve_all_tensors=preserve_all_tensors,
    )
    interpreter.allocate_tensors()
    return interpreter


def quantize_input(x: np.ndarray, detail: dict) -> np.ndarray:
    """Map float images onto an integer input tensor with its scale and zero point (identity for float)."""
    dtype = detail["dtype"]
    if np.issubdtype(dtype, np.floating):
        return x.astype(dtype, copy=False)
    scale, zero_point = detail["quantization"]
    info = np.iinfo(dtype)
    return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(dtype)


def dequantize_output(y: np.ndarray, detail: dict) -> np.ndarray:
    """Integer outputs back to real values (identity for float outputs)."""
    if np.issubdtype(detail["dtype"], np.floating):
        return y
    scale, zero_point = detail["quantization"]
    return (y.astype(np.float32) - zero_point) * scale


def predict_tflite(
    model: bytes | str | Path, x: np.ndarray, batch_size: int = 256, num_threads: int = 1, use_xnnpack: bool = True
) -> np.ndarray:
    """Model outputs (dequantized to float) for every image in ``x``, run in batches."""
    interpreter = make_interpreter(model, num_threads, use_xnnpack=use_xnnpack)
    inp, out = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    expected = tuple(inp["shape"][1:])
    x = np.asarray(x)
    if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
        raise ValueError(f"Images have shape {x.shape}; this model takes batches of {expected}.")
    outputs, current = [], -1
    for start in range(0, len(x), batch_size):
        chunk = x[start : start + batch_size]
        if len(chunk) != current:  # resize only when the batch size changes (last chunk)
            interpreter.resize_tensor_input(inp["index"], [len(chunk), *expected])
            interpreter.allocate_tensors()
            current = len(chunk)
        interpreter.set_tensor(inp["index"], quantize_input(chunk, inp))
        interpreter.invoke()
        outputs.append(dequantize_output(interpreter.get_tensor(out["index"]), out))
    return np.concatenate(outputs)


def evaluate_tflite(
    model: bytes | str | Path, x: np.ndarray, y: np.ndarray, batch_size: int = 256, use_xnnpack: bool = True
) -> float:
    """Top-1 accuracy of a TFLite model on ``(x, y)``, in [0, 1]; handles int8/int16 input and output.

    ``use_xnnpack=False`` measures with the plain TFLite kernels (for models the XNNPACK delegate refuses).
    """
    y = np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels.")
    if len(y) == 0:
        raise ValueError("Cannot measure accuracy on zero images.")
    predictions = np.argmax(predict_tflite(model, x, batch_size, use_xnnpack=use_xnnpack), axis=-1)
    return float(np.mean(predictions == y))
