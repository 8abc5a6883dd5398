"""Checks and conversions for the arrays a :class:`~workshop_utils.data.datasets.Dataset` holds.

Images may be in any range (the user's model decides what it was trained on) and have any channel count;
labels may be integer class ids or one-hot rows. Whatever cannot be used gets an error naming the fix.
"""

from __future__ import annotations

import numpy as np


def as_images(x: object, what: str) -> np.ndarray:
    """``x`` as float32 (N, H, W, C) images, values unchanged; (N, H, W) gets a channel axis."""
    x = np.asarray(x)
    if x.ndim == 3:  # (N, H, W) grayscale: add the channel axis Conv2D expects
        x = x[..., np.newaxis]
    if x.ndim != 4 or min(x.shape[1:], default=0) < 1:
        raise ValueError(
            f"{what} must be images of shape (N, H, W) or (N, H, W, C), channels last; got shape {x.shape}. "
            "Fix: reshape your images to (N, H, W, C), e.g. x.reshape(-1, 8, 8, 1), or move the channel axis "
            "last with np.moveaxis(x, 1, -1)."
        )
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise ValueError(f"{what} has dtype {x.dtype}; images must be numbers. Fix: x = x.astype('float32').")
    x = x.astype(np.float32, copy=False)
    if x.size and not np.all(np.isfinite(x)):
        bad = np.flatnonzero(~np.all(np.isfinite(x.reshape(len(x), -1)), axis=1))
        raise ValueError(
            f"{what} holds NaN or infinite values in {len(bad)} image(s) (the first at index {bad[0]}). Fix: clean "
            "or drop those images (e.g. x = np.nan_to_num(x)) before building the Dataset."
        )
    return x


def _one_hot_ids(y: np.ndarray, what: str) -> np.ndarray | None:
    """Class ids when ``y`` is (N, K) one-hot (each row one 1, zeros elsewhere), else None."""
    if y.ndim != 2 or y.shape[1] < 2 or not len(y):
        return None
    is_binary = np.all((y == 0) | (y == 1))
    if is_binary and np.all(y.sum(axis=1) == 1):
        return np.argmax(y, axis=1)
    raise ValueError(
        f"{what} has shape {y.shape} but its rows are not one-hot (one 1 per row, zeros elsewhere): soft or "
        "multi-label targets are not class labels. Fix: pass integer class ids, e.g. y = y.argmax(axis=1)."
    )


def as_labels(y: object, n: int, what: str) -> tuple[np.ndarray, int | None]:
    """(int64 class ids, the one-hot width or None): ids, (N, 1) columns and one-hot rows are accepted."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    width = None
    ids = _one_hot_ids(y, what)
    if ids is not None:
        width, y = y.shape[1], ids
    if y.ndim != 1:
        raise ValueError(
            f"{what} must be a 1-D array of {n} integer class ids (or {n} one-hot rows); got shape {y.shape}."
        )
    if len(y) != n:
        raise ValueError(
            f"{what} has {len(y)} labels but there are {n} images; every image needs one label. "
            "Fix: pass the labels that belong to these images (same length, same order)."
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise ValueError(
            f"{what} must hold integer class ids (or one-hot rows); got dtype {y.dtype}. "
            "Fix: y = y.astype(int), after checking the values are class numbers."
        )
    return y.astype(np.int64, copy=False), width


def value_range(*arrays: np.ndarray) -> tuple[float, float]:
    """(min, max) over all ``arrays``."""
    return (float(min(a.min() for a in arrays)), float(max(a.max() for a in arrays)))
