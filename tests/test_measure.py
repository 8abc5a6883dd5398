import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.measurement import interpreter, latency, size


def test_model_size_raw_and_zipped(blobs, tmp_path):
    size = wu.model_size(blobs["float32"])
    assert size.raw_bytes == len(blobs["float32"])
    assert 0 < size.zipped_bytes < size.raw_bytes
    path = tmp_path / "m.tflite"
    path.write_bytes(blobs["float32"])
    assert wu.model_size(path) == size


def test_zipped_size_rewards_zeros():
    assert size.zipped_size(bytes(100_000)) < size.zipped_size(np.random.default_rng(0).bytes(100_000)) / 10


def test_float32_tflite_matches_keras(baseline, blobs, small_mnist):
    keras_acc = wu.keras_accuracy(baseline, small_mnist.x_test, small_mnist.y_test)
    tflite_acc = wu.evaluate_tflite(blobs["float32"], small_mnist.x_test, small_mnist.y_test)
    assert abs(keras_acc - tflite_acc) <= 0.001


@pytest.mark.parametrize("mode", ["dynamic_range", "full_integer", "float16", "int16x8"])
def test_quantized_models_stay_accurate(blobs, small_mnist, mode):
    reference = wu.evaluate_tflite(blobs["float32"], small_mnist.x_test, small_mnist.y_test)
    accuracy = wu.evaluate_tflite(blobs[mode], small_mnist.x_test, small_mnist.y_test)
    assert accuracy > reference - 0.03


def test_batching_does_not_change_predictions(blobs, small_mnist):
    x = small_mnist.x_test[:37]
    small_batches = wu.predict_tflite(blobs["full_integer"], x, batch_size=5)
    np.testing.assert_allclose(small_batches, wu.predict_tflite(blobs["full_integer"], x, batch_size=64))


def test_quantize_input_uses_scale_and_zero_point():
    detail = {"dtype": np.int8, "quantization": (1 / 255, -128)}
    q = interpreter.quantize_input(np.array([0.0, 0.6, 1.0, 2.0], np.float32), detail)
    assert q.dtype == np.int8 and list(q) == [-128, 25, 127, 127]  # 2.0 is out of range: clipped
    back = interpreter.dequantize_output(q, detail)
    assert abs(back[1] - 0.6) <= 0.5 / 255


def test_not_a_tflite_blob():
    with pytest.raises(ValueError, match="not a TFLite model"):
        wu.model_size(b"hello world, not a model")
    with pytest.raises(TypeError, match="wu.to_tflite"):
        wu.evaluate_tflite(np.zeros(3), np.zeros((1, 28, 28, 1)), np.zeros(1))


def test_evaluate_rejects_mismatched_inputs(blobs, small_mnist):
    with pytest.raises(ValueError, match="labels"):
        wu.evaluate_tflite(blobs["float32"], small_mnist.x_test[:5], small_mnist.y_test[:4])
    with pytest.raises(ValueError, match="zero images"):
        wu.evaluate_tflite(blobs["float32"], small_mnist.x_test[:0], small_mnist.y_test[:0])
    with pytest.raises(ValueError, match="this model takes"):
        wu.evaluate_tflite(blobs["float32"], np.zeros((2, 14, 14, 1), np.float32), np.zeros(2, int))


def test_benchmark_latency_table(blobs, small_mnist):
    table = wu.benchmark_latency(
        {"float32": blobs["float32"], "dynamic_range": blobs["dynamic_range"]}, small_mnist.x_test[:1],
        warmup_s=0.05, rounds=4, round_s=0.01,
    )
    assert list(table.index) == ["float32", "dynamic_range"]
    assert {"median_us", "p5_us", "p95_us", "speedup_x", "speedup_ci_low", "speedup_ci_high"} <= set(table.columns)
    assert table.loc["float32", "speedup_x"] == 1.0
    assert (table["p5_us"] <= table["median_us"]).all() and (table["median_us"] <= table["p95_us"]).all()
    assert (table["speedup_ci_low"] <= table["speedup_x"]).all()
    assert (table["speedup_x"] <= table["speedup_ci_high"]).all()
    assert "this machine" in table.attrs["note"]


