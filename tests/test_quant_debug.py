"""workshop_utils.measurement.quant_debug: tensor and op tables, debugger statistics, output comparison."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

import workshop_utils as wu
from workshop_utils.conversion.convert import representative_dataset
from workshop_utils.measurement import quant_debug


def test_short_names():
    fused = "baseline_cnn/conv1/Relu;baseline_cnn/conv1/BiasAdd;baseline_cnn/conv1/Conv2D"
    assert quant_debug.short_tensor_name(fused) == "conv1/Relu"
    assert quant_debug.short_layer_name(fused) == "conv1"
    assert quant_debug.short_layer_name("StatefulPartitionedCall:0") == "output"
    assert quant_debug.short_layer_name("serving_default_image:0") == "input"
    assert quant_debug.short_tensor_name("arith.constant") == "arith.constant"
    assert quant_debug.short_layer_name("tfl.quantize") == "tfl.quantize"


def test_tensor_details_full_integer(blobs):
    table = quant_debug.tensor_details(blobs["full_integer"])
    assert {"tensor", "role", "dtype", "shape", "scales", "scale", "zero_point", "name"} <= set(table.columns)
    inp = table[table.role == "input"].iloc[0]
    assert inp["dtype"] == "int8" and inp["scales"] == 1 and inp["scale"] > 0
    weights = table[table.role == "weights"]
    assert len(weights) == 4 and set(weights["dtype"]) == {"int8"}
    assert all(row.scales == row.shape[0] for row in weights.itertuples()), "one scale per output channel"
    assert (weights.zero_point == 0).all(), "weights are symmetric"
    assert set(table[table.role == "bias"]["dtype"]) == {"int32"}
    assert set(table[table.role == "activation"]["dtype"]) == {"int8"}


def test_tensor_details_dynamic_range_and_float16(blobs):
    dynamic = quant_debug.tensor_details(blobs["dynamic_range"])
    assert set(dynamic[dynamic.role == "activation"]["dtype"]) == {"float32"}
    assert "int8" in set(dynamic[dynamic.role == "weights"]["dtype"])
    assert set(dynamic[dynamic.role == "bias"]["dtype"]) == {"float32"}
    half = quant_debug.tensor_details(blobs["float16"])
    assert set(half[half.role == "weights"]["dtype"]) == {"float16"}
    assert set(half[half.role == "dequantized weights"]["dtype"]) == {"float32"}


def test_ops_table(blobs):
    int8_ops = quant_debug.ops_table(blobs["full_integer"])
    assert list(int8_ops.columns) == ["op", "inputs", "output", "layer"]
    assert set(int8_ops.output) == {"int8"}
    assert "CONV_2D" in set(int8_ops.op) and "DELEGATE" not in set(int8_ops.op)
    assert set(int8_ops[int8_ops.op == "CONV_2D"].layer) == {"conv1", "conv2"}
    ops_16x8 = quant_debug.ops_table(blobs["int16x8"])
    assert ops_16x8[ops_16x8.op == "CONV_2D"].inputs.str.startswith("int16, int8").all()
    hybrid = quant_debug.ops_table(blobs["dynamic_range"])
    assert (hybrid.inputs == "float32, int8, float32").any(), "dynamic range runs hybrid ops"


def test_dtype_counts(blobs):
    counts = quant_debug.dtype_counts(blobs["full_integer"])
    assert counts.loc["weights", "int8"] == 4
    only = quant_debug.dtype_counts(blobs["full_integer"], roles=["bias"])
    assert list(only.index) == ["bias"]
    with pytest.raises(ValueError, match="No tensors with the roles"):
        quant_debug.dtype_counts(blobs["float32"], roles=["no such role"])


def test_tables_reject_bad_models():
    with pytest.raises(TypeError, match="TFLite flatbuffer"):
        quant_debug.tensor_details(123)
    with pytest.raises(ValueError, match="not a TFLite model"):
        quant_debug.ops_table(b"definitely not a model")


def _stats() -> pd.DataFrame:
    return pd.DataFrame({
        "op_name": ["CONV_2D", "FULLY_CONNECTED", "MAX_POOL_2D"],
        "tensor_idx": [10, 20, 11],
        "tensor_name": ["m/conv1/Relu;m/conv1/BiasAdd", "StatefulPartitionedCall:0", "m/pool1/MaxPool"],
        "scale": [0.01, 0.1, 0.01],
        "mean_squared_error": [0.01**2 * 0.09, 0.1**2 * 0.36, 1e-18],
    })


def test_add_error_metrics():
    table = quant_debug.add_error_metrics(_stats())
    assert list(table.layer) == ["output", "conv1", "pool1"], "sorted worst first"
    assert table["rmse/scale"].iloc[0] == pytest.approx(0.6)
    assert table["rmse/scale"].iloc[1] == pytest.approx(0.3)
    assert table["range"].iloc[1] == pytest.approx(255 * 0.01)
    assert "layer" not in _stats().columns, "the input is not modified"


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([1, 2], TypeError, "pandas DataFrame"),
        (pd.DataFrame({"scale": [1.0]}), ValueError, "lack the columns"),
        (_stats().iloc[:0], ValueError, "empty"),
    ],
)
def test_add_error_metrics_bad_input(bad, error, message):
    with pytest.raises(error, match=message):
        quant_debug.add_error_metrics(bad)


def test_worst_layers():
    table = quant_debug.add_error_metrics(_stats())
    assert quant_debug.worst_layers(table) == ["StatefulPartitionedCall:0"]
    assert len(quant_debug.worst_layers(table, n=2)) == 2
    with pytest.raises(ValueError, match="No column"):
        quant_debug.worst_layers(table, metric="nope")
    with pytest.raises(ValueError, match="at least 1"):
        quant_debug.worst_layers(table, n=0)


def test_compare_outputs(blobs, small_mnist):
    x = small_mnist.x_test[:50]
    same = quant_debug.compare_outputs(blobs["float32"], blobs["float32"], x)
    assert same.rmse == 0 and same.max_abs == 0 and same.agreement == 1
    drift = quant_debug.compare_outputs(blobs["full_integer"], blobs["float32"], x)
    assert 0 < drift.rmse <= drift.max_abs and 0 <= drift.agreement <= 1


def test_compare_outputs_shape_mismatch(blobs, small_mnist):
    three_classes = wu.to_tflite(wu.build_baseline(small_mnist.input_shape, 3), "float32")
    with pytest.raises(ValueError, match="differ in shape"):
        quant_debug.compare_outputs(three_classes, blobs["float32"], small_mnist.x_test[:5])


def test_debugger_round_trip(baseline, small_mnist):
    """The notebook's path: debugger CSV -> add_error_metrics -> worst layer -> denylisted model."""
    import tensorflow as tf

    converter = wu.make_converter(baseline, "full_integer", small_mnist.x_train[:20])
    debugger = tf.lite.experimental.QuantizationDebugger(
        converter=converter, debug_dataset=representative_dataset(small_mnist.x_test[:5]))
    debugger.run()
    buffer = io.StringIO()
    debugger.layer_statistics_dump(buffer)
    buffer.seek(0)
    table = quant_debug.add_error_metrics(pd.read_csv(buffer))
    assert {"conv1", "conv2", "dense"} <= set(table.layer)
    assert np.isfinite(table["rmse/scale"]).all()
    worst = quant_debug.worst_layers(table)
    debugger.options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=worst)
    ops = quant_debug.ops_table(debugger.get_nondebug_quantized_model())
    compute = ops[~ops.op.isin(["QUANTIZE", "DEQUANTIZE"])]
    assert (compute.output == "float32").sum() == 1, "exactly the denylisted layer runs in float"


def test_model_metadata_fp16_hint(baseline):
    """XNNPACK computes in fp16 only with fp16 accumulation in reduced_precision_support (notebook 01)."""
    import tensorflow as tf

    converter = wu.make_converter(baseline, "float16")
    plain = converter.convert()
    converter.target_spec._experimental_supported_accumulation_type = tf.float16
    hinted = converter.convert()
    assert quant_debug.model_metadata(plain)["reduced_precision_support"] == "fp16accfp32"
    assert quant_debug.model_metadata(hinted)["reduced_precision_support"] == "fp16accfp16"
    float32 = quant_debug.model_metadata(wu.to_tflite(baseline, "float32"))
    assert "reduced_precision_support" not in float32 and float32["CONVERSION_METADATA"].startswith("<")
