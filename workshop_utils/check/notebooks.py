"""Per notebook: will Run All go through here, which cells skip and why, or where it stops and what to fix.

Read from the notebooks themselves (``notebooks/**/*.ipynb``), not from a list: a cell guarded by
``if MCU_SKIP:`` or ``if not mcu.mcu_available():`` prints why and skips without TensorFlow Lite Micro; a
cell that calls a part of the toolchain that FAILED (the quantizer, CompiledModel, TFMOT, ...) would stop there.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass, field
from pathlib import Path

from .result import FAILED, OK, SKIPPED, PartResult, part

TFLM = "TensorFlow Lite Micro"
# a cell (or part of one) that runs only with TFLM: `if MCU_SKIP:`, `if not MCU_SKIP:`, `x if MCU_SKIP else y`,
# `if not mcu.mcu_available():`; not the cell that defines MCU_SKIP (`if MCU_SKIP is None:`)
MCU_GATE = re.compile(r"\bif\s+(?:not\s+)?(?:MCU_SKIP\b(?!\s+is\b)|(?:wu\.)?mcu\.mcu_available\(\))")
# part name -> what a code cell calls when it needs that part (a cell matching it stops when the part FAILED)
USES: dict[str, re.Pattern] = {
    "LiteRT CompiledModel": re.compile(r"\bCompiledModel\b"),
    "LiteRT quantizer": re.compile(r"litert_quantizer|\bwq\.|\bquantizer\.|run_comparison|int4"),
    "TFMOT": re.compile(r"\btfmot\b|tensorflow_model_optimization|\brecipes\b|run_comparison"),
    TFLM: re.compile(r"\bmcu\.(?:make_mcu_interpreter|measure_arena|predict_mcu|mcu_agreement|arena_or_reason)\("),
    "figure": re.compile(r"matplotlib|\bplot|show_figure|\.figure\("),
}
EVERY_CELL = ("environment", "tiny model", "conversion", "LiteRT interpreter")  # no notebook runs without these
MCU_COLUMNS = re.compile(r"run_comparison")  # its table's flash/arena columns stay empty without TFLM


def notebooks_dir() -> Path:
    """The repository's ``notebooks/`` folder (beside the package)."""
    return Path(__file__).resolve().parents[2] / "notebooks"


@dataclass
class NotebookVerdict:
    """What Run All will do with one notebook on this machine."""

    name: str  # relative to notebooks/
    skipped: list[int] = field(default_factory=list)  # 1-based code-cell numbers that print why and skip
    stops_at: int | None = None  # the first code cell that would fail
    stop_reason: str = ""
    note: str = ""

    def __str__(self) -> str:
        if self.stops_at is not None:
            return f"  will stop  {self.name}: at code cell {self.stops_at} ({self.stop_reason})"
        if self.skipped:
            return f"  cells skip {self.name}: code cells {cell_ranges(self.skipped)} skip ({self.note})"
        return f"  runs fully {self.name}" + (f" ({self.note})" if self.note else "")


def cell_ranges(numbers: list[int]) -> str:
    """``[7, 8, 9, 10, 17]`` -> ``"7-10, 17"``."""
    spans: list[list[int]] = []
    for number in sorted(numbers):
        if spans and number == spans[-1][1] + 1:
            spans[-1][1] = number
        else:
            spans.append([number, number])
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def code_cells(path: Path) -> list[str]:
    """The sources of a notebook's code cells, in order."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) if isinstance(c["source"], list) else c["source"]
            for c in notebook.get("cells", []) if c.get("cell_type") == "code"]


def verdict(name: str, cells: list[str], results: dict[str, PartResult], mcu_importable: bool) -> NotebookVerdict:
    """Run All's outcome for one notebook, given every part's result and whether ``tflite_micro`` imports."""
    found = NotebookVerdict(name)
    failed = {n for n, r in results.items() if r.status == FAILED}
    micro = results.get(TFLM)
    tflm_missing = micro is None or micro.status != OK
    for number, source in enumerate(cells, start=1):
        gated = bool(MCU_GATE.search(source))
        if gated and not mcu_importable:
            found.skipped.append(number)
            continue
        blocking = [n for n in EVERY_CELL if n in failed]
        blocking += [n for n, uses in USES.items()
                     if uses.search(source) and (n in failed or (n == TFLM and tflm_missing and not gated))]
        if blocking:
            found.stops_at, found.stop_reason = number, f"needs {', '.join(blocking)}: not working here, see above"
            return found
    where = f"{platform.system()} {platform.machine()}"
    if found.skipped:
        found.note = f"their {TFLM} part: it is not available on {where}; the rest runs"
    elif not mcu_importable and any(MCU_COLUMNS.search(source) for source in cells):
        found.note = f"no {TFLM} on {where}: the table's flash/arena columns stay empty"
    return found


def notebook_paths(folder: Path) -> list[Path]:
    """Every notebook under ``folder``, core first, then deep dives and solutions (checkpoints left out)."""
    paths = [p for p in folder.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts]
    return sorted(paths, key=lambda p: (len(p.relative_to(folder).parts), str(p.relative_to(folder))))


@part("notebooks", "restore the notebooks from the repository (git checkout -- notebooks, or unzip the bundle again)")
def notebooks(results: dict[str, PartResult], folder: Path | None = None) -> PartResult:
    """One verdict per notebook (value: the list of :class:`NotebookVerdict`)."""
    from ..measurement.mcu import mcu_available

    folder = notebooks_dir() if folder is None else folder
    paths = notebook_paths(folder) if folder.is_dir() else []
    if not paths:
        return PartResult("notebooks", SKIPPED, f"no notebooks found in {folder}: only the toolchain was checked")
    importable = mcu_available()
    broken, verdicts = [], []
    for path in paths:
        name = path.relative_to(folder).as_posix()
        try:
            cells = code_cells(path)
        except (OSError, ValueError, KeyError, TypeError) as error:
            broken.append(f"{name} ({type(error).__name__})")
            continue
        verdicts.append(verdict(name, cells, results, importable))
    if broken:
        return PartResult("notebooks", FAILED, f"cannot read {', '.join(broken)}.",
                          "restore them from the repository (git checkout -- notebooks, or unzip the bundle again)",
                          value=verdicts)
    full = sum(1 for v in verdicts if v.stops_at is None and not v.skipped)
    skip = sum(1 for v in verdicts if v.stops_at is None and v.skipped)
    stop = len(verdicts) - full - skip
    detail = f"{len(verdicts)} notebooks: {full} run fully, {skip} skip cells, {stop} would stop"
    return PartResult("notebooks", OK, detail, value=verdicts)
