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


def _three_rows():
    results = _results() + [wu.ModelResult("pruned_int8", wu.ModelSize(250, 90), 0.95)]
    return wu.results_table(results, _latency())


def test_pareto_front_drops_dominated_rows():
    from workshop_utils.report import pareto_front

    table = _three_rows()
    assert pareto_front(table) == ["pruned_int8", "int8", "float32"]
    dominated = wu.results_table(_results() + [wu.ModelResult("bad", wu.ModelSize(2000, 1800), 0.5)])
    assert "bad" not in pareto_front(dominated)


def test_smallest_within_budget():
    from workshop_utils.report import smallest_within_budget

    table = _three_rows()
    assert smallest_within_budget(table, 0.6) == "int8"
    assert smallest_within_budget(table, 3.0) == "pruned_int8"
    with pytest.raises(ValueError, match=">= 0"):
        smallest_within_budget(table, -1)


def test_style_table_highlights_best():
    from workshop_utils.report import style_table

    html = style_table(_three_rows()).to_html()
    assert "background-color: #c7e9c0" in html and "4.0x" in html


def test_size_vs_accuracy_plot_marks_choice():
    from workshop_utils.report import plot_size_vs_accuracy

    matplotlib.use("Agg")
    figure = plot_size_vs_accuracy(_three_rows(), highlight="int8")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == ["Pareto front", "chosen: int8"]


def test_write_outputs(tmp_path):
    from workshop_utils.report import write_outputs

    paths = write_outputs(_three_rows(), tmp_path / "out", title="Demo", notes="## Notes\n\nkept")
    assert pd.read_csv(paths["csv"], index_col="technique").shape[0] == 3
    text = paths["markdown"].read_text()
    assert text.startswith("# Demo") and "| pruned_int8" in text and "kept" in text
    assert paths["figure"].stat().st_size > 10_000
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]
