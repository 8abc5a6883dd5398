"""The baseline CNN: build it, train it once, cache it so every notebook can start on its own."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import cache
from ..core.env import set_seeds
from ..data.datasets import Dataset
from .keras_tools import LEARNING_RATE, compile_classifier, keras_accuracy

# The baseline trains in seconds, so fast mode keeps all 6 epochs: the techniques then start from the same
# well-trained model in both modes (an under-trained baseline loses more accuracy when pruned).
BASELINE_EPOCHS = 6


BASELINE_BATCH_SIZE = 64


def build_baseline(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10, seed: int = 0):
    """Conv32-Pool-Conv64-Pool-Flatten-Dropout-Dense128-Dense(num_classes), a compiled tf_keras model.

    Images smaller than 16 pixels use 'same' padding so the two poolings still fit (8x8 works).
    """
    import tf_keras as keras

    if len(input_shape) != 3 or min(input_shape[:2]) < 8:
        raise ValueError(f"input_shape must be (H, W, C) with H, W >= 8; got {input_shape}.")
    set_seeds(seed)
    padding = "valid" if min(input_shape[:2]) >= 16 else "same"
    model = keras.Sequential(
        [
            keras.layers.InputLayer(input_shape=input_shape, name="image"),
            keras.layers.Conv2D(32, 3, padding=padding, activation="relu", name="conv1"),
            keras.layers.MaxPooling2D(name="pool1"),
            keras.layers.Conv2D(64, 3, padding=padding, activation="relu", name="conv2"),
            keras.layers.MaxPooling2D(name="pool2"),
            keras.layers.Flatten(name="flatten"),
            keras.layers.Dropout(0.25, name="dropout"),
            keras.layers.Dense(128, activation="relu", name="dense"),
            keras.layers.Dense(num_classes, name="logits"),
        ],
        name="baseline_cnn",
    )
    compile_classifier(model)
    return model


@dataclass(frozen=True)
class BaselineInfo:
    """What was recorded when the baseline was trained."""

    path: Path
    accuracy: float
    train_seconds: float
    epochs: int
    from_cache: bool


def _baseline_key(dataset: Dataset, epochs: int, batch_size: int, seed: int) -> tuple[str, dict[str, Any]]:
    import tensorflow as tf

    architecture = build_baseline(dataset.input_shape, dataset.num_classes, seed=seed).to_json()
    parts = {
        "dataset": dataset.name,
        "source": dataset.source,
        "data": dataset.fingerprint,
        "architecture": architecture,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "learning_rate": LEARNING_RATE,
        "tensorflow": tf.__version__,
    }
    return cache.cache_key(parts), parts


def _load_cached(model_path: Path, meta_path: Path, key: str, dataset: Dataset):
    """The cached model, or None (with a printed reason) when it is missing, stale or corrupt."""
    import tf_keras

    if not model_path.exists() and not meta_path.exists():
        return None, None
    meta = cache.read_json(meta_path)
    problem = None
    if meta is None:
        problem = "its metadata is missing or unreadable"
    elif meta.get("key") != key:
        problem = "it was trained with other settings (stale)"
    else:
        try:
            model = tf_keras.models.load_model(model_path)
        except Exception as error:  # noqa: BLE001 - any load failure means a corrupt cache file
            problem = f"the file is corrupt ({type(error).__name__})"
        else:
            if tuple(model.input_shape[1:]) != dataset.input_shape:
                problem = "its input shape does not match the dataset"
            else:
                return model, meta
    print(f"Cached baseline at {model_path} is unusable: {problem}. Retraining.")
    for path in (model_path, meta_path):
        path.unlink(missing_ok=True)
    return None, None


def get_baseline(
    dataset: Dataset,
    epochs: int | None = None,
    batch_size: int = BASELINE_BATCH_SIZE,
    seed: int = 0,
    retrain: bool = False,
    verbose: int = 0,
    return_info: bool = False,
):
    """The trained baseline for ``dataset``: loaded from the cache, or trained (fixed seed) and cached.

    The cache key covers dataset, source, data hash, architecture and training settings, so a change
    in any of them trains a fresh model. Writes are atomic and guarded by a lock file, so two notebooks
    running at once train it only once. ``epochs`` defaults to 6, in fast mode too.
    """
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"get_baseline needs a wu.Dataset; got {type(dataset).__name__}. Fix: wu.load_dataset('mnist')."
        )
    epochs = BASELINE_EPOCHS if epochs is None else epochs
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    key, _ = _baseline_key(dataset, epochs, batch_size, seed)
    folder = cache.cache_dir() / "baselines"
    model_path, meta_path = folder / f"baseline-{key}.keras", folder / f"baseline-{key}.json"
    with cache.lock(model_path):
        model, meta = (None, None) if retrain else _load_cached(model_path, meta_path, key, dataset)
        from_cache = model is not None
        if model is None:
            model = build_baseline(dataset.input_shape, dataset.num_classes, seed=seed)
            start = time.perf_counter()
            model.fit(dataset.x_train, dataset.y_train, epochs=epochs, batch_size=batch_size,
                      shuffle=True, verbose=verbose)
            seconds = time.perf_counter() - start
            meta = {"key": key, "accuracy": keras_accuracy(model, dataset.x_test, dataset.y_test),
                    "train_seconds": seconds, "epochs": epochs}
            with cache.atomic_path(model_path) as tmp:
                model.save(tmp)
            cache.write_json_atomic(meta_path, meta)
    info = BaselineInfo(model_path, float(meta["accuracy"]), float(meta["train_seconds"]), epochs, from_cache)
    origin = "loaded from cache" if from_cache else f"trained in {info.train_seconds:.1f} s"
    print(f"Baseline {origin}: test accuracy {info.accuracy:.2%} ({dataset.name}, {epochs} epochs)")
    return (model, info) if return_info else model
