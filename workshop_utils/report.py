"""Reports: the one results table (a row per technique x conversion) and its side-by-side figure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .measure import ModelSize

COLUMNS = (
    "technique", "raw_bytes", "zipped_bytes", "compression_x", "accuracy", "accuracy_delta_pts",
    "latency_median_us", "latency_p95_us", "speedup_x", "speedup_ci_low", "speedup_ci_high",
)


@dataclass(frozen=True)
class ModelResult:
    """One measured model: its name, size and accuracy (latency is measured for all models together)."""

    technique: str
    size: ModelSize
    accuracy: float


def results_table(
    results: Sequence[ModelResult], latency: pd.DataFrame | None = None, reference: str | None = None
) -> pd.DataFrame:
    """The workshop's table: one row per result, compression and accuracy against ``reference``.

    ``reference`` (default: the first result, normally float32) sets compression_x = reference zipped
    / this zipped and accuracy_delta_pts = (this - reference) accuracy in percentage points.
    ``latency`` is :func:`~workshop_utils.measure.benchmark_latency`'s output, indexed by technique.
    """
    if not results:
        raise ValueError("results_table needs at least one ModelResult.")
    names = [r.technique for r in results]
    if len(set(names)) != len(names):
        raise ValueError(f"Duplicate technique names in {names}; each row needs its own name.")
    reference = reference or names[0]
    if reference not in names:
        raise ValueError(f"Reference {reference!r} is not among the results {names}.")
    ref = results[names.index(reference)]
    table = pd.DataFrame({
        "technique": names,
        "raw_bytes": [r.size.raw_bytes for r in results],
        "zipped_bytes": [r.size.zipped_bytes for r in results],
        "accuracy": [r.accuracy for r in results],
    })
    table["compression_x"] = ref.size.zipped_bytes / table["zipped_bytes"]
    table["accuracy_delta_pts"] = (table["accuracy"] - ref.accuracy) * 100
    latency_columns = {
        "median_us": "latency_median_us", "p95_us": "latency_p95_us", "speedup_x": "speedup_x",
        "speedup_ci_low": "speedup_ci_low", "speedup_ci_high": "speedup_ci_high",
    }
    for source, target in latency_columns.items():
        if latency is not None and source in latency.columns:
            table[target] = table["technique"].map(latency[source]).astype(float)
        else:
            table[target] = np.nan
    table = table[list(COLUMNS)].set_index("technique")
    if latency is not None:
        table.attrs.update(latency.attrs)
    return table


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """A human-friendly copy: KB instead of bytes, rounded ratios and percentages."""
    pretty = pd.DataFrame(index=table.index)
    pretty["raw KB"] = (table["raw_bytes"] / 1024).round(1)
    pretty["zipped KB"] = (table["zipped_bytes"] / 1024).round(1)
    pretty["smaller (zipped)"] = table["compression_x"].map(lambda v: f"{v:.1f}x")
    pretty["accuracy"] = table["accuracy"].map(lambda v: f"{v:.2%}")
    pretty["Δ acc (pts)"] = table["accuracy_delta_pts"].map(lambda v: f"{v:+.2f}")
    pretty["latency (µs)"] = table["latency_median_us"].round(1)
    pretty["speedup"] = [
        "n/a" if np.isnan(s) else f"{s:.2f}x [{lo:.2f}, {hi:.2f}]"
        for s, lo, hi in zip(table["speedup_x"], table["speedup_ci_low"], table["speedup_ci_high"], strict=True)
    ]
    return pretty


def to_markdown(table: pd.DataFrame) -> str:
    """The table as GitHub markdown, with the note that latency is this machine's."""
    note = table.attrs.get("note", "")
    threads = table.attrs.get("num_threads")
    footer = f"\n\nLatency: batch 1, {threads} thread(s); {note}.\n" if note else "\n"
    return format_table(table).to_markdown() + footer


def plot_comparison(table: pd.DataFrame, title: str = "Size, speed and accuracy side by side"):
    """Three panels: zipped size, speedup (with its 95% interval) and accuracy, one bar per technique."""
    import matplotlib.pyplot as plt

    names = list(table.index)
    y = np.arange(len(names))
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.45 * len(names) + 1.8), sharey=True)
    size_ax, speed_ax, acc_ax = axes
    size_ax.barh(y, table["zipped_bytes"] / 1024, color="#4C72B0")
    size_ax.set_xlabel("zipped size (KB, lower is better)")
    speed = table["speedup_x"].to_numpy(dtype=float)
    if np.all(np.isnan(speed)):
        speed_ax.text(0.5, 0.5, "latency not measured", ha="center", va="center", transform=speed_ax.transAxes)
    else:
        errors = np.vstack([speed - table["speedup_ci_low"], table["speedup_ci_high"] - speed])
        speed_ax.barh(y, speed, xerr=np.nan_to_num(errors), color="#55A868", capsize=3)
        speed_ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        speed_ax.set_xscale("log")
    speed_ax.set_xlabel("speedup vs first row (log, higher is better)")
    acc_ax.barh(y, table["accuracy"] * 100, color="#C44E52")
    low = max(0.0, float(table["accuracy"].min() * 100) - 2)
    acc_ax.set_xlim(low, 100)
    acc_ax.set_xlabel("test accuracy (%)")
    size_ax.set_yticks(y, names)
    size_ax.invert_yaxis()
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
