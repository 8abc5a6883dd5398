"""The workshop's shape (issue 10): teaching times fit the slot and agree with the agenda and the README.

The checks live in tests/workshop_shape.py. The first tests run them on the repository; the rest plant one
breakage at a time in a synthetic workshop (tests/notebook_fixtures.py, written into tmp_path) and look for
the message that names it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from notebook_fixtures import core_notebook, solutions_notebook, write_notebook, write_workshop
from notebook_hygiene import all_notebooks, relative_name
from workshop_shape import (
    CORE_BUDGET_MIN,
    agenda_problems,
    budget_problems,
    core_teaching_min,
    estimate_problems,
    exercise_problems,
    glossary_problems,
    markdown_link_problems,
    parse_agenda,
    planning_estimate,
    read_text,
    readme_problems,
    shape_table,
    time_problems,
    workshop_shapes,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
GUIDE = NOTEBOOKS / "FACILITATOR_GUIDE.md"


@pytest.fixture(scope="module")
def shapes():
    return workshop_shapes(NOTEBOOKS)


def _fail(found: list[str], shapes=None) -> str:
    return "\n".join(found) + (f"\n\n{shape_table(shapes)}" if shapes else "")


def test_every_notebook_states_both_times(shapes):
    assert not (found := time_problems(shapes)), _fail(found, shapes)


def test_core_path_fits_the_budget(shapes):
    assert not (found := budget_problems(shapes)), _fail(found, shapes)


def test_teaching_times_are_not_far_below_the_estimate(shapes):
    assert not (found := estimate_problems(shapes)), _fail(found, shapes)


def test_every_exercise_is_checked_and_solved(shapes):
    assert not (found := exercise_problems(shapes)), _fail(found)


def test_facilitator_agenda_matches_the_headers(shapes):
    assert not (found := agenda_problems(read_text(GUIDE), shapes)), _fail(found, shapes)


def test_readme_curriculum_matches_the_headers(shapes):
    assert not (found := readme_problems(read_text(ROOT / "README.md"), shapes)), _fail(found, shapes)


def test_glossary_defines_the_terms_the_notebooks_link():
    assert not (found := glossary_problems(NOTEBOOKS / "GLOSSARY.md")), _fail(found)


def test_facilitator_guide_links_resolve():
    assert GUIDE.exists(), "notebooks/FACILITATOR_GUIDE.md is the facilitator guide"
    assert not (found := markdown_link_problems(GUIDE)), _fail(found)


def test_nbval_collects_every_notebook():
    """`pytest` executes every notebook, deep dives and solutions included (nbval collects notebooks/ recursively)."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "notebooks"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    missing = [relative_name(p) for p in all_notebooks(NOTEBOOKS) if f"notebooks/{relative_name(p)}" not in collected]
    assert not missing, f"nbval does not collect {missing}:\n{result.stdout[-2000:]}{result.stderr[-2000:]}"


# --- the checks themselves, on a synthetic workshop ------------------------------------------------------------


def agenda_for(shapes, start: int = 10) -> str:
    """A facilitator-guide agenda that agrees with ``shapes``: set-up, the core notebooks, wrap-up."""
    rows = ["| Start | Minutes | What | Checkpoint |", "| --- | --- | --- | --- |",
            f"| 0:00 | {start} min | Set-up check | Check passed |"]
    clock = start
    for shape in (s for s in shapes if s.kind == "core"):
        rows.append(f"| {clock // 60}:{clock % 60:02d} | {shape.header.teaching_min} min | "
                    f"[{Path(shape.name).stem}]({shape.name}) | a table |")
        clock += shape.header.teaching_min
    rows.append(f"| {clock // 60}:{clock % 60:02d} | 10 min | Questions and wrap-up | |")
    return "# Guide\n\n## Agenda\n\n" + "\n".join(rows) + "\n"


def readme_for(shapes) -> str:
    core = [s for s in shapes if s.kind == "core"]
    rows = ["| Notebook | What you do | Teaching | Compute (fast / full) |", "| --- | --- | --- | --- |"]
    rows += [f"| [{Path(s.name).stem}](notebooks/{s.name}) | things | {s.header.teaching_min} min | "
             f"{s.header.fast_min} / {s.header.full_min} min |" for s in core]
    rows.append(f"| **Core path total** | | **{sum(s.header.teaching_min for s in core)} min** | "
                f"**{sum(s.header.fast_min for s in core):.1f} / {sum(s.header.full_min for s in core):.1f} min** |")
    return "# Workshop\n\n## Curriculum\n\n" + "\n".join(rows) + "\n"


@pytest.fixture()
def workshop(tmp_path) -> Path:
    return write_workshop(tmp_path)


