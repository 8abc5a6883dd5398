"""Notebook hygiene: the shape every workshop notebook shares (see conventions: the notebook template).

``problems(path)`` returns human-readable problems of one notebook (an empty list when it is clean);
``numbering_problems(paths)`` checks that the notebooks are numbered 00_, 01_, ... without gaps.
Used by tests/test_notebook_hygiene.py; also runnable by hand:
``python tests/notebook_hygiene.py notebooks/*.ipynb``.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

import nbformat

BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
COLAB_PREFIX = "https://colab.research.google.com/github/deploy-workshop/model-optimization-workshop/blob/main/notebooks/"
SETUP_CELL = """\
# Setup. On Colab only: fetch the workshop and install what Colab lacks (elsewhere: nothing to do).
import sys

if "google.colab" in sys.modules:
    !git clone -q --depth 1 https://github.com/deploy-workshop/model-optimization-workshop /content/workshop
    !python /content/workshop/workshop_utils/colab_setup.py
    sys.path.insert(0, "/content/workshop")

import workshop_utils as wu  # switches TensorFlow to tf_keras (Keras 2) before TensorFlow loads"""
NAME_PATTERN = re.compile(r"^(\d{2})_[a-z0-9]+(?:_[a-z0-9]+)*\.ipynb$")
NOTEBOOK_METADATA = {"kernelspec", "language_info"}
# Cell metadata that changes nothing about a run or a diff: tags, and Colab's `#@title` form view.
CELL_METADATA = {"tags", "cellView"}
# Keys the nbformat 4 schema allows per cell type ("id" only from nbformat 4.5 on, where it is required).
CELL_KEYS = {
    "code": {"cell_type", "execution_count", "metadata", "outputs", "source"},
    "markdown": {"cell_type", "metadata", "source", "attachments"},
    "raw": {"cell_type", "metadata", "source", "attachments"},
}
PLACEHOLDER = re.compile(r"\w*PLACEHOLDER\w*|\bTODO\b|\bFIXME\b|\bTBD\b")
GOALS = "In this notebook you will:"
RUN_TIME = "Expected run time:"
LEARNED = "## What you learned"
EXERCISES = "## Exercises"


def badge_url(name: str) -> str:
    """The Colab link a notebook called ``name`` must carry."""
    return COLAB_PREFIX + name


def badge_markdown(name: str) -> str:
    return f"[![Open In Colab]({BADGE_IMAGE})]({badge_url(name)})"


