"""`python -m workshop_utils bundle`: the workshop zip a Colab session installs from when it cannot clone."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest

from workshop_utils import cli
from workshop_utils.publishing import bundle
from workshop_utils.publishing.home import home

ROOT = Path(__file__).resolve().parents[1]
# What the setup cell and the notebooks need from the zip.
ESSENTIAL = ("workshop_utils/publishing/colab_setup.py", "workshop_utils/__init__.py", "requirements.txt",
             "pyproject.toml", "notebooks/00_setup_and_baseline.ipynb", "data/mnist_5k.npz")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    return bundle.build_bundle(tmp_path_factory.mktemp("bundle") / home().zip_name)


def test_bundle_holds_the_workshop_and_no_caches(built):
    with zipfile.ZipFile(built) as zf:
        names = zf.namelist()
        assert zf.testzip() is None
    assert set(ESSENTIAL) <= set(names), sorted(set(ESSENTIAL) - set(names))
    assert names == [p.as_posix() for p in bundle.workshop_files(ROOT)]
    for name in names:
        parts = Path(name).parts
        assert not set(parts) & bundle.EXCLUDED_PARTS, f"{name} should not be in the zip"
        assert not name.endswith(bundle.EXCLUDED_SUFFIXES), name


def test_bundle_is_smaller_than_its_files_and_reproducible(tmp_path):
    first, again = bundle.build_bundle(tmp_path / "first.zip"), bundle.build_bundle(tmp_path / "again.zip")
    assert again.read_bytes() == first.read_bytes(), "the same files give the same bytes"
    total = sum((ROOT / p).stat().st_size for p in bundle.workshop_files(ROOT))
    assert first.stat().st_size < total, "the zip is compressed"


def test_bundle_of_an_unpacked_bundle_has_the_same_files(built, tmp_path):
    """Without git (a copy unpacked on Colab), the folder walk finds the same files."""
    with zipfile.ZipFile(built) as zf:
        zf.extractall(tmp_path / "unpacked")
        names = zf.namelist()
    (tmp_path / "unpacked" / "__pycache__").mkdir()
    (tmp_path / "unpacked" / "__pycache__" / "x.pyc").write_bytes(b"cache")
    assert [p.as_posix() for p in bundle.workshop_files(tmp_path / "unpacked")] == names


def test_bundle_takes_tracked_and_new_files_but_not_ignored_ones(tmp_path):
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid",
                        *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "tracked.py").write_text("x = 1\n")
    git("add", "-A")
    git("commit", "-q", "-m", "one")
    (tmp_path / "new.py").write_text("y = 2\n")
    (tmp_path / "run.log").write_text("ignored\n")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "table.csv").write_text("a,b\n")
    names = [p.as_posix() for p in bundle.workshop_files(tmp_path)]
    assert names == [".gitignore", "new.py", "tracked.py"]


def test_bundle_command_writes_where_asked(tmp_path, capsys):
    out = tmp_path / "w.zip"
    assert cli.main(["bundle", "--out", str(out)]) == 0
    assert zipfile.is_zipfile(out)
    assert f"/content/{home().zip_name}" in capsys.readouterr().out
