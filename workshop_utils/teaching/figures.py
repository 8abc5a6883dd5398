"""The workshop's explanatory figures, drawn with matplotlib and saved deterministically to ``images/``.

Every figure is code, so it can be fixed, restyled or regenerated: ``python -m workshop_utils figures``
rewrites ``images/`` byte for byte (fixed seeds, fixed font, no date or software stamps in the files).
Notebooks display the committed files with :func:`show_figure`, which also works on Colab, where
relative markdown image links do not.

The numbers drawn here are either computed on the spot (the int8 mapping, the toy k-means) or quoted
from the TensorFlow Lite documentation (~4x smaller for int8, ~2x for float16); the notebooks measure
the real ones for the workshop model.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap, to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from PIL import Image as PILImage

from ..core.cache import atomic_path

if TYPE_CHECKING:
    from IPython.display import HTML, Image
    from matplotlib.axes import Axes

IMAGES_DIR = Path(__file__).resolve().parents[2] / "images"
MANIFEST_NAME = "figures.json"
REGENERATE_HINT = "python -m workshop_utils figures"
DPI = 100
GIF_DPI = 90

# One palette for every figure: a concept keeps its colour from figure to figure.
PALETTE = {
    "ink": "#1f2933",
    "muted": "#616e7c",
    "line": "#9aa5b1",
    "faint": "#d3d8de",
    "panel": "#f5f7fa",
    "float": "#52606d",  # float32 model / baseline
    "dynamic_range": "#0b7285",
    "full_integer": "#2f855a",  # also the int8 TFLite deployment target
    "float16": "#b7791f",
    "int16x8": "#97266d",
    "qat": "#2b6cb0",
    "prune": "#dd6b20",
    "cluster": "#6b46c1",
    "accent": "#c53030",  # the worked example in the int8 mapping
}
# Cluster colours avoid red and blue, which mean the sign of a weight in the heatmaps.
CLUSTER_COLORS = ("#6b46c1", "#0b7285", "#b7791f", "#b83280", "#2f855a", "#52606d")
# Weight colour map: negative red, zero white, positive blue (as in the pruning and clustering figures).
WEIGHT_CMAP = LinearSegmentedColormap.from_list(
    "weights", ["#c53030", "#eba3a3", "#f8f8f8", "#a3c2e8", "#2b6cb0"]
)

_STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.monospace": ["DejaVu Sans Mono"],
    "mathtext.fontset": "dejavusans",
    "font.size": 11,
    "text.color": PALETTE["ink"],
    "axes.edgecolor": PALETTE["line"],
    "axes.labelcolor": PALETTE["ink"],
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "xtick.color": PALETTE["muted"],
    "ytick.color": PALETTE["muted"],
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "hatch.color": PALETTE["line"],
    "hatch.linewidth": 0.8,
}


def _num(value: float, fmt: str = "g") -> str:
    """A number with a typographic minus sign (U+2212), as in print."""
    return format(value, fmt).replace("-", "−")


def _styled(func: Callable[..., Any]) -> Callable[..., Any]:
    """Build the figure under the workshop style without touching the caller's rcParams."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with mpl.rc_context(_STYLE):
            return func(*args, **kwargs)

    return wrapper


# --------------------------------------------------------------------------------------------------
# Drawing helpers: a "canvas" axes whose data units are inches, so box sizes and font sizes agree.


def _canvas(width: float, height: float, y0: float = 0.0) -> tuple[Figure, Axes]:
    """A figure with one invisible axes whose data units are inches (y runs from y0 to y0 + height)."""
    # A bare Figure (not pyplot): nothing is registered globally, so notebooks never display it twice.
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(y0, y0 + height)
    ax.axis("off")
    return fig, ax


def _tint(color: str, white: float) -> tuple[float, float, float]:
    """``color`` mixed with ``white`` parts of white (0 = the colour, 1 = white)."""
    r, g, b = to_rgb(color)
    return (r + (1 - r) * white, g + (1 - g) * white, b + (1 - b) * white)


def _box(
    ax: Axes,
    cx: float,
    cy: float,
    w: float,
    h: float,
    title: str,
    color: str,
    sub: str | None = None,
    *,
    title_size: float = 11.5,
    sub_size: float = 9,
    mono_sub: bool = True,
    question: bool = False,
    text_dy: float = 0.0,
) -> None:
    """A rounded box centred on (cx, cy) with a bold title and an optional smaller second line.

    ``text_dy`` moves the text up, leaving room for a third line drawn by the caller.
    """
    fill = PALETTE["panel"] if question else _tint(color, 0.87)
    edge = PALETTE["line"] if question else color
    ax.add_patch(
        FancyBboxPatch(
            (cx - w / 2, cy - h / 2), w, h,
            boxstyle=f"round,pad=0,rounding_size={min(0.14, h / 3):.3f}",
            fc=fill, ec=edge, lw=1.5, ls="--" if question else "-", zorder=3,
        )
    )
    title_y = cy + text_dy + (0.11 if sub else 0)
    ax.text(cx, title_y, title, ha="center", va="center", fontsize=title_size,
            fontweight="normal" if question else "bold", fontstyle="italic" if question else "normal",
            color=PALETTE["ink"], zorder=4, linespacing=1.15)
    if sub:
        ax.text(cx, cy + text_dy - 0.15, sub, ha="center", va="center", fontsize=sub_size, zorder=4,
                family="monospace" if mono_sub else None,
                color=PALETTE["ink"] if mono_sub else PALETTE["muted"])


def _route(
    ax: Axes, points: Sequence[tuple[float, float]], color: str, *, lw: float = 1.6, dashed: bool = False
) -> None:
    """An arrow along a polyline (orthogonal elbows read better than diagonals in a flow chart)."""
    ls = (0, (4, 3)) if dashed else "-"
    if len(points) > 2:
        xs, ys = zip(*points[:-1], strict=True)
        ax.plot(xs, ys, color=color, lw=lw, ls=ls, solid_joinstyle="miter", solid_capstyle="butt", zorder=2)
    ax.annotate(
        "", xy=points[-1], xytext=points[-2], zorder=2,
        arrowprops={"arrowstyle": "-|>", "color": color, "lw": lw, "ls": ls, "shrinkA": 0, "shrinkB": 0,
                    "mutation_scale": 14},
    )


