"""Animations render wherever the notebooks are read: JupyterLab, Colab and static HTML from nbconvert.

nbconvert's HTML exporter has no ``image/gif`` in its display priorities, so a GIF shown as an
``IPython.display.Image`` vanishes from a rendered notebook. ``wu.show_figure`` shows a GIF as HTML with the
file embedded; these tests render notebooks with ``jupyter nbconvert`` and look for every GIF's bytes in the
HTML. The notebooks that show animations are found by searching their code for ``.gif``.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbconvert import HTMLExporter

from workshop_utils.teaching import figures

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
TIMEOUT_S = 900
GIF_DATA = re.compile(r"data:image/gif;base64,([A-Za-z0-9+/=]+)")
DISPLAYS = re.compile(r"\b(show_figure|display|Image)\(")


def _code(nb: dict) -> list[tuple[int, str]]:
    return [(i, "".join(c["source"])) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"]


def animation_notebooks() -> list[Path]:
    """Notebooks under notebooks/ whose code mentions a .gif file."""
    found = []
    for path in sorted(NOTEBOOKS.rglob("*.ipynb")):
        if ".ipynb_checkpoints" not in path.parts and any(".gif" in text for _, text in _code(json.loads(
                path.read_text(encoding="utf-8")))):
            found.append(path)
    return found


def _nbconvert(*args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=TIMEOUT_S * 2)
    assert done.returncode == 0, f"nbconvert failed:\n{done.stderr[-3000:]}"


def _gif_payloads(nb: nbformat.NotebookNode) -> list[tuple[int, str, str]]:
    """(cell index, mime type, base64 GIF) of every GIF a cell displayed."""
    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/gif" in data:
                found.append((index, "image/gif", "".join(data["image/gif"]).replace("\n", "")))
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            found += [(index, "text/html", match) for match in GIF_DATA.findall(html)]
    return found


def test_the_animation_notebooks_are_found():
    assert any(p.name.startswith("04") for p in animation_notebooks()), "notebook 04 shows the clustering animation"


@pytest.mark.parametrize("path", animation_notebooks(), ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_animation_cells_show_gifs_with_show_figure(path):
    """The one-line call that renders everywhere: a cell displaying a GIF does it with (wu.)show_figure."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    for index, text in _code(nb):
        if ".gif" in text and DISPLAYS.search(text):
            assert "show_figure(" in text and not re.search(r"\bImage\(", text), (
                f"cell {index} shows a GIF another way: use wu.show_figure(path_or_name), which nbconvert's HTML "
                "keeps (an IPython Image of a GIF is dropped from static HTML)")


def test_every_figure_gif_renders_in_static_html(tmp_path):
    """A notebook showing each GIF of images/ (by name and by path), executed and rendered by nbconvert."""
    gifs = sorted(figures.IMAGES_DIR.glob("*.gif"))
    assert gifs, "images/ holds the clustering animation"
    cells = [nbformat.v4.new_code_cell(
        "from pathlib import Path\nfrom workshop_utils.teaching.figures import show_figure"
    )]
    cells += [nbformat.v4.new_code_cell(f"show_figure({gif.name!r})") for gif in gifs]
    cells += [nbformat.v4.new_code_cell(f"show_figure(Path({str(gif)!r}), width=400)") for gif in gifs]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                        "display_name": "Python 3"}})
    nbformat.write(nb, tmp_path / "animations.ipynb")
    _nbconvert("--execute", "--to", "html", "animations.ipynb", cwd=tmp_path)
    html = (tmp_path / "animations.html").read_text(encoding="utf-8")
    for gif in gifs:
        assert html.count(base64.b64encode(gif.read_bytes()).decode()) == 2, f"{gif.name} missing from the HTML"


@pytest.mark.slow
@pytest.mark.parametrize("path", animation_notebooks(), ids=lambda p: p.relative_to(NOTEBOOKS).as_posix())
def test_animation_notebook_renders_every_gif_in_static_html(path, tmp_path):
    """Run the real notebook (fast mode), render it to HTML, and find every GIF it displayed in the HTML."""
    executed = tmp_path / path.name
    _nbconvert("--to", "notebook", "--execute", f"--ExecutePreprocessor.timeout={TIMEOUT_S}",
               "--output-dir", str(tmp_path), path.name, cwd=path.parent)
    nb = nbformat.read(executed, as_version=4)
    html, _ = HTMLExporter().from_notebook_node(nb)
    payloads = _gif_payloads(nb)
    gif_cells = {i for i, text in _code(nb) if ".gif" in text and DISPLAYS.search(text)}
    assert gif_cells <= {i for i, _, _ in payloads}, f"cells {sorted(gif_cells)} should each display a GIF"
    for index, mime, data in payloads:
        assert data in html, f"cell {index}: its GIF ({mime}) is missing from the nbconvert HTML"
        assert mime == "text/html", f"cell {index} displays an image/gif output, which static HTML drops"
    shown_by_name = {name for _, text in _code(nb) for name in re.findall(r"['\"]([\w.-]+\.gif)['\"]", text)
                     if (figures.IMAGES_DIR / name).is_file()}
    for name in shown_by_name:
        assert base64.b64encode((figures.IMAGES_DIR / name).read_bytes()).decode() in html, name
