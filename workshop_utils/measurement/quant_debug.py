"""Look inside quantized TFLite models: tensor dtypes and scales, op dtypes, per-layer debugger errors.

Introduced in notebook 01 (post-training quantization), reused in notebook 02 (QAT).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .interpreter import make_interpreter, predict_tflite

# Ops whose inputs are (activation, weights, bias): lets the tables name the constant tensors.
_WEIGHTED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "BATCH_MATMUL"}
_ROLE_BY_INPUT = {1: "weights", 2: "bias"}
DEBUGGER_COLUMNS = ("op_name", "tensor_name", "scale", "mean_squared_error")
UNIFORM_ROUNDING_RMSE = 1 / np.sqrt(12)  # RMSE of pure rounding, in units of one quantization step


def short_tensor_name(name: str) -> str:
    """``'baseline_cnn/conv1/Relu;baseline_cnn/conv1/BiasAdd'`` -> ``'conv1/Relu'`` (model prefix dropped)."""
    first = str(name).split(";")[0]
    parts = first.split("/")
    return "/".join(parts[1:]) if len(parts) > 1 else first


def short_layer_name(name: str) -> str:
    """The Keras layer a TFLite tensor came from (``'conv1'``); the model's own input/output tensors,
    named after the signature (``serving_default_*``, ``StatefulPartitionedCall*``), become
    ``'input'`` and ``'output'``."""
    first = str(name).split(";")[0]
    parts = first.split("/")
    if len(parts) > 1:
        return parts[1]
    if first.startswith("serving_default"):
        return "input"
    if first.startswith("StatefulPartitionedCall"):
        return "output"
    return first


def _ops(interpreter) -> list[dict]:
    # The only interpreter call listing ops; the TFLite QuantizationDebugger relies on it too.
    return list(interpreter._get_ops_details())  # noqa: SLF001


def _roles(interpreter) -> dict[int, str]:
    """Tensor index -> 'input', 'activation', 'weights', 'bias', 'constant' or 'dequantized weights'."""
    ops = _ops(interpreter)
    produced = {t for op in ops for t in op["outputs"]}
    inputs = {d["index"] for d in interpreter.get_input_details()}
    consumed_as: dict[int, str] = {}
    for op in ops:
        if op["op_name"] in _WEIGHTED_OPS:
            for position, tensor in enumerate(op["inputs"]):
                consumed_as.setdefault(tensor, _ROLE_BY_INPUT.get(position, "constant"))
    roles: dict[int, str] = {}
    for op in ops:
        constants = [t for t in op["inputs"] if t >= 0 and t not in produced and t not in inputs]
        for tensor in constants:
            roles.setdefault(tensor, consumed_as.get(tensor, "constant"))
        if op["op_name"] == "DEQUANTIZE" and constants:
            # float16 (or int8) weights stored compactly and expanded to float32 when the model loads
            role = consumed_as.get(op["outputs"][0], "constant")
            roles[constants[0]] = role
            roles[op["outputs"][0]] = f"dequantized {role}"
    for tensor in produced:
        roles.setdefault(tensor, "activation")
    for tensor in inputs:
        roles[tensor] = "input"
    return roles


def tensor_details(model: bytes | str | Path) -> pd.DataFrame:
    """One row per tensor: short name, role, dtype, shape and its quantization parameters.

    ``scales`` counts the scales a tensor carries: 1 is per-tensor, more is per-channel (one per
    output channel). ``scale`` and ``zero_point`` are the first ones (0 for float tensors).
    """
    interpreter = make_interpreter(model, use_xnnpack=False)  # the model's own ops, no delegate node
    roles = _roles(interpreter)
    rows = []
    for detail in interpreter.get_tensor_details():
        if detail["index"] not in roles:  # kernel scratch buffers, not part of the graph
            continue
        params = detail["quantization_parameters"]
        scales, zero_points = params["scales"], params["zero_points"]
        rows.append({
            "tensor": short_tensor_name(detail["name"]),
            "role": roles[detail["index"]],
            "dtype": np.dtype(detail["dtype"]).name,
            "shape": tuple(int(s) for s in detail["shape"]),
            "scales": len(scales),
            "scale": float(scales[0]) if len(scales) else 0.0,
            "zero_point": int(zero_points[0]) if len(zero_points) else 0,
            "index": int(detail["index"]),
            "name": detail["name"],
        })
    return pd.DataFrame(rows).set_index("index").sort_index()


def ops_table(model: bytes | str | Path) -> pd.DataFrame:
    """One row per op in execution order: its type, input dtypes (activation, weights, bias) and output dtype."""
    interpreter = make_interpreter(model, use_xnnpack=False)  # the model's own ops, no delegate node
    dtypes = {d["index"]: np.dtype(d["dtype"]).name for d in interpreter.get_tensor_details()}
    names = {d["index"]: d["name"] for d in interpreter.get_tensor_details()}
    rows = []
    for op in _ops(interpreter):
        outputs = [t for t in op["outputs"] if t >= 0]
        rows.append({
            "op": op["op_name"],
            "inputs": ", ".join(dtypes[t] for t in op["inputs"] if t >= 0),
            "output": ", ".join(dtypes[t] for t in outputs),
            "layer": short_layer_name(names[outputs[0]]) if outputs else "",
        })
    return pd.DataFrame(rows)


def add_error_metrics(stats: pd.DataFrame, num_bits: int = 8) -> pd.DataFrame:
    """The QuantizationDebugger's per-layer CSV plus readable columns, worst layer first.

    Adds ``layer`` (the Keras layer name), ``range`` (the real interval the int8 grid covers:
    ``(2**num_bits - 1) * scale``) and ``rmse/scale``: the error in units of one quantization step.
    Pure rounding gives about 0.29 (1/sqrt(12)); much more means clipping or accumulated error.
    """
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(
            f"add_error_metrics needs a pandas DataFrame; got {type(stats).__name__}. Fix: "
            "debugger.layer_statistics_dump(buffer); buffer.seek(0); stats = pd.read_csv(buffer)."
        )
    missing = [column for column in DEBUGGER_COLUMNS if column not in stats.columns]
    if missing:
        raise ValueError(
            f"The statistics lack the columns {missing}. Fix: pass the CSV written by "
            "QuantizationDebugger.layer_statistics_dump after debugger.run()."
        )
    if stats.empty:
        raise ValueError("The statistics are empty: call debugger.run() before dumping them.")
    table = stats.copy()
    table["layer"] = table["tensor_name"].map(short_layer_name)
    table["range"] = (2**num_bits - 1) * table["scale"]
    table["rmse/scale"] = np.sqrt(table["mean_squared_error"]) / table["scale"]
    return table.sort_values("rmse/scale", ascending=False).reset_index(drop=True)


def worst_layers(stats: pd.DataFrame, n: int = 1, metric: str = "rmse/scale") -> list[str]:
    """The tensor names of the ``n`` layers with the largest ``metric``: what ``denylisted_nodes`` takes."""
    if metric not in stats.columns:
        raise ValueError(f"No column {metric!r} in the statistics; columns: {list(stats.columns)}. "
                         "Fix: pass the output of add_error_metrics.")
    if n < 1:
        raise ValueError(f"n must be at least 1; got {n}.")
    return list(stats.sort_values(metric, ascending=False)["tensor_name"].head(n))


@dataclass(frozen=True)
class OutputComparison:
    """How far a model's outputs are from a reference model's on the same images."""

    rmse: float  # root mean squared difference of the (dequantized) outputs
    max_abs: float  # largest absolute difference
    agreement: float  # fraction of images where both predict the same class


def compare_outputs(model: bytes | str | Path, reference: bytes | str | Path, x: np.ndarray) -> OutputComparison:
    """Compare two TFLite models' outputs on ``x`` (finer than accuracy: it sees errors that flip no label)."""
    ours, theirs = predict_tflite(model, x), predict_tflite(reference, x)
    if ours.shape != theirs.shape:
        raise ValueError(f"The models' outputs differ in shape: {ours.shape} vs {theirs.shape}.")
    diff = ours.astype(np.float64) - theirs.astype(np.float64)
    return OutputComparison(
        rmse=float(np.sqrt(np.mean(diff**2))),
        max_abs=float(np.max(np.abs(diff))),
        agreement=float(np.mean(np.argmax(ours, -1) == np.argmax(theirs, -1))),
    )