def test_a_clean_synthetic_workshop_passes(workshop):
    shapes = workshop_shapes(workshop)
    assert [s.kind for s in shapes] == ["core", "core", "deep_dive", "solutions", "solutions", "solutions"]
    assert core_teaching_min(shapes) == 25
    assert time_problems(shapes) == budget_problems(shapes) == estimate_problems(shapes) == []
    assert exercise_problems(shapes) == []
    assert agenda_problems(agenda_for(shapes), shapes) == []
    assert readme_problems(readme_for(shapes), shapes) == []
    assert glossary_problems(workshop / "GLOSSARY.md", anchors=("scale", "zero-point")) == [
        "the glossary entry 'Scale' links no notebook that teaches it",
        "the glossary entry 'Zero point' links no notebook that teaches it"]


def test_planning_estimate():
    assert planning_estimate(words=500, code_lines=60, your_turns=2) == pytest.approx(5 + 5 + 8)
    assert planning_estimate(0, 0, 0) == 0


def test_over_budget(tmp_path):
    minutes = CORE_BUDGET_MIN // 2 + 5
    shapes = workshop_shapes(write_workshop(tmp_path, {"00_intro.ipynb": minutes, "01_topic.ipynb": minutes}))
    found = budget_problems(shapes)
    assert len(found) == 1 and f"teach {2 * minutes} min, more than the {CORE_BUDGET_MIN} min budget" in found[0]
    assert budget_problems(shapes, budget=2 * minutes) == []


def test_deep_dives_do_not_count_against_the_budget(tmp_path):
    root = write_workshop(tmp_path, {"00_intro.ipynb": 10, "deep_dives/00a_long.ipynb": CORE_BUDGET_MIN * 2})
    assert budget_problems(workshop_shapes(root)) == []


def test_missing_and_inconsistent_times(workshop):
    notebook = core_notebook("01_topic.ipynb")
    first = notebook["cells"][0]
    first["source"] = "".join(first["source"]).split("**Teaching")[0]
    write_notebook(workshop, "01_topic.ipynb", notebook)
    deep = "deep_dives/01a_more.ipynb"
    write_notebook(workshop, deep, core_notebook(deep, fast=3.0, full=2.0))
    found = time_problems(workshop_shapes(workshop))
    assert len(found) == 2
    assert "01_topic.ipynb states no teaching and compute time" in found[0]
    assert "compute time fast (3.0 min) is longer than full (2.0 min)" in found[1]


def test_teaching_time_far_below_the_estimate(workshop):
    notebook = core_notebook("00_intro.ipynb", teaching=5)
    notebook["cells"][4]["source"] = "## Train the model\n\n" + "word " * 1000
    write_notebook(workshop, "00_intro.ipynb", notebook)
    found = estimate_problems(workshop_shapes(workshop))
    assert len(found) == 1 and found[0].startswith("00_intro.ipynb states 5 min of teaching, less than 60% of")


def test_unchecked_your_turn_and_missing_solutions(workshop):
    notebook = core_notebook("00_intro.ipynb")
    notebook["cells"] = [c for c in notebook["cells"] if "check_answer" not in "".join(c["source"])]
    write_notebook(workshop, "00_intro.ipynb", notebook)
    (workshop / "solutions" / "01_topic_solutions.ipynb").unlink()
    write_notebook(workshop, "solutions/01a_more_solutions.ipynb",
                   solutions_notebook("deep_dives/01a_more.ipynb", exercises=1, your_turns=0))
    found = exercise_problems(workshop_shapes(workshop))
    expected = [
        "00_intro.ipynb: the your-turn cell 6 has no check",
        "01_topic.ipynb has 2 exercises and 1 your-turn cells but no solutions notebook",
        "solutions/01a_more_solutions.ipynb has 1 '## Exercise N' sections for the 2 exercises",
        "solutions/01a_more_solutions.ipynb asserts 0 check_answer calls for the 1 your-turn cells",
    ]
    assert len(found) == len(expected), found
    for message in expected:
        assert any(message in problem for problem in found), f"expected {message!r} in {found}"


def test_parse_agenda(workshop):
    shapes = workshop_shapes(workshop)
    rows = parse_agenda(agenda_for(shapes))
    assert [(r.clock, r.minutes, r.notebook) for r in rows] == [
        ("0:00", 10, None), ("0:10", 10, "00_intro.ipynb"), ("0:20", 15, "01_topic.ipynb"), ("0:35", 10, None)]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("| 0:20 | 15 min |", "| 0:20 | 20 min |", "the agenda gives 01_topic.ipynb 20 min, its header states 15 min"),
    ("(01_topic.ipynb)", "(01_typo.ipynb)", "links 01_typo.ipynb, which is not a notebook"),
    ("| 0:20 | 15 min |", "| 0:25 | 15 min |", "'[01_topic](01_topic.ipynb)' starts at 0:25, but"),
    ("| 0:35 | 10 min |", "| 0:35 | 150 min |", "the agenda runs 185 min, longer than the 180 min slot"),
    ("| 0:35 | 10 min |", "| 0:35 | 140 min |", "the agenda leaves 5 min of slack, less than 10 min"),
], ids=["minutes", "unknown_notebook", "clock", "slot", "slack"])
def test_agenda_disagreements(workshop, old, new, message):
    shapes = workshop_shapes(workshop)
    guide = agenda_for(shapes)
    assert old in guide
    found = agenda_problems(guide.replace(old, new), shapes)
    assert any(message in problem for problem in found), f"expected {message!r} in {found}"


