"""Datasets: the public :class:`Dataset` container and :func:`load_dataset` with an offline fallback."""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..core.env import live_capped, offline_mode
from .arrays import as_images, as_labels, value_range

DATASETS = ("mnist", "fashion_mnist")
OFFLINE_SAMPLE = "mnist_5k.npz"
KERAS_DATA_HOST = ("storage.googleapis.com", 443)
_NETWORK_TIMEOUT_S = 3.0


def data_dir() -> Path:
    """Folder holding the bundled data (``WORKSHOP_DATA_DIR`` overrides the repository's ``data/``)."""
    override = os.environ.get("WORKSHOP_DATA_DIR")
    return Path(override) if override else Path(__file__).resolve().parents[2] / "data"


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/test image arrays plus where they came from.

    Build one from your own arrays: ``Dataset(x_train, y_train, x_test, y_test, name="mine")``.
    Images become float32 (N, H, W, C) with their values unchanged, in whatever range the model was trained on
    (``input_range`` records it; calibration uses the images as they are), with any channel count; labels
    become int64 class ids (one-hot rows are converted, and it says so).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    name: str = "custom"
    source: str = "user arrays"
    num_classes: int = 0  # 0 means: infer from the labels
    input_range: tuple[float, float] = field(default=(0.0, 1.0), init=False)  # (min, max) of all images
    _fingerprint: str = field(default="", init=False, repr=False)

    def __post_init__(self) -> None:
        x_train = as_images(self.x_train, "x_train")
        x_test = as_images(self.x_test, "x_test")
        if x_train.shape[1:] != x_test.shape[1:]:
            raise ValueError(
                f"x_train images are {x_train.shape[1:]} but x_test are {x_test.shape[1:]}. "
                "Fix: preprocess both splits the same way (same size and channels)."
            )
        if len(x_train) == 0 or len(x_test) == 0:
            raise ValueError("A Dataset needs at least one training and one test image.")
        y_train, train_width = as_labels(self.y_train, len(x_train), "y_train")
        y_test, test_width = as_labels(self.y_test, len(x_test), "y_test")
        widths = {w for w in (train_width, test_width) if w is not None}
        if len(widths) > 1:
            raise ValueError(f"y_train and y_test are one-hot with different widths {sorted(widths)}.")
        if widths:
            print(f"Labels are one-hot ({widths.pop()} columns): converted to integer class ids (argmax).")
        num_classes = self.num_classes or max(
            int(max(y_train.max(), y_test.max())) + 1, train_width or 0, test_width or 0)
        if min(y_train.min(), y_test.min()) < 0 or max(y_train.max(), y_test.max()) >= num_classes:
            raise ValueError(
                f"Labels must be class ids in [0, {num_classes - 1}]; got [{min(y_train.min(), y_test.min())}, "
                f"{max(y_train.max(), y_test.max())}]. Fix: number the classes 0..K-1 (np.unique(y, "
                "return_inverse=True)) or pass num_classes=K."
            )
        digest = hashlib.sha256()
        for array in (x_train, y_train, x_test, y_test):
            digest.update(np.ascontiguousarray(array).tobytes())
        for name, value in (
            ("x_train", x_train),
            ("y_train", y_train),
            ("x_test", x_test),
            ("y_test", y_test),
            ("num_classes", num_classes),
            ("input_range", value_range(x_train, x_test)),
            ("_fingerprint", digest.hexdigest()[:16]),
        ):
            object.__setattr__(self, name, value)

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def fingerprint(self) -> str:
        """A short hash of the arrays: cache keys change whenever the data does."""
        return self._fingerprint

    def subset(self, n_train: int | None = None, n_test: int | None = None, seed: int = 0) -> Dataset:
        """A stratified random subset (for fast mode or quick experiments)."""
        rng = np.random.default_rng(seed)

        def pick(y: np.ndarray, n: int | None) -> np.ndarray:
            if n is None or n >= len(y):
                return np.arange(len(y))
            # rank each image within its class (0 to 1, random order), then keep the n lowest ranks:
            # every class keeps its share of the subset
            order = rng.permutation(len(y))
            ranks = np.empty(len(y))
            for label in np.unique(y):
                members = order[y[order] == label]
                ranks[members] = np.arange(len(members)) / len(members)
            return np.sort(np.argsort(ranks, kind="stable")[:n])

        tr, te = pick(self.y_train, n_train), pick(self.y_test, n_test)
        return Dataset(
            self.x_train[tr], self.y_train[tr], self.x_test[te], self.y_test[te],
            name=self.name, source=f"{self.source} (subset {len(tr)}/{len(te)})",
            num_classes=self.num_classes,
        )

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, source={self.source!r}, train={self.x_train.shape}, "
            f"test={self.x_test.shape}, num_classes={self.num_classes}, "
            f"input_range=({self.input_range[0]:.3g}, {self.input_range[1]:.3g}))"
        )


def _network_reachable(host: tuple[str, int] = KERAS_DATA_HOST, timeout: float = _NETWORK_TIMEOUT_S) -> bool:
    try:
        with socket.create_connection(host, timeout=timeout):
            return True
    except OSError:
        return False


