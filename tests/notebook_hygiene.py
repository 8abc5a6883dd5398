"""Notebook hygiene: the shape every workshop notebook shares (GUIDE.md section 4, the notebook template).

Three kinds of notebook live under notebooks/:

- core notebooks ``notebooks/NN_name.ipynb``, numbered 00, 01, ... without gaps;
- deep dives ``notebooks/deep_dives/NNx_name.ipynb``: NN is the core notebook they extend, x a letter (a, b, ...);
- solutions ``notebooks/solutions/<notebook stem>_solutions.ipynb``: one for every notebook with exercises or
  "your turn" cells, in a lighter template (badge, "# Solutions: ..." title, setup cell, FAST config, asserts).

``problems(path)`` returns the human-readable problems of one notebook (an empty list when it is clean);
``layout_problems(root)`` checks the files together (names, numbering, a solutions notebook for each notebook
that needs one). Used by tests/test_notebook_hygiene.py and tests/workshop_shape.py; also runnable by hand:
``python tests/notebook_hygiene.py`` (every notebook under notebooks/) or with notebook paths.
"""

from __future__ import annotations

import copy
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote

import nbformat

from workshop_utils.publishing.home import BADGE_IMAGE, home

# The workshop's one home address (pyproject.toml; `python -m workshop_utils retarget OWNER/NAME` changes it):
# every badge must open the notebook there, and every setup cell is the template rendered for it.
COLAB_PREFIX = home().colab_prefix
SETUP_CELL = home().setup_cell()
_WORDS = r"[a-z0-9]+(?:_[a-z0-9]+)*"
CORE_NAME = re.compile(rf"^(?P<number>\d{{2}})_{_WORDS}\.ipynb$")
DEEP_DIVE_NAME = re.compile(rf"^(?P<number>\d{{2}})(?P<letter>[a-z])_{_WORDS}\.ipynb$")
SOLUTIONS_NAME = re.compile(rf"^(?P<stem>\d{{2}}[a-z]?_{_WORDS})_solutions\.ipynb$")
NAME_PATTERN = CORE_NAME  # the core notebooks' names (kept under its old name)
DEEP_DIVES, SOLUTIONS = "deep_dives", "solutions"  # the subfolders of notebooks/
KINDS = {"core": CORE_NAME, "deep_dive": DEEP_DIVE_NAME, "solutions": SOLUTIONS_NAME}
NAME_FORMS = {
    "core": "NN_short_title.ipynb (lower case, underscores)",
    "deep_dive": "NNx_short_title.ipynb (NN: the core notebook it extends, x: a letter; lower case, underscores)",
    "solutions": "<notebook stem>_solutions.ipynb",
}
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
OLD_RUN_TIME = "Expected run time:"
HEADER_FORM = "**Teaching time:** N min · **Compute time:** A min fast, B min full (measured, 2-core x86)"
HEADER_LINE = re.compile(
    r"^\*\*Teaching time:\*\* (?P<teaching>\d+) min · \*\*Compute time:\*\* (?P<fast>\d+(?:\.\d+)?) min fast, "
    r"(?P<full>\d+(?:\.\d+)?) min full \((?P<note>[^)]+)\)$")
LEARNED = "## What you learned"
EXERCISES = "## Exercises"
LEARN_MORE = "## Learn more"
CLOSING = (LEARNED, EXERCISES, LEARN_MORE)  # the last three H2 sections of a core notebook or deep dive
MAX_EXERCISES = 3
SOLUTIONS_TITLE = "# Solutions:"
EXERCISE_SECTION = re.compile(r"^## Exercise (\d+)\b")
EXERCISE_ITEM = re.compile(r"^\d+[.)] ")
YOUR_TURN = re.compile(r"^###\s+Your turn\b")
ANSWER_PLACEHOLDER = re.compile(r"^\s*(?P<name>[A-Za-z_]\w*)\s*(?::[^=]+)?=\s*\.\.\.\s*(?:#.*)?$", re.MULTILINE)
CHECK_CALL = "check_answer("
LINK = re.compile(r"\[[^\]]*\]\((?P<target>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:")


def badge_url(name: str) -> str:
    """The Colab link a notebook called ``name`` must carry."""
    return COLAB_PREFIX + name


