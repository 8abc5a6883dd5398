"""Measure notebooks' Run All time and write it into their header lines (the "Compute time" of the template).

    python tests/time_notebooks.py --mode fast notebooks/00_setup_and_baseline.ipynb ...
    python tests/time_notebooks.py --mode full --write notebooks/0*.ipynb

Each notebook is executed in a fresh kernel (nbclient, offline data, the usual cache: run a notebook once
first so the baseline is trained), timed, and, with ``--write``, the header's fast or full minutes are replaced
by the measurement (one decimal). Measure on a quiet machine: other programs on the cores inflate the times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from notebook_hygiene import HEADER_LINE, read_header

NOTE = "measured, 2-core x86"


def run_all_seconds(path: Path, fast: bool, timeout_s: int = 1800) -> float:
    """Execute ``path`` top to bottom in a fresh kernel and return the wall time in seconds."""
    os.environ["WORKSHOP_FAST"] = "1" if fast else "0"
    os.environ.setdefault("WORKSHOP_OFFLINE", "1")
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout_s, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def with_compute_time(text: str, mode: str, minutes: float) -> str:
    """The notebook's JSON text with the header line's ``mode`` minutes replaced (the rest byte for byte)."""
    notebook = json.loads(text)
    header = read_header(notebook)
    if header is None:
        raise ValueError("no header line to update")
    fast = minutes if mode == "fast" else header.fast_min
    full = minutes if mode == "full" else header.full_min
    old = re.compile(HEADER_LINE.pattern.strip("^$"))
    new_line = (f"**Teaching time:** {header.teaching_min} min · **Compute time:** {fast:.1f} min fast, "
                f"{full:.1f} min full ({NOTE})")
    cell = next(c for c in notebook["cells"] if c["cell_type"] == "markdown")
    source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
    updated = old.sub(new_line, source, count=1)
    if isinstance(cell["source"], list):
        cell["source"] = updated.splitlines(keepends=True)
    else:
        cell["source"] = updated
    return json.dumps(notebook, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=("fast", "full"), required=True)
    parser.add_argument("--write", action="store_true", help="write the measured minutes into the header")
    parser.add_argument("notebooks", nargs="+", type=Path)
    args = parser.parse_args(argv)
    for path in args.notebooks:
        seconds = run_all_seconds(path, fast=args.mode == "fast")
        minutes = round(seconds / 60, 1) or 0.1
        print(f"{path}: {seconds:.0f} s ({args.mode})", flush=True)
        if args.write:
            path.write_text(with_compute_time(path.read_text(), args.mode, minutes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