def _label(ax: Axes, x: float, y: float, text: str, **kwargs: Any) -> None:
    kwargs.setdefault("fontsize", 10)
    kwargs.setdefault("color", PALETTE["muted"])
    ax.text(x, y, text, zorder=5, **kwargs)


def _title(ax: Axes, x: float, y: float, title: str, subtitle: str | None = None) -> None:
    ax.text(x, y, title, fontsize=17, fontweight="bold", va="baseline")
    if subtitle:
        ax.text(x, y - 0.36, subtitle, fontsize=10.5, color=PALETTE["muted"], va="baseline")


# --------------------------------------------------------------------------------------------------
# 1. Quantization methods: a decision chart and a summary table.

_QUANT_TABLE_COLUMNS = (
    ("Method", 2.45), ("Weights", 0.95), ("Activations", 1.95), ("Calibration data", 1.7),
    ("Model size", 1.4), ("Typical hardware", 2.4), ("Retraining", 1.45),
)
_QUANT_TABLE_ROWS = (
    ("dynamic_range", "Dynamic range", 'mode="dynamic_range"', "int8",
     "float32 (int8 on the\nfly inside some ops)", "not needed", "~4x smaller", "CPU", "no"),
    ("full_integer", "Full integer", 'mode="full_integer"', "int8", "int8", "~100–500 inputs",
     "~4x smaller", "CPU, Edge TPU,\nmicrocontrollers", "no"),
    ("float16", "Float16", 'mode="float16"', "float16", "float32", "not needed", "~2x smaller",
     "GPU; ARM fp16 CPUs only if\nthe file asks (else fp32)", "no"),
    ("int16x8", "16x8 (experimental)", 'mode="int16x8"', "int8", "int16", "~100–500 inputs", "~3–4x smaller",
     "int16-capable HW\n(CPU: no fast kernels)", "no"),
    ("qat", "QAT, then full integer", "recipes.qat", "int8", "int8", "training data", "~4x smaller",
     "as full integer", "yes (fine-tune)"),
)


@_styled
def quantization_methods_figure() -> Figure:
    """Which quantization to use: a decision chart (target hardware, calibration data, accuracy) and a table.

    Sizes are the factors quoted by the TensorFlow Lite post-training quantization guide.
    """
    fig, ax = _canvas(13, 9.95, y0=0.65)
    c = PALETTE
    _title(ax, 0.3, 10.1, "Choosing a quantization method",
           "Post-training quantization (PTQ) happens when converting to TFLite; "
           "quantization-aware training (QAT) fine-tunes the model first.")

    # Decision chart (left to right). Rows and columns in inches.
    row, bus1, bus2, bus3 = 7.7, 4.45, 7.6, 10.4
    leaf_x, leaf_w, leaf_h = 9.0, 2.1, 0.7
    y_f16, y_dyn, y_int, y_acc = 9.2, 8.35, 6.95, 6.2
    _box(ax, 1.15, row, 1.8, 0.8, "Trained model", c["float"], "float32 Keras", mono_sub=False)
    _box(ax, 3.25, row, 1.7, 0.8, "Where will\nit run?", c["line"], question=True)
    _box(ax, 6.1, row, 2.3, 0.8, "Representative data?", c["line"], "~100–500 unlabelled inputs",
         mono_sub=False, question=True, sub_size=9.5)
    _box(ax, leaf_x, y_f16, leaf_w, leaf_h, "Float16", c["float16"], 'mode="float16"')
    _box(ax, leaf_x, y_dyn, leaf_w, leaf_h, "Dynamic range", c["dynamic_range"], 'mode="dynamic_range"')
    _box(ax, leaf_x, y_int, leaf_w, leaf_h, "Full integer", c["full_integer"], 'mode="full_integer"')
    _box(ax, 11.8, 7.5, 1.9, leaf_h, "16x8", c["int16x8"], "no retraining", mono_sub=False)
    _box(ax, 11.8, 6.4, 1.9, leaf_h, "QAT", c["qat"], "fine-tune, then int8", mono_sub=False)

    ink = c["ink"]
    _route(ax, [(2.05, row), (2.4, row)], ink)
    _route(ax, [(4.1, row), (4.95, row)], ink)
    _route(ax, [(4.1, row), (bus1, row), (bus1, y_f16), (leaf_x - leaf_w / 2, y_f16)], ink)
    _route(ax, [(4.1, row), (bus1, row), (bus1, y_acc), (leaf_x, y_acc), (leaf_x, y_int - leaf_h / 2)], ink)
    _route(ax, [(7.25, row), (bus2, row), (bus2, y_dyn), (leaf_x - leaf_w / 2, y_dyn)], ink)
    _route(ax, [(7.25, row), (bus2, row), (bus2, y_int), (leaf_x - leaf_w / 2, y_int)], ink)
    right = leaf_x + leaf_w / 2
    _route(ax, [(right, y_int), (bus3, y_int), (bus3, 7.5), (10.85, 7.5)], c["muted"], dashed=True)
    _route(ax, [(right, y_int), (bus3, y_int), (bus3, 6.4), (10.85, 6.4)], c["muted"], dashed=True)

    _label(ax, 4.53, row + 0.08, "CPU", va="bottom", color=ink, fontweight="bold")
    _label(ax, bus1 + 0.12, y_f16 + 0.08, "GPU, ARM fp16 CPU", va="bottom", color=ink, fontweight="bold")
    _label(ax, bus1 + 0.12, y_acc - 0.08, "Integer-only NPU, microcontroller", va="top", color=ink,
           fontweight="bold")
    _label(ax, bus2 + 0.08, y_dyn + 0.06, "no", va="bottom", color=ink)
    _label(ax, bus2 + 0.08, y_int + 0.06, "yes", va="bottom", color=ink)
    _label(ax, 11.8, 8.05, "Accuracy dropped\ntoo much?", ha="center", va="bottom", fontstyle="italic")

    # Summary table.
    top, head_h, row_h, x0 = 5.25, 0.45, 0.68, 0.3
    widths = [w for _, w in _QUANT_TABLE_COLUMNS]
    lefts = np.concatenate([[x0], x0 + np.cumsum(widths)[:-1]])
    total = sum(widths)
    ax.add_patch(Rectangle((x0, top - head_h), total, head_h, fc=c["ink"], ec="none"))
    for (name, _), left in zip(_QUANT_TABLE_COLUMNS, lefts, strict=True):
        ax.text(left + 0.12, top - head_h / 2, name, color="white", fontweight="bold", fontsize=10.5,
                va="center_baseline")
    for i, (key, name, code, *cells) in enumerate(_QUANT_TABLE_ROWS):
        y_top = top - head_h - i * row_h
        y_mid = y_top - row_h / 2
        if i % 2:
            ax.add_patch(Rectangle((x0, y_top - row_h), total, row_h, fc=c["panel"], ec="none"))
        ax.add_patch(FancyBboxPatch((x0 + 0.12, y_mid - 0.17), 0.12, 0.34,
                                    boxstyle="round,pad=0,rounding_size=0.04", fc=c[key], ec="none"))
        ax.text(x0 + 0.36, y_mid + 0.11, name, fontweight="bold", fontsize=10.5, va="center")
        ax.text(x0 + 0.36, y_mid - 0.14, code, family="monospace", fontsize=8.5, va="center",
                color=c["muted"])
        for text, left in zip(cells, lefts[1:], strict=True):
            va = "center" if "\n" in text else "center_baseline"
            ax.text(left + 0.12, y_mid, text, fontsize=10, va=va, linespacing=1.2)
    bottom = top - head_h - len(_QUANT_TABLE_ROWS) * row_h
    ax.plot([x0, x0 + total], [bottom, bottom], color=c["line"], lw=1)
    _label(ax, x0, bottom - 0.3,
           "Size factors are those quoted by the TensorFlow Lite documentation (weights dominate the file). "
           "The notebooks measure size,\naccuracy and latency for our own model; calibration data = "
           "unlabelled training inputs that set the activation ranges.",
           va="top", fontsize=9.5)
    return fig


