"""Plots for the weight clustering notebook: histograms, distinct-value counts, the cluster-count sweep,
an animation of a kernel's weights snapping onto centroids while TFMOT fine-tunes them, and a widget.

Introduced in notebook 04 (weight clustering). Plot functions return the matplotlib Figure and never call
``plt.show()``. :class:`ClusteringRecorder` is a Keras callback that records one clustered layer during
fine-tuning; :func:`write_clustering_gif` turns the recording into an animated GIF.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import tf_keras
from matplotlib.ticker import FuncFormatter, LogLocator

from ._checks import require_table

BEFORE_COLOR, AFTER_COLOR, INT8_COLOR, MUTED = "#4C72B0", "#8172B3", "#DD8452", "#7f7f7f"
SWEEP_COLUMNS = ("clusters", "zipped_bytes", "accuracy")
MIN_ACCURACY_SPAN = 3.0  # percentage points shown at least on accuracy axes


def cluster_colors(number_of_clusters: int) -> np.ndarray:
    """One RGB colour per cluster; neighbouring clusters (adjacent centroids) get contrasting colours."""
    import matplotlib as mpl

    if number_of_clusters < 1:
        raise ValueError(f"number_of_clusters must be at least 1; got {number_of_clusters}.")
    cmap = mpl.colormaps["tab20" if number_of_clusters <= 20 else "hsv"]
    if number_of_clusters <= 20:
        # tab20 pairs a dark and a light shade; walking the dark shades first keeps neighbours distinct.
        order = [*range(0, 20, 2), *range(1, 20, 2)]
        return np.array([cmap(order[j])[:3] for j in range(number_of_clusters)])
    return np.array([cmap(j / number_of_clusters)[:3] for j in range(number_of_clusters)])


def _values(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values)
    if array.size == 0:
        raise ValueError(f"{what} is empty; pass a weight array such as model.get_layer('dense').get_weights()[0].")
    if not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{what} must be numeric; got dtype {array.dtype}.")
    return array.astype(np.float64, copy=False).ravel()


# --------------------------------------------------------------------------------------------------
# Static plots


def plot_weight_histograms(before: Any, after: Any, bins: int = 100, title: str | None = None):
    """Histogram of a kernel before clustering, and of the same kernel after (one bar per distinct value).

    The "after" panel draws each distinct value as a stem whose height is how many weights share it, on
    top of the "before" histogram (grey), so you see which stretch of values each centroid replaced.
    """
    import matplotlib.pyplot as plt

    b, a = _values(before, "before"), _values(after, "after")
    if b.size != a.size:
        raise ValueError(f"before has {b.size} values but after has {a.size}; pass the same kernel twice.")
    if bins < 2:
        raise ValueError(f"bins must be at least 2; got {bins}.")
    edges = np.linspace(min(b.min(), a.min()), max(b.max(), a.max()), bins + 1)
    levels, counts = np.unique(a, return_counts=True)
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 3.8), sharex=True)
    left.hist(b, bins=edges, color=BEFORE_COLOR)
    left.set_title(f"before: {b.size:,} weights, {np.unique(b).size:,} distinct values")
    right.hist(b, bins=edges, color=MUTED, alpha=0.25, label="before (for reference)")
    colors = cluster_colors(len(levels)) if len(levels) <= 64 else [AFTER_COLOR] * len(levels)
    right.vlines(levels, 0, counts, colors=colors, linewidth=2.5, label="after: weights sharing each value")
    right.plot(levels, counts, "o", color=AFTER_COLOR, markersize=3)
    right.set_title(f"after: {len(levels):,} distinct values (height = how many weights share it)")
    right.legend(loc="upper left", fontsize=9)
    for ax in (left, right):
        ax.set_xlabel("weight value")
        ax.set_ylabel("count")
        ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_unique_values(counts: pd.DataFrame, number_of_clusters: int | None = None, title: str | None = None):
    """Distinct values per layer (log scale), one bar per column of ``counts`` (index: layer names).

    Build ``counts`` from :func:`workshop_utils.measurement.inspect_weights.unique_values` tables, e.g.
    ``pd.DataFrame({"baseline": a.set_index("layer").unique_values, "clustered": b.set_index("layer").unique_values})``.
    ``number_of_clusters`` draws the limit every clustered kernel must respect.
    """
    import matplotlib.pyplot as plt

    if not isinstance(counts, pd.DataFrame):
        raise TypeError(f"counts must be a pandas DataFrame (layers x models); got {type(counts).__name__}.")
    if counts.empty:
        raise ValueError("counts is empty: build it from inspect_weights.unique_values(model) tables.")
    numeric = counts.apply(pd.to_numeric, errors="coerce")
    if numeric.isna().any().any() or (numeric < 0).any().any():
        raise ValueError("counts must hold non-negative numbers of distinct values (no missing layers).")
    layers, models = list(numeric.index), list(numeric.columns)
    height = 0.8 / len(models)
    palette = [BEFORE_COLOR, AFTER_COLOR, INT8_COLOR, "#55A868", "#C44E52", "#937860"]
    fig, ax = plt.subplots(figsize=(10, 0.5 * len(layers) * len(models) + 1.8))
    y = np.arange(len(layers))
    for i, model in enumerate(models):
        values = numeric[model].to_numpy(dtype=float)
        bars = ax.barh(y + (i - (len(models) - 1) / 2) * height, np.maximum(values, 1), height,
                       color=palette[i % len(palette)], label=str(model))
        ax.bar_label(bars, labels=[f"{int(v):,}" for v in values], padding=3, fontsize=8)
    if number_of_clusters is not None:
        ax.axvline(number_of_clusters, color="black", linestyle="--", linewidth=1,
                   label=f"number_of_clusters = {number_of_clusters}")
    ax.set_xscale("log")
    ax.set_yticks(y, layers)
    ax.invert_yaxis()
    ax.set_xlabel("distinct values in the kernel (log scale)")
    ax.legend(loc="lower right", fontsize=9)
    ax.grid(axis="x", alpha=0.3, which="both")
    ax.set_title(title or "How many different numbers does each layer store?")
    fig.tight_layout()
    return fig


def _check_sweep(sweep: Any) -> pd.DataFrame:
    return require_table(sweep, SWEEP_COLUMNS, "sweep",
                         "one row per clustered and measured model; optionally 'model' to draw several curves")


def _draw_sweep(ax, sweep: pd.DataFrame, reference: Mapping[str, tuple[float, float]] | None,
                highlight: int | None = None) -> None:
    groups = sweep.groupby("model", sort=False) if "model" in sweep.columns else [("clustered", sweep)]
    palette = iter([AFTER_COLOR, INT8_COLOR, "#55A868", "#C44E52"])
    for name, group in groups:
        group = group.sort_values("clusters")
        color = next(palette, MUTED)
        ax.plot(group["zipped_bytes"] / 1024, group["accuracy"] * 100, "-o", color=color, label=str(name))
        for _, row in group.iterrows():
            ax.annotate(f"{int(row['clusters'])}", (row["zipped_bytes"] / 1024, row["accuracy"] * 100),
                        textcoords="offset points", xytext=(4, 5), fontsize=8, color=color)
            if highlight is not None and int(row["clusters"]) == highlight:
                ax.plot(row["zipped_bytes"] / 1024, row["accuracy"] * 100, "o", markersize=14,
                        markerfacecolor="none", markeredgecolor="black", markeredgewidth=1.5)
    markers = iter(["*", "D", "s", "^"])
    for name, (zipped, accuracy) in (reference or {}).items():
        ax.plot(zipped / 1024, accuracy * 100, linestyle="none", marker=next(markers, "*"), markersize=10,
                color="black", label=str(name))
    ax.set_xscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.xaxis.set_minor_locator(LogLocator(base=10, subs=(2.0, 5.0)))
    ax.xaxis.set_major_formatter(plain)
    ax.xaxis.set_minor_formatter(plain)
    low, high = ax.get_ylim()
    if high - low < MIN_ACCURACY_SPAN:  # don't blow tenths of a point up to the full height
        middle = (low + high) / 2
        ax.set_ylim(middle - MIN_ACCURACY_SPAN / 2, middle + MIN_ACCURACY_SPAN / 2)
    ax.set_xlabel("zipped size (KB, log scale; left is smaller)")
    ax.set_ylabel("test accuracy (%)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=9, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)


def plot_cluster_sweep(
    sweep: pd.DataFrame, reference: Mapping[str, tuple[float, float]] | None = None, title: str | None = None
):
    """Accuracy against zipped size, one point per number of clusters (labelled), one curve per ``model``.

    ``sweep`` has the columns clusters, zipped_bytes, accuracy (in [0, 1]) and optionally model (e.g.
    "clustered" and "clustered + int8"); ``reference`` adds single points such as
    ``{"float32": (zipped_bytes, accuracy)}``.
    """
    import matplotlib.pyplot as plt

    _check_sweep(sweep)
    fig, ax = plt.subplots(figsize=(9.5, 4.5))
    _draw_sweep(ax, sweep, reference)
    ax.set_title(title or "Fewer clusters: a smaller file. What does it cost in accuracy?")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------------------------------
# Recording a layer during fine-tuning, and the animation


@dataclass
class ClusteringHistory:
    """A clustered kernel recorded during fine-tuning (a fixed random sample of its weights).

    ``original``: the sampled weights before clustering, shape (P,). At every recorded step (``steps``,
    shape (T,)): ``latent`` (T, P), the float weights the optimizer trains (they decide which cluster a
    weight joins); ``indices`` (T, P), each weight's cluster; ``centroids`` (T, K), the shared values.
    The layer computes with ``clustered = centroids[indices]``.
    """

    layer: str
    steps: np.ndarray
    original: np.ndarray
    latent: np.ndarray
    indices: np.ndarray
    centroids: np.ndarray
    total_weights: int
    loss: np.ndarray = field(default=None)  # type: ignore[assignment]  # training loss per step (NaN: none)

    def __post_init__(self) -> None:
        self.steps = np.asarray(self.steps, dtype=np.int64)
        self.original = np.asarray(self.original, dtype=np.float32)
        self.latent = np.asarray(self.latent, dtype=np.float32)
        self.indices = np.asarray(self.indices, dtype=np.int64)
        self.centroids = np.asarray(self.centroids, dtype=np.float32)
        t, p = len(self.steps), self.original.size
        if t < 1 or p < 1:
            raise ValueError("A ClusteringHistory needs at least one recorded step and one weight.")
        if self.original.ndim != 1 or self.latent.shape != (t, p) or self.indices.shape != (t, p):
            raise ValueError(f"Shapes disagree: original {self.original.shape}, latent {self.latent.shape}, "
                             f"indices {self.indices.shape}; expected (P,), (T, P), (T, P) with T={t}, P={p}.")
        if self.centroids.ndim != 2 or self.centroids.shape[0] != t:
            raise ValueError(f"centroids must have shape (T, K) = ({t}, K); got {self.centroids.shape}.")
        if self.indices.min() < 0 or self.indices.max() >= self.centroids.shape[1]:
            raise ValueError(f"indices must lie in [0, {self.centroids.shape[1] - 1}] (one per centroid).")
        if self.loss is None:
            self.loss = np.full(t, np.nan)
        self.loss = np.asarray(self.loss, dtype=np.float64)
        if self.loss.shape != (t,):
            raise ValueError(f"loss must have one value per recorded step ({t}); got shape {self.loss.shape}.")

    @property
    def number_of_clusters(self) -> int:
        return int(self.centroids.shape[1])

    @property
    def clustered(self) -> np.ndarray:
        """(T, P): the values the layer computes with, each weight's centroid."""
        return np.take_along_axis(self.centroids, self.indices, axis=1)

    def summary(self) -> pd.DataFrame:
        """Per recorded step: loss, how far the centroids moved since the start (largest, and relative to
        the gap between neighbouring centroids), the share of weights that changed cluster, and the
        number of distinct values the layer uses."""
        start = self.centroids[0]
        gap = float(np.median(np.diff(np.sort(start)))) if start.size > 1 else float("nan")
        shift = np.abs(self.centroids - start).max(axis=1)
        return pd.DataFrame({
            "step": self.steps,
            "loss": self.loss,
            "max_centroid_shift": shift,
            "shift_vs_gap": shift / gap if gap > 0 else np.nan,
            "reassigned": np.mean(self.indices != self.indices[0], axis=1),
            "distinct_values": [np.unique(row).size for row in self.clustered],
        }).set_index("step")


