"""What a .tflite file stores and runs, read from the flatbuffer itself (no interpreter needed).

The per-tensor table :func:`tensor_types` gives element types as stored (so INT4 shows as INT4) and the
bytes each constant takes; with the op list and a one-look summary it explains a file's size and speed:
which types hold the weights, whether any INT4 tensor is there, and which ops run on every inference
(DEQUANTIZE, CAST, ... in front of the float kernels).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .interpreter import as_blob


def tensor_types(model: bytes) -> pd.DataFrame:
    """Every tensor stored in the flatbuffer: name, element type (INT4, INT8, FLOAT32, ...), shape, constant.

    Read from the file with LiteRT's flatbuffer schema, so int4 shows as INT4 (an interpreter reports it
    as int8, since numpy has no 4-bit type). ``constant`` marks tensors whose values are stored (weights);
    ``bytes`` is how many bytes of the file they take (two int4 values share a byte).
    """
    from ai_edge_litert import schema_py_generated as schema

    names = {value: key for key, value in vars(schema.TensorType).items() if not key.startswith("_")}
    flatbuffer = schema.ModelT.InitFromPackedBuf(as_blob(model), 0)
    rows = []
    for tensor in flatbuffer.subgraphs[0].tensors:
        buffer = flatbuffer.buffers[tensor.buffer] if tensor.buffer < len(flatbuffer.buffers) else None
        stored_bytes = 0 if buffer is None else (
            len(buffer.data) if buffer.data is not None and len(buffer.data) > 0 else int(buffer.size or 0))
        name = tensor.name.decode() if isinstance(tensor.name, bytes) else str(tensor.name)
        shape = tuple(int(d) for d in tensor.shape) if tensor.shape is not None else ()
        rows.append({"tensor": name, "type": names.get(tensor.type, str(tensor.type)), "shape": shape,
                     "constant": stored_bytes > 0, "bytes": stored_bytes})
    return pd.DataFrame(rows, columns=["tensor", "type", "shape", "constant", "bytes"])


def weight_type_counts(model: bytes) -> dict[str, int]:
    """How many stored (constant) tensors have each element type, e.g. ``{'INT4': 4, 'FLOAT32': 4, ...}``."""
    table = tensor_types(model)
    return dict(Counter(table.loc[table["constant"], "type"]))


# Ops that only turn stored weights back into float (or reshape them) before the real kernel runs
UNPACKING_OPS = ("DEQUANTIZE", "CAST", "SUB", "MUL", "ADD", "TRANSPOSE", "BATCH_MATMUL")


def op_counts(model: bytes | str | Path) -> dict[str, int]:
    """How many times each builtin op occurs in the model's main graph, e.g. ``{'CONV_2D': 2, ...}``."""
    from ai_edge_litert import schema_py_generated as schema

    names = {value: key for key, value in vars(schema.BuiltinOperator).items() if not key.startswith("_")}
    flatbuffer = schema.ModelT.InitFromPackedBuf(as_blob(model), 0)
    codes = flatbuffer.operatorCodes or []

    def name(index: int) -> str:
        code = codes[index]
        builtin = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
        return names.get(builtin, f"CUSTOM:{code.customCode!r}")

    return dict(Counter(name(op.opcodeIndex) for op in flatbuffer.subgraphs[0].operators or []))


@dataclass(frozen=True)
class FileSummary:
    """A .tflite file at a glance: its bytes, the stored (constant) bytes per element type, and its ops."""

    raw_bytes: int
    stored_bytes_by_type: dict[str, int]
    ops: dict[str, int]

    @property
    def has_int4(self) -> bool:
        return self.stored_bytes_by_type.get("INT4", 0) > 0

    @property
    def weight_type(self) -> str:
        """The element type holding most of the stored bytes (the weights' type, in practice)."""
        return max(self.stored_bytes_by_type, key=self.stored_bytes_by_type.get) if self.stored_bytes_by_type else ""

    def describe(self) -> str:
        """One sentence computed from the file: size, where the bytes are, the ops around the kernels."""
        total = sum(self.stored_bytes_by_type.values()) or 1
        parts = ", ".join(f"{kind} {count / 1024:.0f} KB ({count / total:.0%})" for kind, count in
                          sorted(self.stored_bytes_by_type.items(), key=lambda item: -item[1]) if count >= 1024)
        unpacking = {op: n for op, n in self.ops.items() if op in UNPACKING_OPS}
        extra = (f"; ops besides the kernels: {', '.join(f'{n} {op}' for op, n in unpacking.items())}"
                 if unpacking else "; no unpacking ops")
        int4 = "INT4 tensors present" if self.has_int4 else "no INT4 tensor"
        return f"{self.raw_bytes / 1024:.0f} KB; stored: {parts}; {int4}{extra}."


def file_summary(model: bytes | str | Path) -> FileSummary:
    """Read a .tflite file's stored bytes per element type and its op counts (see :class:`FileSummary`)."""
    blob = as_blob(model)
    table = tensor_types(blob)
    stored = table[table["constant"]].groupby("type")["bytes"].sum()
    return FileSummary(len(blob), {str(kind): int(count) for kind, count in stored.items()}, op_counts(blob))


def largest_tensors(model: bytes | str | Path, n: int = 5) -> pd.DataFrame:
    """The ``n`` stored tensors taking the most bytes: what makes a file big."""
    table = tensor_types(model)
    table = table[table["constant"]].sort_values("bytes", ascending=False).head(n)
    return table.reset_index(drop=True)