# --------------------------------------------------------------------------------------------------
# 2. The affine int8 mapping.


def affine_int8_params(r_min: float, r_max: float) -> tuple[float, int]:
    """``(scale, zero_point)`` mapping the real range [r_min, r_max] onto int8 [-128, 127].

    The range is widened to contain 0 so that real 0 is exactly representable (padding, ReLU).
    """
    r_min, r_max = min(r_min, 0.0), max(r_max, 0.0)
    if r_max <= r_min:
        raise ValueError(f"Empty range [{r_min}, {r_max}]: pass r_min < r_max.")
    scale = (r_max - r_min) / 255.0
    zero_point = int(np.clip(round(-128 - r_min / scale), -128, 127))
    return scale, zero_point


@_styled
def affine_int8_mapping_figure(r_min: float = -1.0, r_max: float = 3.0, example: float = 1.7) -> Figure:
    """How a real range [r_min, r_max] maps onto int8: scale, zero point, and one value being rounded."""
    scale, zp = affine_int8_params(r_min, r_max)
    if not r_min <= example <= r_max:
        raise ValueError(f"example must lie in [r_min, r_max] = [{r_min}, {r_max}], got {example}.")
    q_ex = int(np.clip(round(example / scale) + zp, -128, 127))
    back = scale * (q_ex - zp)
    c = PALETTE
    fig, ax = _canvas(12, 7.5)
    _title(ax, 0.3, 7.05, "Affine int8 quantization:  real ≈ scale · (q − zero_point)",
           f"A tensor whose values lie in [min, max] = [{_num(r_min)}, {_num(r_max)}] is stored as int8 "
           "codes q plus two numbers: scale and zero_point.")

    # Two number lines: reals on top (wider: values outside [min, max] clamp), int8 codes below.
    real_lo, real_hi, rx0, rx1, y_real = r_min - 0.9, r_max + 0.9, 0.5, 8.1, 5.5
    qx0, qx1, y_q = 1.4, 7.2, 3.75

    def x_real(v: float) -> float:
        return rx0 + (v - real_lo) / (real_hi - real_lo) * (rx1 - rx0)

    def x_q(q: float) -> float:
        return qx0 + (q + 128) / 255 * (qx1 - qx0)

    ax.text(rx0, 6.25, "real value r  (float32)", fontsize=11, fontweight="bold", va="baseline")
    ax.plot([rx0, rx1], [y_real, y_real], color=c["ink"], lw=1.4)
    ax.add_patch(Rectangle((x_real(r_min), y_real - 0.07), x_real(r_max) - x_real(r_min), 0.14,
                           fc=_tint(c["qat"], 0.6), ec="none"))
    for lo, hi in ((real_lo, r_min), (r_max, real_hi)):
        ax.add_patch(Rectangle((x_real(lo), y_real - 0.07), x_real(hi) - x_real(lo), 0.14,
                               fc="none", ec=c["line"], hatch="////", lw=0))
    for v in np.arange(np.ceil(real_lo), np.floor(real_hi) + 1):
        ax.plot([x_real(v)] * 2, [y_real - 0.12, y_real + 0.12], color=c["ink"], lw=1)
        ax.text(x_real(v), y_real + 0.2, _num(v), ha="center", va="bottom", fontsize=10, color=c["muted"])
    for v, text in ((real_lo + 0.45, "clamped\nto −128"), (real_hi - 0.45, "clamped\nto 127")):
        ax.text(x_real(v), y_real - 0.22, text, ha="center", va="top", fontsize=8.5, color=c["muted"])

    ax.plot([qx0, qx1], [y_q, y_q], color=c["ink"], lw=1.4)
    for q in range(-128, 128, 8):
        ax.plot([x_q(q)] * 2, [y_q - 0.05, y_q + 0.05], color=c["line"], lw=0.8)
    for q in sorted({-128, zp, 0, 127}):
        ax.plot([x_q(q)] * 2, [y_q - 0.12, y_q + 0.12], color=c["ink"], lw=1)
        ax.text(x_q(q), y_q - 0.2, _num(q), ha="center", va="top", fontsize=10,
                color=c["qat"] if q == zp else c["muted"], fontweight="bold" if q == zp else "normal")
    ax.text(x_q(zp), y_q - 0.52, "zero_point", ha="center", va="top", fontsize=10, color=c["qat"],
            fontweight="bold")
    ax.text(qx1, y_q - 0.52, "q  (int8 code: 256 levels)", ha="right", va="top", fontsize=11,
            fontweight="bold")

    # Mapping lines: the ends of the range and real 0, then the worked example.
    for v, q, name in ((r_min, -128, "min"), (0.0, zp, ""), (r_max, 127, "max")):
        ax.plot([x_real(v), x_q(q)], [y_real - 0.08, y_q + 0.08], color=c["qat"], lw=1.2, ls=(0, (4, 3)))
        if name:
            ax.text(x_real(v), y_real - 0.2, name, ha="center", va="top", fontsize=10, color=c["qat"],
                    fontweight="bold")
    ax.plot([x_real(example), x_q(q_ex)], [y_real, y_q], color=c["accent"], lw=2)
    ax.plot([x_real(example), x_q(q_ex)], [y_real, y_q], "o", color=c["accent"], ms=7, zorder=5)
    ax.text(x_real(example) - 0.1, y_real - 0.2, f"r = {example:g}", color=c["accent"], fontweight="bold",
            fontsize=10.5, va="top", ha="right")
    ax.text(x_q(q_ex) + 0.1, y_q + 0.12, f"q = {_num(q_ex)}", color=c["accent"], fontweight="bold",
            fontsize=10.5, va="bottom")

    # The recipe, with this example's numbers.
    px, top, bottom = 8.55, 6.45, 2.95
    ax.add_patch(FancyBboxPatch((px, bottom), 3.2, top - bottom, boxstyle="round,pad=0,rounding_size=0.12",
                                fc=c["panel"], ec=c["faint"], lw=1))
    steps = [
        ("From the range (calibration)", "head", c["ink"]),
        (f"scale = (max − min) / 255\n      = {scale:.5f}", "code", c["ink"]),
        (f"zero_point = round(−128 − min / scale)\n           = {_num(zp)}", "code", c["ink"]),
        ("Quantize r", "head", c["accent"]),
        (f"q = clamp(round(r / scale) + zero_point)\n"
         f"  = round({_num(example / scale, '.2f')}) + ({_num(zp)}) = {_num(q_ex)}", "code", c["ink"]),
        ("Dequantize q", "head", c["accent"]),
        (f"scale · (q − zero_point) = {back:.4f}\nerror {abs(back - example):.4f} ≤ scale / 2", "code",
         c["ink"]),
    ]
    y = top - 0.2
    for text, kind, color in steps:
        head = kind == "head"
        if head and y < top - 0.3:
            y -= 0.12  # a little air before each new heading
        ax.text(px + 0.18, y, text, fontsize=10.5 if head else 8.6, family=None if head else "monospace",
                fontweight="bold" if head else "normal", color=color, va="top", linespacing=1.35)
        y -= 0.32 if head else 0.2 * (text.count("\n") + 1) + 0.14

    # Zoom: the representable grid around the example.
    zy, zx0, zx1 = 1.15, 0.9, 8.0
    qs = np.arange(q_ex - 3, q_ex + 4)
    grid = scale * (qs - zp)
    lo, hi = grid[0] - scale * 0.6, grid[-1] + scale * 0.6

    def x_zoom(v: float) -> float:
        return zx0 + (v - lo) / (hi - lo) * (zx1 - zx0)

    ax.text(0.3, 2.3, "Zoom: only the 256 values scale · (q − zero_point) exist; r is rounded to the nearest",
            fontsize=10.5, fontweight="bold", va="baseline")
    ax.plot([zx0, zx1], [zy, zy], color=c["ink"], lw=1.2)
    for q, g in zip(qs, grid, strict=True):
        ax.plot([x_zoom(g)] * 2, [zy - 0.13, zy + 0.13], color=c["ink"], lw=1.2)
        ax.text(x_zoom(g), zy - 0.22, f"{g:.4f}", ha="center", va="top", fontsize=9, color=c["muted"])
        ax.text(x_zoom(g), zy + 0.2, f"q = {_num(q)}", ha="center", va="bottom", fontsize=8.5,
                color=c["accent"] if q == q_ex else c["muted"], fontweight="bold" if q == q_ex else "normal")
    ax.plot([x_zoom(example)], [zy], "o", color=c["accent"], ms=8, zorder=5)
    ax.annotate("", xy=(x_zoom(back), zy + 0.02), xytext=(x_zoom(example), zy + 0.02),
                arrowprops={"arrowstyle": "-|>", "color": c["accent"], "lw": 1.6, "shrinkA": 5, "shrinkB": 2})
    ax.text(x_zoom(example), zy + 0.52, f"r = {example:g}", ha="center", va="bottom", fontsize=9.5,
            color=c["accent"], fontweight="bold")
    ax.text(zx1 + 0.3, zy, f"grid step = scale\n= {scale:.5f}", fontsize=9.5, va="center", color=c["muted"])
    _label(ax, 0.3, 0.2,
           "TFLite's int8 scheme uses this asymmetric mapping for activations (one scale per tensor); "
           "weights are symmetric (zero_point = 0, range ±127), one scale per output channel.",
           fontsize=9, va="bottom")
    return fig