def _source(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def markdown_lines(text: str) -> list[str]:
    """The lines of a markdown cell outside fenced code blocks (``` or ~~~)."""
    lines, fence = [], None
    for line in text.splitlines():
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
            continue
        if fence is None:
            lines.append(line)
    return lines


def _normalise(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def _format_problems(nb: dict) -> list[str]:
    problems = []
    if nb.get("nbformat") != 4 or nb.get("nbformat_minor") not in (4, 5):
        problems.append(f"nbformat {nb.get('nbformat')}.{nb.get('nbformat_minor')}: write nbformat 4.4 (or 4.5)")
    try:
        nbformat.validate(nbformat.from_dict(copy.deepcopy(nb)))
    except nbformat.ValidationError as error:
        problems.append(f"not a valid notebook for nbformat: {str(error).splitlines()[0]}")
    return problems


def _metadata_problems(nb: dict) -> list[str]:
    problems = []
    metadata = nb.get("metadata", {})
    if "widgets" in metadata:
        problems.append("notebook metadata holds widget state ('widgets'): save without widget state")
    extra = sorted(set(metadata) - NOTEBOOK_METADATA - {"widgets"})
    if extra:
        problems.append(f"notebook metadata has extra keys {extra}: keep only kernelspec and language_info")
    if metadata.get("kernelspec", {}).get("name") != "python3":
        problems.append("notebook metadata needs kernelspec python3")
    if metadata.get("language_info") != {"name": "python"}:
        problems.append(f"notebook language_info should be exactly {{'name': 'python'}}, "
                        f"found {metadata.get('language_info')}")
    return problems


def _cell_problems(nb: dict) -> list[str]:
    problems = []
    ids_required = nb.get("nbformat_minor", 0) >= 5
    for index, cell in enumerate(nb.get("cells", [])):
        kind = cell.get("cell_type")
        where = f"cell {index} ({kind})"
        allowed = CELL_KEYS.get(kind, set()) | ({"id"} if ids_required else set())
        extra = sorted(set(cell) - allowed)
        if extra == ["id"]:
            problems.append(f"{where} has an 'id', which nbformat 4.{nb.get('nbformat_minor')} does not use: "
                            "drop cell ids (or write nbformat 4.5)")
        elif extra:
            problems.append(f"{where} has unexpected keys {extra}")
        if ids_required and "id" not in cell:
            problems.append(f"{where} has no 'id', which nbformat 4.5 requires")
        extra_metadata = sorted(set(cell.get("metadata", {})) - CELL_METADATA)
        if extra_metadata:
            problems.append(f"{where} has metadata {extra_metadata}: keep only {sorted(CELL_METADATA)}")
        if kind == "code":
            if cell.get("outputs"):
                problems.append(f"{where} has outputs: clear all outputs before committing")
            if cell.get("execution_count") is not None:
                problems.append(f"{where} has an execution count: clear outputs before committing")
    return problems


def _badge_problems(name: str, cells: list[dict]) -> list[str]:
    first = cells[0] if cells else {}
    if first.get("cell_type") != "markdown":
        return ["the first cell must be markdown, starting with the Colab badge"]
    text = _source(first)
    if badge_markdown(name) in text:
        return []
    links = re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'\]]+", text)
    if links:
        return [f"wrong Colab badge link {links[0]}: expected {badge_url(name)}"]
    return [f"no Colab badge in the first cell: start it with {badge_markdown(name)}"]


def _markdown_problems(cells: list[dict]) -> list[str]:
    problems = []
    lines = [line for cell in cells if cell.get("cell_type") == "markdown" for line in markdown_lines(_source(cell))]
    titles = [line for line in lines if line.startswith("# ")]
    if len(titles) != 1:
        problems.append(f"needs exactly one H1 title ('# ...' line), found {len(titles)}: {titles}")
    goals = [i for i, line in enumerate(lines) if line.strip() == GOALS]
    if not goals:
        problems.append(f"no goals: add '{GOALS}' followed by a numbered list")
    else:
        following = [line.strip() for line in lines[goals[0] + 1:] if line.strip()]
        if not following or not re.match(r"1[.)] ", following[0]):
            problems.append(f"'{GOALS}' must be followed by a numbered list (1. ...)")
    run_time = [line for line in lines if RUN_TIME in line]
    if not run_time:
        problems.append(f"no expected run time: add '{RUN_TIME} ~N min on a laptop CPU'")
    elif not re.search(r"\d", run_time[0]):
        problems.append(f"the expected run time gives no number: {run_time[0].strip()!r}")
    headings = [line.rstrip() for line in lines if line.startswith("## ")]
    learned = [i for i, line in enumerate(headings) if line.startswith(LEARNED)]
    exercises = [i for i, line in enumerate(headings) if line.startswith(EXERCISES)]
    if not learned:
        problems.append(f"no closing '{LEARNED}' section")
    if not exercises:
        problems.append(f"no '{EXERCISES}' section")
    if learned and exercises and not learned[-1] < exercises[-1] == len(headings) - 1:
        problems.append(f"the notebook must close with '{LEARNED}' then '{EXERCISES}' (the last H2 sections); "
                        f"found H2 order {headings[learned[-1]:]}")
    for index, cell in enumerate(cells):
        if cell.get("cell_type") == "markdown" and (found := PLACEHOLDER.search(_source(cell))):
            problems.append(f"cell {index} (markdown) has a leftover placeholder {found.group()!r}: "
                            "put in the measured figures")
    return problems


def _code_problems(cells: list[dict]) -> list[str]:
    problems = []
    code = [(index, _source(cell)) for index, cell in enumerate(cells) if cell.get("cell_type") == "code"]
    setup = _normalise(SETUP_CELL)
    if not code:
        return ["no code cells"]
    if _normalise(code[0][1]) != setup:
        elsewhere = [index for index, text in code if _normalise(text) == setup]
        if elsewhere:
            problems.append(f"the setup cell is cell {elsewhere[0]}: it must be the first code cell")
        else:
            first_lines = _normalise(code[0][1]).splitlines()
            diff = next((f"line {n + 1}: {got!r} should be {want!r}"
                         for n, (got, want) in enumerate(zip(first_lines, setup.splitlines(), strict=False))
                         if got != want), "different length")
            problems.append(f"the first code cell (cell {code[0][0]}) is not the setup cell of the conventions "
                            f"({diff})")
    if not any("wu.fast_mode()" in text for _, text in code):
        problems.append("no fast-mode switch: add FAST = wu.fast_mode() in the configuration cell")
    if not any(line.lstrip().startswith("assert ") for _, text in code for line in text.splitlines()):
        problems.append("no self-check: add at least one `assert <invariant>, \"<message>\"` after a key step")
    return problems


def problems(path: str | Path) -> list[str]:
    """Everything wrong with the notebook at ``path`` against the workshop template (empty when clean)."""
    path = Path(path)
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"not a readable notebook: {error}"]
    found = []
    if not NAME_PATTERN.match(path.name):
        found.append(f"file name {path.name!r} must look like NN_short_title.ipynb (lower case, underscores)")
    found += _format_problems(nb)
    found += _metadata_problems(nb)
    found += _cell_problems(nb)
    cells = nb.get("cells", [])
    found += _badge_problems(path.name, cells)
    found += _markdown_problems(cells)
    found += _code_problems(cells)
    return found


def numbering_problems(paths: Iterable[str | Path]) -> list[str]:
    """Notebooks must be numbered 00_, 01_, 02_, ... with no gap and no number used twice."""
    numbers: dict[int, list[str]] = {}
    for path in paths:
        match = NAME_PATTERN.match(Path(path).name)
        if match:
            numbers.setdefault(int(match.group(1)), []).append(Path(path).name)
    found = [f"number {n:02d} is used by {len(names)} notebooks: {names}" for n, names in sorted(numbers.items())
             if len(names) > 1]
    missing = [f"{n:02d}_" for n in range(max(numbers, default=-1) + 1) if n not in numbers]
    if missing:
        found.append(f"numbering has gaps: no notebook {', '.join(missing)} (have {sorted(numbers)})")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or sorted(Path("notebooks").glob("*.ipynb"))
    report = {path.name: problems(path) for path in paths}
    report["(numbering)"] = numbering_problems(paths)
    for name, found in report.items():
        for problem in found:
            print(f"{name}: {problem}")
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
