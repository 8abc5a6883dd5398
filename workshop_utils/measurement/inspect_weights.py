"""Look inside models: sparsity and distinct values of Keras kernels, and of the weights stored in a TFLite file.

Used to show that the zeros of pruning and the shared values of clustering survive conversion (or do not).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..models.keras_tools import require_tf_keras_model
from .interpreter import make_interpreter

KERNEL_NAMES = ("kernel", "depthwise_kernel", "pointwise_kernel")
# TFLite ops whose weight input is a kernel: op name -> (index of the weight input, output-channel axis)
KERNEL_OPS = {
    "CONV_2D": (1, 0),
    "FULLY_CONNECTED": (1, 0),
    "DEPTHWISE_CONV_2D": (1, 3),
    "TRANSPOSE_CONV": (1, 0),
    "CONV_3D": (1, 4),
}
PASS_THROUGH_OPS = ("DEQUANTIZE", "DENSIFY")  # float16 / sparse weights reach the kernel through these ops


def _kernels(model, prefix: str = "") -> list[tuple[str, np.ndarray]]:
    """(layer name, kernel array) for every layer with a kernel; looks through TFMOT wrappers and submodels."""
    import tf_keras

    found = []
    for layer in model.layers:
        if isinstance(layer, tf_keras.Model):
            found += _kernels(layer, f"{prefix}{layer.name}/")
            continue
        for weight in layer.weights:
            short = weight.name.split("/")[-1].split(":")[0]
            if short in KERNEL_NAMES:
                name = layer.name if short == "kernel" else f"{layer.name}/{short}"
                found.append((prefix + name, weight.numpy()))
    return found


def kernel_sparsity(model) -> pd.DataFrame:
    """One row per layer with a kernel: layer, kernel_shape, params, zeros, sparsity (fraction of zeros)."""
    require_tf_keras_model(model, "kernel_sparsity")
    rows = []
    for name, kernel in _kernels(model):
        zeros = int(np.sum(kernel == 0))
        rows.append({"layer": name, "kernel_shape": tuple(kernel.shape), "params": int(kernel.size),
                     "zeros": zeros, "sparsity": zeros / kernel.size})
    return pd.DataFrame(rows, columns=["layer", "kernel_shape", "params", "zeros", "sparsity"])


def _max_unique_per_channel(values: np.ndarray, axis: int) -> int:
    channels = np.moveaxis(values, axis, 0).reshape(values.shape[axis], -1)
    return max(len(np.unique(channel)) for channel in channels)


def unique_values(model) -> pd.DataFrame:
    """One row per layer with a kernel: layer, params, unique_values, max_unique_per_channel (last axis)."""
    require_tf_keras_model(model, "unique_values")
    rows = [
        {"layer": name, "params": int(kernel.size), "unique_values": int(len(np.unique(kernel))),
         "max_unique_per_channel": _max_unique_per_channel(kernel, -1)}
        for name, kernel in _kernels(model)
    ]
    return pd.DataFrame(rows, columns=["layer", "params", "unique_values", "max_unique_per_channel"])


class TFLiteWeights(dict):
    """``dict`` tensor name -> stored numpy array (int8 stays int8), plus per-tensor metadata.

    ``.quantization[name]``: ``scales``, ``zero_points`` (arrays, one entry per channel when per-axis) and
    ``quantized_dimension``; ``.kernels``: names of the conv/dense kernels, each mapped to
    ``(op name, output-channel axis)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.quantization: dict[str, dict[str, Any]] = {}
        self.kernels: dict[str, tuple[str, int]] = {}

    def dequantized(self, name: str) -> np.ndarray:
        """Real values of a weight: ``(q - zero_point) * scale`` per channel (floats are returned as float32)."""
        values = self[name]
        if np.issubdtype(values.dtype, np.floating):
            return values.astype(np.float32)
        params = self.quantization[name]
        shape = [1] * values.ndim
        if len(params["scales"]) > 1:
            shape[params["quantized_dimension"]] = -1
        scales = np.reshape(params["scales"], shape)
        zero_points = np.reshape(params["zero_points"], shape)
        return ((values.astype(np.float32) - zero_points) * scales).astype(np.float32)


