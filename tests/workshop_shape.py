"""The workshop's shape: the times in the notebook headers against the slot, the agenda, the README and the plan.

Every core notebook and deep dive states a teaching time (minutes a live session spends) and a compute time
(measured Run All, fast and full) in its header line (tests/notebook_hygiene.py: HEADER_LINE). From them:

- the core notebooks' teaching times fit the core budget (150 minutes of a 3-hour slot);
- no stated teaching time is far below the planning estimate
  ``markdown words / 100 + code lines / 12 + 4 per "your turn" cell``, where the code lines leave out the setup
  cell (the same boilerplate in every notebook: run, not taught; its length changes with ``retarget``);
- the facilitator guide's agenda (rows ``| 0:10 | 15 min | [00_name](00_name.ipynb) | ... |``) gives each core
  notebook the minutes its header states, its clock adds up, it ends within the slot, and it keeps at least
  ``SLACK_MIN`` minutes free (a row starting "Slack", or time left unscheduled);
- the README's curriculum table (rows ``| [00_name](notebooks/00_name.ipynb) | ... | 15 min | 0.6 / 2.5 min |``
  and ``| **Core path total** | ... | 140 min | A / B min |``) repeats the headers' times;
- every exercise and your-turn cell has its worked solution, and the glossary links where each term is taught.

Used by tests/test_workshop_shape.py; also runnable by hand: ``python tests/workshop_shape.py``.
"""

from __future__ import annotations

import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from notebook_hygiene import (
    Header,
    _source,
    all_notebooks,
    asserted_checks,
    exercise_count,
    h2_sections,
    is_setup_cell,
    link_problem,
    links,
    markdown_anchors,
    notebook_kind,
    read_header,
    relative_name,
    solutions_path,
    your_turn_cells,
    your_turn_problems,
)

CORE_BUDGET_MIN = 150  # teaching minutes of the core path: a 3-hour slot leaves room for set-up, a break, questions
SLOT_MIN = 180
SLACK_MIN = 10  # minutes the agenda keeps free: a "Slack" row, or time it leaves unscheduled
WORDS_PER_MIN, CODE_LINES_PER_MIN, YOUR_TURN_MIN = 100, 12, 4  # the planning estimate
ESTIMATE_FLOOR = 0.6  # a stated teaching time below this fraction of the estimate is flagged
AGENDA_ROW = re.compile(r"^\|\s*(?P<hours>\d+):(?P<minutes>\d{2})\s*\|\s*(?P<length>\d+) min\s*\|(?P<item>[^|]*)\|")
AGENDA_FORM = "| 0:10 | 15 min | [00_setup_and_baseline](00_setup_and_baseline.ipynb) | what happens |"
NOTEBOOK_LINK = re.compile(r"\]\((?P<target>[^)#\s]+\.ipynb)\)")
README_ROW = re.compile(
    r"^\|\s*\[[^\]]+\]\(notebooks/(?P<path>[^)]+\.ipynb)\)\s*\|.*\|\s*(?P<teaching>\d+) min\s*\|"
    r"\s*(?P<fast>\d+(?:\.\d+)?) / (?P<full>\d+(?:\.\d+)?) min\s*\|\s*$")
README_TOTAL = re.compile(
    r"^\|\s*\*\*Core path total\*\*\s*\|.*\|\s*\**(?P<teaching>\d+) min\**\s*\|"
    r"\s*\**(?P<fast>\d+(?:\.\d+)?) / (?P<full>\d+(?:\.\d+)?) min\**\s*\|\s*$")
README_FORM = ("| [00_setup_and_baseline](notebooks/00_setup_and_baseline.ipynb) | ... | 15 min | 0.6 / 2.5 min |, "
               "closed by | **Core path total** | ... | **140 min** | **A / B min** |")
GLOSSARY_ANCHORS = (
    "scale", "zero-point", "per-channel", "calibration", "fake-quantization", "straight-through-estimator",
    "sparsity", "pruning-schedule", "centroid", "zipped-size", "representative-dataset",
    "dynamic-range-quantization", "full-integer-quantization", "tensor-arena",
)


def count_words(nb: dict) -> int:
    """Markdown words (the closing note's definition)."""
    return sum(len("".join(c["source"]).split()) for c in nb["cells"] if c["cell_type"] == "markdown")


def count_code_lines(nb: dict) -> int:
    """Non-blank code lines (the closing note's definition)."""
    return sum(len([line for line in "".join(c["source"]).splitlines() if line.strip()])
               for c in nb["cells"] if c["cell_type"] == "code")


