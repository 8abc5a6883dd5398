"""The live setting (issue 17): WORKSHOP_LIVE=1 caps the data at the offline sample's sizes, wherever it came from."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.core import env
from workshop_utils.data import datasets


def _big(n_train: int = 6_000, n_test: int = 1_500) -> wu.Dataset:
    """A synthetic 'full' data set: tiny images, ten classes in unequal shares."""
    rng = np.random.default_rng(0)
    y_train = rng.choice(10, size=n_train, p=np.linspace(1, 2, 10) / np.linspace(1, 2, 10).sum())
    y_test = rng.integers(0, 10, size=n_test)
    return wu.Dataset(rng.random((n_train, 8, 8, 1), dtype=np.float32), y_train,
                      rng.random((n_test, 8, 8, 1), dtype=np.float32), y_test,
                      name="mnist", source="keras (full dataset)", num_classes=10)


def test_the_caps_are_the_offline_samples_sizes():
    sample = datasets.load_offline_mnist()
    assert (len(sample.x_train), len(sample.x_test)) == (env.LIVE_TRAIN_IMAGES, env.LIVE_TEST_IMAGES)


def test_without_the_switch_nothing_changes(monkeypatch):
    monkeypatch.delenv(env.LIVE_VAR, raising=False)
    big = _big()
    assert not env.live_mode() and env.cap_for_live(big) is big


def test_the_switch_caps_a_large_data_set_and_says_so(monkeypatch, capsys):
    monkeypatch.setenv(env.LIVE_VAR, "1")
    big = _big()
    capped = env.cap_for_live(big)
    assert (len(capped.x_train), len(capped.x_test)) == (env.LIVE_TRAIN_IMAGES, env.LIVE_TEST_IMAGES)
    assert isinstance(capped, wu.Dataset) and capped.name == big.name and capped.num_classes == 10
    assert "WORKSHOP_LIVE=1" in capped.source and "4,000 of 6,000 training" in capped.source
    assert "1,000 of 1,500 test" in capped.source and capped.source.startswith(big.source)
    assert "WORKSHOP_LIVE=1" in capsys.readouterr().out
    shares = np.bincount(capped.y_train, minlength=10) / len(capped.y_train)
    assert np.allclose(shares, np.bincount(big.y_train, minlength=10) / len(big.y_train), atol=0.01), "stratified"
    again = env.cap_for_live(big)
    assert again.fingerprint == capped.fingerprint, "the same subset for everyone"


def test_a_data_set_within_the_caps_is_left_alone(monkeypatch, capsys):
    monkeypatch.setenv(env.LIVE_VAR, "1")
    small = _big(3_000, 800)
    assert env.cap_for_live(small) is small and capsys.readouterr().out == ""


@pytest.mark.parametrize("live", ["1", "0"])
def test_load_dataset_applies_the_switch_to_a_downloaded_mnist(monkeypatch, live):
    monkeypatch.setenv(env.LIVE_VAR, live)
    monkeypatch.setattr(datasets, "_keras_cached", lambda name: True)
    monkeypatch.setattr(datasets, "_load_keras", lambda name: _big())
    ds = wu.load_dataset("mnist", offline=False)
    expected = env.LIVE_TRAIN_IMAGES if live == "1" else 6_000
    assert len(ds.x_train) == expected and ("WORKSHOP_LIVE=1" in ds.source) == (live == "1")


def test_the_offline_sample_is_unchanged_by_the_switch(monkeypatch):
    monkeypatch.setenv(env.LIVE_VAR, "1")
    ds = wu.load_dataset("mnist", offline=True)
    assert ds.fingerprint == datasets.load_offline_mnist().fingerprint, "the cached baselines still match"
