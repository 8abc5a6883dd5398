"""The pre-workshop check (issue 17): every part OK here, and each part broken by a stand-in names its failure.

The parts run once in this process (``here``); each breakage test replaces the one library call a part
depends on with a stand-in that raises (or reports too little), runs that part again and looks for its
FAILED line with the fix. Two runs of the real command check the exit status and the printed lines.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from workshop_utils.check import environment, notebooks, report, resources, toolchain
from workshop_utils.check.result import FAILED, OK, SKIPPED, PartResult

ROOT = Path(__file__).resolve().parents[1]
PARTS = ("environment", "tiny model", "conversion", "LiteRT interpreter", "LiteRT CompiledModel",
         "TensorFlow Lite Micro", "LiteRT quantizer", "TFMOT", "figure", "disk", "RAM", "notebooks")


def boom(*args, **kwargs):
    raise RuntimeError("stand-in: broken on purpose")


@pytest.fixture(scope="module")
def here() -> tuple[dict[str, PartResult], list[str]]:
    lines: list[str] = []
    return report.run_check(echo=lines.append), lines


def test_every_part_passes_here(here):
    results, lines = here
    assert list(results) == list(PARTS)
    allowed = {OK, SKIPPED} if not toolchain.tflm_expected() else {OK}
    assert {name: r.status for name, r in results.items() if r.status not in allowed} == {}
    assert report.exit_status(results) == 0
    for name in PARTS:
        assert sum(line.startswith(f"OK      {name}: ") for line in lines) == 1, f"one OK line for {name}"
    assert lines[-1].startswith(f"{report.READY}: every part works")


def test_one_line_per_notebook(here):
    results, lines = here
    names = [p.relative_to(notebooks.notebooks_dir()).as_posix()
             for p in notebooks.notebook_paths(notebooks.notebooks_dir())]
    verdict_lines = [line for line in lines if line.startswith("  ")]
    assert len(verdict_lines) == len(names) == len(results["notebooks"].value) > 0
    assert all(any(name in line for line in verdict_lines) for name in names)


def _break(monkeypatch, target: str, replacement=boom) -> None:
    monkeypatch.setattr(target, replacement)


def _values(here):
    results, _ = here
    return results["tiny model"], results["conversion"], results["LiteRT interpreter"]


BREAKAGES = {
    # part name: (what to replace, how to run the part again, a phrase of its fix)
    "tiny model": ("tf_keras.Sequential", lambda m, b, i: toolchain.tiny_model(), "pip install -r requirements.txt"),
    "conversion": ("workshop_utils.conversion.convert.to_tflite", lambda m, b, i: toolchain.conversion(m),
                   "pip install --force-reinstall --no-deps tensorflow=="),
    "LiteRT interpreter": ("workshop_utils.measurement.interpreter.predict_tflite",
                           lambda m, b, i: toolchain.litert_interpreter(m, b), "ai-edge-litert=="),
    "LiteRT CompiledModel": ("ai_edge_litert.compiled_model.CompiledModel.from_buffer",
                             lambda m, b, i: toolchain.compiled_model(m, b, i), "ai-edge-litert=="),
    "TensorFlow Lite Micro": ("workshop_utils.measurement.mcu.arena_or_reason",
                              lambda m, b, i: toolchain.micro(m, b), "tflite-micro"),
    "LiteRT quantizer": ("workshop_utils.conversion.quantizer.int4_weights",
                         lambda m, b, i: toolchain.quantizer(m, b), "litert-quantizer=="),
    "TFMOT": ("tensorflow_model_optimization.sparsity.keras.prune_low_magnitude",
              lambda m, b, i: toolchain.tfmot_wrappers(m), "tensorflow-model-optimization=="),
    "figure": ("matplotlib.figure.Figure.savefig", lambda m, b, i: toolchain.figure(), "matplotlib=="),
}


@pytest.mark.parametrize("name", list(BREAKAGES))
def test_a_broken_part_names_its_failure_and_fix(here, monkeypatch, name):
    target, run, fix = BREAKAGES[name]
    if name == "TensorFlow Lite Micro" and not toolchain.tflm_expected():
        pytest.skip("tflite-micro has no wheel for this platform: its part is SKIPPED here")
    _break(monkeypatch, target)
    result = run(*_values(here))
    assert (result.name, result.status) == (name, FAILED), str(result)
    line = str(result)
    assert line.startswith(f"FAILED  {name}: RuntimeError: stand-in: broken on purpose.") and " Fix: " in line
    assert fix in result.fix, result.fix
    results, _ = here
    assert report.exit_status({**results, name: result}) == 1
    assert report.closing_line({**results, name: result}, 1.0).startswith(f"NOT READY: 1 part(s) FAILED ({name})")


def test_a_wrong_answer_is_a_failure_too(here, monkeypatch):
    import numpy as np

    monkeypatch.setattr("workshop_utils.measurement.interpreter.predict_tflite",
                        lambda blob, images: np.full((len(images), toolchain.CLASSES), np.nan, np.float32))
    result = toolchain.litert_interpreter(*_values(here)[:2])
    assert result.status == FAILED and "no usable output" in result.detail and "ai-edge-litert" in result.fix


def test_environment_part_names_the_tf_keras_fix(monkeypatch):
    real = environment._version
    monkeypatch.setattr(environment, "_version", lambda name: "2.15.0" if name == "tf-keras" else real(name))
    result = environment.environment_part()
    assert result.status == FAILED and "tf-keras 2.15.0 does not match TensorFlow" in result.detail
    assert result.fix.startswith("pip install 'tf-keras==")


def test_environment_part_reports_a_tensorflow_that_does_not_import(monkeypatch):
    monkeypatch.setattr(environment, "check_environment", boom)
    result = environment.environment_part()
    assert result.status == FAILED and "pip install -r requirements.txt" in result.fix


def test_a_failed_part_skips_the_parts_that_need_it(here):
    model, _, _ = _values(here)
    failed = PartResult("conversion", FAILED, "broken.", "reinstall")
    for result in (toolchain.litert_interpreter(model, failed), toolchain.quantizer(model, failed),
                   toolchain.micro(model, failed) if toolchain.tflm_expected() else None):
        if result is not None:
            assert result.status == SKIPPED and "needs conversion" in result.detail


def test_tflm_missing_where_it_has_no_wheel_is_skipped_not_failed(here, monkeypatch):
    model, blobs, _ = _values(here)
    monkeypatch.setattr("workshop_utils.measurement.mcu.mcu_unavailable_reason", lambda: "no module tflite_micro")
    monkeypatch.setattr(toolchain, "tflm_expected", lambda: False)
    assert toolchain.micro(model, blobs).status == SKIPPED
    monkeypatch.setattr(toolchain, "tflm_expected", lambda: True)
    missing = toolchain.micro(model, blobs)
    assert missing.status == FAILED and "requirements.txt" in missing.fix


def test_tflm_refusing_the_tiny_model_fails(here, monkeypatch):
    model, blobs, _ = _values(here)
    monkeypatch.setattr("workshop_utils.measurement.mcu.mcu_unavailable_reason", lambda: None)
    monkeypatch.setattr("workshop_utils.measurement.mcu.arena_or_reason", lambda blob, images: (None, "refused: X"))
    result = toolchain.micro(model, blobs)
    assert result.status == FAILED and "refused: X" in result.detail


@pytest.mark.parametrize("part,patch,value", [
    ("disk", "free_disk_bytes", int(resources.MIN_FREE_DISK_GB * resources.GB) - 1),
    ("RAM", "total_ram_bytes", int(resources.MIN_RAM_GB * resources.GB) - 1),
])
def test_too_little_disk_or_ram_fails_with_the_minimum(monkeypatch, part, patch, value):
    monkeypatch.setattr(resources, patch, lambda *args: value)
    result = resources.disk() if part == "disk" else resources.ram()
    assert result.status == FAILED and "the workshop needs" in result.detail and result.fix
    if part == "disk":
        assert "WORKSHOP_CACHE_DIR" in result.fix


def test_unreadable_notebook_fails(here, tmp_path):
    (tmp_path / "00_broken.ipynb").write_text("{ not json")
    results, _ = here
    result = notebooks.notebooks(results, folder=tmp_path)
    assert result.status == FAILED and "00_broken.ipynb" in result.detail and "git checkout" in result.fix


def test_without_tflm_the_microcontroller_cells_skip(here, monkeypatch):
    results, _ = here
    monkeypatch.setattr("workshop_utils.measurement.mcu.mcu_available", lambda: False)
    skipped = {**results, "TensorFlow Lite Micro": PartResult("TensorFlow Lite Micro", SKIPPED, "no wheel")}
    verdicts = {v.name: v for v in notebooks.notebooks(skipped).value}
    deep_dive = verdicts["deep_dives/06a_deploy_to_microcontrollers.ipynb"]
    assert deep_dive.skipped and deep_dive.stops_at is None
    assert "cells skip" in str(deep_dive) and "TensorFlow Lite Micro" in str(deep_dive)
    sources = notebooks.code_cells(notebooks.notebooks_dir() / deep_dive.name)
    assert all("MCU_SKIP" in sources[n - 1] or "mcu_available" in sources[n - 1] for n in deep_dive.skipped)
    assert str(verdicts["00_setup_and_baseline.ipynb"]).startswith("  runs fully 00_setup_and_baseline")


def test_a_failed_part_stops_the_notebooks_that_use_it(here):
    results, _ = here
    broken = {**results, "LiteRT CompiledModel": PartResult("LiteRT CompiledModel", FAILED, "x", "y")}
    verdicts = notebooks.notebooks(broken).value
    folder = notebooks.notebooks_dir()
    users = {v.name: next(n for n, source in enumerate(notebooks.code_cells(folder / v.name), 1)
                          if "CompiledModel" in source)
             for v in verdicts if any("CompiledModel" in s for s in notebooks.code_cells(folder / v.name))}
    assert users, "some notebook teaches LiteRT's CompiledModel"
    for verdict in verdicts:
        assert verdict.stops_at == users.get(verdict.name), str(verdict)
        if verdict.name in users:
            assert "needs LiteRT CompiledModel" in str(verdict) and str(verdict).startswith("  will stop")


def test_cell_ranges():
    assert notebooks.cell_ranges([7, 8, 9, 10, 17, 19, 20]) == "7-10, 17, 19-20"


def test_the_guide_quotes_the_minimums():
    guide = (ROOT / "notebooks" / "FACILITATOR_GUIDE.md").read_text(encoding="utf-8")
    ram = re.search(r"(\d+(?:\.\d+)?) GB of RAM", guide)
    disk = re.search(r"(\d+(?:\.\d+)?) GB of free disk", guide)
    install = re.search(r"install takes about (\d+(?:\.\d+)?) GB", guide)
    assert ram and disk and install, "the guide states the RAM, free disk and install minimums"
    assert float(ram[1]) == resources.MIN_RAM_GB and float(disk[1]) == resources.MIN_FREE_DISK_GB
    assert float(install[1]) == resources.INSTALL_DISK_GB


def _check_command(code: str = "") -> subprocess.CompletedProcess:
    script = code + "\nimport sys\nfrom workshop_utils import cli\nsys.exit(cli.main(['check']))\n"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600, cwd=ROOT)


def test_the_command_exits_zero_and_prints_every_part():
    done = _check_command()
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Environment OK" in done.stdout and f"{report.READY}: every part works" in done.stdout
    assert all(f"{name}: " in done.stdout for name in PARTS)
    assert "I0000" not in done.stderr and "DestroyAccelerator" not in done.stderr  # no C++ log noise


def test_the_command_exits_non_zero_naming_the_broken_part():
    stand_in = ("import ai_edge_litert.compiled_model as c\n"
                "def broken(*a, **k):\n    raise RuntimeError('stand-in: broken on purpose')\n"
                "c.CompiledModel.from_buffer = broken\n")
    done = _check_command(stand_in)
    assert done.returncode == 1, done.stdout[-3000:]
    line = next(line for line in done.stdout.splitlines() if line.startswith("FAILED  LiteRT CompiledModel"))
    assert "stand-in: broken on purpose" in line and "Fix: pip install --force-reinstall" in line
    assert re.search(r"will stop  \S+\.ipynb: at code cell \d+ \(needs LiteRT CompiledModel", done.stdout)
    assert done.stdout.rstrip().splitlines()[-1].startswith("NOT READY: 1 part(s) FAILED (LiteRT CompiledModel)")


@pytest.mark.parametrize("argv", [["--help"], ["check", "--help"], ["check", "--bogus"], ["nosuch"]])
def test_help_and_usage_errors_never_load_tensorflow(argv):
    """Why they answer at once (timing is measured, not asserted): the CLI imports TensorFlow only for real work."""
    done = subprocess.run([sys.executable, "-m", "workshop_utils", *argv], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPROFILEIMPORTTIME": "1"})
    assert done.returncode == (0 if "--help" in argv else 2), done.stderr[-2000:]
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "workshop_utils.cli" in imported and "tensorflow" not in imported
    if argv == ["--help"]:
        assert "pre-workshop check" in done.stdout