def planning_estimate(words: int, code_lines: int, your_turns: int) -> float:
    """Teaching minutes a live session needs: reading, running and discussing, plus the learners' own lines."""
    return words / WORDS_PER_MIN + code_lines / CODE_LINES_PER_MIN + YOUR_TURN_MIN * your_turns


@dataclass(frozen=True)
class NotebookShape:
    """What the shape checks need to know about one notebook."""

    path: Path
    kind: str  # "core", "deep_dive" or "solutions"
    header: Header | None
    words: int
    code_lines: int
    your_turns: int
    exercises: int
    asserted_checks: int
    exercise_sections: int
    your_turn_problems: tuple[str, ...]
    setup_lines: int = 0  # the setup cell's non-blank lines, counted in code_lines but not in the estimate

    @property
    def name(self) -> str:
        return relative_name(self.path)

    @property
    def estimate_min(self) -> float:
        return planning_estimate(self.words, self.code_lines - self.setup_lines, self.your_turns)


def read_shape(path: str | Path) -> NotebookShape:
    path = Path(path)
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = nb.get("cells", [])
    kind = notebook_kind(path)
    sections = sum(1 for title, _ in h2_sections(cells) if re.match(r"^## Exercise \d+\b", title))
    return NotebookShape(
        path=path, kind=kind, header=read_header(nb), words=count_words(nb), code_lines=count_code_lines(nb),
        your_turns=len(your_turn_cells(cells)), exercises=exercise_count(cells) if kind != "solutions" else 0,
        asserted_checks=asserted_checks(cells), exercise_sections=sections,
        your_turn_problems=tuple(your_turn_problems(cells)) if kind != "solutions" else (),
        setup_lines=sum(len([line for line in _source(c).splitlines() if line.strip()]) for c in cells
                        if c.get("cell_type") == "code" and is_setup_cell(_source(c))),
    )


def workshop_shapes(root: str | Path) -> list[NotebookShape]:
    """Every notebook under ``root`` (notebooks/)."""
    return [read_shape(path) for path in all_notebooks(root)]


def _taught(shapes: list[NotebookShape]) -> list[NotebookShape]:
    return [s for s in shapes if s.kind != "solutions"]


def _core(shapes: list[NotebookShape]) -> list[NotebookShape]:
    return [s for s in shapes if s.kind == "core"]


# --- the checks ------------------------------------------------------------------------------------------------


def time_problems(shapes: list[NotebookShape]) -> list[str]:
    """Every core notebook and deep dive states both times; fast mode is not slower than full mode."""
    found = []
    for shape in _taught(shapes):
        if shape.header is None:
            found.append(f"{shape.name} states no teaching and compute time: add the header line "
                         "(tests/notebook_hygiene.py HEADER_FORM)")
        elif shape.header.fast_min > shape.header.full_min:
            found.append(f"{shape.name}: compute time fast ({shape.header.fast_min} min) is longer than full "
                         f"({shape.header.full_min} min): measure both again")
    return found


def core_teaching_min(shapes: list[NotebookShape]) -> int:
    return sum(s.header.teaching_min for s in _core(shapes) if s.header)


def budget_problems(shapes: list[NotebookShape], budget: int = CORE_BUDGET_MIN) -> list[str]:
    """The core notebooks' teaching times add up to at most ``budget`` minutes."""
    total = core_teaching_min(shapes)
    if total <= budget:
        return []
    parts = ", ".join(f"{s.name} {s.header.teaching_min}" for s in _core(shapes) if s.header)
    return [f"the core notebooks teach {total} min, more than the {budget} min budget ({parts}): "
            "move sections into deep dives"]


def estimate_problems(shapes: list[NotebookShape], floor: float = ESTIMATE_FLOOR) -> list[str]:
    """A stated teaching time far below the planning estimate (words/100 + lines/12 + 4 per your-turn cell)."""
    return [f"{s.name} states {s.header.teaching_min} min of teaching, less than {floor:.0%} of the planning "
            f"estimate {s.estimate_min:.1f} min ({s.words} words / {WORDS_PER_MIN} + {s.code_lines - s.setup_lines} "
            f"code lines outside the setup cell / "
            f"{CODE_LINES_PER_MIN} + {YOUR_TURN_MIN} x {s.your_turns} your-turn cells): trim it or state more"
            for s in _taught(shapes) if s.header and s.header.teaching_min < floor * s.estimate_min]