def badge_markdown(name: str) -> str:
    return f"[![Open In Colab]({BADGE_IMAGE})]({badge_url(name)})"


# --- where a notebook lives ------------------------------------------------------------------------------------


def notebook_kind(path: str | Path) -> str:
    """"core", "deep_dive" or "solutions", from the folder the notebook sits in."""
    return {DEEP_DIVES: "deep_dive", SOLUTIONS: "solutions"}.get(Path(path).parent.name, "core")


def notebooks_root(path: str | Path) -> Path:
    """The notebooks/ folder a notebook belongs to."""
    path = Path(path)
    return path.parent if notebook_kind(path) == "core" else path.parent.parent


def relative_name(path: str | Path) -> str:
    """The notebook's path relative to notebooks/ (what its Colab badge ends with), e.g. deep_dives/01a_x.ipynb."""
    path = Path(path)
    return path.relative_to(notebooks_root(path)).as_posix()


def all_notebooks(root: str | Path) -> list[Path]:
    """Every notebook under ``root`` (notebooks/), subfolders included, checkpoints left out."""
    return sorted(p for p in Path(root).rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def solutions_path(path: str | Path) -> Path:
    """Where the solutions of the notebook at ``path`` live."""
    path = Path(path)
    return notebooks_root(path) / SOLUTIONS / f"{path.stem}_solutions.ipynb"


def solved_notebook(path: str | Path) -> Path | None:
    """The notebook a solutions notebook solves (None when its name does not say)."""
    path = Path(path)
    match = SOLUTIONS_NAME.match(path.name)
    if not match:
        return None
    name = match.group("stem") + ".ipynb"
    folder = notebooks_root(path) / DEEP_DIVES if DEEP_DIVE_NAME.match(name) else notebooks_root(path)
    return folder / name


# --- reading cells ---------------------------------------------------------------------------------------------


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


def _all_markdown_lines(cells: list[dict]) -> list[str]:
    return [line for cell in cells if cell.get("cell_type") == "markdown" for line in markdown_lines(_source(cell))]


def h2_sections(cells: list[dict]) -> list[tuple[str, list[str]]]:
    """The H2 sections in order: (heading, the markdown lines under it up to the next H2)."""
    sections: list[tuple[str, list[str]]] = []
    for line in _all_markdown_lines(cells):
        if line.startswith("## "):
            sections.append((line.rstrip(), []))
        elif sections:
            sections[-1][1].append(line)
    return sections


def section_lines(cells: list[dict], heading: str) -> list[str] | None:
    """The lines of the last H2 section starting with ``heading`` (None when there is none)."""
    found = [lines for title, lines in h2_sections(cells) if title.startswith(heading)]
    return found[-1] if found else None


def exercise_count(cells: list[dict]) -> int:
    """How many numbered exercises the "## Exercises" section lists (top-level items 1., 2., ...)."""
    return sum(1 for line in section_lines(cells, EXERCISES) or [] if EXERCISE_ITEM.match(line))


def your_turn_cells(cells: list[dict]) -> list[int]:
    """Indices of the markdown cells that open a "### Your turn: ..." exercise."""
    return [index for index, cell in enumerate(cells) if cell.get("cell_type") == "markdown"
            and any(YOUR_TURN.match(line) for line in markdown_lines(_source(cell)))]


def asserted_checks(cells: list[dict]) -> int:
    """Code cells that call check_answer and assert on it (how a solutions notebook proves a your-turn answer)."""
    return sum(1 for cell in cells if cell.get("cell_type") == "code" and CHECK_CALL in _source(cell)
               and any(line.lstrip().startswith("assert ") for line in _source(cell).splitlines()))


def links(text: str) -> list[str]:
    """The targets of the markdown links in ``text`` (inline code left out)."""
    return [match.group("target") for line in markdown_lines(text)
            for match in LINK.finditer(re.sub(r"`[^`]*`", "", line))]


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lstrip("#").strip())  # a linked heading
    return re.sub(r"[^\w\- ]", "", text.lower()).replace(" ", "-")


