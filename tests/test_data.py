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
        (np.zeros((4, 8)), np.zeros(4, int), "shape.*Fix: reshape"),
        (np.zeros((4, 8, 8, 1, 1)), np.zeros(4, int), "shape.*Fix: reshape"),
        (np.zeros((4, 8, 8)), np.zeros(3, int), "3 labels but there are 4 images"),
        (np.zeros((4, 8, 8)), np.full((4, 3), 1 / 3), "not one-hot.*argmax"),
        (np.zeros((4, 8, 8)), np.zeros((4, 2, 2), int), "1-D array of 4"),
        (np.zeros((4, 8, 8)), np.zeros(4), "integer class ids"),
        (np.full((4, 8, 8), np.nan), np.zeros(4, int), "NaN or infinite values in 4 image.*nan_to_num"),
        (np.zeros((4, 8, 8), dtype=bool), np.zeros(4, int), "dtype bool"),
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


def test_inputs_in_any_range_and_any_channel_count_are_kept():
    rng = np.random.default_rng(0)
    for channels in (2, 4):
        x = rng.uniform(-1.0, 1.0, size=(10, 8, 8, channels))
        ds = wu.Dataset(x[:8], np.arange(8) % 2, x[8:], np.arange(2))
        assert ds.input_shape == (8, 8, channels)
        np.testing.assert_allclose(ds.x_train, x[:8].astype(np.float32))  # values unchanged
        assert ds.input_range == (float(ds.x_train.min().clip(max=ds.x_test.min())),
                                  float(max(ds.x_train.max(), ds.x_test.max())))
        assert ds.input_range[0] < 0 < ds.input_range[1]
    raw = wu.Dataset(np.full((4, 8, 8), 255, np.uint8), np.arange(4) % 2, np.zeros((2, 8, 8), np.uint8), [0, 1])
    assert raw.x_train.dtype == np.float32 and raw.input_range == (0.0, 255.0), "integer pixels kept as they are"


def test_mnist_range_is_recorded(mnist):
    assert 0.0 <= mnist.input_range[0] < mnist.input_range[1] <= 1.0


def test_one_hot_labels_become_class_ids_said_once(capsys):
    x = np.zeros((6, 8, 8, 1), np.float32)
    y = np.eye(4)[[0, 1, 2, 3, 0, 1]]
    ds = wu.Dataset(x, y, x[:2], y[:2].astype(np.float32))
    assert ds.y_train.tolist() == [0, 1, 2, 3, 0, 1] and ds.num_classes == 4
    assert capsys.readouterr().out.count("one-hot") == 1
    ds.subset(4, 2)
    assert "one-hot" not in capsys.readouterr().out
    wide = wu.Dataset(x[:2], np.eye(6)[[0, 1]], x[:2], np.eye(6)[[1, 0]])
    assert wide.num_classes == 6, "a one-hot width counts classes absent from the data"


def test_labels_out_of_range_name_the_fix():
    x = np.zeros((2, 8, 8), np.float32)
    with pytest.raises(ValueError, match="class ids in \\[0, 1\\].*num_classes"):
        wu.Dataset(x, [0, 5], x, [0, 1], num_classes=2)
    with pytest.raises(ValueError, match="same size and channels"):
        wu.Dataset(x, [0, 1], np.zeros((2, 8, 8, 2)), [0, 1])


def test_load_npz_reads_the_four_arrays(tmp_path):
    x = np.random.default_rng(0).uniform(-1, 1, size=(6, 8, 8, 3)).astype(np.float32)
    np.savez(tmp_path / "mine.npz", x_train=x[:4], y_train=[0, 1, 2, 0], x_test=x[4:], y_test=[1, 2])
    ds = wu.load_npz(tmp_path / "mine.npz")
    assert ds.name == "mine" and ds.input_shape == (8, 8, 3) and ds.num_classes == 3
    np.testing.assert_array_equal(ds.x_test, x[4:])
    np.savez(tmp_path / "named.npz", x_train=x[:4], y_train=[0, 1, 2, 0], x_test=x[4:], y_test=[1, 2],
             name="digits", num_classes=5)
    named = wu.load_npz(tmp_path / "named.npz")
    assert named.name == "digits" and named.num_classes == 5


def test_load_npz_errors_name_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="No data file"):
        wu.load_npz(tmp_path / "missing.npz")
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 8, 8)), y_train=[0, 1])
    with pytest.raises(ValueError, match="lacks the array\\(s\\) x_test, y_test.*np.savez"):
        wu.load_npz(tmp_path / "partial.npz")
    np.save(tmp_path / "single.npy", np.zeros(3))
    with pytest.raises(ValueError, match="single array"):
        wu.load_npz(tmp_path / "single.npy")
    (tmp_path / "junk.npz").write_bytes(b"junk")
    with pytest.raises(ValueError, match="not a readable .npz"):
        wu.load_npz(tmp_path / "junk.npz")
