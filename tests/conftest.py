"""Shared fixtures: the offline dataset, a small trained baseline and its TFLite conversions."""

from __future__ import annotations

import os

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


def pooled_digits(train: int, test: int, name: str) -> wu.Dataset:
    """``train``/``test`` real offline digits, average-pooled to 14x14: every recipe trains in seconds."""
    ds = wu.load_dataset("mnist", offline=True).subset(train, test)

    def pool(x: np.ndarray) -> np.ndarray:
        return x.reshape(len(x), 14, 2, 14, 2, 1).mean(axis=(2, 4))

    return wu.Dataset(pool(ds.x_train), ds.y_train, pool(ds.x_test), ds.y_test, name=name)


@pytest.fixture()
def tiny_dataset() -> wu.Dataset:
    """8x8 single-channel synthetic images in 3 classes: the smallest input the baseline accepts."""
    rng = np.random.default_rng(0)
    x = rng.random((60, 8, 8, 1), dtype=np.float32)
    y = np.arange(60) % 3
    return wu.Dataset(x[:48], y[:48], x[48:], y[48:], name="tiny")


SLOW_OPT_IN = "WORKSHOP_SLOW_TESTS"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep the README's `pytest` within ~15 minutes: `slow` tests run with `-m slow` or WORKSHOP_SLOW_TESTS=1."""
    if "slow" in (config.getoption("markexpr") or "") or os.environ.get(SLOW_OPT_IN) == "1":
        return
    skip = pytest.mark.skip(reason="slow (over a minute on 2 cores): run with `pytest -m slow`, as CI does")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
