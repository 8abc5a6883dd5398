"""Plots for the quantization notebooks: weights before/after int8, per-channel scales, the calibration
sweep, per-layer debugger errors and the fake-quantization staircase.

Introduced in notebook 01 (post-training quantization) and 02 (quantization-aware training). Every
function returns the matplotlib Figure and never calls ``plt.show()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

FLOAT_COLOR, INT_COLOR, ERROR_COLOR, HIGHLIGHT_COLOR = "#4C72B0", "#DD8452", "#C44E52", "#8172B3"
ROUNDING_ONLY = 1 / np.sqrt(12)  # rmse/scale of pure rounding error (uniform in [-scale/2, scale/2])


def _as_float_array(values, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        raise ValueError(f"{what} is empty; pass a weight array such as model.get_layer('dense').get_weights()[0].")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{what} must be numeric; got dtype {array.dtype}.")
    return array.astype(np.float64, copy=False)


def _same_shape(reference: np.ndarray, other: np.ndarray, what: str) -> None:
    if reference.shape != other.shape:
        raise ValueError(f"{what} has shape {other.shape} but the weights have {reference.shape}; "
                         "pass the dequantized copy of the same tensor.")


def _histogram_edges(values: np.ndarray, levels: np.ndarray, bins: int) -> np.ndarray:
    """About ``bins`` bin edges; on a uniform grid of levels, each bin holds a whole number of levels
    (otherwise some bins catch one level and others two, which draws fake spikes)."""
    low, high = min(values.min(), levels.min()), max(values.max(), levels.max())
    steps = np.diff(levels)
    if levels.size < 2:
        return np.linspace(low, high, bins + 1)
    grid = steps.min()
    multiples = steps / grid
    if not np.allclose(multiples, np.round(multiples), atol=1e-3):  # not a uniform grid (with gaps)
        return np.linspace(low, high, bins + 1)
    grid_levels = int(round((levels[-1] - levels[0]) / grid)) + 1
    step = grid * max(1, int(np.ceil(grid_levels / bins)))
    first = levels[0] - grid / 2
    first -= np.ceil((first - low) / step) * step  # reach below the smallest value on the same grid
    return np.arange(first, high + step, step)


def plot_weight_quantization(
    weights, dequantized, scale: float | None = None, bins: int = 120, title: str | None = None
):
    """Three histograms: the float weights, their int8 version (dequantized) and the rounding error.

    ``dequantized`` is ``scale * (q - zero_point)``; with ``scale`` the error panel marks the bound
    ``±scale/2`` that rounding never exceeds (unless a value was clipped).
    """
    import matplotlib.pyplot as plt

    w = _as_float_array(weights, "weights").ravel()
    d = _as_float_array(dequantized, "dequantized").ravel()
    _same_shape(np.asarray(weights), np.asarray(dequantized), "dequantized")
    if scale is not None and not scale > 0:
        raise ValueError(f"scale must be positive; got {scale}.")
    error = d - w
    levels = np.unique(d)
    fig, (before, after, err) = plt.subplots(1, 3, figsize=(14, 3.6))
    edges = _histogram_edges(w, levels, bins)
    before.hist(w, bins=edges, color=FLOAT_COLOR)
    before.set_title(f"before: float32 ({w.size:,} values, {np.unique(w).size:,} distinct)")
    after.hist(d, bins=edges, color=INT_COLOR)
    after.set_title(f"after: int8, dequantized ({levels.size} distinct levels)")
    # The int8 grid itself, as rug ticks: every value now sits on one of these.
    after.plot(levels, np.zeros_like(levels), "|", color="black", markersize=6, alpha=0.5)
    for ax in (before, after):
        ax.set_xlabel("weight value")
        ax.set_ylabel("count")
    err.hist(error, bins=60, color=ERROR_COLOR)
    err.set_title("rounding error (after - before)" + ("; dashed: ±scale/2" if scale is not None else ""))
    err.set_xlabel("error")
    if scale is not None:
        for sign in (-1, 1):
            err.axvline(sign * scale / 2, color="black", linestyle="--", linewidth=1)
    for ax in (before, after, err):
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_per_channel_error(
    weights, dequantized: Mapping[str, np.ndarray], channel_axis: int = -1, title: str | None = None
):
    """Per-tensor vs per-channel scales: each output channel's weight range, and its RMS rounding error
    under every scheme in ``dequantized`` (e.g. ``{"per-tensor": ..., "per-channel": ...}``)."""
    import matplotlib.pyplot as plt

    w = _as_float_array(weights, "weights")
    if not dequantized:
        raise ValueError("dequantized needs at least one scheme, e.g. {'per-tensor': w_pt, 'per-channel': w_pc}.")
    if w.ndim < 2:
        raise ValueError(f"Per-channel scales need a kernel with a channel axis; got shape {w.shape}.")
    axis = channel_axis % w.ndim
    moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
    channels = np.arange(moved.shape[0])
    fig, (ranges, errors) = plt.subplots(2, 1, figsize=(12, 6), sharex=True)
    ranges.bar(channels, np.abs(moved).max(axis=1), color=FLOAT_COLOR, label="max |w| of the channel (its own scale)")
    ranges.axhline(np.abs(w).max(), color="black", linestyle="--", linewidth=1,
                   label="max |w| of the tensor (one shared scale)")
    ranges.set_ylabel("max |weight|")
    ranges.legend(loc="lower right", fontsize=9, framealpha=0.95)
    markers = iter(["o", "s", "^", "D", "v"])
    for name, values in dequantized.items():
        d = _as_float_array(values, f"dequantized[{name!r}]")
        _same_shape(w, d, f"dequantized[{name!r}]")
        diff = np.moveaxis(d - w, axis, 0).reshape(w.shape[axis], -1)
        rmse = np.sqrt(np.mean(diff**2, axis=1))
        errors.plot(channels, rmse, marker=next(markers, "o"), markersize=3, linewidth=1,
                    label=f"{name} (overall RMSE {np.sqrt(np.mean((d - w) ** 2)):.2e})")
    errors.set_ylabel("RMS rounding error")
    errors.set_xlabel("output channel")
    errors.legend(loc="lower right", fontsize=9, framealpha=0.95)
    for ax in (ranges, errors):
        ax.grid(alpha=0.3)
    fig.suptitle(title or "One scale per tensor vs one scale per output channel")
    fig.tight_layout()
    return fig


def plot_calibration_sweep(sweep: pd.DataFrame, reference_accuracy: float | None = None, title: str | None = None):
    """Accuracy (and, if present, ``output_rmse`` against the float model) vs calibration samples.

    ``sweep`` has one row per conversion: ``samples``, ``accuracy`` in [0, 1] and optionally
    ``output_rmse``; several rows per size (different random draws) show the spread.
    """
    import matplotlib.pyplot as plt

    if not isinstance(sweep, pd.DataFrame):
        raise TypeError(f"sweep must be a pandas DataFrame; got {type(sweep).__name__}.")
    missing = [c for c in ("samples", "accuracy") if c not in sweep.columns]
    if missing:
        raise ValueError(f"sweep lacks the columns {missing}; it needs one row per conversion with "
                         "'samples' and 'accuracy' (and optionally 'output_rmse').")
    if sweep.empty:
        raise ValueError("sweep is empty: convert at least one model first.")
    metrics = [("accuracy", "test accuracy (%)", 100.0)]
    if "output_rmse" in sweep.columns:
        metrics.append(("output_rmse", "RMSE of the logits vs float32 (log)", 1.0))
    fig, axes = plt.subplots(1, len(metrics), figsize=(6 * len(metrics), 3.8), squeeze=False)
    for ax, (column, label, factor) in zip(axes[0], metrics, strict=True):
        ax.scatter(sweep["samples"], sweep[column] * factor, color=FLOAT_COLOR, alpha=0.5, label="one random draw")
        means = sweep.groupby("samples")[column].mean() * factor
        ax.plot(means.index, means.to_numpy(), color=INT_COLOR, marker="o", label="mean over draws")
        ax.set_xscale("log")
        ax.set_xlabel("calibration samples (log)")
        ax.set_ylabel(label)
        if column == "accuracy" and reference_accuracy is not None:
            ax.axhline(reference_accuracy * 100, color="black", linestyle="--", linewidth=1, label="float32")
        if column == "output_rmse":
            ax.set_yscale("log")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=9)
    fig.suptitle(title or "How many calibration samples does full integer quantization need?")
    fig.tight_layout()
    return fig


def plot_layer_errors(
    stats: pd.DataFrame,
    metric: str = "rmse/scale",
    label: str = "layer",
    highlight: Sequence[str] = (),
    title: str | None = None,
):
    """Horizontal bars of a per-layer error (QuantizationDebugger statistics), in model order.

    Rows whose ``tensor_name`` (or label) is in ``highlight`` are drawn in another colour; for
    ``rmse/scale`` a dashed line marks pure rounding (1/sqrt(12) of a step).
    """
    import matplotlib.pyplot as plt

    if not isinstance(stats, pd.DataFrame):
        raise TypeError(f"stats must be a pandas DataFrame; got {type(stats).__name__}.")
    for column in (metric, label):
        if column not in stats.columns:
            raise ValueError(f"stats has no column {column!r}; columns: {list(stats.columns)}. "
                             "Fix: pass workshop_utils.measurement.quant_debug.add_error_metrics(...)'s output.")
    if stats.empty:
        raise ValueError("stats is empty: run the debugger first (debugger.run()).")
    ordered = stats.sort_values("tensor_idx") if "tensor_idx" in stats.columns else stats
    labels = [
        f"{name} ({op})" if "op_name" in ordered.columns else str(name)
        for name, op in zip(ordered[label], ordered.get("op_name", ordered[label]), strict=True)
    ]
    marked = set(highlight)
    keys = ordered["tensor_name"] if "tensor_name" in ordered.columns else ordered[label]
    colors = [HIGHLIGHT_COLOR if key in marked or lab in marked else FLOAT_COLOR
              for key, lab in zip(keys, ordered[label], strict=True)]
    y = np.arange(len(ordered))
    fig, ax = plt.subplots(figsize=(9, 0.45 * len(ordered) + 1.6))
    ax.barh(y, ordered[metric], color=colors)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(metric)
    if metric == "rmse/scale":
        ax.axvline(ROUNDING_ONLY, color="black", linestyle="--", linewidth=1, label="pure rounding (0.29 step)")
        ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(title or f"Quantization error per layer ({metric}; longer = worse)")
    fig.tight_layout()
    return fig


def plot_fake_quantization(inputs, outputs, gradients=None, title: str | None = None):
    """The fake-quantization staircase (what the forward pass sees) and, if given, its gradient
    (the straight-through estimator: 1 inside the range, 0 where values are clipped)."""
    import matplotlib.pyplot as plt

    x = _as_float_array(inputs, "inputs").ravel()
    y = _as_float_array(outputs, "outputs").ravel()
    if x.shape != y.shape:
        raise ValueError(f"inputs and outputs must have the same length; got {x.size} and {y.size}.")
    panels = 1 if gradients is None else 2
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 3.6), squeeze=False)
    forward = axes[0][0]
    order = np.argsort(x)
    forward.plot(x[order], x[order], color="grey", linestyle="--", linewidth=1, label="identity (float)")
    forward.step(x[order], y[order], where="mid", color=INT_COLOR, label="fake-quantized")
    forward.set_xlabel("input")
    forward.set_ylabel("output")
    forward.set_title("forward: snap to the quantization grid")
    forward.legend(fontsize=9)
    if gradients is not None:
        g = _as_float_array(gradients, "gradients").ravel()
        if g.shape != x.shape:
            raise ValueError(f"gradients must have one value per input; got {g.size} for {x.size} inputs.")
        backward = axes[0][1]
        backward.plot(x[order], g[order], color=FLOAT_COLOR)
        backward.set_ylim(-0.1, 1.2)
        backward.set_xlabel("input")
        backward.set_ylabel("d output / d input")
        backward.set_title("backward: straight-through estimator")
    for ax in axes[0]:
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig
