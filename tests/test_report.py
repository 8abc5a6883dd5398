import matplotlib
import numpy as np
import pandas as pd
import pytest

import workshop_utils as wu
from workshop_utils.report import COLUMNS


def _results():
    return [
        wu.ModelResult("float32", wu.ModelSize(1000, 900), 0.97),
        wu.ModelResult("int8", wu.ModelSize(260, 225), 0.965),
    ]


def _latency():
    return pd.DataFrame(
        {"median_us": [60.0, 24.0], "p5_us": [58.0, 23.0], "p95_us": [70.0, 30.0], "speedup_x": [1.0, 2.5],
         "speedup_ci_low": [1.0, 2.4], "speedup_ci_high": [1.0, 2.6]},
        index=pd.Index(["float32", "int8"], name="model"),
    )


def test_results_table_columns_and_ratios():
    table = wu.results_table(_results(), _latency())
    assert [table.index.name, *table.columns] == list(COLUMNS)
    assert table.loc["int8", "compression_x"] == pytest.approx(4.0)
    assert table.loc["int8", "accuracy_delta_pts"] == pytest.approx(-0.5)
    assert table.loc["int8", "latency_median_us"] == 24.0 and table.loc["int8", "speedup_ci_high"] == 2.6


def test_results_table_without_latency_has_nan():
    table = wu.results_table(_results())
    assert table["speedup_x"].isna().all()


def test_results_table_bad_input():
    with pytest.raises(ValueError, match="at least one"):
        wu.results_table([])
    with pytest.raises(ValueError, match="Duplicate"):
        wu.results_table(_results() * 2)
    with pytest.raises(ValueError, match="Reference 'fp64'"):
        wu.results_table(_results(), reference="fp64")


def test_markdown_and_pretty_table():
    text = wu.to_markdown(wu.results_table(_results(), _latency()))
    assert "| int8" in text and "4.0x" in text and "2.50x [2.40, 2.60]" in text


def test_plot_comparison_three_panels():
    matplotlib.use("Agg")
    figure = wu.plot_comparison(wu.results_table(_results(), _latency()))
    assert len(figure.axes) == 3
    figure_no_latency = wu.plot_comparison(wu.results_table(_results()))
    assert len(figure_no_latency.axes) == 3


def test_plot_image_grid(small_mnist):
    matplotlib.use("Agg")
    figure = wu.plot_image_grid(small_mnist.x_test, small_mnist.y_test, n=10, predictions=small_mnist.y_test)
    assert len([ax for ax in figure.axes if ax.images]) == 10
    with pytest.raises(ValueError, match="labels"):
        wu.plot_image_grid(small_mnist.x_test[:3], small_mnist.y_test[:2])
    with pytest.raises(ValueError, match="at least one"):
        wu.plot_image_grid(np.zeros((0, 8, 8, 1)), np.zeros(0))
