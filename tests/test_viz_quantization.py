"""workshop_utils.teaching.viz.quantization: every plot returns a Figure and rejects bad input clearly."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from workshop_utils.teaching.viz import quantization as qviz  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _quantized(shape=(64, 8), seed=0):
    rng = np.random.default_rng(seed)
    w = rng.normal(0, 0.05, size=shape).astype(np.float32)
    scale = float(np.abs(w).max() / 127)
    return w, scale * np.round(w / scale), scale


def test_plot_weight_quantization():
    w, d, scale = _quantized()
    fig = qviz.plot_weight_quantization(w, d, scale=scale, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 3
    assert len(fig.axes[2].lines) == 2, "the ±scale/2 bounds"
    assert len(qviz.plot_weight_quantization(w, d).axes[2].lines) == 0


def test_histogram_edges_hold_whole_levels():
    w, d, scale = _quantized((4000,))
    levels = np.unique(d)
    edges = qviz._histogram_edges(w, levels, bins=40)
    assert edges[0] <= w.min() and edges[-1] >= w.max()
    width = (edges[1] - edges[0]) / scale
    assert abs(width - round(width)) < 1e-3 and round(width) >= 1, "a bin spans a whole number of int8 steps"
    offsets = ((levels - edges[0]) / scale) % 1
    assert np.allclose(offsets, 0.5, atol=1e-3), "every level sits in the middle of a step, never on an edge"
    uneven = qviz._histogram_edges(np.array([0.0, 0.3, 1.0]), np.array([0.0, 0.3, 1.0]), bins=10)
    assert len(uneven) == 11, "values off a uniform grid get plain equal-width bins"


@pytest.mark.parametrize(
    ("weights", "dequantized", "kwargs", "error", "message"),
    [
        (np.array([]), np.array([]), {}, ValueError, "empty"),
        (np.ones(4), np.ones(5), {}, ValueError, "shape"),
        (np.ones(4), np.ones(4), {"scale": 0.0}, ValueError, "positive"),
        (np.array(["a", "b"]), np.ones(2), {}, TypeError, "numeric"),
    ],
)
def test_plot_weight_quantization_bad_input(weights, dequantized, kwargs, error, message):
    with pytest.raises(error, match=message):
        qviz.plot_weight_quantization(weights, dequantized, **kwargs)


def test_plot_per_channel_error():
    w, per_tensor, _ = _quantized((3, 3, 4, 16))
    scale = np.abs(w).max(axis=(0, 1, 2), keepdims=True) / 127
    per_channel = scale * np.round(w / scale)
    fig = qviz.plot_per_channel_error(w, {"per-tensor": per_tensor, "per-channel": per_channel})
    assert len(fig.axes) == 2
    assert len(fig.axes[0].patches) == 16, "one bar per output channel"
    assert len(fig.axes[1].lines) == 2, "one error line per scheme"
    assert len(qviz.plot_per_channel_error(w.T, {"x": per_tensor.T}, channel_axis=0).axes[0].patches) == 16


@pytest.mark.parametrize(
    ("weights", "schemes", "message"),
    [
        (np.ones((4, 2)), {}, "at least one scheme"),
        (np.ones(4), {"a": np.ones(4)}, "channel axis"),
        (np.ones((4, 2)), {"a": np.ones((2, 4))}, "shape"),
    ],
)
def test_plot_per_channel_error_bad_input(weights, schemes, message):
    with pytest.raises(ValueError, match=message):
        qviz.plot_per_channel_error(weights, schemes)


def _sweep(with_rmse=True):
    sweep = pd.DataFrame({"samples": [1, 1, 10, 10, 100], "accuracy": [0.9, 0.92, 0.95, 0.95, 0.96]})
    if with_rmse:
        sweep["output_rmse"] = [0.5, 0.4, 0.1, 0.12, 0.05]
    return sweep


def test_plot_calibration_sweep():
    fig = qviz.plot_calibration_sweep(_sweep(), reference_accuracy=0.97)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xscale() == "log" and fig.axes[1].get_yscale() == "log"
    assert len(qviz.plot_calibration_sweep(_sweep(with_rmse=False)).axes) == 1


@pytest.mark.parametrize(
    ("sweep", "error", "message"),
    [
        ({"samples": [1]}, TypeError, "DataFrame"),
        (pd.DataFrame({"samples": [1]}), ValueError, "accuracy"),
        (pd.DataFrame({"samples": [], "accuracy": []}), ValueError, "empty"),
    ],
)
def test_plot_calibration_sweep_bad_input(sweep, error, message):
    with pytest.raises(error, match=message):
        qviz.plot_calibration_sweep(sweep)


def _layer_stats():
    return pd.DataFrame({
        "layer": ["output", "conv1", "pool1"],
        "op_name": ["FULLY_CONNECTED", "CONV_2D", "MAX_POOL_2D"],
        "tensor_idx": [20, 10, 11],
        "tensor_name": ["StatefulPartitionedCall:0", "m/conv1/Relu", "m/pool1/MaxPool"],
        "rmse/scale": [0.6, 0.25, 0.0],
    })


def test_plot_layer_errors():
    fig = qviz.plot_layer_errors(_layer_stats(), highlight=["StatefulPartitionedCall:0"])
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["conv1 (CONV_2D)", "pool1 (MAX_POOL_2D)", "output (FULLY_CONNECTED)"], "model order"
    colors = [matplotlib.colors.to_hex(bar.get_facecolor()) for bar in ax.patches]
    assert colors.count(qviz.HIGHLIGHT_COLOR.lower()) == 1
    assert len(ax.lines) == 1, "the pure-rounding reference line"
    plain = qviz.plot_layer_errors(_layer_stats().drop(columns=["op_name", "tensor_idx"]), metric="rmse/scale")
    assert [t.get_text() for t in plain.axes[0].get_yticklabels()] == ["output", "conv1", "pool1"]


@pytest.mark.parametrize(
    ("stats", "kwargs", "error", "message"),
    [
        ([1], {}, TypeError, "DataFrame"),
        (_layer_stats(), {"metric": "nope"}, ValueError, "no column 'nope'"),
        (_layer_stats().iloc[:0], {}, ValueError, "empty"),
    ],
)
def test_plot_layer_errors_bad_input(stats, kwargs, error, message):
    with pytest.raises(error, match=message):
        qviz.plot_layer_errors(stats, **kwargs)


def test_plot_fake_quantization():
    x = np.linspace(-1.5, 1.5, 101)
    y = np.clip(np.round(x * 3) / 3, -1, 1)
    gradient = (np.abs(x) <= 1).astype(float)
    assert len(qviz.plot_fake_quantization(x, y, gradient).axes) == 2
    assert len(qviz.plot_fake_quantization(x, y).axes) == 1
    with pytest.raises(ValueError, match="same length"):
        qviz.plot_fake_quantization(x, y[:-1])
    with pytest.raises(ValueError, match="one value per input"):
        qviz.plot_fake_quantization(x, y, gradient[:-1])
