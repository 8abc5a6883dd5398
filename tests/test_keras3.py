"""The Keras 3 routes: the baseline's Keras 3 twin, the converter on it, Keras' own quantize() and its export."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.conversion import keras3, keras_quantize
from workshop_utils.measurement.tflite_file import file_summary, largest_tensors, op_counts, tensor_types
from workshop_utils.models.keras_tools import UnsupportedModelError


@pytest.fixture(scope="module")
def tiny():
    """An untrained 8x8 baseline (3 classes) and its Keras 3 twin: structure, not accuracy, is tested here."""
    model = wu.build_baseline((8, 8, 1), 3)
    x = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    return model, keras3.keras3_twin(model, sample=x[:4]), x


def _signature(blob: bytes) -> tuple[dict[str, int], Counter]:
    """The kernels' ops and the stored weights' (type, shape); the batch-size ops of Keras 3's Flatten left out."""
    table = tensor_types(blob)
    weights = table[table["constant"] & (table["bytes"] > 64)]  # the few int32 shape constants differ
    ops = {op: n for op, n in op_counts(blob).items() if op not in keras3.DYNAMIC_BATCH_OPS}
    return ops, Counter(zip(weights["type"], weights["shape"], strict=True))


def test_twin_has_the_same_layers_and_outputs(tiny):
    model, twin, x = tiny
    assert type(twin).__module__.startswith("keras")
    assert [layer.name for layer in twin.layers] == [layer.name for layer in model.layers]
    np.testing.assert_allclose(np.asarray(twin(x)), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_twin_refuses_a_keras3_model_with_the_fix(tiny):
    with pytest.raises(UnsupportedModelError, match="Keras 3 model"):
        keras3.keras3_twin(tiny[1])


def test_twin_refuses_a_branching_model_naming_the_layer():
    import tf_keras

    inputs = tf_keras.Input((8, 8, 1))
    x = tf_keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    merged = tf_keras.layers.Add(name="residual")([x, x])
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(3)(tf_keras.layers.Flatten()(merged)))
    with pytest.raises(UnsupportedModelError, match="layer 'residual' merges or branches"):
        keras3.keras3_twin(model)


@pytest.mark.parametrize("mode", ["float32", "dynamic_range", "full_integer"])
def test_keras3_ptq_files_equal_the_tf_keras_path_in_ops_and_types(tiny, mode):
    model, twin, x = tiny
    calibration = x if mode == "full_integer" else None
    ours = wu.to_tflite(twin, mode, representative_data=calibration)
    theirs = wu.to_tflite(model, mode, representative_data=calibration)
    assert _signature(ours) == _signature(theirs)
    assert set(op_counts(ours)) - set(op_counts(theirs)) <= set(keras3.DYNAMIC_BATCH_OPS)
    assert abs(len(ours) - len(theirs)) < 0.02 * len(theirs)  # names and shape ops differ a little, weights not


def test_keras_int8_export_failure_is_reported_not_raised(tiny):
    quantized = keras_quantize.keras_quantize(tiny[1], "int8")
    assert "dense" in keras_quantize.quantized_layers(quantized) and "conv1" not in keras_quantize.quantized_layers(
        quantized)
    result = keras_quantize.export_quantized(quantized, "int8")
    assert not result.ok and result.blob is None
    assert "FULLY_CONNECTED" in result.reason and "activation_quantizer=None" in result.reason
    assert "tfl.fully_connected" in result.error


def test_keras_int8_weight_only_exports_int8_weights_dequantized_each_run(tiny):
    result = keras_quantize.quantize_and_export(tiny[1], "int8_weight_only")
    assert result.ok and result.reason == ""
    summary = file_summary(result.blob)
    assert summary.stored_bytes_by_type.get("INT8", 0) > 0 and not summary.has_int4
    assert {"CAST", "MUL"} <= set(summary.ops)  # the int8 codes are turned back into float on every run


def test_keras_int4_export_has_no_int4_tensor_and_is_bigger_than_float(tiny):
    float_blob = wu.to_tflite(tiny[1], "float32")
    block = keras_quantize.quantize_and_export(tiny[1], "int4")
    per_channel = keras_quantize.quantize_and_export(tiny[1], "int4_per_channel")
    assert block.ok and per_channel.ok
    assert not file_summary(block.blob).has_int4 and not file_summary(per_channel.blob).has_int4
    assert len(block.blob) > len(float_blob) > len(per_channel.blob)
    assert largest_tensors(block.blob, 1)["bytes"].iloc[0] > 0


def test_keras_int4_row_export_mode(tiny):
    blob = keras_quantize.keras_int4_tflite(tiny[0])  # from the tf_keras model, as the comparison calls it
    assert blob[4:8] == b"TFL3" and not file_summary(blob).has_int4


def test_unknown_quantization_names_the_valid_ones(tiny):
    with pytest.raises(ValueError, match="int4_per_channel"):
        keras_quantize.keras_quantize(tiny[1], "int3")


def test_converter_error_without_the_known_pattern_keeps_the_key_line():
    reason, key = keras_quantize.explain_converter_error("noise\n<unknown>:0: error: something odd\nmore")
    assert "something odd" in reason and key.endswith("something odd")


def test_gptq_runs_on_an_image_model_and_is_compared_with_rounding(tiny):
    _, twin, x = tiny
    gptq = keras_quantize.gptq_int4(twin, x, "logits", num_samples=4)
    rounded = keras_quantize.rounded_int4(twin, "logits")
    assert keras_quantize.quantized_layers(gptq) == ["logits"] == keras_quantize.quantized_layers(rounded)
    assert isinstance(keras_quantize.int4_equals_rounding(gptq, rounded, x), bool)
    with pytest.raises(ValueError, match="Dense"):
        keras_quantize.gptq_int4(twin, x, "conv1")
