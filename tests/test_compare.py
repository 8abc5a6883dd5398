import math

import pytest

import workshop_utils as wu
from workshop_utils import mcu
from workshop_utils.comparison import modes, rows
from workshop_utils.comparison import run as compare

PTQ_ROWS = ["dynamic_range", "full_integer", "float16", "int16x8"]


def test_rows_defined():
    assert wu.ROW_NAMES[0] == "float32" and len(set(wu.ROW_NAMES)) == len(wu.ROW_NAMES)
    from workshop_utils.recipes import RECIPES

    assert {row.technique for row in wu.ROWS} - {"baseline"} <= set(RECIPES)
    assert {row.mode for row in wu.ROWS} <= set(wu.MODES) | modes.row_modes()
    assert {"int4_weights", "pruned_int4", "clustered_int4"} <= set(wu.ROW_NAMES)


def test_select_rows_always_includes_reference():
    assert [row.name for row in rows.select_rows(["int16x8"])] == ["float32", "int16x8"]
    with pytest.raises(ValueError, match="Valid rows"):
        rows.select_rows(["nope"])


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
    lines = []
    again = wu.run_comparison(small_mnist, only=["float16"], measure_latency=False, log=lines.append)
    assert not any(again.cached.values())
    for name in ("float32", "float16"):  # the log names the row and why it is recomputed
        assert any(line.startswith(f"[{name}] cached row") and "has 50 bytes instead of" in line
                   and "(truncated or replaced). Recomputing." in line for line in lines), lines
    (meta,) = [path for path in (tmp_path / "rows").glob("*.json")
               if compare.cache.read_json(path).get("row") == "float16"]
    meta.write_text('{"key": "')  # a half-written metadata file
    lines.clear()
    third = wu.run_comparison(small_mnist, only=["float16"], measure_latency=False, log=lines.append)
    assert third.cached == {"float32": True, "float16": False}
    assert any(line.startswith("[float16] cached row") and "metadata is missing or unreadable" in line
               for line in lines), lines


def test_comparison_with_latency(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    result = wu.run_comparison(small_mnist, only=["full_integer"], fast=True, log=lambda _: None)
    assert result.table["speedup_x"].notna().all()
    assert result.table.loc["float32", "speedup_x"] == 1.0


def test_int4_row_and_microcontroller_columns_are_cached(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    first = wu.run_comparison(small_mnist, only=["full_integer", "int4_weights"], measure_latency=False,
                              log=lambda _: None)
    table = first.table
    assert (table["flash_bytes"] == table["raw_bytes"]).all()
    assert table.loc["int4_weights", "compression_x"] > 6  # 4-bit weights instead of 32-bit
    assert abs(table.loc["int4_weights", "accuracy_delta_pts"]) < 3
    if mcu.mcu_available():
        assert table.loc["full_integer", "mcu_arena_bytes"] * 2 < table.loc["float32", "mcu_arena_bytes"]
        assert table.loc["full_integer", "mcu_note"] == ""
        assert math.isnan(table.loc["int4_weights", "mcu_arena_bytes"])
        assert table.loc["int4_weights", "mcu_note"].startswith("refused by TensorFlow Lite Micro: ")
    # the arena is cached with the row: a rerun reads it instead of measuring again
    monkeypatch.setattr(compare, "arena_or_reason", lambda *a: pytest.fail("arena measured again"))
    second = wu.run_comparison(small_mnist, only=["full_integer", "int4_weights"], measure_latency=False,
                               log=lambda _: None)
    assert all(second.cached.values())
    assert second.table["mcu_arena_bytes"].equals(table["mcu_arena_bytes"])


def test_new_int4_and_keras_rows_are_produced(small_mnist, monkeypatch, tmp_path):
    from workshop_utils.measurement.tflite_file import file_summary

    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compare, "arena_or_reason", lambda *a: (None, "not measured in this test"))
    names = ["int4_weights", "int4_weight_only", "keras_int4"]
    result = wu.run_comparison(small_mnist, only=names, measure_latency=False, log=lambda _: None)
    table = result.table
    assert list(table.index) == ["float32", *names]
    assert {row.mode for row in rows.ROWS if row.name in names} <= modes.row_modes()
    for name in ("int4_weights", "int4_weight_only"):
        assert file_summary(result.blobs[name]).has_int4, name
        assert table.loc[name, "compression_x"] > 6 and abs(table.loc[name, "accuracy_delta_pts"]) < 3
    assert "DEQUANTIZE" in file_summary(result.blobs["int4_weight_only"]).ops
    assert "DEQUANTIZE" not in file_summary(result.blobs["int4_weights"]).ops  # dynamic: the kernels take int4
    assert not file_summary(result.blobs["keras_int4"]).has_int4  # Keras' int4 export keeps no INT4 tensor
    assert table.loc["keras_int4", "raw_bytes"] > table.loc["float32", "raw_bytes"]


def test_without_tflite_micro_the_arena_is_empty_with_the_reason(small_mnist, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))

    def unavailable(*_):
        raise mcu.McuUnavailableError("no wheel here")

    monkeypatch.setattr(compare, "arena_or_reason", unavailable)
    table = wu.run_comparison(small_mnist, only=["float16"], measure_latency=False, log=lambda _: None).table
    assert table["mcu_arena_bytes"].isna().all()
    assert table["mcu_note"].str.contains("not available").all()
    metas = [compare.cache.read_json(path) for path in (tmp_path / "rows").glob("*.json")]
    assert metas and not any("mcu_arena_bytes" in meta for meta in metas)  # measured later, where it can run
