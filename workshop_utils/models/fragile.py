"""A small MobileNet-style model that full-integer PTQ with per-tensor weights really breaks.

Introduced in notebook 01 ("When PTQ loses accuracy"). After BatchNorm folding, the depthwise kernel of a
channel that barely varies is multiplied by gamma / sigma, a large factor when sigma is tiny: MobileNets end
up with depthwise kernels whose per-channel ranges differ by 100x or more (Krishnamoorthi 2018; Nagel et al.
2019). Training that takes minutes; here a depthwise block trains in seconds and the quietest channels are
then rescaled the way folding does it, keeping the float model's outputs unchanged (ReLU commutes with a
positive scale). One scale per tensor must then cover the outlier channels, and the other channels' weights
round to a few levels.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from ..core import cache
from ..core.env import set_seeds
from ..data.datasets import Dataset

FRAGILE_EPOCHS = 3
FRAGILE_LEARNING_RATE = 3e-3
RANGE_RATIO = 240.0  # outlier channel range / median channel range after rescaling
OUTLIER_CHANNELS = 2


def build_depthwise_cnn(input_shape: tuple[int, ...] = (28, 28, 1), num_classes: int = 10, seed: int = 0):
    """Conv16-Pool-Depthwise3x3-Pointwise32-Pool-Flatten-Dense: a compiled tf_keras model (logits)."""
    import tf_keras as keras

    if len(input_shape) != 3 or min(input_shape[:2]) < 16:
        raise ValueError(f"input_shape must be (H, W, C) with H, W >= 16; got {input_shape}.")
    set_seeds(seed)
    model = keras.Sequential([
        keras.layers.InputLayer(input_shape=input_shape, name="image"),
        keras.layers.Conv2D(16, 3, activation="relu", name="conv"),
        keras.layers.MaxPooling2D(name="pool1"),
        keras.layers.DepthwiseConv2D(3, activation="relu", name="depthwise"),
        keras.layers.Conv2D(32, 1, activation="relu", name="pointwise"),
        keras.layers.MaxPooling2D(name="pool2"),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(num_classes, name="logits"),
    ], name="depthwise_cnn")
    model.compile(keras.optimizers.Adam(FRAGILE_LEARNING_RATE),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    return model


def channel_ranges(model, layer: str = "depthwise") -> np.ndarray:
    """The largest |weight| of each output channel of ``layer``'s kernel (depthwise: one per input channel)."""
    import tf_keras

    target = model.get_layer(layer)
    kernel = np.abs(target.get_weights()[0])
    if isinstance(target, tf_keras.layers.DepthwiseConv2D):  # (kh, kw, channels, multiplier)
        return kernel.max(axis=(0, 1)).reshape(-1)
    return kernel.reshape(-1, kernel.shape[-1]).max(axis=0)


def spread_depthwise_ranges(model, images: np.ndarray, ratio: float = RANGE_RATIO,
                            channels: int = OUTLIER_CHANNELS) -> list[int]:
    """Rescale ``model`` in place as BatchNorm folding would: returns the outlier channels.

    The ``channels`` quietest outputs of ``conv`` (smallest standard deviation on ``images``) are divided
    by k and the depthwise kernel of those channels multiplied by k, so that their range becomes
    ``ratio`` x the median channel's. The float model computes the same function afterwards.
    """
    import tf_keras as keras

    if ratio <= 1 or channels < 1:
        raise ValueError(f"ratio must be > 1 and channels >= 1; got ratio={ratio}, channels={channels}.")
    features = keras.Model(model.input, model.get_layer("conv").output)(images).numpy()
    quietest = np.argsort(features.reshape(-1, features.shape[-1]).std(axis=0), kind="stable")[:channels]
    conv_kernel, conv_bias = model.get_layer("conv").get_weights()
    depthwise_kernel, depthwise_bias = model.get_layer("depthwise").get_weights()
    ranges = np.abs(depthwise_kernel).max(axis=(0, 1, 3))
    factors = ratio * np.median(ranges) / ranges[quietest]
    conv_kernel[..., quietest] /= factors
    conv_bias[quietest] /= factors
    depthwise_kernel[:, :, quietest, 0] *= factors
    model.get_layer("conv").set_weights([conv_kernel, conv_bias])
    model.get_layer("depthwise").set_weights([depthwise_kernel, depthwise_bias])
    return [int(c) for c in quietest]


def _key(dataset: Dataset, epochs: int, ratio: float, seed: int) -> str:
    import tensorflow as tf

    return cache.cache_key({
        "data": dataset.fingerprint, "name": dataset.name, "epochs": epochs, "ratio": ratio, "seed": seed,
        "channels": OUTLIER_CHANNELS, "learning_rate": FRAGILE_LEARNING_RATE, "tensorflow": tf.__version__,
        "architecture": build_depthwise_cnn(dataset.input_shape, dataset.num_classes, seed).to_json(),
    })


def get_fragile_model(dataset: Dataset, epochs: int = FRAGILE_EPOCHS, ratio: float = RANGE_RATIO,
                      seed: int = 0, verbose: int = 0) -> Any:
    """The trained, rescaled depthwise CNN for ``dataset``, cached on disk (trains in seconds otherwise)."""
    import tf_keras

    if not isinstance(dataset, Dataset):
        raise TypeError(f"get_fragile_model needs a wu.Dataset; got {type(dataset).__name__}. "
                        "Fix: wu.load_dataset('mnist').")
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1; got {epochs}.")
    key = _key(dataset, epochs, ratio, seed)
    path = cache.cache_dir() / "fragile" / f"depthwise_cnn-{key}.keras"
    with cache.lock(path):
        if path.exists():
            try:
                model = tf_keras.models.load_model(path)
                print(f"Depthwise model loaded from cache ({dataset.name}, {epochs} epochs)")
                return model
            except Exception:  # noqa: BLE001 - a corrupt cache file: train again
                path.unlink(missing_ok=True)
        model = build_depthwise_cnn(dataset.input_shape, dataset.num_classes, seed)
        start = time.perf_counter()
        model.fit(dataset.x_train, dataset.y_train, epochs=epochs, batch_size=64, shuffle=True, verbose=verbose)
        spread_depthwise_ranges(model, dataset.x_train[:500], ratio)
        with cache.atomic_path(path) as tmp:
            model.save(tmp)
    print(f"Depthwise model trained in {time.perf_counter() - start:.1f} s ({dataset.name}, {epochs} epochs)")
    return model