def tflite_weights(model: bytes | str | Path) -> TFLiteWeights:
    """The constant (weight) tensors of a TFLite model, read back with the LiteRT interpreter.

    Constants are the op inputs that no op computes and that are not model inputs (this leaves out the
    scratch tensors some kernels allocate). Returns a :class:`TFLiteWeights`
    dict name -> array (as stored: int8 weights stay int8) with ``.quantization`` and ``.kernels``.
    """
    # Without XNNPACK: its delegate node would hide which constant tensor feeds which op.
    interpreter = make_interpreter(model, use_xnnpack=False, preserve_all_tensors=True)
    ops = interpreter._get_ops_details()  # noqa: SLF001 - the only way to see the op graph
    producer = {int(t): op for op in ops for t in op["outputs"]}
    consumed = {int(t) for op in ops for t in op["inputs"] if int(t) >= 0}
    inputs = {int(d["index"]) for d in interpreter.get_input_details()}
    details = {int(d["index"]): d for d in interpreter.get_tensor_details()}
    weights = TFLiteWeights()
    for index in sorted(consumed - set(producer) - inputs):  # op inputs no op computes: constants
        if index not in details:
            continue
        detail = details[index]
        try:
            values = np.array(interpreter.get_tensor(index))
        except ValueError:  # tensors without data (e.g. optional/unused inputs)
            continue
        name = detail["name"]
        weights[name] = values
        params = detail["quantization_parameters"]
        weights.quantization[name] = {
            "scales": np.asarray(params["scales"]), "zero_points": np.asarray(params["zero_points"]),
            "quantized_dimension": int(params["quantized_dimension"]),
        }
    for op in ops:
        if op["op_name"] not in KERNEL_OPS:
            continue
        position, axis = KERNEL_OPS[op["op_name"]]
        index = int(op["inputs"][position])
        while index in producer and producer[index]["op_name"] in PASS_THROUGH_OPS:
            index = int(producer[index]["inputs"][0])
        if index in details and details[index]["name"] in weights:
            weights.kernels[details[index]["name"]] = (op["op_name"], axis)
    return weights


def tflite_weight_stats(model: bytes | str | Path) -> pd.DataFrame:
    """One row per conv/dense kernel stored in a TFLite model: does sparsity / clustering survive conversion?

    Columns: name, op, dtype, shape, params, zeros, sparsity, unique_values, max_unique_per_channel.
    A quantized weight is zero when its stored integer equals the zero point of its channel.
    """
    weights = tflite_weights(model)
    rows = []
    for name, (op, axis) in weights.kernels.items():
        values = weights[name]
        zero = np.zeros((), dtype=values.dtype)
        if not np.issubdtype(values.dtype, np.floating):
            params = weights.quantization[name]
            zp = params["zero_points"]
            if zp.size > 1:
                shape = [1] * values.ndim
                shape[params["quantized_dimension"]] = -1
                zero = zp.reshape(shape)
            elif zp.size == 1:
                zero = zp.reshape(())
        zeros = int(np.sum(values == zero))
        rows.append({
            "name": name, "op": op, "dtype": str(values.dtype), "shape": tuple(values.shape),
            "params": int(values.size), "zeros": zeros, "sparsity": zeros / values.size,
            "unique_values": int(len(np.unique(values))),
            "max_unique_per_channel": _max_unique_per_channel(values, axis),
        })
    columns = ["name", "op", "dtype", "shape", "params", "zeros", "sparsity", "unique_values",
               "max_unique_per_channel"]
    return pd.DataFrame(rows, columns=columns)


def m_by_n_pattern_holds(kernel: Any, m: int = 2, n: int = 4, axis: int = -2) -> bool:
    """True when every group of ``n`` consecutive input-channel weights has at least ``m`` zeros.

    Same convention and grouping as TFMOT's ``sparsity_m_by_n=(m, n)``: for a Conv2D kernel (H, W, C_in,
    C_out) or Dense kernel (C_in, C_out) the groups run along C_in (``axis=-2``), separately for every output
    channel and kernel position, starting at channel 0; a last, shorter group counts its missing weights as
    zeros. For TFLite kernels (C_out, ..., C_in) pass ``axis=-1``. (2, 4) means at most 2 non-zeros in 4.
    """
    if not (isinstance(m, int) and isinstance(n, int) and 0 < m < n):
        raise ValueError(f"Need integers 0 < m < n (m zeros in every n weights); got m={m!r}, n={n!r}.")
    values = np.asarray(kernel)
    if values.ndim < 2:
        raise ValueError(f"Expected a kernel with an input-channel axis (rank >= 2); got shape {values.shape}.")
    rows = np.moveaxis(values, axis, -1).reshape(-1, values.shape[axis])
    pad = (-rows.shape[1]) % n
    groups = np.pad(rows, ((0, 0), (0, pad))).reshape(rows.shape[0], -1, n)
    return bool(np.all(np.count_nonzero(groups, axis=-1) <= n - m))