def dtype_counts(model: bytes | str | Path, roles: Sequence[str] | None = None) -> pd.DataFrame:
    """How many tensors of each role are stored in each dtype (e.g. weights: int8, activations: float32)."""
    table = tensor_details(model)
    if roles is not None:
        table = table[table["role"].isin(list(roles))]
    if table.empty:
        known = sorted(tensor_details(model)["role"].unique())
        raise ValueError(f"No tensors with the roles {list(roles or [])}; roles in this model: {known}.")
    return pd.crosstab(table["role"], table["dtype"])


def model_metadata(model: bytes | str | Path) -> dict[str, str]:
    """The flatbuffer's named metadata entries as text, e.g. ``{'reduced_precision_support': 'fp16accfp32'}``.

    Entries that are not text (the converter's binary ``CONVERSION_METADATA``) show as ``'<N bytes>'``.
    """
    from ai_edge_litert import schema_py_generated as schema

    from .interpreter import as_blob

    flatbuffer = schema.ModelT.InitFromPackedBuf(as_blob(model), 0)
    entries: dict[str, str] = {}
    for entry in flatbuffer.metadata or []:
        name = entry.name.decode() if isinstance(entry.name, bytes) else str(entry.name)
        data = flatbuffer.buffers[entry.buffer].data
        raw = (b"" if data is None else bytes(data)).rstrip(b"\x00")
        text = raw.decode("ascii", errors="replace")
        entries[name] = text if raw and text.isprintable() else f"<{len(raw)} bytes>"
    return entries
