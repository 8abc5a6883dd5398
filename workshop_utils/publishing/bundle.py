"""The workshop as one zip, for a Colab session that cannot clone it: ``python -m workshop_utils bundle``.

The zip holds the files git tracks plus new files git does not ignore (so a notebook written but not yet
committed is in), never caches, results, virtual environments or earlier zips. Paths are relative to the
repository root, so the setup cell unzips it straight into its workshop folder. The bytes depend only on the
files: entries are sorted and carry a fixed date.
"""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from ..core.cache import atomic_path
from .home import ROOT, read_home

# Never bundled, wherever they appear (whatever .gitignore says).
EXCLUDED_PARTS = {".git", ".venv", "venv", "__pycache__", ".cache", ".ipynb_checkpoints", ".pytest_cache",
                  ".ruff_cache", "results", "test-artifacts", "dist", "build", "wheelhouse"}
EXCLUDED_SUFFIXES = (".pyc", ".zip", ".egg-info")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest date a zip can store


def _excluded(relative: Path) -> bool:
    return any(part in EXCLUDED_PARTS or part.endswith(EXCLUDED_SUFFIXES) for part in relative.parts)


def _git_files(root: Path) -> list[str] | None:
    """Tracked plus untracked-but-not-ignored files, or None when ``root`` is not a git work tree."""
    try:
        done = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                              capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return [name for name in done.stdout.split("\0") if name]


def workshop_files(root: Path | str = ROOT) -> list[Path]:
    """The files that make up the workshop, relative to ``root``, sorted."""
    root = Path(root)
    names = _git_files(root)
    if names is None:  # e.g. a copy unpacked from the zip: walk it
        names = [str(Path(folder, file).relative_to(root)) for folder, _, files in os.walk(root) for file in files]
    files = {Path(name) for name in names}
    return sorted(p for p in files if not _excluded(p) and (root / p).is_file())


def build_bundle(out: Path | str | None = None, root: Path | str = ROOT) -> Path:
    """Write the zip (default ``dist/<repository name>.zip``) and return its path."""
    root = Path(root)
    out = Path(out) if out is not None else root / "dist" / read_home(root / "pyproject.toml").zip_name
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out, suffix=".zip") as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for relative in workshop_files(root):
            info = zipfile.ZipInfo(relative.as_posix(), FIXED_DATE)
            mode = 0o755 if os.access(root / relative, os.X_OK) else 0o644
            info.external_attr = (0o100000 | mode) << 16  # a regular file with its permissions
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, (root / relative).read_bytes())
    os.chmod(out, 0o644)
    return out


def run(out: Path | str | None = None, root: Path | str = ROOT) -> int:
    """The ``bundle`` command: build the zip and say how to use it on Colab."""
    root = Path(root)
    path = build_bundle(out, root)
    zip_name = read_home(root / "pyproject.toml").zip_name
    with zipfile.ZipFile(path) as zf:
        count = len(zf.namelist())
    print(f"Wrote {path} ({count} files, {path.stat().st_size / 2**20:.1f} MiB).")
    print(f"On Colab: upload it to the session's files as /content/{zip_name} and run a notebook's setup cell again.")
    return 0
