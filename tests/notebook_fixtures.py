"""Synthetic workshop notebooks for the checker tests (written into tmp dirs, never committed, never executed).

``core_notebook`` and ``solutions_notebook`` build notebooks that follow the template; ``write_workshop``
lays out a small notebooks/ tree (core notebooks, a deep dive, their solutions and the glossary) that the
hygiene and shape checks accept, so each test can break one thing and look for the message.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from notebook_hygiene import SETUP_CELL, badge_markdown

GLOSSARY = "# Glossary\n\n## Scale\n\nThe grid step.\n\n## Zero point\n\nThe integer for 0.\n"


def header_line(teaching: int = 10, fast: float = 0.5, full: float = 1.0) -> str:
    return (f"**Teaching time:** {teaching} min · **Compute time:** {fast} min fast, {full} min full "
            "(measured, 2-core x86)")


def _notebook(cells: list, minor: int = 4) -> dict:
    notebook = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    notebook.nbformat_minor = minor
    if minor < 5:
        for cell in notebook.cells:
            del cell["id"]
    return json.loads(json.dumps(notebook))


def core_notebook(relative: str = "03_good_example.ipynb", teaching: int = 10, fast: float = 0.5,
                  full: float = 1.0, minor: int = 4) -> dict:
    """A notebook (core, or deep dive when ``relative`` starts with deep_dives/) that follows the template.

    Cells 2 and 5 are code cells the tests break (imports; the self-check).
    """
    up = "../" if "/" in relative else ""
    stem = Path(relative).stem
    cells = [
        new_markdown_cell(f"{badge_markdown(relative)}\n\n# A good example\n\nIn this notebook you will:\n"
                          f"1. Train.\n2. Check.\n\n{header_line(teaching, fast, full)}"),
        new_code_cell(SETUP_CELL),
        new_code_cell("import numpy as np"),
        new_code_cell("FAST = wu.fast_mode()  # the tests set WORKSHOP_FAST=1\nEPOCHS = 1 if FAST else 3"),
        new_markdown_cell(f"## Train the model\n\nEach value has a [scale]({up}GLOSSARY.md#scale). A fenced example "
                          "does not count as a title:\n\n```python\n# not a title\n```"),
        new_code_cell("values = np.zeros(3)\nassert values.sum() == 0, \"zeros sum to zero\"\nprint(\"Check passed\")"),
        new_markdown_cell("### Your turn: count the values\n\nWrite the number of values."),
        new_code_cell("count = ...  # YOUR TURN: how many values?"),
        new_code_cell("wu.exercises.check_answer(\"the count\", count, [(lambda v: v == len(values), \"count them\")],"
                      " hint=\"len(values)\")"),
        new_code_cell("reference_count = len(values)\nprint(reference_count)"),
        new_markdown_cell("## What you learned\n\n- Something."),
        new_markdown_cell(f"## Exercises\n\n1. Try it.\n2. Try more.\n\nWorked answers: "
                          f"[solutions]({up}solutions/{stem}_solutions.ipynb)."),
        new_markdown_cell(f"## Learn more\n\n- [TFMOT guide](https://www.tensorflow.org/model_optimization)\n"
                          f"- [Glossary]({up}GLOSSARY.md)"),
    ]
    return _notebook(cells, minor)


def solutions_notebook(solved: str = "03_good_example.ipynb", exercises: int = 2, your_turns: int = 1) -> dict:
    """The solutions notebook of ``solved`` (a path relative to notebooks/)."""
    relative = f"solutions/{Path(solved).stem}_solutions.ipynb"
    cells = [
        new_markdown_cell(f"{badge_markdown(relative)}\n\n# Solutions: A good example\n\n"
                          f"Worked answers for [the notebook](../{solved})."),
        new_code_cell(SETUP_CELL),
        new_code_cell("FAST = wu.fast_mode()"),
    ]
    for turn in range(your_turns):
        cells += [new_markdown_cell(f"## Your turn {turn + 1}: count the values"),
                  new_code_cell("count = 3\nassert wu.exercises.check_answer(\"the count\", count, "
                                "[(lambda v: v == 3, \"count them\")]) is True")]
    for number in range(1, exercises + 1):
        cells += [new_markdown_cell(f"## Exercise {number}: Try it"),
                  new_code_cell(f"answer = {number} + 1\nprint(answer)\nassert answer > {number}, \"it grows\"")]
    return _notebook(cells)


def write_notebook(root: Path, relative: str, notebook: dict) -> Path:
    """Write ``notebook`` at ``root/relative`` (root plays notebooks/)."""
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1))
    return path


def write_workshop(root: Path, teaching: dict[str, int] | None = None) -> Path:
    """A clean notebooks/ tree under ``root``: core 00 and 01, deep dive 01a, their solutions, the glossary.

    ``teaching`` maps notebook paths (relative to notebooks/) to their teaching minutes.
    """
    teaching = teaching or {"00_intro.ipynb": 10, "01_topic.ipynb": 15, "deep_dives/01a_more.ipynb": 10}
    notebooks = root / "notebooks"
    for relative, minutes in teaching.items():
        write_notebook(notebooks, relative, core_notebook(relative, teaching=minutes))
        write_notebook(notebooks, f"solutions/{Path(relative).stem}_solutions.ipynb", solutions_notebook(relative))
    (notebooks / "GLOSSARY.md").write_text(GLOSSARY)
    return notebooks
