"""workshop_utils.models.fragile: the depthwise model that per-tensor full integer PTQ really breaks."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.models import fragile


@pytest.fixture(scope="module")
def fragile_model(mnist):
    return wu.get_fragile_model(mnist)


def test_build_rejects_small_images():
    with pytest.raises(ValueError, match="H, W >= 16"):
        wu.build_depthwise_cnn((8, 8, 1))


def test_get_fragile_model_rejects_bad_input(mnist):
    with pytest.raises(TypeError, match="wu.Dataset"):
        wu.get_fragile_model(mnist.x_train)
    with pytest.raises(ValueError, match="at least 1"):
        wu.get_fragile_model(mnist, epochs=0)


def test_spread_keeps_the_function_and_widens_the_ranges(small_mnist):
    model = wu.build_depthwise_cnn(small_mnist.input_shape, small_mnist.num_classes)
    model.fit(small_mnist.x_train[:256], small_mnist.y_train[:256], epochs=1, verbose=0)
    before = model.predict(small_mnist.x_test[:64], verbose=0)
    outliers = fragile.spread_depthwise_ranges(model, small_mnist.x_train[:200], ratio=100.0)
    after = model.predict(small_mnist.x_test[:64], verbose=0)
    np.testing.assert_allclose(after, before, rtol=1e-3, atol=1e-4)  # ReLU commutes with a positive scale
    ranges = fragile.channel_ranges(model)
    assert len(outliers) == fragile.OUTLIER_CHANNELS
    assert ranges[outliers].min() > 20 * np.median(np.delete(ranges, outliers)), "the outliers dominate the range"
    with pytest.raises(ValueError, match="ratio must be > 1"):
        fragile.spread_depthwise_ranges(model, small_mnist.x_train[:10], ratio=0.5)


def test_channel_ranges_of_a_conv(small_mnist):
    model = wu.build_depthwise_cnn(small_mnist.input_shape, small_mnist.num_classes)
    assert fragile.channel_ranges(model, "pointwise").shape == (32,)
    assert fragile.channel_ranges(model, "depthwise").shape == (16,)


def test_per_tensor_ptq_loses_and_per_channel_does_not(fragile_model, mnist):
    """The fact notebook 01 teaches: per-tensor weights break this model, per-channel weights do not."""
    import tensorflow as tf

    def convert(per_tensor: bool) -> bytes:
        converter = wu.make_converter(fragile_model, "float32")
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = wu.representative_dataset(mnist.x_train[:200])
        converter._experimental_disable_per_channel = per_tensor
        return converter.convert()

    float_accuracy = wu.evaluate_tflite(wu.to_tflite(fragile_model, "float32"), mnist.x_test, mnist.y_test)
    per_tensor = wu.evaluate_tflite(convert(True), mnist.x_test, mnist.y_test)
    per_channel = wu.evaluate_tflite(convert(False), mnist.x_test, mnist.y_test)
    assert float_accuracy >= 0.9
    assert float_accuracy - per_tensor >= 0.03
    assert abs(float_accuracy - per_channel) <= 0.01


def test_get_fragile_model_loads_from_cache(fragile_model, mnist, capsys):
    again = wu.get_fragile_model(mnist)
    assert "loaded from cache" in capsys.readouterr().out
    for ours, theirs in zip(again.get_weights(), fragile_model.get_weights(), strict=True):
        np.testing.assert_array_equal(ours, theirs)
