import matplotlib
import numpy as np
import pandas as pd
import pytest

import workshop_utils as wu
from workshop_utils.comparison.results import COLUMNS


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


def test_microcontroller_columns():
    results = _results() + [wu.ModelResult("int8_mcu", wu.ModelSize(260, 225), 0.965, 31_000.0),
                            wu.ModelResult("hybrid", wu.ModelSize(300, 250), 0.96, mcu_note="refused: hybrid")]
    table = wu.results_table(results)
    assert (table["flash_bytes"] == table["raw_bytes"]).all()
    assert table["mcu_arena_bytes"].isna().sum() == 3 and table.loc["int8_mcu", "mcu_arena_bytes"] == 31_000.0
    text = wu.to_markdown(table)
    assert "MCU arena KB" in text and "- hybrid: refused: hybrid" in text


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
    from workshop_utils.report.table import pareto_front

    table = _three_rows()
    assert pareto_front(table) == ["pruned_int8", "int8", "float32"]
    dominated = wu.results_table(_results() + [wu.ModelResult("bad", wu.ModelSize(2000, 1800), 0.5)])
    assert "bad" not in pareto_front(dominated)


def test_smallest_within_budget():
    from workshop_utils.report.table import smallest_within_budget

    table = _three_rows()
    assert smallest_within_budget(table, 0.6) == "int8"
    assert smallest_within_budget(table, 3.0) == "pruned_int8"
    with pytest.raises(ValueError, match=">= 0"):
        smallest_within_budget(table, -1)


def test_style_table_highlights_best():
    from workshop_utils.report.table import style_table

    html = style_table(_three_rows()).to_html()
    assert "background-color: #c7e9c0" in html and "4.0x" in html


def test_size_vs_accuracy_plot_marks_choice():
    from workshop_utils.report.table import plot_size_vs_accuracy

    matplotlib.use("Agg")
    figure = plot_size_vs_accuracy(_three_rows(), highlight="int8")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == ["Pareto front", "chosen: int8"]


def test_write_outputs(tmp_path):
    from workshop_utils.report.table import write_outputs

    paths = write_outputs(_three_rows(), tmp_path / "out", title="Demo", notes="## Notes\n\nkept")
    assert pd.read_csv(paths["csv"], index_col="technique").shape[0] == 3
    text = paths["markdown"].read_text()
    assert text.startswith("# Demo") and "| pruned_int8" in text and "kept" in text
    assert paths["figure"].stat().st_size > 10_000
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.startswith(".")]


def test_every_output_carries_the_machine_stamp(tmp_path):
    import json

    from workshop_utils.report.table import machine_stamp, plot_comparison, to_markdown, write_outputs

    matplotlib.use("Agg")
    table = wu.results_table(_results(), _latency())
    stamp = str(wu.machine_info())
    assert machine_stamp(table) == stamp
    assert to_markdown(table).rstrip().endswith(f"Measured on: {stamp}")
    figure = plot_comparison(table)
    assert any(f"Measured on: {stamp}" == text.get_text() for text in figure.texts)
    paths = write_outputs(table, tmp_path / "out", title="Demo")
    assert f"Measured on: {stamp}" in paths["markdown"].read_text()
    sidecar = json.loads(paths["machine"].read_text())
    assert sidecar["stamp"] == stamp and sidecar["describes"] == "results.csv"
    assert sidecar["num_threads"] == table.attrs.get("num_threads")
    assert "Measured on" not in paths["csv"].read_text()  # the CSV stays a plain table


def test_table_without_stamp_prints_none():
    from workshop_utils.report.table import machine_stamp, to_markdown

    table = wu.results_table(_results(), _latency())
    table.attrs.pop("machine")
    assert machine_stamp(table) is None
    assert "Measured on" not in to_markdown(table)
