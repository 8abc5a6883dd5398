"""Notebook hygiene: every notebook (core, deep dive, solutions) follows the template and is stored clean.

The checks live in tests/notebook_hygiene.py; the fixture notebooks (tests/notebook_fixtures.py) are
generated into tmp_path (never committed, so nbval does not try to execute them).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_output
from notebook_fixtures import core_notebook, solutions_notebook, write_notebook, write_workshop
from notebook_hygiene import (
    all_notebooks,
    badge_markdown,
    deep_dive_problems,
    layout_problems,
    notebook_kind,
    numbering_problems,
    problems,
    relative_name,
    solved_notebook,
)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = all_notebooks(ROOT / "notebooks")


def test_there_are_notebooks():
    assert [p for p in NOTEBOOKS if notebook_kind(p) == "core"], "notebooks/ holds the workshop"


def test_notebook_layout():
    """Core notebooks numbered without gaps, deep dives lettered, a solutions notebook for every notebook."""
    found = layout_problems(ROOT / "notebooks")
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=relative_name)
def test_notebook_hygiene(path):
    found = problems(path)
    assert not found, f"{relative_name(path)}:\n- " + "\n- ".join(found)


def test_ruff_passes():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "workshop_utils", "tests", "notebooks"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`ruff check workshop_utils tests notebooks` failed:\n{output}"


# --- the checker itself, on small generated notebooks ---------------------------------------------------------

NAME = "03_good_example.ipynb"
DEEP = "deep_dives/03a_good_example.ipynb"


def write(tmp_path: Path, notebook: dict, relative: str = NAME) -> Path:
    """Write ``notebook`` into a notebooks/ tree that also holds the glossary and the solutions it links."""
    root = write_workshop(tmp_path, teaching={})
    write_notebook(root, f"solutions/{Path(relative).stem}_solutions.ipynb", solutions_notebook(relative))
    return write_notebook(root, relative, notebook)


def test_good_notebook_passes(tmp_path):
    path = write(tmp_path, core_notebook())
    nbformat.validate(nbformat.read(path, as_version=4))  # the fixture itself is a valid notebook
    assert problems(path) == []


def test_good_notebook_with_cell_ids_passes_as_nbformat_4_5(tmp_path):
    assert problems(write(tmp_path, core_notebook(minor=5))) == []


def test_good_deep_dive_and_solutions_pass(tmp_path):
    path = write(tmp_path, core_notebook(DEEP), relative=DEEP)
    solutions = path.parents[1] / "solutions" / "03a_good_example_solutions.ipynb"
    assert problems(path) == []
    assert problems(solutions) == []
    assert solved_notebook(solutions) == path
    assert (notebook_kind(path), relative_name(path)) == ("deep_dive", DEEP)
    assert (notebook_kind(solutions), relative_name(solutions)) == (
        "solutions", "solutions/03a_good_example_solutions.ipynb")


def _cell(notebook: dict, kind: str, text: str) -> dict:
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == kind and text in "".join(cell["source"]))


def _edit(notebook: dict, kind: str, text: str, old: str, new: str) -> None:
    cell = _cell(notebook, kind, text)
    cell["source"] = "".join(cell["source"]).replace(old, new)


def with_outputs(nb):
    cell = _cell(nb, "code", "assert")
    cell["outputs"] = [new_output("stream", name="stdout", text="Check passed\n")]


def with_execution_count(nb):
    _cell(nb, "code", "numpy")["execution_count"] = 3


def with_wrong_badge(nb):
    _edit(nb, "markdown", "colab", NAME, "02_other.ipynb")


def without_badge(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).split("\n", 2)[2]


def without_assert(nb):
    _cell(nb, "code", "assert")["source"] = "values = np.zeros(3)\nprint(values)"


def with_widget_state(nb):
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}


def with_extra_notebook_metadata(nb):
    nb["metadata"]["colab"] = {"provenance": []}
    nb["metadata"]["language_info"]["version"] = "3.12.3"


def with_cell_metadata(nb):
    _cell(nb, "code", "numpy")["metadata"] = {"tags": ["keep"], "scrolled": True, "execution": {}}


def with_id_in_nbformat_4_4(nb):
    _cell(nb, "code", "numpy")["id"] = "abc123"


def with_two_titles(nb):
    _edit(nb, "markdown", "## Train", "## Train", "# Train")


def without_goals(nb):
    _edit(nb, "markdown", "colab", "In this notebook you will:\n", "")


def without_header_line(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).split("**Teaching")[0]


def with_old_run_time(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).split("**Teaching")[0] + "Expected run time: ~1 min on a laptop CPU."


def with_malformed_header(nb):
    _edit(nb, "markdown", "colab", "**Teaching time:** 10 min", "**Teaching time:** ~10 min")


def with_header_before_goals(nb):
    first = nb["cells"][0]
    text = "".join(first["source"])
    header = text[text.index("**Teaching"):]
    first["source"] = text.replace(header, "").replace("In this notebook", f"{header}\n\nIn this notebook")


def with_placeholder(nb):
    _edit(nb, "markdown", "What you learned", "Something.", "RUNTIME_PLACEHOLDER")


def with_changed_setup(nb):
    _edit(nb, "code", "google.colab", "import workshop_utils as wu", "import workshop_utils as wu\nimport tensorflow")


def with_setup_second(nb):
    setup = _cell(nb, "code", "google.colab")
    nb["cells"].remove(setup)
    nb["cells"].insert(2, setup)


def without_fast_mode(nb):
    _cell(nb, "code", "FAST")["source"] = "EPOCHS = 1"


def without_what_you_learned(nb):
    nb["cells"] = [cell for cell in nb["cells"] if "What you learned" not in "".join(cell["source"])]


def without_learn_more(nb):
    nb["cells"] = [cell for cell in nb["cells"] if "Learn more" not in "".join(cell["source"])]


def with_learn_more_first(nb):
    nb["cells"][-2], nb["cells"][-1] = nb["cells"][-1], nb["cells"][-2]


def without_glossary_link(nb):
    _edit(nb, "markdown", "Learn more", "- [Glossary](GLOSSARY.md)", "")


def without_guide_link(nb):
    _edit(nb, "markdown", "Learn more", "- [TFMOT guide](https://www.tensorflow.org/model_optimization)\n", "")


def without_solutions_link(nb):
    _edit(nb, "markdown", "## Exercises", "[solutions](solutions/03_good_example_solutions.ipynb)", "solutions")


def with_four_exercises(nb):
    _edit(nb, "markdown", "## Exercises", "2. Try more.", "2. Try more.\n3. And more.\n4. Too many.")


def with_broken_link(nb):
    _edit(nb, "markdown", "## Train", "A fenced", "See [the missing notebook](missing.ipynb). A fenced")


def with_broken_anchor(nb):
    _edit(nb, "markdown", "## Train", "GLOSSARY.md#scale", "GLOSSARY.md#nosuch")


def without_glossary_term(nb):
    _edit(nb, "markdown", "## Train", "[scale](GLOSSARY.md#scale)", "scale")


def with_your_turn_unchecked(nb):
    nb["cells"].remove(_cell(nb, "code", "check_answer"))


def with_your_turn_answered(nb):
    _edit(nb, "code", "YOUR TURN", "count = ...", "count = 3")


def with_check_ignoring_answer(nb):
    _edit(nb, "code", "check_answer", "count, [", "3, [")


def with_later_cell_using_answer(nb):
    _edit(nb, "code", "reference_count", "len(values)", "count + 0")


BROKEN: list[tuple[Callable[[dict], None], str]] = [
    (with_outputs, "cell 5 (code) has outputs: clear all outputs"),
    (with_execution_count, "cell 2 (code) has an execution count"),
    (with_wrong_badge, f"wrong Colab badge link {badge_markdown('02_other.ipynb').split('](')[-1][:-1]}: "
                       f"expected {badge_markdown(NAME).split('](')[-1][:-1]}"),
    (without_badge, "no Colab badge in the first cell"),
    (without_assert, "no self-check: add at least one `assert"),
    (with_widget_state, "widget state"),
    (with_extra_notebook_metadata, "extra keys ['colab']"),
    (with_cell_metadata, "cell 2 (code) has metadata ['execution', 'scrolled']"),
    (with_id_in_nbformat_4_4, "cell 2 (code) has an 'id'"),
    (with_two_titles, "exactly one H1 title ('# ...' line), found 2"),
    (without_goals, "no goals"),
    (without_header_line, "no header line with the times"),
    (with_old_run_time, "'Expected run time:' is the old header"),
    (with_malformed_header, "does not read **Teaching time:** N min"),
    (with_header_before_goals, "the header line with the times goes after the goals list"),
    (with_placeholder, "leftover placeholder 'RUNTIME_PLACEHOLDER'"),
    (with_changed_setup, "is not the setup cell of the conventions"),
    (with_setup_second, "the setup cell is cell 2: it must be the first code cell"),
    (without_fast_mode, "no fast-mode switch"),
    (without_what_you_learned, "no '## What you learned' section"),
    (without_learn_more, "no '## Learn more' section"),
    (with_learn_more_first, "must close with '## What you learned', '## Exercises', '## Learn more'"),
    (without_glossary_link, "does not link the glossary: add [glossary](GLOSSARY.md)"),
    (without_guide_link, "links no official guide or paper"),
    (without_solutions_link, "does not link its solutions: add [solutions](solutions/03_good_example_solutions"),
    (with_four_exercises, "lists 4 numbered exercises: give 1 to 3"),
    (with_broken_link, "links to 'missing.ipynb', which does not exist"),
    (with_broken_anchor, "GLOSSARY.md has no heading with anchor #nosuch"),
    (without_glossary_term, "no glossary term is linked"),
    (with_your_turn_unchecked, "the your-turn cell 6 has no check"),
    (with_your_turn_answered, "the your-turn cell 6 has no answer left as `...`"),
    (with_check_ignoring_answer, "the check_answer cell never looks at `count`"),
    (with_later_cell_using_answer, "cell 9 (code) uses `count`, the learner's answer"),
]


@pytest.mark.parametrize(("breakage", "message"), BROKEN, ids=[breakage.__name__ for breakage, _ in BROKEN])
def test_checker_names_the_problem(tmp_path, breakage, message):
    notebook = core_notebook()
    breakage(notebook)
    found = problems(write(tmp_path, notebook))
    assert any(message in problem for problem in found), f"expected {message!r} in {found}"


@pytest.mark.parametrize("breakage", [with_outputs, with_wrong_badge, without_assert, without_header_line,
                                      without_solutions_link, with_your_turn_unchecked], ids=lambda f: f.__name__)
def test_checker_reports_only_that_problem(tmp_path, breakage):
    notebook = core_notebook()
    breakage(notebook)
    assert len(problems(write(tmp_path, notebook))) == 1


def test_deep_dive_links_go_up_one_folder(tmp_path):
    notebook = core_notebook(DEEP)
    _edit(notebook, "markdown", "Learn more", "../GLOSSARY.md", "GLOSSARY.md")
    found = problems(write(tmp_path, notebook, relative=DEEP))
    assert any("links to 'GLOSSARY.md', which does not exist" in p for p in found), found


SOLUTIONS = "solutions/03_good_example_solutions.ipynb"


def with_plain_title(nb):
    _edit(nb, "markdown", "# Solutions", "# Solutions: A good", "# A good")


def with_answer_left_open(nb):
    _edit(nb, "code", "check_answer", "count = 3", "count = ...")


def with_check_not_asserted(nb):
    _edit(nb, "code", "check_answer", "assert wu.exercises", "wu.exercises")


def with_exercises_misnumbered(nb):
    _edit(nb, "markdown", "## Exercise 2", "Exercise 2", "Exercise 3")


def with_solutions_badge_of_the_notebook(nb):
    _edit(nb, "markdown", "colab", "solutions/03_good_example_solutions.ipynb", NAME)


BROKEN_SOLUTIONS: list[tuple[Callable[[dict], None], str]] = [
    (with_plain_title, "a solutions notebook's title starts with '# Solutions:'"),
    (with_answer_left_open, "still leaves count = ...: a solution fills the answer in"),
    (with_check_not_asserted, "calls check_answer without asserting it"),
    (with_exercises_misnumbered, "the exercise sections are numbered [1, 3]"),
    (with_solutions_badge_of_the_notebook, f"expected {badge_markdown(SOLUTIONS).split('](')[-1][:-1]}"),
    (without_fast_mode, "no fast-mode switch"),
    (without_assert, "no self-check"),
]


@pytest.mark.parametrize(("breakage", "message"), BROKEN_SOLUTIONS,
                         ids=[breakage.__name__ for breakage, _ in BROKEN_SOLUTIONS])
def test_checker_names_the_problem_in_solutions(tmp_path, breakage, message):
    write(tmp_path, core_notebook())
    notebook = solutions_notebook()
    if breakage is without_assert:
        for cell in notebook["cells"]:
            cell["source"] = "".join(cell["source"]).replace("assert ", "print(")
    else:
        breakage(notebook)
    found = problems(write_notebook(tmp_path / "notebooks", SOLUTIONS, notebook))
    assert any(message in problem for problem in found), f"expected {message!r} in {found}"


def test_solutions_need_no_goals_header_or_closing_sections(tmp_path):
    write(tmp_path, core_notebook())
    assert problems(tmp_path / "notebooks" / SOLUTIONS) == []


def test_unreadable_and_badly_named_notebooks(tmp_path):
    root = write_workshop(tmp_path, teaching={})
    broken = root / "03_broken.ipynb"
    broken.write_text("{not json")
    assert problems(broken)[0].startswith("not a readable notebook")
    found = problems(write_notebook(root, "Intro Notebook.ipynb", core_notebook("Intro Notebook.ipynb")))
    assert any("file name 'Intro Notebook.ipynb' must look like NN_short_title.ipynb" in p for p in found)
    found = problems(write_notebook(root, "deep_dives/03_more.ipynb", core_notebook("deep_dives/03_more.ipynb")))
    assert any("must look like NNx_short_title.ipynb" in p for p in found)
    found = problems(write_notebook(root, "solutions/03_good.ipynb", solutions_notebook("03_good.ipynb")))
    assert any("must look like <notebook stem>_solutions.ipynb" in p for p in found)


def test_numbering_problems():
    assert numbering_problems(["00_a.ipynb", "01_b.ipynb", "02_c.ipynb"]) == []
    assert numbering_problems(["00_a.ipynb", "01_b.ipynb", "04_c.ipynb"]) == [
        "numbering has gaps: no notebook 02_, 03_ (have [0, 1, 4])"]
    assert numbering_problems(["01_b.ipynb"]) == ["numbering has gaps: no notebook 00_ (have [1])"]
    assert numbering_problems(["00_a.ipynb", "00_b.ipynb"]) == [
        "number 00 is used by 2 notebooks: ['00_a.ipynb', '00_b.ipynb']"]


def test_deep_dive_problems():
    core = ["00_a.ipynb", "01_b.ipynb"]
    assert deep_dive_problems(core, ["01a_x.ipynb", "01b_y.ipynb", "00a_z.ipynb"]) == []
    assert deep_dive_problems(core, ["01a_x.ipynb", "01c_y.ipynb"]) == [
        "deep dives of 01 are lettered ['a', 'c']: use ['a', 'b'] (no gaps, no repeats)"]
    assert deep_dive_problems(core, ["05a_x.ipynb"]) == [
        "deep dive 05a_x.ipynb extends no core notebook: there is no 05_*.ipynb"]


def test_clean_layout(tmp_path):
    assert layout_problems(write_workshop(tmp_path)) == []


def test_layout_problems(tmp_path):
    root = write_workshop(tmp_path)
    (root / "solutions" / "01a_more_solutions.ipynb").unlink()
    write_notebook(root, "solutions/07_nothing_solutions.ipynb", solutions_notebook("07_nothing.ipynb"))
    write_notebook(root, "extras/00_stray.ipynb", core_notebook("00_stray.ipynb"))
    write_notebook(root, "03_gap.ipynb", core_notebook("03_gap.ipynb"))
    wrong_title = solutions_notebook("00_intro.ipynb")
    _edit(wrong_title, "markdown", "# Solutions", "Solutions: A good example", "Solutions: Another notebook")
    write_notebook(root, "solutions/00_intro_solutions.ipynb", wrong_title)
    found = layout_problems(root)
    expected = [
        "extras/00_stray.ipynb: notebooks live in notebooks/, notebooks/deep_dives/ or notebooks/solutions/",
        "numbering has gaps: no notebook 02_ (have [0, 1, 3])",
        "solutions/07_nothing_solutions.ipynb solves no notebook: 07_nothing.ipynb does not exist",
        "deep_dives/01a_more.ipynb has exercises but no solutions notebook solutions/01a_more_solutions.ipynb",
        "03_gap.ipynb has exercises but no solutions notebook solutions/03_gap_solutions.ipynb",
        "solutions/00_intro_solutions.ipynb is titled 'Solutions: Another notebook', but it solves 00_intro.ipynb "
        "('A good example'): title it '# Solutions: A good example'",
    ]
    assert sorted(found) == sorted(expected)
