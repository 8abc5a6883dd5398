import pytest

import workshop_utils as wu
from workshop_utils import compare

PTQ_ROWS = ["dynamic_range", "full_integer", "float16", "int16x8"]


def test_all_thirteen_rows_defined():
    assert len(wu.ROW_NAMES) == 13 and wu.ROW_NAMES[0] == "float32"
    from workshop_utils.recipes import RECIPES

    assert {row.technique for row in wu.ROWS} - {"baseline"} <= set(RECIPES)


def test_select_rows_always_includes_reference():
    assert [row.name for row in compare.select_rows(["int16x8"])] == ["float32", "int16x8"]
    with pytest.raises(ValueError, match="Valid rows"):
        compare.select_rows(["nope"])


def test_comparison_rows_cached_and_resumed(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    first = wu.run_comparison(small_mnist, only=PTQ_ROWS[:2], measure_latency=False, log=lambda _: None)
    assert list(first.table.index) == ["float32", "dynamic_range", "full_integer"]
    assert not any(first.cached.values())
    # an interrupted run leaves whole entries only; a rerun with more rows computes just the new ones
    second = wu.run_comparison(small_mnist, only=PTQ_ROWS, measure_latency=False, log=lambda _: None)
    assert second.cached == {"float32": True, "dynamic_range": True, "full_integer": True,
                             "float16": False, "int16x8": False}
    table = second.table
    assert table.loc["full_integer", "compression_x"] > 3.5
    assert abs(table.loc["full_integer", "accuracy_delta_pts"]) < 3
    assert table.loc["float32", "compression_x"] == 1.0


def test_truncated_row_cache_is_recomputed(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    wu.run_comparison(small_mnist, only=["float16"], measure_latency=False, log=lambda _: None)
    for blob in (tmp_path / "rows").glob("*.tflite"):
        blob.write_bytes(blob.read_bytes()[:50])
    again = wu.run_comparison(small_mnist, only=["float16"], measure_latency=False, log=lambda _: None)
    assert not any(again.cached.values())


def test_comparison_with_latency(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    result = wu.run_comparison(small_mnist, only=["full_integer"], fast=True, log=lambda _: None)
    assert result.table["speedup_x"].notna().all()
    assert result.table.loc["float32", "speedup_x"] == 1.0
