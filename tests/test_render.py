"""`python -m workshop_utils render` (issue 17): the core notebooks with their outputs, as self-contained HTML."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from notebook_hygiene import notebook_kind

from workshop_utils import cli
from workshop_utils.publishing import render

ROOT = Path(__file__).resolve().parents[1]
PNG = base64.b64decode(  # a 1x1 PNG
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGBgAAAABQABpfZFQAAAAABJRU5ErkJggg==")
EMBEDDED = re.compile(r"<img[^>]+src=\"data:image/png;base64,")


def test_core_notebooks_are_the_core_path():
    found = render.core_notebooks()
    every = sorted((ROOT / "notebooks").rglob("*.ipynb"))
    assert found == [p for p in every if notebook_kind(p) == "core"] and len(found) >= 7


def test_html_embeds_output_figures_and_markdown_images(tmp_path):
    (tmp_path / "figure.png").write_bytes(PNG)
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Title\n\n![a figure](figure.png)"),
        nbformat.v4.new_code_cell("plot()", outputs=[nbformat.v4.new_output(
            "display_data", data={"image/png": base64.b64encode(PNG).decode(), "text/plain": "<Figure>"})]),
    ])
    page = render.to_html(notebook, "demo", tmp_path)
    assert len(EMBEDDED.findall(page)) == 2, "the output's figure and the markdown's image, both inside the page"
    assert 'src="figure.png"' not in page and "<html" in page


@pytest.mark.parametrize("argv,message", [
    (["render", "nosuch.ipynb"], "argument NOTEBOOK: 'nosuch.ipynb' is not a notebook file"),
    (["render", "README.md"], "argument NOTEBOOK: 'README.md' is not a notebook file"),
])
def test_usage_errors_before_any_notebook_runs(argv, message, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    monkeypatch.setattr(render, "render", lambda *a, **k: pytest.fail("nothing may run"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2 and message in capsys.readouterr().err


def test_unwritable_out_is_a_usage_error(tmp_path, capsys, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(render, "render", lambda *a, **k: pytest.fail("nothing may run"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["render", "--out", str(blocker / "html")])
    assert exit_info.value.code == 2 and "argument --out: cannot create or write" in capsys.readouterr().err


def test_a_failing_notebook_is_reported_and_the_status_is_one(tmp_path, monkeypatch):
    monkeypatch.setattr(render, "execute", lambda path: (_ for _ in ()).throw(RuntimeError("cell 3 failed")))
    lines: list[str] = []
    results = render.render([ROOT / "notebooks" / "00_setup_and_baseline.ipynb"], tmp_path, echo=lines.append)
    assert results[0].html is None and "cell 3 failed" in results[0].error
    assert any("FAILED" in line and "cell 3 failed" in line for line in lines)
    monkeypatch.setattr(render, "render", lambda *a, **k: results)
    assert render.run([], tmp_path) == 1


@pytest.mark.slow
def test_render_one_notebook_with_its_figures(tmp_path):
    """Executes notebook 00 for real (fast mode, live setting) and finds its figures inside the HTML."""
    notebook = ROOT / "notebooks" / "00_setup_and_baseline.ipynb"
    done = subprocess.run([sys.executable, "-m", "workshop_utils", "render", "--out", str(tmp_path), str(notebook)],
                          capture_output=True, text=True, timeout=1200, cwd=ROOT)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    page = (tmp_path / "00_setup_and_baseline.html").read_text(encoding="utf-8")
    assert EMBEDDED.search(page), "the notebook's figures are embedded as PNG data"
    assert "Check passed" in page, "the outputs are in the page"
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'href="00_setup_and_baseline.html"' in index
