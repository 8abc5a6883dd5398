"""One home address: pyproject.toml holds it, `retarget` rewrites it everywhere, the hygiene test enforces it."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import notebook_hygiene as hygiene
import pytest

from workshop_utils import cli
from workshop_utils.publishing import home, retarget
from workshop_utils.publishing.home import Home, HomeError

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
OTHER = Home("someone-else/their-fork", "teaching/2027")


@pytest.fixture()
def repo_copy(tmp_path: Path) -> Path:
    """pyproject.toml and notebooks/ (subfolders included) copied into a temporary repository root."""
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(NOTEBOOKS, tmp_path / "notebooks", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    return tmp_path


def _masked(nb: dict) -> dict:
    """The notebook without the two cells retarget owns (first markdown cell's text, first code cell's text)."""
    nb = json.loads(json.dumps(nb))
    cells = nb["cells"]
    cells[0]["source"] = None
    next(cell for cell in cells if cell["cell_type"] == "code")["source"] = None
    return nb


@pytest.mark.parametrize("good", ["owner/name", "a-b/c.d_e", "https://github.com/owner/name.git"])
def test_repository_accepts_github_names(good):
    assert home.parse_repository(good).count("/") == 1


@pytest.mark.parametrize("bad", ["", "name-only", "a/b/c", "-owner/name", "own er/name", "owner/..", "owner/"])
def test_repository_rejects_others_with_the_usage(bad):
    with pytest.raises(HomeError, match="OWNER/NAME"):
        home.parse_repository(bad)


@pytest.mark.parametrize("bad", ["", "a b", "a..b", "-x", "x.lock", "x/", "a~1", "a:b"])
def test_branch_rejects_what_git_rejects(bad):
    with pytest.raises(HomeError, match="branch"):
        home.parse_branch(bad)


def test_cli_rejects_a_bad_address_before_touching_anything(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["retarget", "not-a-repository"])
    assert stop.value.code == 2
    assert "OWNER/NAME" in capsys.readouterr().err


def test_home_round_trips_through_pyproject(tmp_path):
    original = (ROOT / "pyproject.toml").read_text()
    copy = tmp_path / "pyproject.toml"
    copy.write_text(original)
    assert home.write_home(OTHER, copy)
    assert home.read_home(copy) == OTHER
    changed = [line for line in copy.read_text().splitlines() if line not in original.splitlines()]
    assert len(changed) == 2, f"only the address and the branch lines change: {changed}"
    home.write_home(home.read_home(ROOT / "pyproject.toml"), copy)
    assert copy.read_text() == original, "retargeting back restores pyproject.toml byte for byte"


def test_home_defaults_without_pyproject(tmp_path):
    assert home.read_home(tmp_path / "missing.toml") == Home()


def test_setup_cell_fits_the_line_length_and_names_its_folder_variable():
    cell = home.home().setup_cell()
    assert all(len(line) <= 120 for line in cell.splitlines())
    assert home.CONTENT_DIR_VAR in cell and "@" not in cell.replace("OWNER/NAME", ""), "every placeholder filled"


def test_setup_cell_is_valid_ipython_and_does_nothing_off_colab(monkeypatch):
    from IPython.core.inputtransformer2 import TransformerManager

    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    code = TransformerManager().transform_cell(home.home().setup_cell())
    namespace: dict = {}
    exec(compile(code, "setup cell", "exec"), namespace)  # the shell lines sit in the Colab-only branch
    assert namespace["wu"].__name__ == "workshop_utils"
    assert "WORKSHOP" not in namespace, "off Colab the cell fetches nothing"


def test_retarget_rewrites_every_notebook_and_nothing_else(repo_copy):
    paths = retarget.notebook_paths(repo_copy / "notebooks")
    assert paths, "the repository has notebooks"
    before = {p: json.loads(p.read_text()) for p in paths}
    report = retarget.retarget(OTHER, repo_copy)
    assert not report.problems, report.problems
    assert home.read_home(repo_copy / "pyproject.toml") == OTHER
    for path in paths:
        text = path.read_text()
        nb = json.loads(text)
        relative = path.relative_to(repo_copy / "notebooks").as_posix()
        assert retarget.disagreements(nb, relative, OTHER) == [], path.name
        assert retarget.disagreements(nb, relative, home.home()) != [], f"{path.name} still agrees with the old home"
        assert OTHER.badge_url(relative) in "".join(nb["cells"][0]["source"])
        assert _masked(nb) == _masked(before[path]), f"{path.name}: a cell other than badge/setup changed"
        assert text == retarget.dump(nb), "written as the repository stores notebooks (indent 1, newline at end)"


def test_retarget_is_idempotent_and_reversible(repo_copy, tmp_path):
    current = home.home()
    retarget.retarget(current, repo_copy)
    direct = {p: p.read_bytes() for p in retarget.notebook_paths(repo_copy / "notebooks")}
    retarget.retarget(OTHER, repo_copy)
    again = retarget.retarget(current, repo_copy)
    assert {p: p.read_bytes() for p in direct} == direct, "there and back again gives the same bytes"
    assert retarget.retarget(current, repo_copy).changed == [], "a second retarget to the same home is a no-op"
    assert again.changed, "retargeting back rewrote the files"


def test_retarget_keeps_untouched_notebooks_byte_for_byte(repo_copy):
    """Notebooks already agreeing with the home are not rewritten (their bytes are exactly what dump gives)."""
    current = home.home()
    retarget.retarget(current, repo_copy)
    for path in retarget.notebook_paths(repo_copy / "notebooks"):
        assert retarget.dump(json.loads(path.read_text())) == path.read_text()


def test_retarget_reports_a_notebook_without_badge_or_setup_cell(repo_copy, capsys):
    odd = repo_copy / "notebooks" / "99_odd.ipynb"
    odd.write_text(retarget.dump({"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# Odd\n"]}],
                                  "metadata": {}, "nbformat": 4, "nbformat_minor": 4}))
    assert retarget.run(OTHER.repository, OTHER.branch, root=repo_copy) == 1
    out = capsys.readouterr().out
    assert "99_odd.ipynb: no Colab badge" in out and "not a setup cell" in out


def test_hygiene_reads_the_home_from_pyproject():
    assert hygiene.COLAB_PREFIX == home.home().colab_prefix
    assert hygiene.SETUP_CELL == home.home().setup_cell()


def test_hygiene_fails_on_a_planted_mismatch(repo_copy):
    """A notebook retargeted elsewhere than pyproject says disagrees with the hygiene test, badge and setup cell."""
    path = repo_copy / "notebooks" / "00_setup_and_baseline.ipynb"
    nb = json.loads(path.read_text())
    retarget.retarget_notebook(nb, path.name, home.home())
    path.write_text(retarget.dump(nb))
    agreeing = hygiene.problems(path)
    assert not [p for p in agreeing if "badge" in p.lower() or "setup cell" in p], agreeing
    retarget.retarget_notebook(nb, path.name, OTHER)
    path.write_text(retarget.dump(nb))
    planted = [p for p in hygiene.problems(path) if p not in agreeing]
    assert any("badge" in p.lower() for p in planted), planted
    assert any("setup cell" in p for p in planted), planted
