import subprocess
import sys

import pandas as pd
import pytest

from workshop_utils import cli


def test_compare_writes_three_files(tmp_path):
    out = tmp_path / "results"
    result = subprocess.run(
        [sys.executable, "-m", "workshop_utils", "compare", "--fast", "--offline", "--out", str(out),
         "--only", "dynamic_range,full_integer"],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = pd.read_csv(out / "results.csv", index_col="technique")
    assert list(table.index) == ["float32", "dynamic_range", "full_integer"]
    assert (out / "comparison.png").stat().st_size > 10_000
    assert "| full_integer" in (out / "results.md").read_text()
    assert "Wrote" in result.stdout


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
