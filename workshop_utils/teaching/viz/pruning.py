"""Plots for the pruning notebook: a kernel's zero pattern, the sparsity sweep and a slider over the sweep.

Introduced in notebook 03 (pruning). The plot functions return the matplotlib Figure and never call
``plt.show()``; :func:`sparsity_slider` returns a small ipywidgets app whose ``update(value)`` can also be
called from code (that is how the tests and the notebook's non-interactive run use it).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ._checks import require_table

KEPT_CMAP = "viridis"  # kept weights coloured by |w|; zeros are drawn white
ZERO_COLOR = "white"
CONVERSION_COLORS = {"float32": "#52606d", "full_integer": "#2f855a"}  # as in workshop_utils.teaching.figures
OTHER_COLORS = ("#dd6b20", "#2b6cb0", "#6b46c1", "#b7791f")
HIGHLIGHT_COLOR = "#c53030"
SWEEP_COLUMNS = ("sparsity", "conversion", "zipped_bytes", "accuracy")


def kernel_2d(kernel: Any) -> np.ndarray:
    """A kernel as a (inputs, outputs) matrix: every axis but the last is flattened into rows.

    A Dense kernel (C_in, C_out) stays as it is; a Conv2D kernel (H, W, C_in, C_out) becomes
    (H*W*C_in, C_out), so consecutive rows of one kernel position are consecutive input channels.
    """
    array = np.asarray(kernel)
    if array.size == 0:
        raise ValueError("The kernel is empty; pass a weight array such as model.get_layer('dense').get_weights()[0].")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"The kernel must be numeric; got dtype {array.dtype}.")
    if array.ndim < 2:
        raise ValueError(
            f"Expected a kernel with input and output axes (rank >= 2); got shape {array.shape}. "
            "Biases (rank 1) have no zero pattern worth drawing."
        )
    return array.reshape(-1, array.shape[-1]).astype(np.float64, copy=False)


def _as_kernel_dict(kernels: Any) -> dict[str, np.ndarray]:
    if isinstance(kernels, Mapping):
        if not kernels:
            raise ValueError("kernels is empty; pass an array or a dict such as {'dense': k0, 'pruned': k1}.")
        return {str(name): kernel_2d(k) for name, k in kernels.items()}
    return {"kernel": kernel_2d(kernels)}


def _check_crop(max_inputs: int, max_outputs: int) -> None:
    for name, value in (("max_inputs", max_inputs), ("max_outputs", max_outputs)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer (rows/columns to draw); got {value!r}.")


def _draw_kernel(
    ax, fig: Figure, matrix: np.ndarray, title: str, max_inputs: int, max_outputs: int, vmax: float,
    group: int | None, colorbar: bool = True,
) -> None:
    """One panel: the top-left crop of ``matrix``, zeros white, kept weights coloured by |w|."""
    import matplotlib as mpl

    crop = matrix[:max_inputs, :max_outputs]
    shown = np.ma.masked_equal(np.abs(crop), 0.0)
    cmap = mpl.colormaps[KEPT_CMAP].with_extremes(bad=ZERO_COLOR)
    image = ax.imshow(shown, cmap=cmap, vmin=0.0, vmax=vmax, aspect="auto", interpolation="nearest")
    if group:
        for row in range(group, crop.shape[0], group):
            ax.axhline(row - 0.5, color="black", linewidth=0.6, alpha=0.6)
    whole = float(np.mean(matrix == 0))
    cropped = ""
    if crop.shape != matrix.shape:
        cropped = f"\nfirst {crop.shape[0]}x{crop.shape[1]} of {matrix.shape[0]}x{matrix.shape[1]}"
    ax.set_title(f"{title}: {whole:.0%} zeros{cropped}", fontsize=10)
    ax.set_xlabel("output unit / channel")
    ax.set_ylabel("input (row of the kernel)")
    for spine in ax.spines.values():
        spine.set_edgecolor("#9aa5b1")
    if colorbar:
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03)
        bar.set_label("|w| of kept weights (white = 0)")


def plot_kernel_zeros(
    kernels: Any,
    max_inputs: int = 64,
    max_outputs: int = 128,
    group: int | None = None,
    title: str | None = None,
):
    """Heatmap of where a kernel's zeros are: white cells are pruned weights, coloured cells are kept (by |w|).

    ``kernels`` is one array or a dict name -> array (one panel each, same colour scale, e.g. dense vs
    pruned). Each kernel is drawn as (inputs, outputs) via :func:`kernel_2d`, cropped to its top-left
    ``max_inputs`` x ``max_outputs`` so single weights stay visible; the title gives the sparsity of the
    whole kernel. ``group=4`` draws a line every 4 input rows, the groups of a 2:4 pattern.
    """
    import matplotlib.pyplot as plt

    panels = _as_kernel_dict(kernels)
    _check_crop(max_inputs, max_outputs)
    if group is not None and (not isinstance(group, int | np.integer) or group < 2):
        raise ValueError(f"group must be an integer >= 2 (e.g. 4 for a 2:4 pattern) or None; got {group!r}.")
    vmax = max(float(np.abs(m[:max_inputs, :max_outputs]).max()) for m in panels.values()) or 1.0
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, (name, matrix) in zip(axes[0], panels.items(), strict=True):
        _draw_kernel(ax, fig, matrix, name, max_inputs, max_outputs, vmax, group)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _check_sweep(sweep: Any) -> pd.DataFrame:
    return require_table(sweep, SWEEP_COLUMNS, "sweep",
                         "one row per pruned and converted model; accuracy in [0, 1], sparsity in [0, 1)")


def _check_references(references: Any) -> dict[str, tuple[float, float]]:
    if references is None:
        return {}
    if not isinstance(references, Mapping):
        raise TypeError(
            "references must be a dict name -> (zipped_bytes, accuracy), e.g. {'dense float32': (834457, 0.968)}; "
            f"got {type(references).__name__}."
        )
    checked = {}
    for name, value in references.items():
        try:
            zipped, accuracy = (float(v) for v in value)
        except (TypeError, ValueError):
            raise ValueError(f"references[{name!r}] must be (zipped_bytes, accuracy); got {value!r}.") from None
        checked[str(name)] = (zipped, accuracy)
    return checked


def _color(name: str, index: int) -> str:
    """float32 rows grey, int8 rows green (also for references named like "dense int8"), others cycled."""
    if name in CONVERSION_COLORS:
        return CONVERSION_COLORS[name]
    if "int8" in name or "full_integer" in name:
        return CONVERSION_COLORS["full_integer"]
    if "float32" in name:
        return CONVERSION_COLORS["float32"]
    return OTHER_COLORS[index % len(OTHER_COLORS)]


def _plain_log_ticks(axis) -> None:
    """Log-scale ticks written as plain numbers (20, 50, 100) rather than 5x10^1; minor ticks at 2, 3, 5 only."""
    from matplotlib.ticker import FuncFormatter

    def minor(value: float, _: int) -> str:
        return f"{value:g}" if f"{value:e}"[0] in "235" else ""

    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    axis.set_minor_formatter(FuncFormatter(minor))


def _draw_sweep(
    ax, sweep: pd.DataFrame, references: dict[str, tuple[float, float]], highlight: float | None = None
) -> None:
    for i, (conversion, rows) in enumerate(sweep.groupby("conversion", sort=False)):
        rows = rows.sort_values("sparsity")
        color = _color(str(conversion), i)
        ax.plot(rows["zipped_bytes"] / 1024, rows["accuracy"] * 100, marker="o", color=color,
                label=f"pruned, {conversion}")
        for _, row in rows.iterrows():
            ax.annotate(f"{row['sparsity']:.0%}", (row["zipped_bytes"] / 1024, row["accuracy"] * 100),
                        textcoords="offset points", xytext=(5, -11), fontsize=8, color=color)
        if highlight is not None:
            hit = rows[np.isclose(rows["sparsity"], highlight)]
            ax.scatter(hit["zipped_bytes"] / 1024, hit["accuracy"] * 100, s=160, facecolors="none",
                       edgecolors=HIGHLIGHT_COLOR, linewidths=2, zorder=5)
    for i, (name, (zipped, accuracy)) in enumerate(references.items()):
        ax.scatter([zipped / 1024], [accuracy * 100], marker="*", s=220, zorder=4, edgecolors="black",
                   linewidths=0.6, color=_color(name, i + 1), label=name)
    ax.set_xscale("log")
    _plain_log_ticks(ax.xaxis)
    ax.tick_params(axis="x", which="minor", labelsize=7)
    ax.set_xlabel("zipped size (KB, log scale)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8, loc="lower right")


def plot_sparsity_sweep(
    sweep: pd.DataFrame,
    references: Mapping[str, Sequence[float]] | None = None,
    title: str | None = None,
):
    """Zipped size vs accuracy for every pruned model of a sparsity sweep, one line per conversion.

    ``sweep`` has one row per converted model: ``sparsity`` (fraction of zeros), ``conversion`` (e.g.
    "float32", "full_integer"), ``zipped_bytes`` and ``accuracy`` in [0, 1]. Points are labelled with their
    sparsity. ``references`` (name -> (zipped_bytes, accuracy)) adds unpruned models as stars.
    """
    import matplotlib.pyplot as plt

    sweep = _check_sweep(sweep)
    refs = _check_references(references)
    fig, ax = plt.subplots(figsize=(8, 4.6))
    _draw_sweep(ax, sweep, refs)
    ax.set_title(title or "What pruning buys: smaller zipped files, until accuracy breaks", loc="left")
    fig.tight_layout()
    return fig


class SparsitySlider:
    """A slider over precomputed sparsities showing the kernel's zero pattern, accuracy and zipped size.

    Nothing is trained or converted when the slider moves: every value was computed beforehand (by the
    sweep), so it responds instantly and works the same when run non-interactively. Display ``.widget``
    (or the object itself) in a notebook; ``update(value)`` selects a sparsity from code.
    """

    def __init__(
        self,
        kernels: Mapping[float, Any],
        sweep: pd.DataFrame,
        conversion: str = "float32",
        references: Mapping[str, Sequence[float]] | None = None,
        max_inputs: int = 64,
        max_outputs: int = 128,
        layer: str = "kernel",
    ) -> None:
        import ipywidgets as widgets

        if not isinstance(kernels, Mapping) or not kernels:
            raise ValueError(
                "kernels must be a non-empty dict sparsity -> kernel, e.g. {0.5: k50, 0.8: k80} "
                "(the same layer's kernel from each model of the sweep)."
            )
        sweep = _check_sweep(sweep)
        _check_crop(max_inputs, max_outputs)
        self.references = _check_references(references)
        self.conversion = conversion
        rows = sweep[sweep["conversion"] == conversion]
        if rows.empty:
            known = ", ".join(map(str, sweep["conversion"].unique()))
            raise ValueError(f"sweep has no rows for conversion {conversion!r}; it has: {known}.")
        self.values = sorted(float(v) for v in kernels)
        self._kernels = {float(k): kernel_2d(v) for k, v in kernels.items()}
        self._rows: dict[float, pd.Series] = {}
        for value in self.values:
            match = rows[np.isclose(rows["sparsity"], value)]
            if match.empty:
                raise ValueError(
                    f"No sweep row for sparsity {value:g} ({conversion}); the sweep has "
                    f"{sorted(rows['sparsity'].round(4).tolist())}. Pass kernels for swept values only."
                )
            self._rows[value] = match.iloc[0]
        self.sweep = sweep
        self.layer = layer
        self.max_inputs, self.max_outputs = max_inputs, max_outputs
        self._vmax = max(float(np.abs(k[:max_inputs, :max_outputs]).max()) for k in self._kernels.values()) or 1.0
        self.slider = widgets.SelectionSlider(
            options=[(f"{v:.0%}", v) for v in self.values], value=self.values[0],
            description="sparsity", continuous_update=False,
            layout=widgets.Layout(width="420px"),
        )
        self.label = widgets.HTML()
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="980px"))
        self.widget = widgets.VBox([self.slider, self.label, self.image])
        self.value: float | None = None
        self.slider.observe(lambda change: self._render(change["new"]), names="value")
        self._render(self.values[0])

    def _match(self, value: float) -> float:
        for known in self.values:
            if np.isclose(known, value):
                return known
        raise ValueError(
            f"Sparsity {value!r} was not precomputed; choose one of {', '.join(f'{v:g}' for v in self.values)}."
        )

    def update(self, value: float) -> None:
        """Show the kernel and numbers for ``value`` (one of the precomputed sparsities)."""
        value = self._match(float(value))
        if self.slider.value != value:
            self.slider.value = value  # the observer re-renders
        else:
            self._render(value)

    def describe(self, value: float) -> str:
        """The text shown for ``value``: accuracy and zipped size, compared with the first reference."""
        row = self._rows[self._match(float(value))]
        text = (f"<b>{row['sparsity']:.0%} sparsity</b> ({self.conversion}): accuracy {row['accuracy']:.2%}, "
                f"zipped {row['zipped_bytes'] / 1024:.1f} KB")
        if self.references:
            name, (zipped, accuracy) = next(iter(self.references.items()))
            text += (f" &mdash; {zipped / row['zipped_bytes']:.1f}x smaller than {name}, "
                     f"{(row['accuracy'] - accuracy) * 100:+.1f} accuracy points")
        return text

    def figure(self, value: float) -> Figure:
        """The picture shown for ``value``: the kernel's zero pattern and the sweep with this point circled."""
        value = self._match(float(value))
        fig = Figure(figsize=(11, 4.2))  # not pyplot: nothing is displayed twice or kept alive
        kernel_ax, sweep_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.15)})
        _draw_kernel(kernel_ax, fig, self._kernels[value], f"{self.layer} at {value:.0%}", self.max_inputs,
                     self.max_outputs, self._vmax, None)
        _draw_sweep(sweep_ax, self.sweep, self.references, highlight=value)
        sweep_ax.set_title("zipped size vs accuracy (circle: this sparsity)", loc="left", fontsize=10)
        fig.tight_layout()
        return fig

    def _render(self, value: float) -> None:
        buffer = io.BytesIO()
        self.figure(value).savefig(buffer, format="png", dpi=80, metadata={"Software": None})
        self.image.value = buffer.getvalue()
        self.label.value = self.describe(value)
        self.value = value

    def _repr_mimebundle_(self, **kwargs: Any):
        return self.widget._repr_mimebundle_(**kwargs)


# The notebook-facing name: ``kernels`` maps each swept sparsity to one layer's kernel, ``sweep`` is the table of
# :func:`plot_sparsity_sweep` (the rows of ``conversion`` give the numbers shown).
sparsity_slider = SparsitySlider
