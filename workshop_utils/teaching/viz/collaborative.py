"""Plots for the collaborative-optimization notebook: do the zeros and the shared values survive into int8?

Introduced in notebook 05 (collaborative optimization). The inputs are the per-kernel tables of
:func:`workshop_utils.measurement.inspect_weights.tflite_weight_stats`, one per converted model; :func:`structure_table`
boils each down to one row and :func:`plot_structure` draws the rows side by side. Plot functions return
the matplotlib Figure and never call ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._checks import require_table

STATS_COLUMNS = ("name", "params", "zeros", "unique_values", "max_unique_per_channel")
STRUCTURE_COLUMNS = ("sparsity", "largest_kernel_unique", "max_unique_per_channel")
# As in workshop_utils.teaching.figures: pruning orange, clustering purple, the int8 deployment target green.
SPARSITY_COLOR, CLUSTER_COLOR, SIZE_COLOR, GUIDE_COLOR = "#dd6b20", "#6b46c1", "#2f855a", "#1f2933"


def layer_name(tensor_name: str) -> str:
    """The Keras layer behind a TFLite kernel tensor name.

    The converter names a kernel after the ops that produced it, e.g. ``baseline_cnn/dense/MatMul`` or, for
    a QAT model, ``baseline_cnn/quant_dense/MatMul;baseline_cnn/quant_dense/LastValueQuant/...``: the layer
    is the second path segment of the first name, without TFMOT's ``quant_`` prefix (-> ``dense``).
    Names without a path segment are returned unchanged.
    """
    if not isinstance(tensor_name, str) or not tensor_name:
        raise TypeError(f"Expected a TFLite tensor name (a non-empty str); got {tensor_name!r}.")
    parts = tensor_name.split(";")[0].split("/")
    if len(parts) < 2:
        return tensor_name
    layer = parts[1]
    return layer[len("quant_"):] if layer.startswith("quant_") and len(layer) > len("quant_") else layer


def _check_stats(stats: Any, what: str = "stats") -> pd.DataFrame:
    if not isinstance(stats, pd.DataFrame):
        raise TypeError(
            f"{what} must be the DataFrame of inspect_weights.tflite_weight_stats(blob); got {type(stats).__name__}."
        )
    missing = [column for column in STATS_COLUMNS if column not in stats.columns]
    if missing:
        raise ValueError(
            f"{what} lacks the columns {missing}; pass inspect_weights.tflite_weight_stats(blob), which has "
            f"{', '.join(STATS_COLUMNS)} (one row per kernel)."
        )
    if stats.empty:
        raise ValueError(f"{what} has no kernels: the model holds no conv/dense weights to inspect.")
    return stats


def structure_summary(stats: pd.DataFrame) -> dict[str, float | int | str]:
    """One converted model's structure in four numbers, from its ``tflite_weight_stats`` table.

    ``sparsity``: zeros / weights over all kernels; ``largest_kernel``: the layer holding most weights;
    ``largest_kernel_unique``: how many distinct stored values that kernel has; ``max_unique_per_channel``:
    the most distinct values any output channel of any kernel has.
    """
    stats = _check_stats(stats)
    largest = stats.loc[stats["params"].idxmax()]
    return {
        "sparsity": float(stats["zeros"].sum() / stats["params"].sum()),
        "largest_kernel": layer_name(str(largest["name"])),
        "largest_kernel_unique": int(largest["unique_values"]),
        "max_unique_per_channel": int(stats["max_unique_per_channel"].max()),
    }


def structure_table(stats_by_model: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """:func:`structure_summary` of every model, one row each, indexed by model name (in the given order)."""
    if not isinstance(stats_by_model, Mapping) or not stats_by_model:
        raise ValueError(
            "stats_by_model must be a non-empty dict name -> tflite_weight_stats(blob), "
            "e.g. {'pruned + PQAT': stats}."
        )
    rows = []
    for name, stats in stats_by_model.items():
        _check_stats(stats, f"stats_by_model[{name!r}]")
        rows.append({"model": str(name), **structure_summary(stats)})
    return pd.DataFrame(rows).set_index("model")


def _check_table(table: Any) -> pd.DataFrame:
    return require_table(
        table, STRUCTURE_COLUMNS, "table (from structure_table(...))",
        "build it with structure_table({name: tflite_weight_stats(blob)}) from at least one converted model; "
        "add a zipped_bytes column for the size panel",
    )


def _guide(ax, value: float | None, label: str) -> None:
    if value is not None:
        ax.axvline(value, color=GUIDE_COLOR, linestyle="--", linewidth=1)
        ax.annotate(label, (value, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 2),
                    textcoords="offset points", fontsize=8, color=GUIDE_COLOR, va="bottom")


def plot_structure(
    table: pd.DataFrame,
    target_sparsity: float | None = None,
    clusters: int | None = None,
    title: str | None = None,
) -> Figure:
    """Side by side for every converted model: zeros kept, distinct int8 values, and zipped size.

    ``table`` comes from :func:`structure_table` (optionally with a ``zipped_bytes`` column, which adds the
    size panel). Left: the fraction of stored weights that are zero, with ``target_sparsity`` dashed.
    Middle (log scale): distinct values in the largest kernel (bars) and at most per output channel (dots),
    with ``clusters`` dashed. Right: zipped size in KB.
    """
    import matplotlib.pyplot as plt

    table = _check_table(table)
    if target_sparsity is not None and not 0.0 <= target_sparsity <= 1.0:
        raise ValueError(f"target_sparsity must be a fraction in [0, 1], e.g. 0.8; got {target_sparsity!r}.")
    if clusters is not None and (not isinstance(clusters, int | np.integer) or clusters < 1):
        raise ValueError(f"clusters must be a positive integer (the number of clusters); got {clusters!r}.")
    with_size = "zipped_bytes" in table.columns
    names = [str(name) for name in table.index]
    y = np.arange(len(names))
    fig, axes = plt.subplots(1, 3 if with_size else 2, figsize=(13 if with_size else 9.5, 0.42 * len(names) + 1.9),
                             sharey=True)
    zeros_ax, values_ax = axes[0], axes[1]

    zeros_ax.barh(y, table["sparsity"] * 100, color=SPARSITY_COLOR)
    zeros_ax.set_xlim(0, 100)
    zeros_ax.set_xlabel("zeros among the int8 weights (%)")
    _guide(zeros_ax, None if target_sparsity is None else target_sparsity * 100, "pruning target")

    values_ax.barh(y, table["largest_kernel_unique"], color=CLUSTER_COLOR, alpha=0.85,
                   label="whole largest kernel")
    values_ax.scatter(table["max_unique_per_channel"], y, color=GUIDE_COLOR, zorder=3, s=22,
                      label="most in one output channel")
    values_ax.set_xscale("log")
    values_ax.set_xlim(1, 512)  # int8 holds at most 256 distinct values
    values_ax.set_xlabel("distinct int8 values (log scale)")
    # Below the panel: every spot inside it may hold a bar (up to 256 values) or a dot.
    values_ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    _guide(values_ax, clusters, f"{clusters} clusters" if clusters else "")

    if with_size:
        size_ax = axes[2]
        size_ax.barh(y, table["zipped_bytes"] / 1024, color=SIZE_COLOR)
        size_ax.set_xlabel("zipped size (KB, lower is better)")

    zeros_ax.set_yticks(y, names)
    zeros_ax.invert_yaxis()
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title or "What survives into the int8 file")
    fig.tight_layout()
    return fig