def test_benchmark_latency_bad_input(blobs, small_mnist):
    with pytest.raises(ValueError, match="at least one model"):
        wu.benchmark_latency({}, small_mnist.x_test[:1])
    with pytest.raises(ValueError, match="one image"):
        wu.benchmark_latency({"a": blobs["float32"]}, small_mnist.x_test[:3])
    with pytest.raises(ValueError, match="2 rounds"):
        wu.benchmark_latency({"a": blobs["float32"]}, small_mnist.x_test[:1], rounds=1)
    with pytest.raises(ValueError, match="num_threads"):
        wu.benchmark_latency({"a": blobs["float32"]}, small_mnist.x_test[:1], num_threads=0)
    with pytest.raises(ValueError, match="instances"):
        wu.benchmark_latency({"a": blobs["float32"]}, small_mnist.x_test[:1], instances=0)


def test_bootstrap_interval_covers_identical_models():
    rng = np.random.default_rng(0)
    base = 100 + rng.normal(0, 5, 30)
    low, high = latency._bootstrap_ratio_ci(base, base * 1.0, rng)
    assert low == pytest.approx(1.0) and high == pytest.approx(1.0)
    low, high = latency._bootstrap_ratio_ci(base, base / 2.0 + rng.normal(0, 1, 30), rng)
    assert 1.7 < low <= 2.0 <= high < 2.3


def test_bootstrap_interval_includes_spread_between_instances():
    rng = np.random.default_rng(0)
    base = np.full(12, 100.0)
    other = 50.0 * np.array([1.00, 1.02, 0.98] * 4)  # three interpreter loads, each a little different
    groups = np.arange(12) % 3
    ungrouped = latency._bootstrap_ratio_ci(base, other, np.random.default_rng(1))
    grouped = latency._bootstrap_ratio_ci(base, other, rng, groups=groups)
    assert grouped[0] <= ungrouped[0] and grouped[1] >= ungrouped[1]
    assert grouped[0] < 2.0 < grouped[1]


def test_plain_kernels_give_the_same_accuracy(blobs, small_mnist):
    with_xnnpack = wu.evaluate_tflite(blobs["full_integer"], small_mnist.x_test, small_mnist.y_test)
    plain = wu.evaluate_tflite(blobs["full_integer"], small_mnist.x_test, small_mnist.y_test, use_xnnpack=False)
    assert abs(with_xnnpack - plain) <= 0.01
    ops = {op["op_name"] for op in wu.make_interpreter(blobs["float32"], use_xnnpack=False)._get_ops_details()}
    assert "CONV_2D" in ops and "DELEGATE" not in ops


def test_latency_by_threads_side_by_side(blobs, small_mnist):
    from workshop_utils.measurement.latency import all_cores, latency_by_threads

    models = {"float32": blobs["float32"], "full_integer": blobs["full_integer"]}
    table = latency_by_threads(models, small_mnist.x_test[:1], thread_counts=(1, 2), rounds=3, round_s=0.01,
                               warmup_s=0.05, instances=1)
    assert list(table.index) == ["float32", "full_integer"]
    for n in (1, 2):
        assert table.loc["float32", f"speedup_x_{n}t"] == 1.0 and (table[f"median_us_{n}t"] > 0).all()
    assert (table["threads_gain_x"] == table["median_us_1t"] / table["median_us_2t"]).all()
    assert table.attrs["thread_counts"] == (1, 2)
    assert all_cores() == wu.machine_info().cores >= 1
    with pytest.raises(ValueError, match="thread_counts must be positive"):
        latency_by_threads(models, small_mnist.x_test[:1], thread_counts=(0,))
