"""The comparison's rows: a technique (Keras level) followed by a conversion mode (TFLite level)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

REFERENCE_ROW = "float32"


@dataclass(frozen=True)
class Row:
    """One comparison row: a technique (Keras level) followed by a conversion mode (TFLite level)."""

    name: str
    technique: str  # "baseline" or a name in workshop_utils.recipes.RECIPES
    mode: str
    description: str


ROWS: tuple[Row, ...] = (
    Row("float32", "baseline", "float32", "no optimization (reference)"),
    Row("dynamic_range", "baseline", "dynamic_range", "PTQ: int8 weights, float activations"),
    Row("full_integer", "baseline", "full_integer", "PTQ: int8 weights and activations"),
    Row("float16", "baseline", "float16", "PTQ: float16 weights"),
    Row("int16x8", "baseline", "int16x8", "PTQ: int16 activations, int8 weights"),
    Row("int4_weights", "baseline", "int4_fc_dynamic",
        "LiteRT quantizer: int4 weights per channel in fully connected layers (int8 in convolutions), "
        "activations quantized at run time (dynamic: XNNPACK's fast int4 path)"),
    Row("int4_weight_only", "baseline", "int4_weights",
        "LiteRT quantizer: int4 weights everywhere, float activations (weight-only: no activation rounding, "
        "but dequantized before every op on each run)"),
    Row("keras_int4", "baseline", "keras_int4",
        "Keras 3 model.quantize('int4') exported: no INT4 tensor survives conversion (a bigger file)"),
    Row("qat_int8", "qat", "full_integer", "quantization-aware training"),
    Row("pruned", "prune", "float32", "magnitude pruning to 80% sparsity"),
    Row("pruned_int8", "prune", "full_integer", "pruning + full integer PTQ"),
    Row("pruned_int4", "prune", "int4_fc_dynamic",
        "pruning + dynamic int4 weights (zeros stay zero: sparsity and 4 bits stack)"),
    Row("clustered", "cluster", "float32", "weight clustering, 16 clusters"),
    Row("clustered_int8", "cluster", "full_integer", "clustering + full integer PTQ"),
    Row("clustered_int4", "cluster", "int4_fc_dynamic",
        "clustering + dynamic int4 weights (16 shared values, 16 int4 levels)"),
    Row("pqat_int8", "pqat", "full_integer", "pruning + sparsity-preserving QAT"),
    Row("cqat_int8", "cqat", "full_integer", "clustering + cluster-preserving QAT"),
    Row("pcqat_int8", "pcqat", "full_integer", "pruning + clustering + preserving QAT"),
)


ROW_NAMES = tuple(row.name for row in ROWS)


def select_rows(only: Sequence[str] | None = None) -> list[Row]:
    """The rows to produce, always starting with the float32 reference; unknown names raise."""
    if not only:
        return list(ROWS)
    unknown = [name for name in only if name not in ROW_NAMES]
    if unknown:
        raise ValueError(f"Unknown row(s) {unknown}. Valid rows: {', '.join(ROW_NAMES)}.")
    wanted = {REFERENCE_ROW, *only}
    return [row for row in ROWS if row.name in wanted]