def _find_cluster_wrapper(model, layer: str):
    wrappers = [item for item in model.layers if hasattr(item, "cluster_centroids") and hasattr(item, "layer")]
    for wrapper in wrappers:
        if layer in (wrapper.name, wrapper.layer.name):
            return wrapper
    names = ", ".join(wrapper.layer.name for wrapper in wrappers if wrapper.cluster_centroids) or "none"
    raise ValueError(
        f"No clustered layer named {layer!r} in this model (clustered layers: {names}). "
        "Fix: record a layer wrapped by tfmot.clustering.keras.cluster_weights, and pass the callback to the "
        "fit() of the clustered model."
    )


class ClusteringRecorder(tf_keras.callbacks.Callback):
    """Records a clustered layer every ``every`` training steps: its latent weights, clusters and centroids.

    Pass it to ``fit()`` of a model wrapped by ``tfmot.clustering.keras.cluster_weights`` (per-tensor
    clustering). It samples ``max_points`` weights of the kernel (fixed ``seed``), so long recordings stay
    small; ``history`` returns a :class:`ClusteringHistory` for :func:`write_clustering_gif`.
    """

    def __init__(self, layer: str, every: int = 5, max_points: int = 600, seed: int = 0, weight: str = "kernel"):
        super().__init__()
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive integer (record every N steps); got {every!r}.")
        if not isinstance(max_points, int) or max_points < 1:
            raise ValueError(f"max_points must be a positive integer; got {max_points!r}.")
        self.layer_name, self.every, self.max_points, self.seed, self.weight = layer, every, max_points, seed, weight
        self._wrapper = None
        self._positions: np.ndarray | None = None
        self._records: list[tuple[int, np.ndarray, np.ndarray, np.ndarray, float]] = []
        self._step = 0
        self._total = 0

    def on_train_begin(self, logs=None) -> None:
        wrapper = _find_cluster_wrapper(self.model, self.layer_name)
        if self.weight not in wrapper.cluster_centroids:
            raise ValueError(f"Layer {self.layer_name!r} has no clustered weight {self.weight!r}; "
                             f"clustered: {list(wrapper.cluster_centroids)}.")
        if len(wrapper.cluster_centroids[self.weight].shape) != 1:
            raise ValueError(f"Layer {self.layer_name!r} is clustered per channel; the recorder follows one "
                             "set of centroids per kernel. Fix: record a layer clustered per tensor.")
        self._wrapper = wrapper
        self._total = int(np.prod(wrapper.original_clusterable_weights[self.weight].shape))
        rng = np.random.default_rng(self.seed)
        count = min(self.max_points, self._total)
        self._positions = np.sort(rng.choice(self._total, size=count, replace=False))
        self._records, self._step = [], 0
        self._record(np.nan)

    def _record(self, loss: float) -> None:
        wrapper, positions = self._wrapper, self._positions
        latent = wrapper.original_clusterable_weights[self.weight].numpy().ravel()[positions]
        indices = wrapper.pulling_indices[self.weight].numpy().ravel()[positions]
        centroids = wrapper.cluster_centroids[self.weight].numpy().ravel()
        self._records.append((self._step, latent.copy(), indices.copy(), centroids.copy(), loss))

    def on_train_batch_end(self, batch, logs=None) -> None:
        self._step += 1
        if self._step % self.every == 0:
            self._record(float((logs or {}).get("loss", np.nan)))

    def on_train_end(self, logs=None) -> None:
        if self._records and self._records[-1][0] != self._step:
            self._record(float((logs or {}).get("loss", np.nan)))

    @property
    def history(self) -> ClusteringHistory:
        if not self._records:
            raise RuntimeError("Nothing recorded yet: pass the recorder to fit(..., callbacks=[recorder]) first.")
        steps, latent, indices, centroids, loss = (list(x) for x in zip(*self._records, strict=True))
        # Before the first update the latent weights are still the trained float weights.
        return ClusteringHistory(self.layer_name, np.array(steps), latent[0], np.stack(latent), np.stack(indices),
                                 np.stack(centroids), self._total, np.array(loss))