# --------------------------------------------------------------------------------------------------
# 3. Dense vs pruned layer.


def _toy_weights(shape: tuple[int, int], seed: int = 0, std: float = 0.6) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, std, size=shape)


def magnitude_prune(weights: np.ndarray, sparsity: float) -> np.ndarray:
    """A copy of ``weights`` with the ``sparsity`` fraction of smallest-|w| entries set to 0, like TFMOT."""
    if not 0.0 <= sparsity < 1.0:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity}.")
    flat = np.array(weights, dtype=float).ravel()
    flat[np.argsort(np.abs(flat), kind="stable")[: int(round(sparsity * flat.size))]] = 0.0
    return flat.reshape(np.shape(weights))


def _sign_color(w: float) -> str:
    return PALETTE["qat"] if w >= 0 else PALETTE["accent"]


def _draw_layer(ax: Axes, kernel: np.ndarray, removed: np.ndarray | None, vmax: float) -> None:
    """Inputs on the left, outputs on the right; line width ∝ |w|, colour = sign."""
    n_in, n_out = kernel.shape
    ys_in = np.linspace(0.92, 0.08, n_in)
    ys_out = np.linspace(0.8, 0.2, n_out)
    for i in range(n_in):
        for j in range(n_out):
            xy = ([0.15, 0.85], [ys_in[i], ys_out[j]])
            if removed is not None and removed[i, j]:
                ax.plot(*xy, color=PALETTE["faint"], lw=1, ls=(0, (2, 2)), zorder=1)
            else:
                w = kernel[i, j]
                ax.plot(*xy, color=_sign_color(w), lw=0.6 + 4.5 * abs(w) / vmax, alpha=0.85,
                        solid_capstyle="round", zorder=2)
    for x, ys, side in ((0.15, ys_in, "in"), (0.85, ys_out, "out")):
        ax.scatter([x] * len(ys), ys, s=190, c="white", edgecolors=PALETTE["float"], linewidths=1.6, zorder=3)
        for k, y in enumerate(ys):
            left = side == "in"
            ax.text(x - 0.06 if left else x + 0.06, y, f"{side}{k}", ha="right" if left else "left",
                    va="center", fontsize=9, color=PALETTE["muted"])
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")


