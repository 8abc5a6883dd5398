"""Collaborative-optimization plots and summaries: they boil weight stats down correctly and reject bad input."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from workshop_utils.teaching.viz import collaborative as cviz  # noqa: E402


def _stats(zeros: tuple[int, int], unique: tuple[int, int], per_channel: tuple[int, int]) -> pd.DataFrame:
    """A tflite_weight_stats-like table: a small conv kernel and a big dense kernel."""
    return pd.DataFrame({
        "name": ["m/quant_conv1/Conv2D;m/quant_conv1/LastValueQuant/FakeQuant", "m/dense/MatMul"],
        "params": [100, 900],
        "zeros": list(zeros),
        "unique_values": list(unique),
        "max_unique_per_channel": list(per_channel),
    })


@pytest.fixture()
def stats_by_model() -> dict[str, pd.DataFrame]:
    return {
        "pruned + QAT": _stats((10, 300), (120, 200), (60, 110)),
        "pruned + PQAT": _stats((80, 720), (40, 180), (9, 100)),
        "pruned + clustered + PCQAT": _stats((80, 720), (30, 16), (16, 16)),
    }


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize(
    ("tensor", "layer"),
    [
        ("baseline_cnn/dense/MatMul", "dense"),
        ("baseline_cnn/quant_conv2/Conv2D;baseline_cnn/quant_conv2/LastValueQuant/FakeQuantWithMinMaxVars", "conv2"),
        ("model/quant_/MatMul", "quant_"),
        ("kernel", "kernel"),
    ],
)
def test_layer_name_finds_the_keras_layer(tensor, layer):
    assert cviz.layer_name(tensor) == layer


@pytest.mark.parametrize("bad", ["", None, 3])
def test_layer_name_rejects_non_names(bad):
    with pytest.raises(TypeError, match="TFLite tensor name"):
        cviz.layer_name(bad)


def test_structure_summary_weights_sparsity_by_kernel_size(stats_by_model):
    summary = cviz.structure_summary(stats_by_model["pruned + PQAT"])
    assert summary == {"sparsity": pytest.approx(0.8), "largest_kernel": "dense", "largest_kernel_unique": 180,
                       "max_unique_per_channel": 100}


def test_structure_table_keeps_order_and_names(stats_by_model):
    table = cviz.structure_table(stats_by_model)
    assert list(table.index) == list(stats_by_model)
    assert list(table.columns) == ["sparsity", "largest_kernel", "largest_kernel_unique", "max_unique_per_channel"]
    assert table.loc["pruned + QAT", "sparsity"] == pytest.approx(0.31)
    assert table.loc["pruned + clustered + PCQAT", "largest_kernel_unique"] == 16


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        ([1, 2], TypeError, "tflite_weight_stats"),
        (pd.DataFrame({"name": ["a"], "params": [1]}), ValueError, "lacks the columns"),
        (_stats((0, 0), (1, 1), (1, 1)).iloc[:0], ValueError, "no kernels"),
    ],
)
def test_structure_summary_rejects_bad_stats(bad, error, message):
    with pytest.raises(error, match=message):
        cviz.structure_summary(bad)


@pytest.mark.parametrize("bad", [{}, [], None])
def test_structure_table_needs_a_dict_of_stats(bad):
    with pytest.raises(ValueError, match="non-empty dict"):
        cviz.structure_table(bad)


def test_structure_table_names_the_bad_entry(stats_by_model):
    with pytest.raises(ValueError, match=r"stats_by_model\['broken'\] lacks"):
        cviz.structure_table({**stats_by_model, "broken": pd.DataFrame({"name": ["x"]})})


def test_plot_structure_draws_three_panels_with_guides(stats_by_model):
    table = cviz.structure_table(stats_by_model)
    table["zipped_bytes"] = [120_000, 80_000, 55_000]
    fig = cviz.plot_structure(table, target_sparsity=0.8, clusters=16, title="t")
    assert isinstance(fig, Figure)
    zeros_ax, values_ax, size_ax = fig.axes[:3]
    np.testing.assert_allclose([bar.get_width() for bar in zeros_ax.patches], [31.0, 80.0, 80.0])
    assert [bar.get_width() for bar in values_ax.patches] == [200, 180, 16]
    np.testing.assert_allclose(values_ax.collections[0].get_offsets()[:, 0], [110, 100, 16])
    np.testing.assert_allclose([bar.get_width() for bar in size_ax.patches], np.array([120, 80, 55]) * 1000 / 1024)
    assert [t.get_text() for t in zeros_ax.get_yticklabels()] == list(stats_by_model)
    assert zeros_ax.lines[0].get_xdata()[0] == 80.0 and values_ax.lines[0].get_xdata()[0] == 16
    assert values_ax.get_xscale() == "log"
    assert fig._suptitle.get_text() == "t"


def test_plot_structure_without_size_or_guides(stats_by_model):
    fig = cviz.plot_structure(cviz.structure_table(stats_by_model))
    assert len(fig.axes) == 2
    assert not fig.axes[0].lines and not fig.axes[1].lines


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"table": [1]}, TypeError, "structure_table"),
        ({"table": pd.DataFrame({"sparsity": [0.1]})}, ValueError, "lacks the columns"),
        ({"target_sparsity": 80}, ValueError, "fraction"),
        ({"clusters": 0}, ValueError, "positive integer"),
    ],
)
def test_plot_structure_rejects_bad_input(stats_by_model, kwargs, error, message):
    arguments = {"table": cviz.structure_table(stats_by_model), **kwargs}
    with pytest.raises(error, match=message):
        cviz.plot_structure(**arguments)


def test_plot_structure_rejects_an_empty_table(stats_by_model):
    empty = cviz.structure_table(stats_by_model).iloc[:0]
    with pytest.raises(ValueError, match="empty"):
        cviz.plot_structure(empty)
