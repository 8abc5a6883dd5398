import numpy as np
import pytest

import workshop_utils as wu


def test_all_modes_convert(blobs, baseline):
    float_size = len(blobs["float32"])
    for mode, blob in blobs.items():
        assert blob[4:8] == b"TFL3", mode
    assert len(blobs["dynamic_range"]) < float_size / 3.5
    assert len(blobs["full_integer"]) < float_size / 3.5
    assert 0.4 < len(blobs["float16"]) / float_size < 0.6


def test_full_integer_has_int8_io(blobs):
    interpreter = wu.make_interpreter(blobs["full_integer"])
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8


def test_int16x8_has_int16_activations(blobs):
    interpreter = wu.make_interpreter(blobs["int16x8"])
    dtypes = {d["dtype"] for d in interpreter.get_tensor_details()}
    assert np.int16 in dtypes
    assert interpreter.get_input_details()[0]["dtype"] == np.float32


def test_unknown_mode_lists_valid_ones(baseline):
    with pytest.raises(ValueError, match="Valid modes: float32, dynamic_range, full_integer, float16, int16x8"):
        wu.to_tflite(baseline, "int4")


@pytest.mark.parametrize("mode", ["full_integer", "int16x8"])
def test_calibration_modes_need_data(baseline, mode):
    with pytest.raises(ValueError, match="100-500"):
        wu.to_tflite(baseline, mode)


def test_representative_data_shape_and_dtype_checked(baseline, small_mnist):
    with pytest.raises(ValueError, match="shape"):
        wu.to_tflite(baseline, "full_integer", representative_data=np.zeros((10, 28, 28), np.float32))
    with pytest.raises(ValueError, match="dtype uint8"):
        wu.to_tflite(baseline, "full_integer", representative_data=np.zeros((10, 28, 28, 1), np.uint8))
    with pytest.raises(ValueError, match="empty"):
        wu.to_tflite(baseline, "full_integer", representative_data=small_mnist.x_train[:0])


def test_keras3_model_converts_directly():
    """TensorFlow's converter takes a Keras 3 model as is (only the TFMOT recipes need tf_keras)."""
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    x = np.random.default_rng(0).random((8, 4), dtype=np.float32)
    blob = wu.to_tflite(model, "float32")
    np.testing.assert_allclose(wu.predict_tflite(blob, x), model.predict(x, verbose=0), atol=1e-5)
    with pytest.raises(wu.UnsupportedModelError, match="tf_keras.Model"):
        wu.to_tflite(object(), "float32")


def test_make_converter_is_configured_not_converted(baseline):
    import tensorflow as tf

    converter = wu.make_converter(baseline, "float16")
    assert converter.optimizations == [tf.lite.Optimize.DEFAULT]
    assert converter.target_spec.supported_types == [tf.float16]


@pytest.fixture(scope="module")
def qat_models(baseline, small_mnist):
    tiny = small_mnist.subset(128, 64)
    return (wu.recipes.qat(baseline, tiny, epochs=1, verbose=0),
            wu.recipes.qat(baseline, tiny, epochs=1, layers=["conv1"], verbose=0))


def test_qat_model_converts_to_full_integer_without_calibration(qat_models, baseline, small_mnist):
    from workshop_utils.conversion.convert import is_qat_model

    qat_model, _ = qat_models
    assert is_qat_model(qat_model) and not is_qat_model(baseline)
    blob = wu.to_tflite(qat_model, "full_integer")
    interpreter = wu.make_interpreter(blob, use_xnnpack=False)
    assert interpreter.get_input_details()[0]["dtype"] == np.int8
    assert interpreter.get_output_details()[0]["dtype"] == np.int8
    dtypes = {np.dtype(detail["dtype"]) for detail in interpreter.get_tensor_details()}
    assert np.dtype(np.float32) not in dtypes  # every tensor integer: full integer, from QAT's ranges
    calibrated = wu.to_tflite(qat_model, "full_integer", representative_data=small_mnist.x_train[:100])
    without = wu.evaluate_tflite(blob, small_mnist.x_test, small_mnist.y_test)
    assert abs(without - wu.evaluate_tflite(calibrated, small_mnist.x_test, small_mnist.y_test)) <= 0.02


def test_partial_qat_model_still_needs_calibration(qat_models):
    _, partial = qat_models
    with pytest.raises(ValueError, match=r"leaves layer\(s\) \[.*'conv2'.*\] unquantized.*representative_data"):
        wu.to_tflite(partial, "full_integer")
    with pytest.raises(ValueError, match="calibrates activation ranges"):
        wu.to_tflite(qat_models[0], "int16x8")  # 16x8 has no QAT ranges: calibration stays required