def _draw_kernel(ax: Axes, kernel: np.ndarray, zeros: np.ndarray | None, vmax: float) -> None:
    """The kernel as a heatmap with its values written in; pruned zeros in grey."""
    shown = np.ma.masked_array(kernel, mask=zeros if zeros is not None else False)
    cmap = WEIGHT_CMAP.with_extremes(bad="#e4e7eb")
    ax.imshow(shown, cmap=cmap, vmin=-vmax, vmax=vmax, aspect="equal")
    n_in, n_out = kernel.shape
    for i in range(n_in):
        for j in range(n_out):
            if zeros is not None and zeros[i, j]:
                ax.text(j, i, "0", ha="center", va="center", fontsize=10, color=PALETTE["muted"])
                continue
            w = kernel[i, j]
            r, g, b, _ = cmap(0.5 + 0.5 * w / vmax)
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.55
            ax.text(j, i, _num(w, "+.2f"), ha="center", va="center", fontsize=9,
                    color="white" if dark else PALETTE["ink"])
    ax.set_xticks(range(n_out), [f"out{j}" for j in range(n_out)], fontsize=9)
    ax.set_yticks(range(n_in), [f"in{i}" for i in range(n_in)], fontsize=9)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xticks(np.arange(-0.5, n_out), minor=True)
    ax.set_yticks(np.arange(-0.5, n_in), minor=True)
    ax.grid(which="minor", color="white", lw=2)
    ax.tick_params(which="minor", length=0)


@_styled
def dense_vs_pruned_figure(sparsity: float = 0.5, shape: tuple[int, int] = (6, 4)) -> Figure:
    """A dense layer and the same layer after magnitude pruning, as connections and as a kernel matrix."""
    kernel = _toy_weights(shape)
    pruned = magnitude_prune(kernel, sparsity)
    zeros = (pruned == 0) & (kernel != 0)
    vmax = float(np.abs(kernel).max())
    fig = Figure(figsize=(11, 8.6))
    grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=0.85, bottom=0.13, height_ratios=(1, 1.2),
                            hspace=0.2, wspace=0.18)
    fig.text(0.03, 0.955, "Magnitude pruning", fontsize=17, fontweight="bold", va="baseline")
    fig.text(0.03, 0.915,
             f"The {sparsity:.0%} of weights with the smallest |w| are set to zero; "
             "the layer keeps its shape.",
             fontsize=10.5, color=PALETTE["muted"], va="baseline")
    n = kernel.size
    panels = (
        (kernel, None, f"Dense layer: {n} connections",
         f"kernel {shape[0]}×{shape[1]} (a Dense kernel is inputs × outputs)"),
        (pruned, zeros, f"After pruning: {n - int(zeros.sum())} of {n} connections left",
         f"same kernel with {int(zeros.sum())} zeros ({zeros.mean():.0%} sparsity)"),
    )
    for col, (k, mask, title, kernel_title) in enumerate(panels):
        ax = fig.add_subplot(grid[0, col])
        _draw_layer(ax, k, mask, vmax)
        ax.set_title(title, loc="left", pad=4)
        kax = fig.add_subplot(grid[1, col])
        _draw_kernel(kax, k, mask, vmax)
        kax.set_title(kernel_title, loc="center", fontsize=10.5, pad=8)
    fig.text(0.03, 0.03,
             "Line width ∝ |w|; blue positive, red negative; dotted grey lines are removed connections. "
             "The .tflite file still stores the zeros,\nbut zeros compress very well: the gain shows up in "
             "the zipped size. TFMOT prunes gradually during fine-tuning so accuracy can recover.",
             fontsize=9.5, color=PALETTE["muted"], va="bottom")
    return fig


# --------------------------------------------------------------------------------------------------
# 4. Weight clustering: k-means on a weight matrix (static figure and animation).


