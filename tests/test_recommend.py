"""The recommendation (boards, the one rule, its reasons) and the files to ship (models, JSON, C that compiles)."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

import workshop_utils as wu
from workshop_utils.comparison.run import Comparison
from workshop_utils.measurement.boards import BOARDS, KB, Board
from workshop_utils.measurement.c_source import c_array, c_header, parse_c_array
from workshop_utils.report.deliverables import format_recommendation, write_deliverables
from workshop_utils.report.recommend import parse_board, recommend
from workshop_utils.report.table import smallest_within_budget

REFUSED = "refused by TensorFlow Lite Micro: CONV_2D (node 0): Hybrid models are not supported"
ABORTED = "TFLite Micro aborted on this model (signal 6, SIGABRT): in Interpreter.from_bytes, nothing printed"


def _blob(n: int) -> bytes:
    """``n`` bytes that pass as a flatbuffer (the 'TFL3' identifier at offset 4); C files need no real model."""
    return (b"\x1c\x00\x00\x00TFL3" + bytes(range(256)) * (n // 256 + 1))[:n]


def _table():
    """float32 first (the reference); the smaller rows each fail a different part of the rule, or pass it."""
    results = [
        wu.ModelResult("float32", wu.ModelSize(400 * KB, 380 * KB), 0.970, mcu_arena_bytes=120 * KB),
        wu.ModelResult("int4_weights", wu.ModelSize(60 * KB, 50 * KB), 0.969, mcu_note=REFUSED),
        wu.ModelResult("mobilenet_int8", wu.ModelSize(70 * KB, 60 * KB), 0.968, mcu_note=ABORTED),
        wu.ModelResult("pruned_int8", wu.ModelSize(80 * KB, 30 * KB), 0.940, mcu_arena_bytes=40 * KB),
        wu.ModelResult("full_integer", wu.ModelSize(100 * KB, 90 * KB), 0.966, mcu_arena_bytes=40 * KB),
        wu.ModelResult("int16x8", wu.ModelSize(110 * KB, 95 * KB), 0.970, mcu_arena_bytes=80 * KB),
    ]
    return wu.results_table(results)


def test_parse_board_names_and_custom_sizes():
    nano = next(b for b in BOARDS if b.name == "Arduino Nano 33 BLE Sense")
    assert parse_board("nano33ble") is nano and parse_board("arduino nano 33 ble sense") is nano
    custom = parse_board("256,1024")
    assert (custom.ram_bytes, custom.flash_bytes) == (256 * KB, 1024 * KB) and "256 KB RAM" in custom.name
    assert parse_board(" 64.5 , 512 ").ram_bytes == int(64.5 * KB)
    with pytest.raises(ValueError, match="unknown board 'nano99'") as caught:
        parse_board("nano99")
    assert all(board.key in str(caught.value) for board in BOARDS) and "RAM_KB,FLASH_KB" in str(caught.value)
    with pytest.raises(ValueError, match="positive"):
        parse_board("0,1024")
    assert len({board.key for board in BOARDS}) == len(BOARDS) and all(board.key for board in BOARDS)


def test_recommend_skips_rows_tflm_cannot_run_and_says_why():
    rec = recommend(_table(), parse_board("1024,4096"), max_drop_pts=1.0)
    assert rec.row == "full_integer" and rec.arena_bytes == 40 * KB and rec.flash_bytes == 100 * KB
    assert list(rec.reasons) == ["int4_weights", "mobilenet_int8", "pruned_int8"]  # smallest flash first
    assert rec.reasons["int4_weights"] == REFUSED and rec.reasons["mobilenet_int8"] == ABORTED
    assert rec.reasons["pruned_int8"] == "loses 3.00 accuracy points > 1 allowed"
    assert recommend(_table(), parse_board("1024,4096"), max_drop_pts=5).row == "pruned_int8"
    # the same rule without a board, and the old picker through it: never a row TFLM refuses
    assert smallest_within_budget(_table(), 1.0, runtime="tflm") == "full_integer"
    assert smallest_within_budget(_table(), 1.0) == "int4_weights"  # LiteRT runs every row: smallest zipped
    assert smallest_within_budget(_table(), 5.0) == "pruned_int8"


def test_recommend_respects_the_margins():
    table = _table()
    # 50 KB RAM: a 40 KB arena fits only if at most 20% is kept for the program
    tight = Board("tight", "chip", 50 * KB, 4096 * KB, "https://example.com")
    assert recommend(table, tight, ram_margin=0.2).row == "full_integer"
    rec = recommend(table, tight, ram_margin=0.25)
    assert rec.row is None  # every other row failed another part of the rule
    assert rec.reasons["full_integer"] == "arena 40.0 KB > 37.5 KB allowed (75% of 50.0 KB RAM)"
    # flash: 120 KB of flash with a quarter kept leaves 90 KB, too little for full_integer's 100 KB
    small_flash = Board("small flash", "chip", 1024 * KB, 120 * KB, "https://example.com")
    expected = "flash 100.0 KB > 90.0 KB allowed (75% of 120.0 KB flash)"
    assert recommend(table, small_flash).reasons["full_integer"] == expected
    with pytest.raises(ValueError, match="ram_margin"):
        recommend(table, tight, ram_margin=1.0)
    with pytest.raises(ValueError, match=">= 0"):
        recommend(table, tight, max_drop_pts=-1)


def test_nothing_fits_gives_every_reason():
    rec = recommend(_table(), parse_board("16,64"), max_drop_pts=0.5)
    assert rec.row is None and set(rec.reasons) == set(_table().index)
    saved = json.loads(rec.to_json())
    assert saved["row"] is None and saved["board"]["ram_bytes"] == 16 * KB and saved["passed_over"] == rec.reasons
    text = format_recommendation(rec)
    assert text.startswith("No row fits") and all(f"  {row}: " in text for row in rec.reasons)


def _comparison() -> Comparison:
    table = _table()
    return Comparison(table=table, blobs={row: _blob(2000 + 10 * i) for i, row in enumerate(table.index)})


def test_deliverables_are_written(tmp_path):
    comparison = _comparison()
    paths = write_deliverables(comparison, tmp_path / "out", board="1024,4096")
    for row, blob in comparison.blobs.items():
        assert paths[f"models/{row}"] == tmp_path / "out" / "models" / f"{row}.tflite"
        assert paths[f"models/{row}"].read_bytes() == blob
    saved = json.loads(paths["recommendation"].read_text())
    assert saved["row"] == "full_integer" and saved["arena_bytes"] == 40 * KB
    assert saved["accuracy"] == pytest.approx(0.966) and saved["passed_over"]["int4_weights"] == REFUSED
    source, header = paths["c_source"].read_text(), paths["c_header"].read_text()
    assert parse_c_array(source) == comparison.blobs["full_integer"]
    assert '#include "model_data.h"' in source and f"G_MODEL_ARENA_BYTES {40 * KB}" in header
    assert not list((tmp_path / "out").rglob(".*"))  # no temporary files left behind
    text = format_recommendation(recommend(comparison.table, parse_board("1024,4096")))
    assert text.startswith("Ship full_integer on custom board") and "  int4_weights: refused" in text
    only_models = write_deliverables(comparison, tmp_path / "plain")
    assert set(only_models) == {f"models/{row}" for row in comparison.blobs}
    none_fit = write_deliverables(comparison, tmp_path / "tiny", board="16,64")
    assert "c_source" not in none_fit and json.loads(none_fit["recommendation"].read_text())["row"] is None


COMPILERS = [("gcc", "-std=c99", "c"), ("gcc", "-std=c11", "c"), ("g++", "-std=c++11", "c++")]
MAIN = """#include <stdio.h>
#include "model_data.h"
int main(void) {
  printf("%u %d %u\\n", g_model_len, (int)((unsigned long)(const void *)g_model % 16u), (unsigned)g_model[4]);
  return 0;
}
"""


@pytest.mark.parametrize(("compiler", "standard", "language"), COMPILERS)
def test_c_files_compile_and_link(tmp_path, compiler, standard, language):
    if shutil.which(compiler) is None:
        pytest.skip(f"{compiler} is not installed, so the {standard} build cannot be checked here")
    blob = _blob(1234)
    (tmp_path / "model_data.h").write_text(c_header("g_model", arena_bytes=4096, description="test model"))
    (tmp_path / "model_data.c").write_text(c_array(blob, "g_model", header="model_data.h"))
    (tmp_path / "main.c").write_text(MAIN)
    (tmp_path / "alone.c").write_text(c_array(blob, "g_other"))  # the standalone form (wu.mcu.c_array)
    flags = [compiler, standard, "-x", language, "-Wall", "-Wextra", "-pedantic", "-Werror"]
    for source in ("model_data.c", "main.c", "alone.c"):
        done = subprocess.run([*flags, "-c", source, "-o", f"{source}.o"], cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, f"{compiler} {standard} {source}:\n{done.stderr}"
    link = subprocess.run([compiler, "model_data.c.o", "main.c.o", "alone.c.o", "-o", "demo"], cwd=tmp_path,
                          capture_output=True, text=True)
    assert link.returncode == 0, link.stderr
    printed = subprocess.run([str(tmp_path / "demo")], capture_output=True, text=True, check=True).stdout.split()
    assert printed == [str(len(blob)), "0", str(blob[4])]  # length, 16-byte alignment, the bytes themselves


def test_c_header_is_c_and_cpp():
    header = c_header("g_model", guard="MY_MODEL_H_")
    assert header.count("#ifndef MY_MODEL_H_") == 1 and 'extern "C"' in header and "//" not in header
    with pytest.raises(ValueError, match="C identifier"):
        c_header("g-model")


def test_c_model_links_into_a_cpp_program(tmp_path):
    if shutil.which("gcc") is None or shutil.which("g++") is None:
        pytest.skip("gcc and g++ are both needed to link C model data into a C++ program")
    blob = _blob(777)
    (tmp_path / "model_data.h").write_text(c_header("g_model"))
    (tmp_path / "model_data.c").write_text(c_array(blob, "g_model", header="model_data.h"))
    (tmp_path / "main.cc").write_text(MAIN)
    steps = [["gcc", "-std=c99", "-pedantic", "-Werror", "-c", "model_data.c", "-o", "model_data.o"],
             ["g++", "-std=c++11", "-pedantic", "-Werror", "main.cc", "model_data.o", "-o", "demo"]]
    for step in steps:  # without extern "C" in the header the C++ side would look for a mangled name
        done = subprocess.run(step, cwd=tmp_path, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    printed = subprocess.run([str(tmp_path / "demo")], capture_output=True, text=True, check=True).stdout.split()
    assert printed == [str(len(blob)), "0", str(blob[4])]


def test_recommend_passes_over_rows_without_a_model():
    results = [
        wu.ModelResult("float32", wu.ModelSize(400 * KB, 380 * KB), 0.970, mcu_arena_bytes=120 * KB),
        wu.ModelResult("pruned_int8", None, float("nan"), row_note="pruning failed: layer 'x' is not supported"),
        wu.ModelResult("full_integer", wu.ModelSize(100 * KB, 90 * KB), 0.966, mcu_arena_bytes=40 * KB),
    ]
    rec = recommend(wu.results_table(results), parse_board("1024,4096"))
    assert rec.row == "full_integer"
    assert rec.reasons["pruned_int8"] == "pruning failed: layer 'x' is not supported"