@lru_cache(maxsize=64)
def _anchors(path: Path, mtime: float) -> frozenset[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for line in markdown_lines(path.read_text(encoding="utf-8")):
        if re.match(r"^#{1,6} ", line):
            anchor = github_anchor(line)
            count = seen.get(anchor, 0)
            seen[anchor] = count + 1
            anchors.add(anchor if count == 0 else f"{anchor}-{count}")
        anchors.update(re.findall(r"<a (?:name|id)=\"([^\"]+)\"", line))
    return frozenset(anchors)


def markdown_anchors(path: str | Path) -> frozenset[str]:
    """The anchors a markdown file offers (its headings, GitHub style, and explicit <a id=...>)."""
    path = Path(path)
    return _anchors(path, path.stat().st_mtime)


def link_problem(source: Path, target: str) -> str | None:
    """What is wrong with a relative link from the file ``source`` (None when it resolves, or is a web link)."""
    if SCHEME.match(target) or target.startswith("#"):
        return None
    file_part, _, anchor = target.partition("#")
    resolved = source.parent / unquote(file_part)
    if not resolved.exists():
        return f"links to {target!r}, which does not exist"
    if anchor and resolved.suffix == ".md" and anchor not in markdown_anchors(resolved):
        return f"links to {target!r}, but {resolved.name} has no heading with anchor #{anchor}"
    return None


# --- the checks of one notebook --------------------------------------------------------------------------------


def _normalise(code: str) -> str:
    return "\n".join(line.rstrip() for line in code.strip().splitlines())


def is_setup_cell(code: str) -> bool:
    """True for the template's setup cell (the same boilerplate in every notebook)."""
    return _normalise(code) == _normalise(SETUP_CELL)


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


def _name_problems(path: Path, kind: str) -> list[str]:
    if KINDS[kind].match(path.name):
        return []
    return [f"file name {path.name!r} must look like {NAME_FORMS[kind]}"]


def _badge_problems(name: str, cells: list[dict]) -> list[str]:
    first = cells[0] if cells else {}
    if first.get("cell_type") != "markdown":
        return ["the first cell must be markdown, starting with the Colab badge"]
    text = _source(first)
    if badge_markdown(name) in text:
        return []
    links_found = re.findall(r"https://colab\.research\.google\.com/github/[^\s)\"'\]]+", text)
    if links_found:
        return [f"wrong Colab badge link {links_found[0]}: expected {badge_url(name)}"]
    return [f"no Colab badge in the first cell: start it with {badge_markdown(name)}"]


def read_header(nb: dict) -> Header | None:
    """The teaching and compute times of the header line in the first markdown cell (None when missing)."""
    first = next((cell for cell in nb.get("cells", []) if cell.get("cell_type") == "markdown"), None)
    for line in markdown_lines(_source(first)) if first else []:
        match = HEADER_LINE.match(line.strip())
        if match:
            return Header(int(match["teaching"]), float(match["fast"]), float(match["full"]), match["note"])
    return None


@dataclass(frozen=True)
class Header:
    """The times a notebook header states: teaching minutes (a plan) and compute minutes (measured Run All)."""

    teaching_min: int
    fast_min: float
    full_min: float
    note: str


def _title_problems(cells: list[dict], kind: str) -> list[str]:
    titles = [line for line in _all_markdown_lines(cells) if line.startswith("# ")]
    if len(titles) != 1:
        return [f"needs exactly one H1 title ('# ...' line), found {len(titles)}: {titles}"]
    if kind == "solutions" and not titles[0].startswith(SOLUTIONS_TITLE):
        return [f"a solutions notebook's title starts with '{SOLUTIONS_TITLE}' (then the notebook's title), "
                f"found {titles[0]!r}"]
    return []


def _header_problems(nb: dict) -> list[str]:
    """Goals, then the header line with both times, in the first markdown cell."""
    cells = nb.get("cells", [])
    problems = []
    first = next((cell for cell in cells if cell.get("cell_type") == "markdown"), None)
    lines = [line.strip() for line in markdown_lines(_source(first))] if first else []
    goals = [i for i, line in enumerate(_all_markdown_lines(cells)) if line.strip() == GOALS]
    if not goals:
        problems.append(f"no goals: add '{GOALS}' followed by a numbered list")
    else:
        following = [line.strip() for line in _all_markdown_lines(cells)[goals[0] + 1:] if line.strip()]
        if not following or not re.match(r"1[.)] ", following[0]):
            problems.append(f"'{GOALS}' must be followed by a numbered list (1. ...)")
    if any(OLD_RUN_TIME in line for line in _all_markdown_lines(cells)):
        problems.append(f"'{OLD_RUN_TIME}' is the old header: replace it with the line {HEADER_FORM}")
    header = [i for i, line in enumerate(lines) if line.startswith("**Teaching time:")]
    if not header:
        if not any(OLD_RUN_TIME in line for line in _all_markdown_lines(cells)):
            problems.append(f"no header line with the times: add, after the goals, {HEADER_FORM}")
    elif not HEADER_LINE.match(lines[header[0]]):
        problems.append(f"the header line {lines[header[0]]!r} does not read {HEADER_FORM} "
                        "(numbers: minutes, teaching a whole number)")
    elif GOALS in lines and header[0] < lines.index(GOALS):
        problems.append("the header line with the times goes after the goals list")
    return problems


def _closing_problems(path: Path, cells: list[dict]) -> list[str]:
    """What you learned, Exercises (1-3, linking the solutions), Learn more (guides, papers, the glossary)."""
    problems = []
    headings = [title for title, _ in h2_sections(cells)]
    missing = [title for title in CLOSING if not any(h.startswith(title) for h in headings)]
    for title in missing:
        problems.append(f"no '{title}' section")
    if not missing and [next(t for t in CLOSING if h.startswith(t)) if any(h.startswith(t) for t in CLOSING) else h
                        for h in headings[-3:]] != list(CLOSING):
        problems.append(f"the notebook must close with {', '.join(repr(t) for t in CLOSING)} "
                        f"(the last H2 sections, in that order); found H2 order {headings[-3:]}")
    exercises = section_lines(cells, EXERCISES)
    if exercises is not None:
        count = exercise_count(cells)
        if not 1 <= count <= MAX_EXERCISES:
            problems.append(f"the Exercises section lists {count} numbered exercises: give 1 to {MAX_EXERCISES} "
                            "(1. ..., 2. ...)")
        target = solutions_path(path).resolve()
        if not any((path.parent / unquote(link.partition("#")[0])).resolve() == target
                   for link in links("\n".join(exercises)) if not SCHEME.match(link)):
            relative = Path("..", SOLUTIONS) if notebook_kind(path) == "deep_dive" else Path(SOLUTIONS)
            problems.append(f"the Exercises section does not link its solutions: add "
                            f"[solutions]({(relative / target.name).as_posix()})")
    learn_more = section_lines(cells, LEARN_MORE)
    if learn_more is not None:
        targets = links("\n".join(learn_more))
        if not any(SCHEME.match(t) for t in targets):
            problems.append("the Learn more section links no official guide or paper (https://...)")
        if not any(t.partition("#")[0].endswith("GLOSSARY.md") for t in targets):
            glossary = "../GLOSSARY.md" if notebook_kind(path) == "deep_dive" else "GLOSSARY.md"
            problems.append(f"the Learn more section does not link the glossary: add [glossary]({glossary})")
    return problems


def _glossary_term_problems(cells: list[dict]) -> list[str]:
    """A core notebook links its terms to the glossary where it first uses them (GLOSSARY.md#term)."""
    targets = [target for cell in cells if cell.get("cell_type") == "markdown" for target in links(_source(cell))]
    if any(target.startswith("GLOSSARY.md#") for target in targets):
        return []
    return ["no glossary term is linked: link a term where the notebook first uses it, e.g. "
            "[zero point](GLOSSARY.md#zero-point)"]


def _solutions_problems(cells: list[dict]) -> list[str]:
    """A solutions notebook: "## Exercise 1", "## Exercise 2", ... sections, answers filled in and asserted."""
    problems = []
    numbers = [int(m.group(1)) for title, _ in h2_sections(cells) if (m := EXERCISE_SECTION.match(title))]
    if numbers and numbers != list(range(1, len(numbers) + 1)):
        problems.append(f"the exercise sections are numbered {numbers}: number them '## Exercise 1: ...', "
                        "'## Exercise 2: ...' in order")
    for index, cell in enumerate(cells):
        if cell.get("cell_type") != "code":
            continue
        text = _source(cell)
        left = [m.group("name") for m in ANSWER_PLACEHOLDER.finditer(text)]
        if left:
            problems.append(f"cell {index} (code) still leaves {left[0]} = ...: a solution fills the answer in")
        if CHECK_CALL in text and not any(line.lstrip().startswith("assert ") for line in text.splitlines()):
            problems.append(f"cell {index} (code) calls check_answer without asserting it: "
                            "write `assert wu.exercises.check_answer(...) is True`")
    return problems


def _without_strings(code: str) -> str:
    return re.sub(r"(\"|')(?:\\.|(?!\1).)*\1", "''", code)


def your_turn_problems(cells: list[dict]) -> list[str]:
    """Each "### Your turn" cell: an answer left as `...`, a check_answer cell on it, no later cell using it."""
    problems = []
    starts = your_turn_cells(cells)
    for start in starts:
        block, end = [], start + 1
        while end < len(cells):
            cell = cells[end]
            if cell.get("cell_type") == "markdown" and (
                    end in starts or any(re.match(r"^#{1,6} ", line) for line in markdown_lines(_source(cell)))):
                break
            end += 1
            if cell.get("cell_type") == "code":
                block.append(_source(cell))
                if CHECK_CALL in block[-1]:
                    break  # the check closes the exercise; later cells must not use the answer
        where = f"the your-turn cell {start}"
        names = [m.group("name") for text in block for m in ANSWER_PLACEHOLDER.finditer(text)]
        checks = [text for text in block if CHECK_CALL in text]
        if not names:
            problems.append(f"{where} has no answer left as `...`: write e.g. `end_step = ...  # YOUR TURN: ...` "
                            "in the code cell after it")
        if not checks:
            problems.append(f"{where} has no check: add a code cell after the answer calling "
                            "wu.exercises.check_answer(...)")
        for name in names:
            if checks and not any(re.search(rf"\b{name}\b", _without_strings(text)) for text in checks):
                problems.append(f"{where}: the check_answer cell never looks at `{name}`, the learner's answer")
            for index in range(end, len(cells)):
                text = _source(cells[index]) if cells[index].get("cell_type") == "code" else ""
                if re.search(rf"^\s*{name}\s*=(?!=)", text, re.MULTILINE):
                    break  # redefined: later cells use the notebook's own value
                if re.search(rf"\b{name}\b", _without_strings(text)):
                    problems.append(f"cell {index} (code) uses `{name}`, the learner's answer in {where}: later "
                                    "cells must not depend on it (compute a reference value under another name)")
                    break
    return problems


def _placeholder_problems(cells: list[dict]) -> list[str]:
    return [f"cell {index} (markdown) has a leftover placeholder {found.group()!r}: put in the measured figures"
            for index, cell in enumerate(cells)
            if cell.get("cell_type") == "markdown" and (found := PLACEHOLDER.search(_source(cell)))]


def _link_problems(path: Path, cells: list[dict]) -> list[str]:
    return [f"cell {index} (markdown) {problem}" for index, cell in enumerate(cells)
            if cell.get("cell_type") == "markdown"
            for target in links(_source(cell)) if (problem := link_problem(path, target))]


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
    kind = notebook_kind(path)
    cells = nb.get("cells", [])
    found = _name_problems(path, kind)
    found += _format_problems(nb)
    found += _metadata_problems(nb)
    found += _cell_problems(nb)
    found += _badge_problems(relative_name(path), cells)
    found += _title_problems(cells, kind)
    if kind == "solutions":
        found += _solutions_problems(cells)
    else:
        found += _header_problems(nb)
        found += _closing_problems(path, cells)
        found += _glossary_term_problems(cells) if kind == "core" else []
        found += your_turn_problems(cells)
    found += _placeholder_problems(cells)
    found += _link_problems(path, cells)
    found += _code_problems(cells)
    return found


# --- the checks of the notebooks together ---------------------------------------------------------------------


def numbering_problems(paths: Iterable[str | Path]) -> list[str]:
    """Core notebooks must be numbered 00_, 01_, 02_, ... with no gap and no number used twice."""
    numbers: dict[int, list[str]] = {}
    for path in paths:
        match = CORE_NAME.match(Path(path).name)
        if match:
            numbers.setdefault(int(match.group(1)), []).append(Path(path).name)
    found = [f"number {n:02d} is used by {len(names)} notebooks: {names}" for n, names in sorted(numbers.items())
             if len(names) > 1]
    missing = [f"{n:02d}_" for n in range(max(numbers, default=-1) + 1) if n not in numbers]
    if missing:
        found.append(f"numbering has gaps: no notebook {', '.join(missing)} (have {sorted(numbers)})")
    return found


def deep_dive_problems(core: Iterable[str | Path], deep_dives: Iterable[str | Path]) -> list[str]:
    """Each deep dive extends an existing core notebook; its letters run a, b, c, ... without gaps or repeats."""
    numbers = {int(m.group("number")) for p in core if (m := CORE_NAME.match(Path(p).name))}
    letters: dict[int, list[str]] = {}
    found = []
    for path in deep_dives:
        match = DEEP_DIVE_NAME.match(Path(path).name)
        if not match:
            continue
        number = int(match.group("number"))
        if number not in numbers:
            found.append(f"deep dive {Path(path).name} extends no core notebook: there is no {number:02d}_*.ipynb")
        letters.setdefault(number, []).append(match.group("letter"))
    for number, used in sorted(letters.items()):
        expected = [chr(ord("a") + i) for i in range(len(used))]
        if sorted(used) != expected:
            found.append(f"deep dives of {number:02d} are lettered {sorted(used)}: use {expected} "
                         "(no gaps, no repeats)")
    return found


def needs_solutions(path: str | Path) -> bool:
    """A core notebook or deep dive with exercises or your-turn cells needs a solutions notebook."""
    cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    return exercise_count(cells) > 0 or bool(your_turn_cells(cells))


def _title(path: Path) -> str | None:
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return None  # unreadable: problems(path) says so
    return next((line[2:].strip() for line in _all_markdown_lines(cells) if line.startswith("# ")), None)


def _solutions_title_problems(path: Path, solved: Path) -> list[str]:
    """A solutions notebook is titled "Solutions: " and the solved notebook's title (or its start)."""
    title, solved_title = _title(path), _title(solved)
    if title is None or solved_title is None or not title.startswith(SOLUTIONS_TITLE[2:]):
        return []  # problems(path) reports a missing or wrong title
    if not solved_title.startswith(title[len(SOLUTIONS_TITLE) - 2:].strip()):
        return [f"{relative_name(path)} is titled {title!r}, but it solves {relative_name(solved)} "
                f"({solved_title!r}): title it '{SOLUTIONS_TITLE} {solved_title}'"]
    return []


def layout_problems(root: str | Path) -> list[str]:
    """The notebooks under ``root`` (notebooks/) together: folders, numbering, solutions for every notebook."""
    root = Path(root)
    paths = all_notebooks(root)
    found = []
    placed = []
    for path in paths:
        folder_ok = path.parent == root if notebook_kind(path) == "core" else path.parent.parent == root
        if folder_ok:
            placed.append(path)
        else:
            found.append(f"{path.relative_to(root).as_posix()}: notebooks live in notebooks/, "
                         f"notebooks/{DEEP_DIVES}/ or notebooks/{SOLUTIONS}/")
    core = [p for p in placed if notebook_kind(p) == "core"]
    deep = [p for p in placed if notebook_kind(p) == "deep_dive"]
    found += numbering_problems(core)
    found += deep_dive_problems(core, deep)
    for path in (p for p in placed if notebook_kind(p) == "solutions"):
        solved = solved_notebook(path)
        if solved is not None and not solved.exists():
            found.append(f"{relative_name(path)} solves no notebook: {relative_name(solved)} does not exist")
        elif solved is not None:
            found += _solutions_title_problems(path, solved)
    for path in core + deep:
        try:
            needed = needs_solutions(path)
        except (OSError, ValueError):
            continue  # unreadable: problems(path) says so
        if needed and not solutions_path(path).exists():
            found.append(f"{relative_name(path)} has exercises but no solutions notebook "
                         f"{relative_name(solutions_path(path))}")
    return found


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parents[1] / "notebooks"
    paths = [Path(arg) for arg in argv] or all_notebooks(root)
    report = {relative_name(path): problems(path) for path in paths}
    report["(layout)"] = layout_problems(root)
    for name, found in report.items():
        for problem in found:
            print(f"{name}: {problem}")
    return 1 if any(report.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