def kmeans_1d(values: np.ndarray, k: int, iterations: int = 20) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lloyd's k-means on scalars from linearly spaced centroids; the (centroids, labels) of every step.

    Linear initialization (evenly between min and max) is one of TFMOT's centroid initializations.
    """
    if k < 1 or k > values.size:
        raise ValueError(f"k must be between 1 and the number of values ({values.size}), got {k}.")
    flat = values.ravel()
    centroids = np.linspace(flat.min(), flat.max(), k)
    history = []
    for _ in range(iterations):
        labels = np.argmin(np.abs(flat[:, None] - centroids[None, :]), axis=1)
        history.append((centroids.copy(), labels))
        updated = np.array([flat[labels == j].mean() if np.any(labels == j) else centroids[j]
                            for j in range(k)])
        if np.allclose(updated, centroids, rtol=0, atol=1e-9):
            break
        centroids = updated
    return history


def _cluster_data(k: int = 4, shape: tuple[int, int] = (12, 12)) -> tuple[np.ndarray, list]:
    weights = _toy_weights(shape, std=0.5)
    return weights, kmeans_1d(weights, k)


@_styled
def clustering_figure(k: int = 4) -> Figure:
    """Weights before and after clustering: the matrices and their histograms with the centroids."""
    weights, history = _cluster_data(k)
    centroids, labels = history[-1]
    clustered = centroids[labels].reshape(weights.shape)
    vmax = float(np.abs(weights).max())
    c = PALETTE
    fig = Figure(figsize=(11, 8.6))
    grid = fig.add_gridspec(2, 2, left=0.07, right=0.97, top=0.86, bottom=0.15, height_ratios=(1.15, 1),
                            hspace=0.36, wspace=0.22)
    fig.text(0.03, 0.955, "Weight clustering", fontsize=17, fontweight="bold", va="baseline")
    fig.text(0.03, 0.915,
             f"k-means groups the {weights.size} weights into k = {k} clusters; each weight is replaced by "
             "its cluster's centroid.", fontsize=10.5, color=c["muted"], va="baseline")
    for col, (matrix, title) in enumerate(((weights, f"Before: {np.unique(weights).size} distinct values"),
                                           (clustered, f"After: {k} distinct values"))):
        ax = fig.add_subplot(grid[0, col])
        ax.imshow(matrix, cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax)
        ax.set_title(title, pad=6)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
    bins = np.linspace(-vmax, vmax, 41)
    ax = fig.add_subplot(grid[1, 0])
    for j in range(k):
        part = weights.ravel()[labels == j]
        ax.hist(part, bins=bins, color=CLUSTER_COLORS[j % len(CLUSTER_COLORS)], alpha=0.9, ec="white",
                lw=0.6)
    ymax = ax.get_ylim()[1] * 1.15
    for j, cen in enumerate(centroids):
        ax.axvline(cen, color=c["ink"], lw=1.2, ls=(0, (4, 3)))
        ax.text(cen, ymax, f"c{j}", ha="center", va="bottom", fontsize=9.5, fontweight="bold")
    ax.set_ylim(0, ymax)
    ax.set_title("Histogram before (colour = cluster, dashed = centroid)", fontsize=11, pad=20)
    ax.set_xlabel("weight value")
    ax.set_ylabel("count")
    ax2 = fig.add_subplot(grid[1, 1], sharex=ax)
    counts = np.bincount(labels, minlength=k)
    for j, (cen, cnt) in enumerate(zip(centroids, counts, strict=True)):
        ax2.bar(cen, cnt, width=(bins[1] - bins[0]) * 1.2, color=CLUSTER_COLORS[j % len(CLUSTER_COLORS)])
        ax2.text(cen, cnt, f"{cnt}×\n{_num(cen, '+.2f')}", ha="center", va="bottom", fontsize=9.5)
    ax2.set_ylim(0, counts.max() * 1.3)
    ax2.set_title("Histogram after: every weight sits on a centroid", fontsize=11, pad=20)
    ax2.set_xlabel("weight value")
    bits = int(np.ceil(np.log2(k))) if k > 1 else 1
    fig.text(0.03, 0.025,
             f"Storage idea: a {bits}-bit cluster index per weight plus a table of {k} centroids. "
             "The .tflite file still stores float32 weights, but only\n"
             f"{k} distinct values per layer compress very well (zipped size). TFMOT then fine-tunes the "
             "centroids during training.",
             fontsize=9.5, color=c["muted"], va="bottom")
    return fig


def _ease(t: float) -> float:
    return 0.5 - 0.5 * np.cos(np.pi * t)


def _to_palette(frame: PILImage.Image, entries: np.ndarray) -> PILImage.Image:
    """``frame`` as a palette image, each pixel mapped to its exactly nearest palette colour."""
    rgb = np.asarray(frame, dtype=np.int64).reshape(-1, 3)
    keys, inverse = np.unique((rgb[:, 0] << 16) | (rgb[:, 1] << 8) | rgb[:, 2], return_inverse=True)
    colors = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1)  # a few thousand at most
    nearest = ((colors[:, None, :] - entries[None, :, :]) ** 2).sum(axis=2).argmin(axis=1).astype(np.uint8)
    image = PILImage.frombytes("P", frame.size, nearest[inverse.ravel()].tobytes())
    image.putpalette(entries.astype(np.uint8).ravel().tolist())
    return image


def clustering_animation(path: Path, k: int = 4) -> Path:
    """Write an animated GIF of weights collapsing onto ``k`` centroids (k-means steps, then the snap)."""
    path = Path(path)
    with mpl.rc_context(_STYLE):
        _write_clustering_gif(path, k)
    return path


def _write_clustering_gif(path: Path, k: int) -> None:
    weights, history = _cluster_data(k)
    flat = weights.ravel()
    final_centroids, final_labels = history[-1]
    vmax = float(np.abs(flat).max())
    jitter = np.random.default_rng(1).uniform(-0.32, 0.32, flat.size)
    c = PALETTE
    gray = to_rgb(c["line"])
    cluster_rgb = np.array([to_rgb(CLUSTER_COLORS[j % len(CLUSTER_COLORS)]) for j in range(k)])

    fig = Figure(figsize=(8.4, 4.0))
    fig.text(0.03, 0.91, "Weight clustering", fontsize=15, fontweight="bold", va="baseline")
    caption = fig.text(0.03, 0.83, "", fontsize=10.5, color=c["muted"], va="baseline")
    mat_ax = fig.add_axes((0.035, 0.1, 0.3, 0.63))
    image = mat_ax.imshow(weights, cmap=WEIGHT_CMAP, vmin=-vmax, vmax=vmax)
    mat_ax.set_xticks([])
    mat_ax.set_yticks([])
    for spine in mat_ax.spines.values():
        spine.set_visible(False)
    counter = mat_ax.set_title("", fontsize=10, loc="center", fontweight="normal", color=c["muted"])
    matrix_name = f"{weights.shape[0]}×{weights.shape[1]} weights"
    ax = fig.add_axes((0.4, 0.17, 0.57, 0.56))
    ax.set_xlim(-vmax * 1.05, vmax * 1.05)
    ax.set_ylim(-0.45, 0.45)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("weight value", fontsize=10)
    ax.tick_params(labelsize=9)
    dots = ax.scatter(flat, jitter, s=22, c=[gray], edgecolors="white", linewidths=0.4, zorder=3)
    lines = [ax.axvline(0, color=c["ink"], lw=1.3, ls=(0, (4, 3)), visible=False, zorder=2) for _ in range(k)]
    names = [ax.text(0, 0.48, f"c{j}", ha="center", va="bottom", fontsize=9.5, fontweight="bold",
                     visible=False) for j in range(k)]

    def show(
        positions: np.ndarray, colors: np.ndarray, centroids: np.ndarray | None, text: str, count: str
    ) -> None:
        dots.set_offsets(np.column_stack([positions, jitter]))
        dots.set_facecolors(colors)
        image.set_data(positions.reshape(weights.shape))
        for j in range(k):
            lines[j].set_visible(centroids is not None)
            names[j].set_visible(centroids is not None)
            if centroids is not None:
                lines[j].set_xdata([centroids[j], centroids[j]])
                names[j].set_x(centroids[j])
        caption.set_text(text)
        counter.set_text(f"{matrix_name}: {count}")

    # (positions, colours, centroids, caption, counter, how long the frame stays on screen in ms)
    n_distinct = f"{np.unique(flat).size} distinct values"
    start = f"{flat.size} float32 weights, all different"
    frames = [(flat, np.tile(gray, (flat.size, 1)), None, start, n_distinct, 1500)]
    steps = sorted({int(round(i)) for i in np.linspace(0, len(history) - 1, min(6, len(history)))})
    for step in steps:
        centroids, labels = history[step]
        text = (f"k-means step {step}: each weight joins its nearest centroid, "
                "each centroid moves to its cluster's mean")
        frames.append((flat, cluster_rgb[labels], centroids, text, n_distinct, 1200 if step == 0 else 700))
    snapped = final_centroids[final_labels]
    for t in np.linspace(0, 1, 11)[1:-1]:
        frames.append((flat + _ease(t) * (snapped - flat), cluster_rgb[final_labels], final_centroids,
                       "Replace every weight by its centroid", n_distinct, 120))
    bits = int(np.ceil(np.log2(k))) if k > 1 else 1
    done = f"{k} shared values: store a {bits}-bit index per weight + {k} centroids"
    frames.append((snapped, cluster_rgb[final_labels], final_centroids, done, f"{k} distinct values", 3000))

    # Pillow directly rather than animation.PillowWriter: per-frame durations let a pause cost one
    # rendered frame instead of many identical ones (PillowWriter has a single fps).
    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(GIF_DPI)
    images, durations = [], []
    for *state, duration_ms in frames:
        show(*state)
        canvas.draw()
        images.append(PILImage.fromarray(np.asarray(canvas.buffer_rgba())).convert("RGB"))
        durations.append(duration_ms)
    # One shared palette (from the first, a middle and the last frame): no colour flicker between frames,
    # and much faster than Pillow quantizing every frame on its own.
    sample = PILImage.new("RGB", (images[0].width, images[0].height * 3))
    for i, frame in enumerate((images[0], images[len(images) // 2], images[-1])):
        sample.paste(frame, (0, i * frame.height))
    entries = np.array(sample.quantize(colors=256, method=PILImage.Quantize.MEDIANCUT).getpalette())
    entries = entries.reshape(-1, 3)
    entries[np.argmin(((255 - entries) ** 2).sum(axis=1))] = 255  # median cut averages white to off-white
    indexed = [_to_palette(frame, entries) for frame in images]
    with _replacing(path) as tmp:
        indexed[0].save(tmp, format="GIF", save_all=True, append_images=indexed[1:], duration=durations, loop=0)


# --------------------------------------------------------------------------------------------------
# 5. Collaborative optimization: the deployment paths.


def _tags(ax: Axes, x: float, y: float, parts: Sequence[tuple[str, str]], size: float = 8.5) -> None:
    """One centred line of differently coloured words (laid out by matplotlib, so nothing overlaps)."""
    from matplotlib.offsetbox import AnnotationBbox, HPacker, TextArea

    areas = [TextArea(text, textprops={"color": color, "fontsize": size, "fontweight": "bold"})
             for text, color in parts]
    packed = HPacker(children=areas, align="baseline", pad=0, sep=0)
    ax.add_artist(AnnotationBbox(packed, (x, y), frameon=False, box_alignment=(0.5, 0.5), pad=0, zorder=5))


@_styled
def collaborative_optimization_figure() -> Figure:
    """TFMOT's collaborative optimization paths: prune / cluster / QAT and the structure-preserving QATs."""
    c = PALETTE
    fig, ax = _canvas(13, 7.0, y0=0.1)
    _title(ax, 0.3, 6.75, "Collaborative optimization: stacking techniques without undoing them",
           "Plain QAT after pruning or clustering would destroy the zeros and shared values; "
           "the preserving variants keep them.")
    xs = {"base": 1.2, "s1": 3.7, "s2": 6.3, "s3": 9.05, "out": 11.85}
    w, h, qh = 2.1, 0.82, 0.96
    y_qat, y_pqat, y_pcqat, y_cqat = 5.05, 3.92, 2.79, 1.66
    y_prune = (y_pqat + y_pcqat) / 2
    heads = (("base", "trained model"), ("s1", "compress the weights"), ("s2", "…keeping the zeros"),
             ("s3", "quantization-aware training"), ("out", "deploy"))
    for key, text in heads:
        ax.text(xs[key], 5.85, text.upper(), ha="center", va="center", fontsize=8.5, color=c["muted"],
                fontweight="bold")
    _box(ax, xs["base"], y_prune, 1.9, h, "Baseline", c["float"], "float32 Keras", mono_sub=False)
    _box(ax, xs["s1"], y_prune, w, h, "Prune", c["prune"], "recipes.prune")
    _box(ax, xs["s1"], y_cqat, w, h, "Cluster", c["cluster"], "recipes.cluster")
    _box(ax, xs["s2"], y_pcqat, w, h, "Sparsity-preserving\nclustering", c["cluster"], title_size=10.5)
    zeros, clusters, muted = ("zeros", c["prune"]), ("clusters", c["cluster"]), c["muted"]
    variants = (
        (y_qat, "QAT", "recipes.qat", [("simulates int8 rounding", muted)]),
        (y_pqat, "PQAT", "recipes.pqat", [("keeps ", muted), zeros]),
        (y_pcqat, "PCQAT", "recipes.pcqat", [("keeps ", muted), zeros, (" + ", muted), clusters]),
        (y_cqat, "CQAT", "recipes.cqat", [("keeps ", muted), clusters]),
    )
    for y, title, code, tags in variants:
        _box(ax, xs["s3"], y, w, qh, title, c["qat"], code, text_dy=0.1)
        _tags(ax, xs["s3"], y - 0.3, tags)
    _box(ax, xs["out"], y_prune, 1.9, 1.3, "int8 TFLite", c["full_integer"], 'mode="full_integer"',
         sub_size=8.5)

    ink = c["ink"]
    base_r = xs["base"] + 0.95
    bus0 = base_r + 0.28
    left3 = xs["s3"] - w / 2
    _route(ax, [(base_r, y_prune), (xs["s1"] - w / 2, y_prune)], ink)
    _route(ax, [(base_r, y_prune), (bus0, y_prune), (bus0, y_qat), (left3, y_qat)], ink)
    _route(ax, [(base_r, y_prune), (bus0, y_prune), (bus0, y_cqat), (xs["s1"] - w / 2, y_cqat)], ink)
    prune_r = xs["s1"] + w / 2
    bus1 = prune_r + 0.2
    _route(ax, [(prune_r, y_prune), (bus1, y_prune), (bus1, y_pqat), (left3, y_pqat)], c["prune"])
    _route(ax, [(prune_r, y_prune), (bus1, y_prune), (bus1, y_pcqat), (xs["s2"] - w / 2, y_pcqat)],
           c["prune"])
    _route(ax, [(xs["s2"] + w / 2, y_pcqat), (left3, y_pcqat)], c["cluster"])
    _route(ax, [(xs["s1"] + w / 2, y_cqat), (left3, y_cqat)], c["cluster"])
    bus3 = xs["s3"] + w / 2 + 0.35
    out_l = xs["out"] - 0.95
    for y in (y_qat, y_pqat, y_pcqat, y_cqat):
        y_end = float(np.clip(y, y_prune - 0.45, y_prune + 0.45))
        _route(ax, [(xs["s3"] + w / 2, y), (bus3, y), (bus3, y_end), (out_l, y_end)], c["qat"])
    ax.text(xs["out"], y_prune - 0.9, "~4x smaller than float32,\nplus zipped-size gains\n"
            "from zeros and clusters", ha="center", va="top", fontsize=9, color=c["muted"])

    _label(ax, 0.3, 0.25,
           "Every intermediate model can also be converted with post-training quantization alone. "
           "Each workshop recipe runs one whole path\nfrom the trained baseline, so every row of the "
           "comparison table is one recipe call followed by one conversion.",
           fontsize=9.5, va="bottom")
    return fig


