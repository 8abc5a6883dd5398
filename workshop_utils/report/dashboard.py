"""The comparison dashboard: ipywidgets over the same table that ``python -m workshop_utils compare`` prints."""

from __future__ import annotations

import html
from collections.abc import Callable

import pandas as pd

from ..comparison.run import Comparison, run_comparison
from ..data.datasets import Dataset
from ..measurement.latency import all_cores
from ..measurement.machine import machine_info
from .table import machine_stamp, plot_size_vs_accuracy, smallest_within_budget, style_table
from .verdicts import explain_speeds

METRICS = {
    "zipped size (KB)": ("zipped_bytes", True),
    "compression vs float32": ("compression_x", False),
    "accuracy": ("accuracy", False),
    "speedup vs float32": ("speedup_x", False),
    "latency median (µs)": ("latency_median_us", True),
}
SPEED_METRICS = ("speedup_x", "latency_median_us")  # sorting by these also shows each row's verdict and cause


class Dashboard:
    """Pick techniques, a metric to sort and plot, an accuracy budget, and re-measure latency with N threads.

    The machine stamp is shown under the controls; sorting by a speed metric also lists each row's speed
    verdict and likely cause (:func:`~workshop_utils.report.verdicts.explain_speeds`).

    ``widget`` is what the notebook displays; ``refresh()`` and ``remeasure()`` are what the controls call,
    so the dashboard can also be driven from code (and from tests).
    """

    def __init__(self, comparison: Comparison, dataset: Dataset, rerun: Callable[..., Comparison] = run_comparison):
        import ipywidgets as widgets

        self.comparison, self.dataset, self._rerun = comparison, dataset, rerun
        names = list(comparison.table.index)
        self.techniques = widgets.SelectMultiple(options=names, value=tuple(names), rows=min(len(names), 13),
                                                 description="Rows")
        self.metric = widgets.Dropdown(options=list(METRICS), value="zipped size (KB)", description="Metric")
        self.budget = widgets.FloatSlider(value=1.0, min=0.0, max=5.0, step=0.1, description="Max loss (pts)",
                                          style={"description_width": "initial"}, readout_format=".1f")
        self.threads = widgets.IntSlider(value=1, min=1, max=max(1, all_cores()), description="Threads")
        self.button = widgets.Button(description="Re-measure latency", icon="stopwatch")
        self.status = widgets.HTML()
        self.machine = widgets.HTML()
        self.output = widgets.Output()
        for control in (self.techniques, self.metric, self.budget):
            control.observe(lambda _change: self.refresh(), names="value")
        self.button.on_click(lambda _button: self.remeasure())
        controls = widgets.VBox([self.metric, self.budget, widgets.HBox([self.threads, self.button]), self.status,
                                 self.machine])
        self.widget = widgets.VBox([widgets.HBox([self.techniques, controls]), self.output])
        self.refresh()

    def selected_table(self) -> pd.DataFrame:
        """The chosen rows, sorted by the chosen metric (best first)."""
        column, ascending = METRICS[self.metric.value]
        table = self.comparison.table.loc[list(self.techniques.value)]
        return table.sort_values(column, ascending=ascending)

    def refresh(self) -> str | None:
        """Redraw the table and plots; returns the smallest row within the accuracy budget."""
        import matplotlib.pyplot as plt
        from IPython.display import display

        table = self.selected_table()
        chosen = smallest_within_budget(table, self.budget.value) if len(table) else None
        column, _ = METRICS[self.metric.value]
        stamp = machine_stamp(self.comparison.table) or str(machine_info())
        self.machine.value = f"<small>Measured on: {html.escape(stamp)}</small>"
        self.status.value = (
            f"Smallest model losing at most {self.budget.value:.1f} pts: <b>{chosen}</b>" if chosen
            else "No selected row fits that accuracy budget."
        ) + self._microcontroller_choice(table)
        with self.output:
            self.output.clear_output(wait=True)
            if table.empty:
                print("Select at least one row.")
                return None
            display(style_table(table))
            if column in SPEED_METRICS and table["speedup_x"].notna().any():
                with pd.option_context("display.max_colwidth", None):
                    display(explain_speeds(table))
            fig, ax = plt.subplots(figsize=(8, 0.35 * len(table) + 1.2))
            scale = {"zipped_bytes": 1 / 1024, "accuracy": 100}.get(column, 1)
            values = table[column] * scale
            bars = ax.barh(list(table.index), values,
                           color=["#DD8452" if n == chosen else "#4C72B0" for n in table.index])
            ax.bar_label(bars, fmt="%.2f" if column in ("accuracy", "speedup_x") else "%.1f", padding=2, fontsize=8)
            if column == "accuracy":  # differences are tenths of a point: start the axis near the lowest value
                ax.set_xlim(max(0.0, values.min() - 2), 100)
            ax.invert_yaxis()
            ax.set_xlabel(f"{self.metric.value} (%)" if column == "accuracy" else self.metric.value)
            fig.tight_layout()
            figures = [fig, plot_size_vs_accuracy(table, highlight=chosen)] if len(table) > 1 else [fig]
            for figure in figures:
                display(figure)
                plt.close(figure)  # displayed once, inside the output widget; never piles up
        return chosen

    def _microcontroller_choice(self, table: pd.DataFrame) -> str:
        """The same choice among rows TensorFlow Lite Micro runs (shown when the table has TFLM arenas)."""
        if table.empty or "mcu_arena_bytes" not in table or table["mcu_arena_bytes"].isna().all():
            return ""
        on_mcu = smallest_within_budget(table, self.budget.value, runtime="tflm")
        return ("<br>On a microcontroller (runs on TensorFlow Lite Micro, smallest flash): "
                + (f"<b>{on_mcu}</b>" if on_mcu else "no selected row"))

    def remeasure(self) -> Comparison:
        """Measure latency again for the chosen rows with the chosen thread count (the rows come from the cache)."""
        self.status.value = f"Measuring latency with {self.threads.value} thread(s)..."
        only = list(self.techniques.value) or ["float32"]  # float32 is always added as the reference
        self.comparison = self._rerun(self.dataset, only=only, num_threads=self.threads.value, log=lambda _msg: None)
        names = list(self.comparison.table.index)
        self.techniques.options = names
        self.techniques.value = tuple(names)
        self.refresh()
        return self.comparison
