import json
import subprocess
import sys

import pandas as pd
import pytest

from workshop_utils import cli


def test_compare_writes_three_files(tmp_path):
    out = tmp_path / "results"
    readme = tmp_path / "README.md"
    readme.write_text("# Demo\n\n<!-- results:start -->\nold\n<!-- results:end -->\n\nafter\n")
    result = subprocess.run(
        [sys.executable, "-m", "workshop_utils", "compare", "--fast", "--offline", "--out", str(out),
         "--only", "dynamic_range,full_integer", "--readme", str(readme)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(out / "results.csv", index_col="technique")
    assert list(table.index) == ["float32", "dynamic_range", "full_integer"]
    assert (out / "comparison.png").stat().st_size > 10_000
    markdown = (out / "results.md").read_text()
    stamp = json.loads((out / "results.machine.json").read_text())["stamp"]
    assert "| full_integer" in markdown and f"Measured on: {stamp}" in markdown
    assert f"Measured on: {stamp}" in result.stdout  # the printed table carries it too
    text = readme.read_text()
    assert "old" not in text and text.endswith("<!-- results:end -->\n\nafter\n")
    assert "| full_integer" in text and "full_integer ran at" in text and "--readme" in text
    assert "Wrote" in result.stdout and str(readme) in result.stdout


def test_unknown_row_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--only", "float32,warp_drive"])
    assert exit_info.value.code == 2
    assert "Unknown row(s) ['warp_drive']. Valid rows: float32" in capsys.readouterr().err


def test_threads_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        cli.main(["compare", "--threads", "0"])
    assert "at least 1" in capsys.readouterr().err


def test_clean_cache(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    (tmp_path / "junk.json").write_text("{}")
    assert cli.main(["clean-cache"]) == 0
    assert not (tmp_path / "junk.json").exists()
    assert "Emptied" in capsys.readouterr().out


def test_unwritable_out_is_a_usage_error_before_any_work(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    started = []
    monkeypatch.setattr(cli, "run_compare", lambda args: started.append(args) or 0)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--out", str(blocker / "results")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "usage:" in err and "argument --out: cannot create or write the output folder" in err
    assert str(blocker / "results") in err
    assert started == []  # nothing was trained or measured


def test_unknown_dataset_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--dataset", "nosuch"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --dataset: invalid choice: 'nosuch'" in err and "mnist" in err


def test_readme_without_markers_is_a_usage_error(tmp_path, capsys, monkeypatch):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n\nno markers here\n")
    monkeypatch.setattr(cli, "run_compare", lambda args: 0)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--out", str(tmp_path / "out"), "--readme", str(readme)])
    assert exit_info.value.code == 2
    assert "<!-- results:start -->" in capsys.readouterr().err
    readme.write_text("# Title\n\n<!-- results:start -->\nold\n<!-- results:end -->\n")
    assert cli.main(["compare", "--out", str(tmp_path / "out"), "--readme", str(readme)]) == 0


def test_board_and_max_drop_are_checked_before_any_work(capsys, monkeypatch):
    monkeypatch.setattr(cli, "run_compare", lambda args: pytest.fail("compare started"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["compare", "--board", "nano99"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "argument --board: unknown board 'nano99'" in err and "nano33ble" in err and "RAM_KB,FLASH_KB" in err
    with pytest.raises(SystemExit):
        cli.main(["compare", "--board", "256,1024", "--max-drop", "-0.5"])
    assert "argument --max-drop: must be a number of points >= 0" in capsys.readouterr().err


def test_compare_with_a_board_prints_and_writes_the_recommendation(tmp_path, capsys, monkeypatch):
    import workshop_utils as wu
    from workshop_utils.comparison import run
    from workshop_utils.comparison.run import Comparison

    results = [wu.ModelResult("float32", wu.ModelSize(4000, 3000), 0.97, mcu_arena_bytes=9000.0),
               wu.ModelResult("int4_weights", wu.ModelSize(900, 700), 0.97, mcu_note="refused by TensorFlow Lite "
                              "Micro: Hybrid models are not supported"),
               wu.ModelResult("full_integer", wu.ModelSize(1200, 1000), 0.968, mcu_arena_bytes=3000.0)]
    blobs = {r.technique: b"\x1c\x00\x00\x00TFL3" + bytes(r.size.raw_bytes - 8) for r in results}
    monkeypatch.setattr(run, "run_comparison", lambda *a, **k: Comparison(wu.results_table(results), blobs))
    out = tmp_path / "out"
    assert cli.main(["compare", "--offline", "--out", str(out), "--board", "nano33ble", "--max-drop", "0.5"]) == 0
    printed = capsys.readouterr().out
    assert "Ship full_integer on Arduino Nano 33 BLE Sense" in printed and "  int4_weights: refused by" in printed
    assert json.loads((out / "recommendation.json").read_text())["row"] == "full_integer"
    assert sorted(p.name for p in (out / "models").iterdir()) == sorted(f"{name}.tflite" for name in blobs)
    assert (out / "model_data.c").exists() and (out / "model_data.h").exists()


@pytest.fixture(scope="module")
def tiny_tflite(tmp_path_factory):
    import numpy as np
    import tf_keras as keras

    import workshop_utils as wu

    wu.set_seeds(0)
    model = keras.Sequential([keras.layers.InputLayer(input_shape=(8, 8, 1)),
                              keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    calibration = np.random.default_rng(0).random((16, 8, 8, 1), dtype=np.float32)
    path = tmp_path_factory.mktemp("profile") / "tiny.tflite"
    path.write_bytes(wu.to_tflite(model, "full_integer", representative_data=calibration))
    return path


def test_profile_prints_one_screen(tiny_tflite, capsys):
    from workshop_utils.measurement import mcu

    assert cli.main(["profile", str(tiny_tflite), "--board", "16,64"]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("tiny.tflite\n") and f"{tiny_tflite.stat().st_size / 1024:,.1f} KB" in printed
    assert "CONV_2D" in printed and "int8[1, 8, 8, 1]" in printed and "µs median" in printed
    if mcu.mcu_available():
        arena = mcu.measure_arena(tiny_tflite.read_bytes())
        assert f"runs; tensor arena {arena / 1024:,.1f} KB" in printed
        assert "Arduino Nano 33 BLE Sense" in printed and "On custom board (16 KB RAM, 64 KB flash): fits." in printed
    assert len(printed.splitlines()) < 25  # one screen


def test_profile_bad_path_is_a_usage_error(tmp_path, capsys):
    for bad, message in ((tmp_path / "missing.tflite", "is not a file"), (tmp_path, "is not a file")):
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["profile", str(bad)])
        assert exit_info.value.code == 2 and message in capsys.readouterr().err
    text = tmp_path / "notes.tflite"
    text.write_text("not a model")
    with pytest.raises(SystemExit):
        cli.main(["profile", str(text)])
    assert "no 'TFL3' identifier" in capsys.readouterr().err
