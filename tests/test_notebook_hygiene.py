"""Notebook hygiene: every notebook follows the template and is stored clean; the code passes ruff.

The checks live in tests/notebook_hygiene.py; the fixture notebooks are generated into tmp_path (never
committed, so nbval does not try to execute them).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from notebook_hygiene import SETUP_CELL, badge_markdown, numbering_problems, problems

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds the workshop"


def test_notebooks_are_numbered_without_gaps():
    found = numbering_problems(NOTEBOOKS)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_hygiene(path):
    found = problems(path)
    assert not found, f"{path.name}:\n- " + "\n- ".join(found)


def test_ruff_passes():
    command = [sys.executable, "-m", "ruff", "check", "--no-cache", "workshop_utils", "tests", "notebooks"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`ruff check workshop_utils tests notebooks` failed:\n{output}"


# --- the checker itself, on small generated notebooks ---------------------------------------------------------

NAME = "03_good_example.ipynb"


def good_notebook(minor: int = 4) -> dict:
    """A minimal notebook that follows the template (as nbformat 4.4 without cell ids, like ours)."""
    cells = [
        new_markdown_cell(f"{badge_markdown(NAME)}\n\n# A good example\n\nIn this notebook you will:\n"
                          "1. Train.\n2. Check.\n\nExpected run time: ~1 min on a laptop CPU (measured: 0.5 min)."),
        new_code_cell(SETUP_CELL),
        new_code_cell("import numpy as np"),
        new_code_cell("FAST = wu.fast_mode()  # the tests set WORKSHOP_FAST=1\nEPOCHS = 1 if FAST else 3"),
        new_markdown_cell("## Train the model\n\nA fenced example does not count as a title:\n\n"
                          "```python\n# not a title\n```"),
        new_code_cell("values = np.zeros(3)\nassert values.sum() == 0, \"zeros sum to zero\"\nprint(\"Check passed\")"),
        new_markdown_cell("## What you learned\n\n- Something."),
        new_markdown_cell("## Exercises\n\n1. Try it."),
    ]
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    notebook.nbformat_minor = minor
    if minor < 5:
        for cell in notebook.cells:
            del cell["id"]
    return json.loads(json.dumps(notebook))


def write(tmp_path: Path, notebook: dict, name: str = NAME) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(notebook, indent=1))
    return path


def test_good_notebook_passes(tmp_path):
    path = write(tmp_path, good_notebook())
    nbformat.validate(nbformat.read(path, as_version=4))  # the fixture itself is a valid notebook
    assert problems(path) == []


def test_good_notebook_with_cell_ids_passes_as_nbformat_4_5(tmp_path):
    assert problems(write(tmp_path, good_notebook(minor=5))) == []


def _cell(notebook: dict, kind: str, text: str) -> dict:
    return next(cell for cell in notebook["cells"] if cell["cell_type"] == kind and text in "".join(cell["source"]))


def with_outputs(nb):
    cell = _cell(nb, "code", "assert")
    cell["outputs"] = [new_output("stream", name="stdout", text="Check passed\n")]


def with_execution_count(nb):
    _cell(nb, "code", "numpy")["execution_count"] = 3


def with_wrong_badge(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).replace(NAME, "02_other.ipynb")


def without_badge(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).split("\n", 2)[2]


def without_assert(nb):
    cell = _cell(nb, "code", "assert")
    cell["source"] = "values = np.zeros(3)\nprint(values)"


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
    _cell(nb, "markdown", "## Train")["source"] = "# Train the model\n\nText."


def without_goals(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).replace("In this notebook you will:\n", "")


def without_run_time(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).split("Expected run time")[0]


def with_placeholder(nb):
    first = nb["cells"][0]
    first["source"] = "".join(first["source"]).replace("measured: 0.5 min", "RUNTIME_PLACEHOLDER")


def with_changed_setup(nb):
    cell = _cell(nb, "code", "google.colab")
    cell["source"] = "".join(cell["source"]).replace("import workshop_utils as wu", "import workshop_utils as wu\n"
                                                     "import tensorflow as tf")


def with_setup_second(nb):
    setup = _cell(nb, "code", "google.colab")
    nb["cells"].remove(setup)
    nb["cells"].insert(2, setup)


def without_fast_mode(nb):
    _cell(nb, "code", "FAST")["source"] = "EPOCHS = 1"


def without_what_you_learned(nb):
    nb["cells"] = [cell for cell in nb["cells"] if "What you learned" not in "".join(cell["source"])]


def with_exercises_first(nb):
    nb["cells"][-2], nb["cells"][-1] = nb["cells"][-1], nb["cells"][-2]


BROKEN: list[tuple[Callable[[dict], None], str]] = [
    (with_outputs, "cell 5 (code) has outputs: clear all outputs"),
    (with_execution_count, "cell 2 (code) has an execution count"),
    (with_wrong_badge, f"wrong Colab badge link {badge_markdown('02_other.ipynb').split('](')[-1][:-1]}: "
                       f"expected https://colab.research.google.com/github/deploy-workshop/"
                       f"model-optimization-workshop/blob/main/notebooks/{NAME}"),
    (without_badge, "no Colab badge in the first cell"),
    (without_assert, "no self-check: add at least one `assert"),
    (with_widget_state, "widget state"),
    (with_extra_notebook_metadata, "extra keys ['colab']"),
    (with_cell_metadata, "cell 2 (code) has metadata ['execution', 'scrolled']"),
    (with_id_in_nbformat_4_4, "cell 2 (code) has an 'id'"),
    (with_two_titles, "exactly one H1 title ('# ...' line), found 2"),
    (without_goals, "no goals"),
    (without_run_time, "no expected run time"),
    (with_placeholder, "leftover placeholder 'RUNTIME_PLACEHOLDER'"),
    (with_changed_setup, "is not the setup cell of the conventions"),
    (with_setup_second, "the setup cell is cell 2: it must be the first code cell"),
    (without_fast_mode, "no fast-mode switch"),
    (without_what_you_learned, "no closing '## What you learned' section"),
    (with_exercises_first, "must close with '## What you learned' then '## Exercises'"),
]


@pytest.mark.parametrize(("breakage", "message"), BROKEN, ids=[breakage.__name__ for breakage, _ in BROKEN])
def test_checker_names_the_problem(tmp_path, breakage, message):
    notebook = good_notebook()
    breakage(notebook)
    found = problems(write(tmp_path, notebook))
    assert any(message in problem for problem in found), f"expected {message!r} in {found}"


@pytest.mark.parametrize("breakage", [with_outputs, with_wrong_badge, without_assert], ids=lambda f: f.__name__)
def test_checker_reports_only_that_problem(tmp_path, breakage):
    notebook = good_notebook()
    breakage(notebook)
    assert len(problems(write(tmp_path, notebook))) == 1


def test_unreadable_and_badly_named_notebooks(tmp_path):
    broken = tmp_path / "03_broken.ipynb"
    broken.write_text("{not json")
    assert problems(broken)[0].startswith("not a readable notebook")
    found = problems(write(tmp_path, good_notebook(), name="Intro Notebook.ipynb"))
    assert any("file name 'Intro Notebook.ipynb' must look like NN_short_title.ipynb" in p for p in found)


def test_numbering_problems():
    assert numbering_problems(["00_a.ipynb", "01_b.ipynb", "02_c.ipynb"]) == []
    assert numbering_problems(["00_a.ipynb", "01_b.ipynb", "04_c.ipynb"]) == [
        "numbering has gaps: no notebook 02_, 03_ (have [0, 1, 4])"]
    assert numbering_problems(["01_b.ipynb"]) == ["numbering has gaps: no notebook 00_ (have [1])"]
    assert numbering_problems(["00_a.ipynb", "00_b.ipynb"]) == [
        "number 00 is used by 2 notebooks: ['00_a.ipynb', '00_b.ipynb']"]
