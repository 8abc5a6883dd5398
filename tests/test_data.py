import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.data import datasets as data


def test_offline_mnist_is_real_balanced_and_scaled(mnist):
    assert mnist.x_train.shape == (4000, 28, 28, 1) and mnist.x_test.shape == (1000, 28, 28, 1)
    assert mnist.x_train.dtype == np.float32
    assert 0.0 <= mnist.x_train.min() and mnist.x_train.max() <= 1.0
    assert np.all(np.bincount(mnist.y_train) == 400) and np.all(np.bincount(mnist.y_test) == 100)
    assert mnist.num_classes == 10 and "offline" in mnist.source
    # real digits are mostly background: about 80% of MNIST pixels are zero
    assert 0.7 < np.mean(mnist.x_train == 0) < 0.9


def test_offline_fallback_says_so(capsys):
    ds = wu.load_dataset("mnist", offline=True)
    assert "offline MNIST sample" in capsys.readouterr().out
    assert ds.name == "mnist"


def test_env_var_forces_offline(monkeypatch):
    monkeypatch.setenv("WORKSHOP_OFFLINE", "1")
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: pytest.fail("must not touch the network"))
    assert "offline" in wu.load_dataset("mnist").source


def test_no_network_falls_back_without_hanging(monkeypatch):
    monkeypatch.delenv("WORKSHOP_OFFLINE", raising=False)
    monkeypatch.setattr(data, "_keras_cached", lambda name: False)
    monkeypatch.setattr(data, "_network_reachable", lambda *a, **k: False)
    assert "offline" in wu.load_dataset("mnist").source


def test_unknown_dataset_names_choices():
    with pytest.raises(ValueError, match="Unknown dataset 'cifar'.*mnist"):
        wu.load_dataset("cifar")


def test_fashion_mnist_offline_explains_fix():
    with pytest.raises(RuntimeError, match="needs a download.*load_dataset\\('mnist'\\)"):
        wu.load_dataset("fashion_mnist", offline=True)


def test_missing_sample_names_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_DATA_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="WORKSHOP_DATA_DIR"):
        wu.load_dataset("mnist", offline=True)


def test_user_arrays_are_normalised():
    x = np.zeros((10, 12, 12), dtype=np.float64)
    ds = wu.Dataset(x[:8], np.arange(8) % 2, x[8:], np.array([[0], [1]]))
    assert ds.x_train.shape == (8, 12, 12, 1) and ds.x_train.dtype == np.float32
    assert ds.y_test.shape == (2,) and ds.num_classes == 2 and ds.input_shape == (12, 12, 1)
    assert ds.name == "custom" and ds.source


@pytest.mark.parametrize(
    "x,y,message",
    [
        (np.zeros((4, 8, 8), dtype=np.uint8), np.zeros(4, int), "astype\\('float32'\\) / 255"),
        (np.full((4, 8, 8), 3.0), np.zeros(4, int), "into \\[0, 1\\]"),
        (np.zeros((4, 8)), np.zeros(4, int), "shape"),
        (np.zeros((4, 8, 8)), np.zeros(3, int), "1-D array of 4"),
        (np.zeros((4, 8, 8)), np.eye(4), "1-D array|integer class ids"),
        (np.zeros((4, 8, 8)), np.zeros(4), "integer class ids"),
    ],
)
def test_bad_arrays_get_clear_errors(x, y, message):
    with pytest.raises(ValueError, match=message):
        wu.Dataset(x, y, x, y)


def test_fingerprint_tracks_content():
    x = np.zeros((4, 8, 8), dtype=np.float32)
    a = wu.Dataset(x, np.arange(4) % 2, x, np.arange(4) % 2)
    b = wu.Dataset(x + 0.5, np.arange(4) % 2, x, np.arange(4) % 2)
    assert a.fingerprint != b.fingerprint


def test_subset_keeps_shapes(mnist):
    small = mnist.subset(100, 50)
    assert len(small.x_train) == 100 and len(small.y_test) == 50 and small.num_classes == 10
    assert np.all(np.bincount(small.y_train, minlength=10) == 10), "stratified: 10 images of each digit"
