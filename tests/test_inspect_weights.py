"""Unit tests for workshop_utils.measurement.inspect_weights on small hand-made models (no training)."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu  # must come before TensorFlow: it switches to tf_keras (Keras 2)

# isort: split
import tf_keras

from workshop_utils.measurement import inspect_weights as iw
from workshop_utils.models.keras_tools import UnsupportedModelError

INPUT_SHAPE = (8, 8, 1)


def _model():
    model = wu.build_baseline(INPUT_SHAPE, 4)  # conv1 (3,3,1,32), conv2 (3,3,32,64), dense (256,128), logits
    return model


def _two_by_four(kernel: np.ndarray) -> np.ndarray:
    """Zero the 2 smallest of every 4 consecutive input-channel weights (TFMOT's 2:4 on the C_in axis)."""
    rows = np.moveaxis(kernel, -2, -1).copy()
    flat = rows.reshape(-1, 4)
    order = np.argsort(np.abs(flat), axis=1)
    np.put_along_axis(flat, order[:, :2], 0.0, axis=1)
    return np.moveaxis(flat.reshape(rows.shape), -1, -2)


@pytest.fixture(scope="module")
def sparse_model():
    """conv2/dense/logits 80% zeros (random mask), conv1 untouched: what a stripped pruned model looks like."""
    model = _model()
    rng = np.random.default_rng(0)
    for name in ("conv2", "dense", "logits"):
        layer = model.get_layer(name)
        kernel, bias = layer.get_weights()
        kernel[rng.random(kernel.shape) < 0.8] = 0.0
        layer.set_weights([kernel, bias])
    return model


@pytest.fixture(scope="module")
def calibration():
    return np.random.default_rng(1).random((20, *INPUT_SHAPE), dtype=np.float32)


def test_kernel_sparsity(sparse_model):
    table = iw.kernel_sparsity(sparse_model)
    assert list(table.columns) == ["layer", "kernel_shape", "params", "zeros", "sparsity"]
    assert list(table["layer"]) == ["conv1", "conv2", "dense", "logits"]
    rows = table.set_index("layer")
    assert rows.loc["conv2", "kernel_shape"] == (3, 3, 32, 64) and rows.loc["conv2", "params"] == 18432
    assert rows.loc["conv1", "zeros"] == 0
    kernel = sparse_model.get_layer("dense").get_weights()[0]
    assert rows.loc["dense", "zeros"] == np.sum(kernel == 0)
    assert abs(rows.loc["dense", "sparsity"] - 0.8) < 0.02


def test_unique_values():
    model = _model()
    kernel, bias = model.get_layer("dense").get_weights()
    kernel = np.tile(np.arange(4, dtype=np.float32), kernel.size // 4).reshape(kernel.shape)
    model.get_layer("dense").set_weights([kernel, bias])
    rows = iw.unique_values(model).set_index("layer")
    assert rows.loc["dense", "unique_values"] == 4
    assert rows.loc["dense", "max_unique_per_channel"] <= 4
    assert rows.loc["conv1", "unique_values"] == 3 * 3 * 32


def test_kernel_tables_refuse_non_keras_models():
    with pytest.raises(UnsupportedModelError, match="tf_keras.Model"):
        iw.kernel_sparsity("not a model")
    with pytest.raises(UnsupportedModelError, match="tf_keras.Model"):
        iw.unique_values(np.zeros(3))


def test_kernel_tables_look_inside_submodels():
    inner = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(5,), name="inner_dense")], name="inner")
    inputs = tf_keras.Input((5,))
    outer = tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="head")(inner(inputs)))
    assert list(iw.kernel_sparsity(outer)["layer"]) == ["inner/inner_dense", "head"]


def test_tflite_weights_float32_match_keras_kernels():
    model = _model()
    weights = iw.tflite_weights(wu.to_tflite(model, "float32"))
    assert all(isinstance(v, np.ndarray) for v in weights.values())
    assert len(weights.kernels) == 4
    by_layer = {}
    for name in weights.kernels:
        layer = next(part for part in name.split("/") if part in ("conv1", "conv2", "dense", "logits"))
        by_layer[layer] = weights[name]
    # TFLite stores Conv2D kernels as (out, h, w, in) and Dense kernels as (out, in)
    np.testing.assert_array_equal(by_layer["dense"], model.get_layer("dense").get_weights()[0].T)
    np.testing.assert_array_equal(by_layer["conv2"], model.get_layer("conv2").get_weights()[0].transpose(3, 0, 1, 2))
    assert weights.kernels[next(n for n in weights.kernels if "conv1" in n)] == ("CONV_2D", 0)


def test_tflite_weights_int8_with_quantization(sparse_model, calibration):
    weights = iw.tflite_weights(wu.to_tflite(sparse_model, "full_integer", calibration))
    dense = next(name for name in weights.kernels if "dense" in name)
    assert weights[dense].dtype == np.int8
    params = weights.quantization[dense]
    assert {"scales", "zero_points", "quantized_dimension"} <= set(params)
    keras_kernel = sparse_model.get_layer("dense").get_weights()[0].T
    scale = float(np.max(params["scales"]))
    np.testing.assert_allclose(weights.dequantized(dense), keras_kernel, atol=scale)