def test_agenda_missing_a_notebook_or_missing_entirely(workshop):
    shapes = workshop_shapes(workshop)
    guide = "\n".join(line for line in agenda_for(shapes).splitlines() if "00_intro" not in line)
    assert any("the agenda has no row for 00_intro.ipynb" in p for p in agenda_problems(guide, shapes))
    assert agenda_problems("# Guide\n\nNo table.", shapes) == [
        "the facilitator guide has no agenda rows like "
        "| 0:10 | 15 min | [00_setup_and_baseline](00_setup_and_baseline.ipynb) | what happens |"]


def test_agenda_may_split_a_notebook_around_the_break(workshop):
    shapes = workshop_shapes(workshop)
    guide = agenda_for(shapes).replace(
        "| 0:20 | 15 min | [01_topic](01_topic.ipynb) | a table |",
        "| 0:20 | 5 min | [01_topic](01_topic.ipynb), first half | |\n| 0:25 | 10 min | Break | |\n"
        "| 0:35 | 10 min | [01_topic](01_topic.ipynb), second half | |",
    ).replace("| 0:35 | 10 min | Q", "| 0:45 | 10 min | Q")
    assert agenda_problems(guide, shapes) == []


@pytest.mark.parametrize(("old", "new", "message"), [
    ("| 15 min | 0.5 / 1.0 min |", "| 20 min | 0.5 / 1.0 min |", "the README gives 01_topic.ipynb 20 min teaching"),
    ("| 15 min | 0.5 / 1.0 min |", "| 15 min | 0.9 / 1.0 min |", "0.9 / 1.0 min compute; its header states 15"),
    ("**25 min**", "**30 min**", "the README's core path total reads 30 min"),
    ("**1.0 / 2.0 min**", "**1.0 / 4.0 min**", "the README's core path total reads 25 min, 1.0 / 4.0 min"),
    ("(notebooks/01_topic.ipynb)", "(notebooks/01_typo.ipynb)", "lists 01_typo.ipynb, which is not a notebook"),
], ids=["teaching", "compute", "total", "total_compute", "unknown"])
def test_readme_disagreements(workshop, old, new, message):
    shapes = workshop_shapes(workshop)
    readme = readme_for(shapes)
    assert old in readme
    found = readme_problems(readme.replace(old, new), shapes)
    assert any(message in problem for problem in found), f"expected {message!r} in {found}"


def test_readme_without_rows(workshop):
    shapes = workshop_shapes(workshop)
    found = readme_problems("# Workshop\n\n| Notebook | Run time |\n| --- | --- |\n", shapes)
    assert found[0].startswith("the README's curriculum has no row for 00_intro.ipynb, 01_topic.ipynb: rows read")
    assert found[1].startswith("the README's curriculum has no total row")


def test_glossary_problems(tmp_path):
    (tmp_path / "01_a.ipynb").write_text("{}")
    glossary = tmp_path / "GLOSSARY.md"
    glossary.write_text("# Glossary\n\n## Scale\n\nThe step. Taught in [01](01_a.ipynb).\n\n"
                        "## Zero point\n\nThe integer for 0; see [scale](#scale) and [02](02_b.ipynb#x).\n")
    assert glossary_problems(glossary, anchors=("scale",)) == [
        "the glossary entry 'Zero point' links to '02_b.ipynb#x', which does not exist"]
    assert glossary_problems(glossary, anchors=("scale", "centroid")) == [
        "the glossary has no entry with anchor #centroid",
        "the glossary entry 'Zero point' links to '02_b.ipynb#x', which does not exist"]
    glossary.write_text("# Glossary\n\n## Scale\n\nThe step, see [the guide](https://ai.google.dev/edge/litert).\n")
    assert glossary_problems(glossary, anchors=()) == ["the glossary entry 'Scale' links no notebook that teaches it"]
    assert glossary_problems(tmp_path / "nosuch.md")[0].startswith("no glossary at")


def test_the_setup_cell_is_run_not_taught(workshop):
    from notebook_hygiene import SETUP_CELL
    from workshop_shape import read_shape

    shape = read_shape(workshop / "00_intro.ipynb")
    assert shape.setup_lines == len([line for line in SETUP_CELL.splitlines() if line.strip()]) > 0
    assert shape.estimate_min == pytest.approx(planning_estimate(shape.words, shape.code_lines - shape.setup_lines, 1))
