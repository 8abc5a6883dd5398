import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.models import keras_tools


def test_baseline_architecture():
    model = wu.build_baseline((28, 28, 1), 10)
    assert [layer.name for layer in model.layers][:2] == ["conv1", "pool1"]
    assert 200_000 < model.count_params() < 250_000
    assert model.output_shape == (None, 10)


@pytest.mark.parametrize("shape", [(8, 8, 1), (32, 32, 3)])
def test_baseline_accepts_small_and_colour_images(shape):
    model = wu.build_baseline(shape, 3)
    assert model.predict(np.zeros((2, *shape), np.float32), verbose=0).shape == (2, 3)


def test_baseline_rejects_tiny_input():
    with pytest.raises(ValueError, match="H, W >= 8"):
        wu.build_baseline((4, 4, 1), 10)


def test_get_baseline_trains_once_then_loads_from_cache(tiny_dataset, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    first, info = wu.get_baseline(tiny_dataset, epochs=1, return_info=True)
    assert not info.from_cache and info.path.exists()
    second, info2 = wu.get_baseline(tiny_dataset, epochs=1, return_info=True)
    assert info2.from_cache
    for a, b in zip(first.get_weights(), second.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert "loaded from cache" in capsys.readouterr().out


def test_training_is_deterministic(tiny_dataset, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    a = wu.get_baseline(tiny_dataset, epochs=1)
    b = wu.get_baseline(tiny_dataset, epochs=1, retrain=True)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, atol=1e-5)


def test_cache_key_changes_with_settings(tiny_dataset, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    _, one = wu.get_baseline(tiny_dataset, epochs=1, return_info=True)
    _, two = wu.get_baseline(tiny_dataset, epochs=2, return_info=True)
    assert one.path != two.path and not two.from_cache


@pytest.mark.parametrize("damage", ["truncate", "garbage_meta", "stale_meta"])
def test_corrupt_cache_is_reported_and_retrained(tiny_dataset, monkeypatch, tmp_path, capsys, damage):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    _, info = wu.get_baseline(tiny_dataset, epochs=1, return_info=True)
    meta = info.path.with_suffix(".json")
    if damage == "truncate":
        info.path.write_bytes(info.path.read_bytes()[:100])
    elif damage == "garbage_meta":
        meta.write_text("{not json")
    else:
        meta.write_text('{"key": "something-else"}')
    capsys.readouterr()
    model, again = wu.get_baseline(tiny_dataset, epochs=1, return_info=True)
    out = capsys.readouterr().out
    assert "unusable" in out and "Retraining" in out
    assert not again.from_cache and model is not None
    assert wu.get_baseline(tiny_dataset, epochs=1, return_info=True)[1].from_cache


def test_no_temporary_files_left(tiny_dataset, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    wu.get_baseline(tiny_dataset, epochs=1)
    leftovers = [p.name for p in (tmp_path / "baselines").iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_get_baseline_rejects_bad_arguments(tiny_dataset):
    with pytest.raises(TypeError, match="wu.Dataset"):
        wu.get_baseline((np.zeros(3), np.zeros(3)))
    with pytest.raises(ValueError, match="at least 1"):
        wu.get_baseline(tiny_dataset, epochs=0)


def test_keras3_model_is_rejected_with_fix():
    import keras  # the Keras 3 package, whatever TF_USE_LEGACY_KERAS says

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    with pytest.raises(wu.UnsupportedModelError, match="Keras 3.*tf_keras"):
        keras_tools.require_tf_keras_model(model, "test")


def test_clone_model_is_independent(baseline):
    copy = wu.clone_model(baseline)
    copy.layers[0].kernel.assign(copy.layers[0].kernel * 0)
    assert np.any(baseline.layers[0].get_weights()[0] != 0)