# --------------------------------------------------------------------------------------------------
# Saving, the manifest, display and the command line.

PNG_FIGURES: dict[str, Callable[[], Figure]] = {
    "quantization_methods.png": quantization_methods_figure,
    "affine_int8_mapping.png": affine_int8_mapping_figure,
    "dense_vs_pruned.png": dense_vs_pruned_figure,
    "clustering.png": clustering_figure,
    "collaborative_optimization.png": collaborative_optimization_figure,
}
GIF_FIGURES: dict[str, Callable[[Path], Path]] = {"clustering.gif": clustering_animation}
FIGURE_NAMES = (*PNG_FIGURES, *GIF_FIGURES)


@contextlib.contextmanager
def _replacing(path: Path) -> Iterator[Path]:
    """A temporary file beside ``path`` that replaces it atomically once written (readable by all)."""
    with atomic_path(path, suffix=path.suffix) as tmp:
        yield tmp
        os.chmod(tmp, 0o644)  # mkstemp creates 0600 files; these are repository files


def save_png(fig: Figure, path: Path, dpi: int = DPI) -> Path:
    """Save ``fig`` as a reproducible PNG (no software/date stamps), atomically."""
    path = Path(path)
    with mpl.rc_context(_STYLE), _replacing(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, metadata={"Software": None})
    return path


