"""The LiteRT quantizer helpers: int4 weights in the file, a8w8 against the converter, per-tensor validation."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.conversion import quantizer


@pytest.fixture(scope="module")
def float_blob(blobs) -> bytes:
    return blobs["float32"]


def test_int4_weights_stores_4_bit_weights_and_keeps_accuracy(float_blob, small_mnist):
    int4 = quantizer.int4_weights(float_blob)
    types = quantizer.tensor_types(int4)
    kernels = types[types["constant"] & types["tensor"].str.contains("Conv2D$|MatMul$")]
    assert len(kernels) > 0 and set(kernels["type"]) == {"INT4"}, kernels
    assert "INT4" not in set(quantizer.tensor_types(float_blob)["type"])
    assert len(int4) < len(float_blob) / 6  # 4 bits instead of 32, plus scales and the graph
    x, y = small_mnist.x_test, small_mnist.y_test
    float_accuracy, int4_accuracy = wu.evaluate_tflite(float_blob, x, y), wu.evaluate_tflite(int4, x, y)
    assert int4_accuracy >= float_accuracy - 0.03, (float_accuracy, int4_accuracy)


def test_a8w8_matches_the_converter(float_blob, blobs, small_mnist):
    calibration = small_mnist.x_train[:100]
    a8w8 = quantizer.a8w8(float_blob, calibration)
    assert quantizer.weight_type_counts(a8w8).get("INT8", 0) >= 4
    assert "FLOAT32" not in quantizer.weight_type_counts(a8w8)
    assert abs(len(a8w8) - len(blobs["full_integer"])) < 0.1 * len(blobs["full_integer"])
    x, y = small_mnist.x_test, small_mnist.y_test
    assert abs(wu.evaluate_tflite(a8w8, x, y) - wu.evaluate_tflite(blobs["full_integer"], x, y)) < 0.03


def test_validation_table_has_every_role(float_blob, small_mnist):
    int4 = quantizer.int4_weights(float_blob)
    table = quantizer.validation_table(float_blob, int4, small_mnist.x_test[:8])
    assert list(table.columns) == ["tensor", "role", "snr_db", "snr", "mse"]
    assert {"input", "weight", "activation", "output"} <= set(table["role"])
    output = table[table["role"] == "output"].iloc[0]
    assert np.isfinite(output["snr_db"]) and output["snr_db"] > 10  # a usable model: noise well below signal
    assert (table["mse"] >= 0).all()


def test_quantized_input_is_refused(blobs, small_mnist):
    with pytest.raises(ValueError, match="float32 .tflite"):
        quantizer.int4_weights(blobs["full_integer"])
    with pytest.raises(ValueError, match="batch of images"):
        quantizer.a8w8(blobs["float32"], np.zeros((0, 28, 28, 1), np.float32))


def test_missing_package_names_the_install(monkeypatch, float_blob):
    monkeypatch.setitem(sys.modules, "litert_quantizer", None)
    with pytest.raises(quantizer.QuantizerUnavailableError, match="pip install litert-quantizer"):
        quantizer.int4_weights(float_blob)


def test_dynamic_int4_recipes_store_int4_without_dequantize(float_blob, small_mnist):
    from litert_quantizer import recipe

    from workshop_utils.measurement.tflite_file import file_summary

    assert set(quantizer.INT4_FUNCTIONS) <= set(dir(recipe))  # the names are the quantizer's own recipes
    weight_only, dynamic = quantizer.int4_weights(float_blob), quantizer.int4_dynamic(float_blob)
    fc_dynamic = quantizer.int4_fc_dynamic(float_blob)
    assert file_summary(weight_only).ops.get("DEQUANTIZE", 0) >= 4
    for blob in (dynamic, fc_dynamic):
        summary = file_summary(blob)
        assert summary.has_int4 and "DEQUANTIZE" not in summary.ops
    types = quantizer.tensor_types(fc_dynamic)
    weights = types[types["constant"] & types["tensor"].str.contains("MatMul$|Conv2D$")]
    assert set(weights[weights["tensor"].str.contains("MatMul$")]["type"]) == {"INT4"}  # fully connected: int4
    assert set(weights[weights["tensor"].str.contains("Conv2D$")]["type"]) == {"INT8"}  # convolutions: int8
    x, y = small_mnist.x_test, small_mnist.y_test
    reference = wu.evaluate_tflite(float_blob, x, y)
    for blob in (dynamic, fc_dynamic):
        assert wu.evaluate_tflite(blob, x, y) >= reference - 0.03


def test_tensor_types_count_the_stored_bytes(float_blob):
    table = quantizer.tensor_types(quantizer.int4_weights(float_blob))
    dense = table[table["tensor"].str.endswith("dense/MatMul")].iloc[0]
    assert dense["type"] == "INT4" and dense["bytes"] * 2 == np.prod(dense["shape"])  # two 4-bit values a byte
    assert (table.loc[~table["constant"], "bytes"] == 0).all()
