"""Plots of the data itself: a grid of sample images with their labels."""

from __future__ import annotations

import numpy as np


def plot_image_grid(x: np.ndarray, y: np.ndarray, n: int = 24, columns: int = 8, predictions: np.ndarray | None = None):
    """The first ``n`` images with their labels (and predictions, wrong ones in red)."""
    import matplotlib.pyplot as plt

    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} images but y has {len(y)} labels.")
    n = min(n, len(x))
    if n < 1:
        raise ValueError("Nothing to plot: pass at least one image.")
    shown = np.asarray(x[:n], dtype=np.float32)
    if shown.ndim == 4 and shown.shape[-1] not in (1, 3):  # 2, 4, ... channels: show the first one
        shown = shown[..., :1]
    low, high = float(shown.min()), float(shown.max())
    if low < 0.0 or high > 1.0:  # any input range (e.g. [-1, 1], [0, 255]): stretch the grid to [0, 1]
        shown = (shown - low) / ((high - low) or 1.0)
    rows = int(np.ceil(n / columns))
    fig, axes = plt.subplots(rows, columns, figsize=(1.3 * columns, 1.45 * rows), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        image = shown[i]
        ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray_r", vmin=0, vmax=1)
        title, color = f"{y[i]}", "black"
        if predictions is not None:
            title = f"{y[i]} → {predictions[i]}"
            color = "black" if predictions[i] == y[i] else "crimson"
        ax.set_title(title, fontsize=9, color=color)
    fig.tight_layout()
    return fig