def exercise_problems(shapes: list[NotebookShape]) -> list[str]:
    """Each your-turn cell is checked; each exercise and your-turn cell has its worked solution."""
    by_path = {s.path.resolve(): s for s in shapes}
    found = [f"{s.name}: {problem}" for s in _taught(shapes) for problem in s.your_turn_problems]
    for shape in _taught(shapes):
        if not shape.exercises and not shape.your_turns:
            continue
        solutions = by_path.get(solutions_path(shape.path).resolve())
        if solutions is None:
            found.append(f"{shape.name} has {shape.exercises} exercises and {shape.your_turns} your-turn cells but "
                         f"no solutions notebook {relative_name(solutions_path(shape.path))}")
            continue
        if solutions.exercise_sections != shape.exercises:
            found.append(f"{solutions.name} has {solutions.exercise_sections} '## Exercise N' sections for the "
                         f"{shape.exercises} exercises of {shape.name}: one section per exercise")
        if solutions.asserted_checks < shape.your_turns:
            found.append(f"{solutions.name} asserts {solutions.asserted_checks} check_answer calls for the "
                         f"{shape.your_turns} your-turn cells of {shape.name}: fill each in and assert "
                         "check_answer(...) is True")
    return found


@dataclass(frozen=True)
class AgendaRow:
    start_min: int
    minutes: int
    item: str
    notebook: str | None  # the linked notebook's path relative to notebooks/

    @property
    def clock(self) -> str:
        return f"{self.start_min // 60}:{self.start_min % 60:02d}"


def parse_agenda(text: str) -> list[AgendaRow]:
    """The agenda rows of a facilitator guide: ``| H:MM | N min | item (a link to the notebook, if any) | ... |``."""
    rows = []
    for line in text.splitlines():
        match = AGENDA_ROW.match(line.strip())
        if match:
            notebook = NOTEBOOK_LINK.search(match["item"])
            rows.append(AgendaRow(int(match["hours"]) * 60 + int(match["minutes"]), int(match["length"]),
                                  match["item"].strip(), notebook["target"] if notebook else None))
    return rows


def agenda_problems(guide: str, shapes: list[NotebookShape], slot: int = SLOT_MIN) -> list[str]:
    """The agenda gives each core notebook its header's teaching minutes, adds up, and fits the slot."""
    rows = parse_agenda(guide)
    if not rows:
        return [f"the facilitator guide has no agenda rows like {AGENDA_FORM}"]
    found = []
    for before, row in zip(rows, rows[1:], strict=False):
        if row.start_min != before.start_min + before.minutes:
            found.append(f"the agenda's clock does not add up: {row.item!r} starts at {row.clock}, but "
                         f"{before.item!r} ({before.clock}, {before.minutes} min) ends at "
                         f"{AgendaRow(before.start_min + before.minutes, 0, '', None).clock}")
    end = rows[-1].start_min + rows[-1].minutes
    if end - rows[0].start_min > slot:
        found.append(f"the agenda runs {end - rows[0].start_min} min, longer than the {slot} min slot")
    slack = slot - (end - rows[0].start_min) + sum(r.minutes for r in rows if r.item.lower().startswith("slack"))
    if slack < SLACK_MIN:
        found.append(f"the agenda leaves {slack} min of slack, less than {SLACK_MIN} min: add a row "
                     f"| H:MM | {SLACK_MIN} min | Slack: ... | or shorten another")
    known = {s.name: s for s in shapes}
    minutes: dict[str, int] = {}
    for row in rows:
        if row.notebook is None:
            continue
        if row.notebook not in known:
            found.append(f"the agenda row {row.item!r} links {row.notebook}, which is not a notebook")
        minutes[row.notebook] = minutes.get(row.notebook, 0) + row.minutes
    for shape in _core(shapes):
        if shape.name not in minutes:
            found.append(f"the agenda has no row for {shape.name}: add {AGENDA_FORM}")
        elif shape.header and minutes[shape.name] != shape.header.teaching_min:
            found.append(f"the agenda gives {shape.name} {minutes[shape.name]} min, its header states "
                         f"{shape.header.teaching_min} min")
    return found


def _same(a: float, b: float, tolerance: float = 0.051) -> bool:
    return math.isclose(a, b, abs_tol=tolerance)


