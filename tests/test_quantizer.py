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
