"""Point the workshop at a new home: ``python -m workshop_utils retarget OWNER/NAME [--branch BRANCH]``.

Rewrites the address in pyproject.toml, the Colab badge in the first cell of every notebook under
notebooks/ (subfolders included) and every setup cell (from the one template in :mod:`workshop_utils.home`).
Everything else in a notebook is kept byte for byte: notebooks are read and written as the repository stores
them (JSON with indent 1, non-ASCII kept, a trailing newline).
"""

from __future__ import annotations

import argparse
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .home import (
    BADGE_IMAGE,
    NOTEBOOKS_DIR,
    PYPROJECT,
    ROOT,
    Home,
    HomeError,
    parse_branch,
    parse_repository,
    read_home,
    write_home,
)

BADGE = re.compile(r"\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\((?P<url>[^)\s]*)\)")
SETUP_FIRST_LINE = "# Setup. On Colab only"


def repository_argument(text: str) -> str:
    """argparse ``type=`` for OWNER/NAME: a usage error naming the expected form."""
    try:
        return parse_repository(text)
    except HomeError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def branch_argument(text: str) -> str:
    """argparse ``type=`` for --branch."""
    try:
        return parse_branch(text)
    except HomeError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def notebook_paths(notebooks_dir: Path) -> list[Path]:
    """Every notebook under ``notebooks_dir``, subfolders included (checkpoints skipped), in a stable order."""
    return sorted(p for p in Path(notebooks_dir).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def source_text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _set_source(cell: dict, text: str) -> None:
    """Replace a cell's source, keeping the storage form (a list of lines, as nbformat writes, or a string)."""
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell.get("source"), list) else text


def is_setup_cell(cell: dict) -> bool:
    """A code cell written from the setup template (this one or an earlier version)."""
    text = source_text(cell)
    return cell.get("cell_type") == "code" and text.startswith(SETUP_FIRST_LINE) and "google.colab" in text


def dump(nb: dict) -> str:
    """A notebook as the repository stores it."""
    return json.dumps(nb, indent=1, ensure_ascii=False) + "\n"


def _first_code_cell(nb: dict) -> dict | None:
    return next((cell for cell in nb.get("cells", []) if cell.get("cell_type") == "code"), None)


def disagreements(nb: dict, relative_path: str, home: Home) -> list[str]:
    """How the badge and setup cell of notebook ``nb`` (at ``relative_path`` in notebooks/) differ from ``home``."""
    found = []
    cells = nb.get("cells", [])
    first = cells[0] if cells and cells[0].get("cell_type") == "markdown" else None
    badge = BADGE.search(source_text(first)) if first else None
    if badge is None:
        found.append(f"no Colab badge in the first cell: start it with {home.badge_markdown(relative_path)}")
    elif badge["url"] != home.badge_url(relative_path):
        found.append(f"Colab badge points at {badge['url']}, expected {home.badge_url(relative_path)}")
    setup = _first_code_cell(nb)
    if setup is None or not is_setup_cell(setup):
        found.append("the first code cell is not the setup cell (it starts with "
                     f"{SETUP_FIRST_LINE!r}): copy it from another notebook")
    elif source_text(setup).rstrip() != home.setup_cell():
        found.append(f"the setup cell differs from the template for {home.repository} (branch {home.branch})")
    return found


def retarget_notebook(nb: dict, relative_path: str, home: Home) -> list[str]:
    """Rewrite ``nb``'s badge and setup cell for ``home`` in place; returns what could not be rewritten."""
    cells = nb.get("cells", [])
    first = cells[0] if cells and cells[0].get("cell_type") == "markdown" else None
    problems = []
    text = source_text(first) if first else ""
    if BADGE.search(text):
        _set_source(first, BADGE.sub(lambda _: home.badge_markdown(relative_path), text, count=1))
    else:
        problems.append("no Colab badge in the first cell (left as it is)")
    setup = _first_code_cell(nb)
    if setup is not None and is_setup_cell(setup):
        _set_source(setup, home.setup_cell())
    else:
        problems.append(f"the first code cell is not a setup cell (starting {SETUP_FIRST_LINE!r}; left as it is)")
    return problems


@dataclass
class Report:
    """What :func:`retarget` did."""

    home: Home
    changed: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    problems: dict[Path, list[str]] = field(default_factory=dict)


def retarget(home: Home, root: Path | str = ROOT) -> Report:
    """Record ``home`` in ``root``'s pyproject.toml and rewrite every notebook under ``root``/notebooks for it."""
    root = Path(root)
    report = Report(home)
    pyproject = root / PYPROJECT.name
    (report.changed if write_home(home, pyproject) else report.unchanged).append(pyproject)
    notebooks_dir = root / NOTEBOOKS_DIR
    for path in notebook_paths(notebooks_dir):
        before = path.read_text(encoding="utf-8")
        nb = json.loads(before)
        problems = retarget_notebook(nb, path.relative_to(notebooks_dir).as_posix(), home)
        if problems:
            report.problems[path] = problems
        after = dump(nb)
        if after != before:
            path.write_text(after, encoding="utf-8")
            report.changed.append(path)
        else:
            report.unchanged.append(path)
    return report


def run(repository: str, branch: str | None = None, root: Path | str = ROOT) -> int:
    """The ``retarget`` command: print what changed; exit status 1 if a notebook could not be rewritten."""
    root = Path(root)
    current = read_home(root / PYPROJECT.name)
    try:
        home = Home(repository, branch or current.branch)
    except HomeError as error:
        print(error)
        return 2
    report = retarget(home, root)
    print(f"Home: {home.url} (branch {home.branch}); was {current.url} (branch {current.branch}).")
    print(f"Rewrote {len(report.changed)} files, {len(report.unchanged)} already agreed.")
    for path in report.changed:
        print(f"  changed {path.relative_to(root)}")
    for path, problems in report.problems.items():
        for problem in problems:
            print(f"  {path.relative_to(root)}: {problem}")
    print(f"Colab badges now open {home.colab_prefix}...; publish the repository there (branch {home.branch}) "
          f"or build the zip for Colab with `python -m workshop_utils bundle`.")
    return 1 if report.problems else 0
