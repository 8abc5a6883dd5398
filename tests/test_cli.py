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