def test_tflite_weight_stats_show_sparsity_in_int8(sparse_model, calibration):
    keras_sparsity = iw.kernel_sparsity(sparse_model).set_index("layer")["sparsity"]
    stats = iw.tflite_weight_stats(wu.to_tflite(sparse_model, "full_integer", calibration))
    assert list(stats.columns) == ["name", "op", "dtype", "shape", "params", "zeros", "sparsity",
                                   "unique_values", "max_unique_per_channel"]
    assert len(stats) == 4 and set(stats["dtype"]) == {"int8"}
    for row in stats.itertuples():
        layer = next(part for part in row.name.split("/") if part in keras_sparsity.index)
        # zeros survive (tiny weights may also round to zero in int8, so >=)
        assert row.sparsity >= keras_sparsity[layer] - 1e-9
        assert row.sparsity <= keras_sparsity[layer] + 0.05
    dense = stats[stats["op"] == "FULLY_CONNECTED"].iloc[0]
    assert dense["shape"] == (128, 256)


@pytest.mark.parametrize("mode", ["float16", "dynamic_range"])
def test_tflite_weight_stats_other_modes(sparse_model, mode):
    stats = iw.tflite_weight_stats(wu.to_tflite(sparse_model, mode))
    assert len(stats) == 4  # float16 kernels reach the ops through DEQUANTIZE; still found
    dense = stats[stats["op"] == "FULLY_CONNECTED"].iloc[0]
    assert dense["sparsity"] >= 0.78


def test_tflite_weight_stats_zero_point():
    weights = iw.TFLiteWeights()
    weights["w"] = np.array([[3, 3, 5], [0, 3, 1]], dtype=np.int8)  # zero point 3 on row 0, 0 on row 1
    weights.quantization["w"] = {"scales": np.array([0.1, 0.1]), "zero_points": np.array([3, 0]),
                                 "quantized_dimension": 0}
    np.testing.assert_allclose(weights.dequantized("w"), [[0, 0, 0.2], [0, 0.3, 0.1]], atol=1e-6)


def test_tflite_functions_reject_non_tflite_bytes():
    with pytest.raises(ValueError, match="not a TFLite model"):
        iw.tflite_weights(b"definitely not a flatbuffer")
    with pytest.raises(TypeError, match="TFLite flatbuffer bytes"):
        iw.tflite_weight_stats(123)


def test_m_by_n_pattern_on_conv_and_dense():
    rng = np.random.default_rng(0)
    conv = _two_by_four(rng.normal(size=(3, 3, 8, 5)))
    dense = _two_by_four(rng.normal(size=(16, 3)))
    assert iw.m_by_n_pattern_holds(conv) and iw.m_by_n_pattern_holds(dense, 2, 4)
    assert not iw.m_by_n_pattern_holds(rng.normal(size=(16, 3)))
    # groups run along C_in, not C_out: a kernel sparse the wrong way fails
    wrong = np.moveaxis(_two_by_four(np.moveaxis(rng.normal(size=(12, 8)), 0, 1)), 0, 1)
    assert not iw.m_by_n_pattern_holds(wrong)
    # TFLite layout (C_out, ..., C_in): pass axis=-1
    assert iw.m_by_n_pattern_holds(conv.transpose(3, 0, 1, 2), axis=-1)


def test_m_by_n_pattern_partial_group():
    kernel = np.zeros((6, 1))  # C_in = 6: groups [0:4] and [4:6] (padded with zeros)
    kernel[[0, 1, 4, 5], 0] = 1.0
    assert iw.m_by_n_pattern_holds(kernel)
    kernel[2, 0] = 1.0
    assert not iw.m_by_n_pattern_holds(kernel)
    assert iw.m_by_n_pattern_holds(np.ones((1, 1)))  # a single input channel always fits


@pytest.mark.parametrize("seed", range(5))
def test_m_by_n_pattern_agrees_with_tfmot(seed):
    from tensorflow_model_optimization.python.core.sparsity.keras.pruning_utils import is_pruned_m_by_n

    rng = np.random.default_rng(seed)
    for shape in [(3, 3, 8, 4), (12, 5), (3, 3, 6, 2)]:
        kernel = _two_by_four(rng.normal(size=shape)) if shape[-2] % 4 == 0 else rng.normal(size=shape)
        kernel[rng.random(shape) < 0.3] = 0.0
        for m, n in [(2, 4), (1, 4), (1, 2)]:
            expected = bool(is_pruned_m_by_n(tf_keras.backend.constant(kernel), (m, n)))
            assert iw.m_by_n_pattern_holds(kernel, m, n) == expected, (shape, m, n)


@pytest.mark.parametrize(("kernel", "m", "n", "message"), [
    (np.ones((4, 4)), 4, 2, "0 < m < n"),
    (np.ones((4, 4)), 0, 4, "0 < m < n"),
    (np.ones(4), 2, 4, "rank >= 2"),
])
def test_m_by_n_pattern_bad_input(kernel, m, n, message):
    with pytest.raises(ValueError, match=message):
        iw.m_by_n_pattern_holds(kernel, m, n)
