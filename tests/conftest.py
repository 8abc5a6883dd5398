"""Shared fixtures: the offline dataset, a small trained baseline and its TFLite conversions."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu


@pytest.fixture(scope="session")
def mnist() -> wu.Dataset:
    return wu.load_dataset("mnist", offline=True)


@pytest.fixture(scope="session")
def small_mnist(mnist: wu.Dataset) -> wu.Dataset:
    return mnist.subset(1000, 300)


@pytest.fixture(scope="session")
def baseline(small_mnist: wu.Dataset):
    return wu.get_baseline(small_mnist, epochs=2)


@pytest.fixture(scope="session")
def blobs(baseline, small_mnist: wu.Dataset) -> dict[str, bytes]:
    calibration = small_mnist.x_train[:100]
    return {mode: wu.to_tflite(baseline, mode, representative_data=calibration) for mode in wu.MODES}


@pytest.fixture()
def tiny_dataset() -> wu.Dataset:
    """8x8 single-channel synthetic images in 3 classes: the smallest input the baseline accepts."""
    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 1), dtype=np.float32)
    y = np.arange(60) % 3
    return wu.Dataset(x[:48], y[:48], x[48:], y[48:], name="tiny")
