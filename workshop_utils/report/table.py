"""Reports on the results table: formatting, markdown, plots, Pareto front, budgets, output files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ..core.cache import atomic_path
from .recommend import recommend


def machine_stamp(table: pd.DataFrame) -> str | None:
    """The one-line stamp of the machine ``table`` was measured on (None if it does not carry one)."""
    machine = table.attrs.get("machine")
    if isinstance(machine, dict):
        return machine.get("stamp")
    return str(machine) if machine else None


def format_table(table: pd.DataFrame) -> pd.DataFrame:
    """A human-friendly copy: KB instead of bytes, rounded ratios and percentages."""
    pretty = pd.DataFrame(index=table.index)
    pretty["raw KB"] = (table["raw_bytes"] / 1024).round(1)
    pretty["zipped KB"] = (table["zipped_bytes"] / 1024).round(1)
    pretty["smaller (zipped)"] = table["compression_x"].map(lambda v: "n/a" if np.isnan(v) else f"{v:.1f}x")
    pretty["accuracy"] = table["accuracy"].map(lambda v: "n/a" if np.isnan(v) else f"{v:.2%}")
    pretty["Δ acc (pts)"] = table["accuracy_delta_pts"].map(lambda v: "n/a" if np.isnan(v) else f"{v:+.2f}")
    pretty["latency (µs)"] = table["latency_median_us"].round(1)
    pretty["speedup"] = [
        "n/a" if np.isnan(s) else f"{s:.2f}x [{lo:.2f}, {hi:.2f}]"
        for s, lo, hi in zip(table["speedup_x"], table["speedup_ci_low"], table["speedup_ci_high"], strict=True)
    ]
    if "mcu_arena_bytes" in table:
        pretty["flash KB"] = (table["flash_bytes"] / 1024).round(1)
        pretty["MCU arena KB"] = [
            "n/a" if np.isnan(a) else f"{a / 1024:.1f}" for a in table["mcu_arena_bytes"].astype(float)
        ]
    return pretty


def mcu_notes(table: pd.DataFrame) -> list[str]:
    """One line per row without a TensorFlow Lite Micro arena: the row and the reason."""
    if "mcu_note" not in table:
        return []
    return [f"{name}: {note}" for name, note in table["mcu_note"].items() if isinstance(note, str) and note]


def row_notes(table: pd.DataFrame) -> list[str]:
    """One line per reason a row has no model (its technique could not be applied): the rows, then why."""
    if "row_note" not in table:
        return []
    rows_by_note: dict[str, list[str]] = {}
    for name, note in table["row_note"].items():
        if isinstance(note, str) and note:
            rows_by_note.setdefault(note, []).append(str(name))
    return [f"{', '.join(names)}: {note}" for note, names in rows_by_note.items()]


def to_markdown(table: pd.DataFrame) -> str:
    """The table as GitHub markdown, with the machine it was measured on and the note that latency is its own."""
    note = table.attrs.get("note", "")
    threads = table.attrs.get("num_threads")
    stamp = machine_stamp(table)
    latency_line = f"Latency: batch 1, {threads} thread(s); {note}." if note else ""
    notes = mcu_notes(table)
    mcu_line = ("MCU arena n/a (TensorFlow Lite Micro):\n" + "\n".join(f"- {n}" for n in notes)) if notes else ""
    missing = row_notes(table)
    row_line = ("Rows not produced:\n" + "\n".join(f"- {n}" for n in missing)) if missing else ""
    footer = "\n\n".join(
        line for line in (row_line, latency_line, mcu_line, f"Measured on: {stamp}" if stamp else "") if line
    )
    return format_table(table).to_markdown() + (f"\n\n{footer}\n" if footer else "\n")


def plot_comparison(table: pd.DataFrame, title: str = "Size, speed and accuracy side by side"):
    """Three panels: zipped size, speedup (with its 95% interval) and accuracy, one bar per technique."""
    import matplotlib.pyplot as plt

    names = list(table.index)
    y = np.arange(len(names))
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.45 * len(names) + 1.8), sharey=True)
    size_ax, speed_ax, acc_ax = axes
    bars = size_ax.barh(y, table["zipped_bytes"] / 1024, color="#4C72B0")
    size_ax.bar_label(bars, fmt="%.0f", padding=2, fontsize=8)
    size_ax.set_xlabel("zipped size (KB, lower is better)")
    speed = table["speedup_x"].to_numpy(dtype=float)
    if np.all(np.isnan(speed)):
        speed_ax.text(0.5, 0.5, "latency not measured", ha="center", va="center", transform=speed_ax.transAxes)
    else:
        errors = np.vstack([speed - table["speedup_ci_low"], table["speedup_ci_high"] - speed])
        bars = speed_ax.barh(y, speed, xerr=np.nan_to_num(errors), color="#55A868", capsize=3)
        speed_ax.bar_label(bars, labels=[f"{s:.2f}x" for s in speed], padding=4, fontsize=8)
        speed_ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        speed_ax.set_xscale("log")
    speed_ax.set_xlabel("speedup vs first row (log, higher is better)")
    bars = acc_ax.barh(y, table["accuracy"] * 100, color="#C44E52")
    acc_ax.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
    low = max(0.0, float(table["accuracy"].min() * 100) - 2)
    acc_ax.set_xlim(low, 100)
    acc_ax.set_xlabel("test accuracy (%)")
    size_ax.set_yticks(y, names)
    size_ax.invert_yaxis()
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.suptitle(title)
    stamp = machine_stamp(table)
    if stamp:  # a figure shared on its own still says where it was measured
        fig.text(0.01, 0.005, f"Measured on: {stamp}", fontsize=7, color="#555555", ha="left", va="bottom")
    fig.tight_layout(rect=(0, 0.04 if stamp else 0, 1, 1))
    return fig


def pareto_front(table: pd.DataFrame, size: str = "zipped_bytes", quality: str = "accuracy") -> list[str]:
    """Rows no other row beats on both size (smaller) and quality (higher): the best trade-offs."""
    table = table.dropna(subset=[size, quality])  # rows not produced (a technique that failed) are not options
    front = []
    for name, row in table.iterrows():
        dominated = (
            (table[size] <= row[size]) & (table[quality] >= row[quality])
            & ((table[size] < row[size]) | (table[quality] > row[quality]))
        ).any()
        if not dominated:
            front.append(name)
    return sorted(front, key=lambda n: table.loc[n, size])


def plot_size_vs_accuracy(table: pd.DataFrame, highlight: str | None = None):
    """Zipped size against accuracy, one labelled point per row, the Pareto front drawn as a line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    kb = table["zipped_bytes"] / 1024
    accuracy = table["accuracy"] * 100
    ax.scatter(kb, accuracy, color="#4C72B0", zorder=3)
    for name in table.index:
        ax.annotate(name, (kb[name], accuracy[name]), textcoords="offset points", xytext=(5, 4), fontsize=8)
    front = pareto_front(table)
    ax.plot(kb[front], accuracy[front], color="#C44E52", linestyle="--", marker="o", zorder=4, label="Pareto front")
    if highlight is not None:
        ax.scatter([kb[highlight]], [accuracy[highlight]], s=220, facecolors="none", edgecolors="#DD8452",
                   linewidths=2, zorder=5, label=f"chosen: {highlight}")
    ax.set_xscale("log")
    ax.set_xlabel("zipped size (KB, log scale; left is smaller)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def style_table(table: pd.DataFrame):
    """A pandas Styler of the table with the best value of each column highlighted."""
    best_high = ["compression_x", "accuracy", "accuracy_delta_pts", "speedup_x"]
    best_low = ["raw_bytes", "zipped_bytes", "latency_median_us", "latency_p95_us", "flash_bytes", "mcu_arena_bytes"]
    styler = table.style.format({
        "raw_bytes": "{:,.0f}", "zipped_bytes": "{:,.0f}", "compression_x": "{:.1f}x", "accuracy": "{:.2%}",
        "accuracy_delta_pts": "{:+.2f}", "latency_median_us": "{:.1f}", "latency_p95_us": "{:.1f}",
        "speedup_x": "{:.2f}x", "speedup_ci_low": "{:.2f}", "speedup_ci_high": "{:.2f}",
        "flash_bytes": "{:,.0f}", "mcu_arena_bytes": "{:,.0f}",
    }, na_rep="n/a")
    style = "background-color: #c7e9c0; font-weight: bold"
    styler = styler.highlight_max(subset=[c for c in best_high if c in table], props=style)
    return styler.highlight_min(subset=[c for c in best_low if c in table], props=style)


def smallest_within_budget(table: pd.DataFrame, max_loss_pts: float, runtime: str = "litert") -> str | None:
    """The smallest row that loses at most ``max_loss_pts`` accuracy points (None when none does).

    ``runtime="litert"`` (phones, PCs: every row runs): the smallest zipped size. ``runtime="tflm"`` (a
    microcontroller): only rows TensorFlow Lite Micro runs, the smallest flash. Both are
    :func:`~workshop_utils.report.recommend.recommend`'s rule, which also fits a board and says why each
    smaller row was passed over.
    """
    if max_loss_pts < 0:
        raise ValueError(f"max_loss_pts is an accuracy loss in points and must be >= 0; got {max_loss_pts}.")
    return recommend(table, max_drop_pts=max_loss_pts, runtime=runtime).row


def write_outputs(table: pd.DataFrame, out_dir: str | Path, title: str, notes: str = "") -> dict[str, Path]:
    """Write results.csv, results.md (table, then ``notes`` markdown) and comparison.png; returns their paths.

    Where it was measured travels with each file: results.md and comparison.png print the machine stamp, and
    results.machine.json (beside results.csv, which stays a plain table for ``pd.read_csv``) holds the
    machine's fields, the stamp and the latency settings.
    """
    import matplotlib.pyplot as plt

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"csv": out_dir / "results.csv", "markdown": out_dir / "results.md", "figure": out_dir / "comparison.png",
             "machine": out_dir / "results.machine.json"}
    with atomic_path(paths["csv"]) as tmp:
        table.to_csv(tmp)
    machine = table.attrs.get("machine") or {"stamp": None}
    sidecar = {**machine, "num_threads": table.attrs.get("num_threads"), "note": table.attrs.get("note"),
               "describes": paths["csv"].name}
    with atomic_path(paths["machine"]) as tmp:
        tmp.write_text(json.dumps(sidecar, indent=2, default=str) + "\n")
    with atomic_path(paths["markdown"]) as tmp:
        tmp.write_text(f"# {title}\n\n{to_markdown(table)}" + (f"\n{notes.strip()}\n" if notes else ""))
    figure = plot_comparison(table, title=title)
    with atomic_path(paths["figure"]) as tmp:
        figure.savefig(tmp, dpi=120, metadata={"Software": None})
    plt.close(figure)
    return paths