def rendering_stack() -> dict[str, str]:
    """Versions of the libraries that decide the bytes of the images (fonts are rasterized by FreeType)."""
    import PIL
    from matplotlib import ft2font

    return {
        "matplotlib": mpl.__version__,
        "freetype": ft2font.__freetype_version__,
        "pillow": PIL.__version__,
    }


def generate_all(out_dir: Path | str = IMAGES_DIR) -> list[Path]:
    """Render every figure into ``out_dir`` (default: the repo's images/); returns the files written.

    Also writes ``figures.json``: the library versions used and a SHA-256 per image, so a test can tell a
    stale committed image from one rendered by a different matplotlib/FreeType.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in PNG_FIGURES.items():
        written.append(save_png(build(), out / name))
    for name, write in GIF_FIGURES.items():
        written.append(write(out / name))
    manifest = {
        "generator": f"workshop_utils.teaching.figures ({REGENERATE_HINT})",
        "rendering_stack": rendering_stack(),
        "sha256": {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in written},
    }
    with _replacing(out / MANIFEST_NAME) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return [*written, out / MANIFEST_NAME]


def show_figure(name: str | os.PathLike[str], width: int | None = None) -> Image | HTML:
    """Display ``images/<name>`` (or an image file given as a ``pathlib.Path``) in a notebook.

    Works on Colab, unlike relative markdown image links. A PNG becomes an ``IPython.display.Image``; a GIF
    animation becomes HTML with the GIF embedded (``<img src="data:image/gif;base64,...">``), the one form that
    JupyterLab, Colab and a notebook rendered to static HTML by nbconvert all show (nbconvert drops ``image/gif``).
    """
    from IPython.display import Image

    if isinstance(name, os.PathLike):
        path = Path(name)
        if not path.is_file():
            raise FileNotFoundError(f"No image file {path}: pass the path of an existing PNG or GIF.")
    else:
        if not name or Path(name).name != name:
            raise ValueError(f"Pass a file name from images/, such as 'dense_vs_pruned.png' (or a pathlib.Path to "
                             f"your own image), not {name!r}.")
        path = IMAGES_DIR / name
        if not path.is_file():
            known = ", ".join(FIGURE_NAMES)
            raise FileNotFoundError(
                f"No figure {path}. Generate the workshop figures with `{REGENERATE_HINT}` "
                f"(figures: {known})."
            )
    if path.suffix.lower() == ".gif":
        return gif_html(path, width=width)
    return Image(filename=str(path), width=width)


def gif_html(path: Path | str, width: int | None = None) -> HTML:
    """An animated GIF as an HTML ``<img>`` with the file embedded (base64), so every renderer animates it."""
    import base64
    import html

    from IPython.display import HTML

    path = Path(path)
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    size = f' width="{int(width)}"' if width is not None else ""
    return HTML(f'<img src="data:image/gif;base64,{data}" alt="{html.escape(path.name)}"{size}>')


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the workshop figures; ``argv`` holds options only (None = defaults, not sys.argv).

    ``python -m workshop_utils figures`` calls ``main()``; ``python -m workshop_utils.teaching.figures --out-dir DIR``
    passes its own arguments.
    """
    parser = argparse.ArgumentParser(prog=REGENERATE_HINT, description="Regenerate the workshop figures.")
    parser.add_argument("--out-dir", type=Path, default=IMAGES_DIR,
                        help=f"folder to write into (default: {IMAGES_DIR})")
    args = parser.parse_args(list(argv or []))
    for path in generate_all(args.out_dir):
        print(f"{path}  ({path.stat().st_size / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