def _ease(t: float) -> float:
    return 0.5 - 0.5 * np.cos(np.pi * t)


def write_clustering_gif(
    history: ClusteringHistory,
    path: str | Path,
    fps: int = 6,
    max_training_frames: int = 20,
    snap_frames: int = 8,
    hold_frames: int = 8,
    dpi: int = 72,
) -> Path:
    """Animate a recorded kernel: the trained weights, their snap onto the centroids (``cluster_weights``),
    then fine-tuning, where the optimizer moves the centroids (and a few weights change cluster).

    ``fps`` sets the pace; the first and last pictures stay on screen for ``hold_frames`` frames.
    Deterministic: the same history gives the same bytes. Returns the path of the GIF written.
    """
    import matplotlib as mpl
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    if not isinstance(history, ClusteringHistory):
        raise TypeError(f"history must be a ClusteringHistory (ClusteringRecorder.history); got "
                        f"{type(history).__name__}.")
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"The animation is written as a GIF; give a path ending in .gif, not {path.name!r}.")
    for name, value in (("fps", fps), ("max_training_frames", max_training_frames), ("snap_frames", snap_frames),
                        ("hold_frames", hold_frames), ("dpi", dpi)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer; got {value!r}.")
    path.parent.mkdir(parents=True, exist_ok=True)

    h, k = history, history.number_of_clusters
    colors = cluster_colors(k)
    gray = np.array(mpl.colors.to_rgb(MUTED))
    clustered = h.clustered
    drift = h.centroids - h.centroids[0]
    jitter = np.random.default_rng(1).uniform(-0.4, 0.4, h.original.size)
    low = float(min(h.original.min(), h.centroids.min(), h.latent.min()))
    high = float(max(h.original.max(), h.centroids.max(), h.latent.max()))
    pad = 0.04 * (high - low or 1.0)
    keep = np.unique(np.linspace(0, len(h.steps) - 1, min(max_training_frames, len(h.steps))).round().astype(int))
    used = np.unique(h.indices)  # centroids that hold at least one sampled weight

    with mpl.rc_context({"font.size": 10, "axes.spines.top": False, "axes.spines.right": False,
                         "axes.unicode_minus": False}):
        fig = Figure(figsize=(8.4, 5.2), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        fig.text(0.03, 0.95, f"Clustering the kernel of layer '{h.layer}' ({k} clusters)", fontsize=13,
                 fontweight="bold", va="top")
        caption = fig.text(0.03, 0.89, "", fontsize=10, color="#444444", va="top")
        strip = fig.add_axes((0.1, 0.42, 0.86, 0.36))
        strip.set_xlim(low - pad, high + pad)
        strip.set_ylim(-0.55, 0.55)
        strip.set_yticks([])
        strip.spines["left"].set_visible(False)
        strip.set_xlabel("weight value")
        counter = strip.set_title("", fontsize=9, loc="right", color="#444444")
        dots = strip.scatter(h.original, jitter, s=9, c=[gray], linewidths=0, zorder=3)
        lines = [strip.axvline(c, color="black", lw=0.8, ls=(0, (3, 3)), visible=False, zorder=2)
                 for c in h.centroids[0]]
        drift_ax = fig.add_axes((0.1, 0.09, 0.86, 0.2))
        drift_ax.set_xlim(h.steps[0], max(h.steps[-1], h.steps[0] + 1))
        span = float(np.abs(drift).max()) or 1e-6
        drift_ax.set_ylim(-1.15 * span, 1.15 * span)
        drift_ax.axhline(0, color=MUTED, lw=0.6)
        drift_ax.set_xlabel("fine-tuning step")
        drift_ax.set_ylabel("centroid shift", fontsize=9)
        drift_ax.tick_params(labelsize=8)
        trails = [drift_ax.plot([], [], color=colors[j], lw=1.4)[0] for j in range(k)]
        sample = f"{h.original.size:,} of {h.total_weights:,} weights"

        def show(positions, point_colors, centroids, text, count, upto=None) -> None:
            dots.set_offsets(np.column_stack([positions, jitter]))
            dots.set_facecolors(point_colors)
            for j, line in enumerate(lines):
                line.set_visible(centroids is not None and j in used)
                if centroids is not None:
                    line.set_xdata([centroids[j], centroids[j]])
            for j, trail in enumerate(trails):
                if upto is None:
                    trail.set_data([], [])
                else:
                    trail.set_data(h.steps[: upto + 1], drift[: upto + 1, j])
            caption.set_text(text)
            counter.set_text(f"{sample}: {count}")

        frames: list[tuple] = []  # (arguments of show, how many frame durations it stays on screen)
        distinct = f"{np.unique(h.original).size:,} distinct values"
        start = "After normal training: every weight has its own float32 value."
        frames.append(((h.original, np.tile(gray, (h.original.size, 1)), None, start, distinct, None), hold_frames))
        for t in np.linspace(0, 1, snap_frames + 1)[1:]:
            positions = h.original + _ease(t) * (clustered[0] - h.original)
            count = f"{np.unique(positions).size:,} distinct values"
            frames.append(((positions, colors[h.indices[0]], h.centroids[0],
                            "cluster_weights: each weight is replaced by its nearest centroid "
                            "(colour = cluster).", count, 0), 1))
        for i in keep:
            reassigned = float(np.mean(h.indices[i] != h.indices[0]))
            loss = "" if np.isnan(h.loss[i]) else f", loss {h.loss[i]:.3f}"
            text = (f"Fine-tuning step {h.steps[i]}{loss}: the optimizer moves the centroids "
                    f"(below);\n{reassigned:.1%} of the weights changed cluster so far.")
            frames.append(((clustered[i], colors[h.indices[i]], h.centroids[i], text,
                            f"{np.unique(clustered[i]).size} distinct values", i), 1))
        last = len(h.steps) - 1
        done = (f"strip_clustering: the layer keeps {np.unique(clustered[last]).size} shared values; "
                "only they and a small index per weight carry information.")
        frames.append(((clustered[last], colors[h.indices[last]], h.centroids[last], done,
                        f"{np.unique(clustered[last]).size} distinct values", last), hold_frames))

        images, durations = [], []
        for arguments, repeat in frames:
            show(*arguments)
            canvas.draw()
            images.append(Image.fromarray(np.asarray(canvas.buffer_rgba())[..., :3].copy()))
            durations.append(round(1000 * repeat / fps))
    # Each picture is rendered once and held for its duration; Pillow picks one palette per frame.
    images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0)
    return path


# --------------------------------------------------------------------------------------------------
# Widget: pick a number of clusters among precomputed results


class ClusterExplorer:
    """A slider over precomputed clustering results: the kernel's histogram and its point on the sweep.

    ``sweep``: one row per number of clusters (columns clusters, zipped_bytes, accuracy); ``kernels``:
    number of clusters -> the clustered kernel of one layer; ``original``: that kernel before clustering.
    Display the object in a notebook; ``update(n)`` redraws for ``n`` clusters (what the slider calls),
    so it also runs without a browser (tests, nbval).
    """

    def __init__(
        self,
        sweep: pd.DataFrame,
        kernels: Mapping[int, np.ndarray],
        original: np.ndarray | None = None,
        reference: Mapping[str, tuple[float, float]] | None = None,
        layer: str = "",
    ):
        import ipywidgets as widgets

        sweep = _check_sweep(sweep)
        if "model" in sweep.columns:
            raise ValueError("ClusterExplorer shows one curve: pass the rows of one model (no 'model' column).")
        options = sorted(int(n) for n in sweep["clusters"])
        if sorted(int(n) for n in kernels) != options:
            raise ValueError(f"kernels has results for {sorted(kernels)} clusters but sweep for {options}; "
                             "pass one clustered kernel per row of sweep.")
        self.sweep = sweep.set_index(sweep["clusters"].astype(int))
        self.kernels = {int(n): _values(v, f"kernels[{n}]") for n, v in kernels.items()}
        self.original = None if original is None else _values(original, "original")
        self.reference = dict(reference or {})
        self.layer = layer
        self.figure = None
        self.slider = widgets.SelectionSlider(options=options, value=options[len(options) // 2],
                                              description="clusters", continuous_update=False)
        self.summary = widgets.HTML()
        self.output = widgets.Output()
        self.slider.observe(lambda change: self.update(change["new"]), names="value")
        self.widget = widgets.VBox([self.slider, self.summary, self.output])

    def _draw(self, clusters: int):
        from matplotlib.figure import Figure

        kernel = self.kernels[clusters]
        row = self.sweep.loc[clusters]
        fig = Figure(figsize=(14, 3.8))
        hist_ax, sweep_ax = fig.subplots(1, 2)
        if self.original is not None:
            edges = np.linspace(self.original.min(), self.original.max(), 81)
            hist_ax.hist(self.original, bins=edges, color=MUTED, alpha=0.3, label="before clustering")
        levels, counts = np.unique(kernel, return_counts=True)
        hist_ax.vlines(levels, 0, counts, colors=cluster_colors(len(levels)) if len(levels) <= 64 else AFTER_COLOR,
                       linewidth=2)
        hist_ax.set_title(f"{self.layer or 'kernel'} with {clusters} clusters: {len(levels)} distinct values")
        hist_ax.set_xlabel("weight value")
        hist_ax.set_ylabel("count")
        hist_ax.grid(alpha=0.3)
        _draw_sweep(sweep_ax, self.sweep.reset_index(drop=True), self.reference, highlight=clusters)
        sweep_ax.set_title(f"{clusters} clusters: {row['zipped_bytes'] / 1024:.0f} KB zipped, "
                           f"{row['accuracy']:.2%} accuracy")
        fig.tight_layout()
        return fig

    def update(self, clusters: int):
        """Show the results for ``clusters`` (one of the precomputed counts); returns the Figure drawn."""
        from IPython.display import clear_output, display

        if int(clusters) not in self.kernels:
            raise ValueError(f"No precomputed result for {clusters} clusters; choose one of {sorted(self.kernels)}.")
        clusters = int(clusters)
        if self.slider.value != clusters:
            self.slider.value = clusters  # fires update() again through observe, which draws
            return self.figure
        row = self.sweep.loc[clusters]
        self.summary.value = (f"<b>{clusters} clusters</b>: zipped {row['zipped_bytes'] / 1024:.1f} KB, "
                              f"accuracy {row['accuracy']:.2%}")
        self.figure = self._draw(clusters)
        with self.output:
            clear_output(wait=True)
            display(self.figure)
        return self.figure

    def _ipython_display_(self) -> None:
        from IPython.display import display

        if self.figure is None:
            self.update(self.slider.value)
        display(self.widget)