def _keras_cached(name: str) -> bool:
    cache = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras")) / "datasets"
    return (cache / f"{name}.npz").exists() or (cache / name).exists()


def _load_keras(name: str) -> Dataset:
    import tf_keras

    loader = getattr(tf_keras.datasets, name)
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(30.0)  # a stalled download fails instead of hanging the notebook
    try:
        (x_train, y_train), (x_test, y_test) = loader.load_data()
    finally:
        socket.setdefaulttimeout(previous)
    return Dataset(
        x_train.astype(np.float32) / 255.0, y_train, x_test.astype(np.float32) / 255.0, y_test,
        name=name, source="keras (full dataset)", num_classes=10,
    )


def load_offline_mnist(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """The bundled real MNIST sample: 5,000 digits (500 per class), split stratified 80/20."""
    path = data_dir() / OFFLINE_SAMPLE
    if not path.exists():
        raise FileNotFoundError(
            f"The offline MNIST sample {path} is missing. Fix: restore data/{OFFLINE_SAMPLE} from the "
            "repository (git checkout -- data) or set WORKSHOP_DATA_DIR to the folder holding it."
        )
    with np.load(path) as archive:
        x, y = archive["x"], archive["y"].astype(np.int64)
    rng = np.random.default_rng(seed)
    test_idx = np.concatenate([
        rng.permutation(np.flatnonzero(y == c))[: int(round(test_fraction * np.sum(y == c)))]
        for c in np.unique(y)
    ])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[test_idx] = True
    train_idx = rng.permutation(np.flatnonzero(~is_test))
    test_idx = rng.permutation(test_idx)
    images = x.astype(np.float32) / 255.0
    return Dataset(
        images[train_idx], y[train_idx], images[test_idx], y[test_idx],
        name="mnist", source="offline sample (5,000 real MNIST digits, data/mnist_5k.npz)", num_classes=10,
    )


@live_capped  # WORKSHOP_LIVE=1 caps the images at the offline sample's sizes (core/env.py)
def load_dataset(name: str = "mnist", offline: bool | None = None) -> Dataset:
    """Load ``"mnist"`` or ``"fashion_mnist"``.

    Uses the Keras loaders when the network (or Keras' own download cache) allows; otherwise "mnist"
    falls back to the bundled real sample and prints one line saying so. ``offline=True`` or the
    environment variable ``WORKSHOP_OFFLINE=1`` forces the offline path.
    """
    if name not in DATASETS:
        raise ValueError(f"Unknown dataset {name!r}. Choose one of {DATASETS}, or wrap your own arrays in wu.Dataset.")
    offline = offline_mode() if offline is None else offline
    if not offline and (_keras_cached(name) or _network_reachable()):
        try:
            return _load_keras(name)
        except Exception as error:  # noqa: BLE001 - any download failure means: use the fallback
            reason = f"download failed ({type(error).__name__})"
    else:
        reason = "offline mode" if offline else "no network"
    if name != "mnist":
        raise RuntimeError(
            f"{name!r} needs a download and {reason}. Fix: connect once so Keras caches it, "
            "or use load_dataset('mnist'), which has a bundled offline sample."
        )
    dataset = load_offline_mnist()
    print(f"Using the bundled offline MNIST sample ({reason}): "
          f"{len(dataset.x_train)} train / {len(dataset.x_test)} test images.")
    return dataset


NPZ_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_npz(path: str | Path, name: str | None = None) -> Dataset:
    """A Dataset from an ``.npz`` file with the arrays ``x_train, y_train, x_test, y_test``.

    Optional keys: ``name`` (a string) and ``num_classes``. Save one with
    ``np.savez("mine.npz", x_train=..., y_train=..., x_test=..., y_test=...)``, images preprocessed exactly
    as the model was trained on them.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise FileNotFoundError(f"No data file at {path}. Fix: check the path (relative to {Path.cwd()}).")
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"{path} is not a readable .npz file ({error}). Fix: write it with "
            "np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
        ) from error
    if not hasattr(archive, "files"):
        raise ValueError(
            f"{path} holds a single array, not an .npz archive. Fix: np.savez(path, x_train=..., y_train=..., "
            "x_test=..., y_test=...)."
        )
    with archive:
        missing = [key for key in NPZ_KEYS if key not in archive.files]
        if missing:
            raise ValueError(
                f"{path} lacks the array(s) {', '.join(missing)} (it has: {', '.join(archive.files) or 'nothing'}). "
                "Fix: np.savez(path, x_train=..., y_train=..., x_test=..., y_test=...)."
            )
        arrays = {key: archive[key] for key in NPZ_KEYS}
        stored_name = str(archive["name"]) if "name" in archive.files else None
        num_classes = int(archive["num_classes"]) if "num_classes" in archive.files else 0
    return Dataset(**arrays, name=name or stored_name or path.stem, source=f"file {path.name}",
                   num_classes=num_classes)
