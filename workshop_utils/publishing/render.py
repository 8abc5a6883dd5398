"""A copy of the core notebooks with their outputs, as HTML, for anyone who can only watch.

``python -m workshop_utils render [--out DIR] [--full] [NOTEBOOK ...]`` executes each notebook top to bottom in
a fresh kernel (nbclient; fast mode and the live setting unless ``--full``), then writes it with nbconvert as
one self-contained HTML file per notebook: every figure is embedded as a ``data:image/png;base64`` image, so
the files open from a USB stick or an e-mail without the repository. ``DIR/index.html`` links them.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ..core.cache import write_bytes_atomic
from .home import NOTEBOOKS_DIR, ROOT

DEFAULT_OUT = Path("dist") / "rendered"
CORE_NOTEBOOK = re.compile(r"^\d\d_.+\.ipynb$")
CELL_TIMEOUT_S = 1800


def core_notebooks(root: Path = ROOT) -> list[Path]:
    """The core path's notebooks (``notebooks/NN_name.ipynb``), in order."""
    return sorted(p for p in (root / NOTEBOOKS_DIR).glob("*.ipynb") if CORE_NOTEBOOK.match(p.name))


@dataclass
class Rendered:
    """One notebook's outcome: the HTML written (or None) and, if a cell failed, why."""

    notebook: Path
    html: Path | None
    seconds: float
    error: str = ""


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    """Set environment variables for the kernels started inside the block, then restore them."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def execute(path: Path, timeout_s: int = CELL_TIMEOUT_S):
    """The notebook at ``path`` run top to bottom in a fresh kernel started in its folder (an nbformat node)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return notebook


def to_html(notebook, title: str, folder: Path | None = None) -> str:
    """One self-contained HTML page: output images are data URIs, and so are markdown images (read from ``folder``)."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="lab", embed_images=True)
    metadata = {"name": title, **({"path": str(folder)} if folder is not None else {})}
    body, _ = exporter.from_notebook_node(notebook, resources={"metadata": metadata})
    return body


def render_notebook(path: Path, out: Path) -> Rendered:
    """Execute ``path`` and write ``out/<name>.html``; a failing cell is reported, not raised."""
    start = time.perf_counter()
    try:
        notebook = execute(path)
    except Exception as error:  # noqa: BLE001 - nbclient's CellExecutionError, a dead kernel, a timeout
        first = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        return Rendered(path, None, time.perf_counter() - start, first[:300])
    target = out / f"{path.stem}.html"
    write_bytes_atomic(target, to_html(notebook, path.stem, path.parent).encode("utf-8"))
    return Rendered(path, target, time.perf_counter() - start)


def write_index(out: Path, rendered: list[Rendered]) -> Path:
    """``out/index.html``: a link to each rendered notebook."""
    items = "\n".join(f'<li><a href="{html.escape(r.html.name)}">{html.escape(r.notebook.stem)}</a></li>'
                      for r in rendered if r.html is not None)
    page = ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Workshop notebooks with outputs</title>"
            f"</head>\n<body><h1>Workshop notebooks with outputs</h1>\n<ol>\n{items}\n</ol>\n</body></html>\n")
    target = out / "index.html"
    write_bytes_atomic(target, page.encode("utf-8"))
    return target


def render(notebooks: list[Path] | None = None, out: Path = DEFAULT_OUT, fast: bool = True,
           echo=print) -> list[Rendered]:
    """Execute and write each notebook (default: the core path) as HTML in ``out``, then the index."""
    paths = core_notebooks() if not notebooks else [Path(p) for p in notebooks]
    out.mkdir(parents=True, exist_ok=True)
    settings = {"WORKSHOP_FAST": "1", "WORKSHOP_LIVE": "1"} if fast else {"WORKSHOP_FAST": "0"}
    results = []
    with _environment(settings):
        for path in paths:
            result = render_notebook(path.resolve(), out)
            results.append(result)
            echo(f"{path.name}: {result.html} ({result.seconds:.0f} s)" if result.html else
                 f"{path.name}: FAILED after {result.seconds:.0f} s: {result.error}")
    echo(f"Wrote {write_index(out, results)}")
    return results


def run(notebooks: list[Path], out: Path, fast: bool = True) -> int:
    """The CLI's ``render`` command: 0 when every notebook rendered."""
    results = render(notebooks, out, fast=fast)
    return 0 if all(r.html is not None for r in results) else 1


def check_args(parser, args, output_folder_problem) -> None:
    """Usage errors before any notebook runs: every NOTEBOOK exists and is a notebook; ``--out`` is writable.

    ``output_folder_problem`` is the CLI's own check of an output folder (passed in: publishing never imports the CLI).
    """
    for path in args.notebooks:
        if path.suffix != ".ipynb" or not path.is_file():
            parser.error(f"argument NOTEBOOK: {str(path)!r} is not a notebook file. Fix: pass paths such as "
                         "notebooks/00_setup_and_baseline.ipynb, or none for the whole core path.")
    problem = output_folder_problem(args.out)
    if problem:
        parser.error(f"argument --out: {problem}. Fix: pass a folder you can write, e.g. --out dist/rendered")