def readme_problems(readme: str, shapes: list[NotebookShape]) -> list[str]:
    """The README's curriculum table shows each core notebook's two times as its header does, and their total."""
    known = {s.name: s for s in shapes}
    found, seen = [], set()
    totals = []
    for line in readme.splitlines():
        if match := README_ROW.match(line.strip()):
            name = match["path"]
            seen.add(name)
            shape = known.get(name)
            if shape is None:
                found.append(f"the README's curriculum lists {name}, which is not a notebook")
            elif shape.header is not None:
                stated = (int(match["teaching"]), float(match["fast"]), float(match["full"]))
                header = (shape.header.teaching_min, shape.header.fast_min, shape.header.full_min)
                if stated[0] != header[0] or not all(map(_same, stated[1:], header[1:])):
                    found.append(f"the README gives {name} {stated[0]} min teaching, {stated[1]} / {stated[2]} min "
                                 f"compute; its header states {header[0]} min, {header[1]} / {header[2]} min")
        elif match := README_TOTAL.match(line.strip()):
            totals.append(match)
    core = [s for s in _core(shapes) if s.header]
    missing = [s.name for s in _core(shapes) if s.name not in seen]
    if missing:
        found.append(f"the README's curriculum has no row for {', '.join(missing)}: rows read {README_FORM}")
    if not totals:
        found.append(f"the README's curriculum has no total row: {README_FORM}")
    for match in totals:
        stated = (int(match["teaching"]), float(match["fast"]), float(match["full"]))
        summed = (sum(s.header.teaching_min for s in core), sum(s.header.fast_min for s in core),
                  sum(s.header.full_min for s in core))
        if stated[0] != summed[0] or not all(_same(a, b, 0.051 * len(core)) for a, b in zip(stated[1:], summed[1:],
                                                                                           strict=True)):
            found.append(f"the README's core path total reads {stated[0]} min, {stated[1]} / {stated[2]} min; "
                         f"the headers add up to {summed[0]} min, {summed[1]:.1f} / {summed[2]:.1f} min")
    return found


def glossary_problems(path: str | Path, anchors: tuple[str, ...] = GLOSSARY_ANCHORS) -> list[str]:
    """The glossary defines every listed anchor, each entry links a notebook, and every link resolves."""
    path = Path(path)
    if not path.exists():
        return [f"no glossary at {path}"]
    found = [f"the glossary has no entry with anchor #{anchor}" for anchor in anchors
             if anchor not in markdown_anchors(path)]
    entry, body = None, []
    entries: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines() + ["## (end)"]:
        if line.startswith("## "):
            if entry is not None:
                entries.append((entry, "\n".join(body)))
            entry, body = line[3:].strip(), []
        else:
            body.append(line)
    for title, text in entries:
        if not any(target.partition("#")[0].endswith(".ipynb") for target in links(text)):
            found.append(f"the glossary entry {title!r} links no notebook that teaches it")
        found += [f"the glossary entry {title!r} {problem}" for target in links(text)
                  if (problem := link_problem(path, target))]
    return found


def markdown_link_problems(path: str | Path) -> list[str]:
    """Relative links of a markdown file that do not resolve."""
    path = Path(path)
    return [f"{path.name} {problem}" for target in links(path.read_text(encoding="utf-8"))
            if (problem := link_problem(path, target))]


def shape_table(shapes: list[NotebookShape]) -> str:
    """A plain-text table of every notebook's words, code lines, your-turn cells, estimate and stated times."""
    lines = [f"{'notebook':58} {'words':>6} {'lines':>6} {'turns':>5} {'est.':>6} {'teach':>6} {'fast':>5} {'full':>5}"]
    for s in shapes:
        h = s.header
        lines.append(f"{s.name:58} {s.words:6d} {s.code_lines:6d} {s.your_turns:5d} {s.estimate_min:6.1f} "
                     f"{h.teaching_min if h else '-':>6} {h.fast_min if h else '-':>5} {h.full_min if h else '-':>5}")
    lines.append(f"core path teaching: {core_teaching_min(shapes)} min (budget {CORE_BUDGET_MIN})")
    return "\n".join(lines)


def read_text(path: Path) -> str:
    """A text file's content, or "" when it does not exist (the checks then say what is missing)."""
    return path.read_text(encoding="utf-8") if path.exists() else ""


def main() -> int:
    repo = Path(__file__).resolve().parents[1]
    shapes = workshop_shapes(repo / "notebooks")
    print(shape_table(shapes))
    found = (time_problems(shapes) + budget_problems(shapes) + estimate_problems(shapes) + exercise_problems(shapes)
             + agenda_problems(read_text(repo / "notebooks" / "FACILITATOR_GUIDE.md"), shapes)
             + readme_problems(read_text(repo / "README.md"), shapes)
             + glossary_problems(repo / "notebooks" / "GLOSSARY.md"))
    for problem in found:
        print(f"- {problem}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
