"""The support matrix (support_matrix.json) is true, and every document states the same one.

Offline: the README's table is the generated one; README, guide, requirements and pyproject name the same
Pythons; every supported cell gets exactly one pin per package; preflight.py's sentence for every cell.
With the registry (``pytest -m matrix``, as CI runs it; skipped, saying why, without uv or PyPI): uv resolves
requirements.txt for every cell, wheels only, and a cell resolves exactly when the table says it is supported,
including Colab's (Python 3.13, Linux x86-64, its own TensorFlow kept, what colab_setup.py installs).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from registry import opted_in, registry_or_skip, uv_or_skip

from workshop_utils.core import support
from workshop_utils.publishing import colab_setup, wheelhouse

ROOT = Path(__file__).resolve().parents[1]
MATRIX = support.load_matrix()
REQUIRED_PLATFORMS = ("linux-x86_64", "linux-aarch64", "macos-arm64", "windows-x86_64")
REQUIRED_PYTHONS = ("3.10", "3.11", "3.12", "3.13")
# Every file that states which Pythons the workshop supports.
STATEMENTS = ("README.md", "notebooks/FACILITATOR_GUIDE.md", "requirements.txt", "requirements-dev.txt",
              "pyproject.toml", "support_matrix.json")
RANGE = re.compile(r"Python (3\.\d+) ?(?:to|-|–) ?(3\.\d+)")
OPT_IN_VAR = "WORKSHOP_MATRIX_TEST"
WORKERS = 8  # resolutions wait on the network, not the CPU
# What a marker sees on each platform (for evaluating requirements.txt's markers offline).
MARKER_PLATFORM = {"linux": ("linux", "Linux", "posix"), "darwin": ("darwin", "Darwin", "posix"),
                   "win32": ("win32", "Windows", "nt")}

CELLS = support.cells(MATRIX)


def _cell_id(cell: support.Cell) -> str:
    return f"py{cell.python}-{cell.platform}"


def marker_environment(python: str, key: str) -> dict[str, str]:
    entry = MATRIX["platforms"][key]
    sys_platform, system, os_name = MARKER_PLATFORM[entry["sys_platform"]]
    machine = entry["machines"][0].upper() if system == "Windows" else entry["machines"][0]
    return {"python_version": python, "python_full_version": f"{python}.0", "sys_platform": sys_platform,
            "platform_system": system, "os_name": os_name, "platform_machine": machine,
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "platform_release": "", "platform_version": "", "implementation_version": f"{python}.0"}


def effective_requirements(python: str, key: str) -> list[Requirement]:
    """requirements.txt's requirements whose markers hold for this cell."""
    requirements = [Requirement(line) for line in wheelhouse.requirement_lines()]
    env = marker_environment(python, key)
    return [r for r in requirements if r.marker is None or Marker(str(r.marker)).evaluate(env)]


def test_the_cells_the_issue_asks_for_are_supported():
    for python in REQUIRED_PYTHONS:
        for key in REQUIRED_PLATFORMS:
            assert support.cell(MATRIX, python, key).supported, f"Python {python} on {key} must be supported"
    colab = MATRIX["colab"]
    assert support.cell(MATRIX, colab["python"], colab["platform"]).supported, "Colab's cell must be supported"
    for python, key in (("3.14", "linux-x86_64"), ("3.12", "macos-x86_64"), ("3.12", "windows-x86")):
        assert not support.cell(MATRIX, python, key).supported, f"Python {python} on {key} cannot run TensorFlow 2.21"
    for rule in MATRIX["unsupported"]:
        assert rule["reason"] and rule["way_out"] and rule["blocker"], rule
        assert ("pythons" in rule) != ("platforms" in rule), "a rule names Pythons or platforms"


def test_readme_shows_the_generated_table():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert support.readme_table(text) == support.markdown_table(MATRIX), (
        "README.md's support matrix is stale: run `python3 preflight.py --update-readme README.md`")


@pytest.mark.parametrize("name", STATEMENTS)
def test_every_stated_python_range_is_the_matrix(name):
    text = (ROOT / name).read_text(encoding="utf-8")
    stated = set(RANGE.findall(text))
    assert stated <= {support.python_range(MATRIX)}, (
        f"{name} states Python {sorted(stated)}; support_matrix.json supports {support.python_range(MATRIX)}")
    if name in ("README.md", "notebooks/FACILITATOR_GUIDE.md", "requirements.txt"):
        low, high = support.python_range(MATRIX)
        assert stated, f"{name} should state the supported Pythons (Python {low} to {high})"


def test_pyproject_requires_the_supported_pythons():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    declared = re.search(r'^requires-python = "([^"]+)"', text, flags=re.MULTILINE)
    assert declared and declared.group(1) == support.requires_python(MATRIX)


@pytest.mark.parametrize("cell", [c for c in CELLS if c.supported], ids=_cell_id)
def test_each_supported_cell_gets_one_exact_pin_per_package(cell):
    requirements = effective_requirements(cell.python, cell.platform)
    names = [r.name.lower() for r in requirements]
    assert len(names) == len(set(names)), f"two pins apply to one package on {cell}: {sorted(names)}"
    loose = [str(r) for r in requirements if r.name != "setuptools" and not str(r.specifier).startswith("==")]
    assert not loose, f"requirements.txt should pin exact versions: {loose}"
    assert {"tensorflow", "tf-keras", "matplotlib", "pillow"} <= set(names)


def test_preflight_says_ok_here():
    done = subprocess.run([sys.executable, str(ROOT / "preflight.py")], capture_output=True, text=True, timeout=60)
    python, key = wheelhouse.this_cell()
    supported = key is not None and support.cell(MATRIX, python, key).supported
    assert done.returncode == (0 if supported else 1), done.stdout + done.stderr
    assert done.stdout.count("\n") == 1 and f"Python {python}" in done.stdout


@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_preflight_gives_one_sentence_with_the_way_out(cell):
    name = MATRIX["platforms"][cell.platform]["name"]
    ok, sentence = support.verdict(MATRIX, cell.python, cell.platform, name)
    assert ok == cell.supported
    assert "\n" not in sentence and sentence.endswith(".") and f"Python {cell.python} on {name}" in sentence
    if not cell.supported:
        assert cell.reason in sentence and cell.way_out in sentence


def test_preflight_outside_the_matrix():
    ok, sentence = support.verdict(MATRIX, "3.9", "linux-x86_64", "")
    low, high = support.python_range(MATRIX)
    assert not ok and f"needs Python {low} to {high}" in sentence and "Colab" in sentence
    ok, sentence = support.verdict(MATRIX, "3.12", None, "FreeBSD amd64 (64-bit)")
    assert not ok and "FreeBSD" in sentence and "Colab" in sentence


@pytest.mark.parametrize(("sys_platform", "machine", "bits", "key"), [
    ("linux", "x86_64", 64, "linux-x86_64"), ("linux", "aarch64", 64, "linux-aarch64"),
    ("darwin", "arm64", 64, "macos-arm64"), ("darwin", "x86_64", 64, "macos-x86_64"),
    ("win32", "AMD64", 64, "windows-x86_64"), ("win32", "ARM64", 64, "windows-arm64"),
    ("win32", "AMD64", 32, "windows-x86"), ("linux", "armv7l", 32, None), ("freebsd14", "amd64", 64, None),
])
def test_identify_platforms(sys_platform, machine, bits, key):
    assert support.identify(MATRIX, sys_platform, machine, bits) == key


@pytest.mark.parametrize("name", ["preflight.py", "workshop_utils/core/support.py"])
def test_preflight_runs_on_old_pythons(name):
    """An attendee with Python 3.6-3.9 must get the sentence, not a SyntaxError."""
    source = (ROOT / name).read_text(encoding="utf-8")
    ast.parse(source, feature_version=(3, 6))
    assert "from __future__ import annotations" not in source


# --- with the registry: resolve every cell -------------------------------------------------------------------

def _compile(uv: list[str], lines: list[str], python: str, key: str, folder: Path) -> subprocess.CompletedProcess:
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"requirements-{python}-{key}.in"
    source.write_text("\n".join(lines) + "\n")
    return subprocess.run([*uv, "pip", "compile", str(source), "--python-version", python, "--python-platform",
                           MATRIX["platforms"][key]["uv"], "--only-binary", ":all:", "--no-header", "--no-annotate"],
                          capture_output=True, text=True, timeout=wheelhouse.RESOLVE_TIMEOUT_S)


def colab_packages() -> list[str]:
    """What colab_setup.py installs on Colab, for Colab's TensorFlow (Colab has numpy, pandas... already)."""
    return colab_setup.packages_to_install(MATRIX["colab"]["tensorflow"], colab_setup.pinned_requirements())


@pytest.fixture(scope="module")
def resolutions(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    if not opted_in(request.config, "matrix", OPT_IN_VAR):
        pytest.skip(f"resolving every cell needs PyPI: run `pytest -m matrix tests/test_support_matrix.py` "
                    f"(or set {OPT_IN_VAR}=1)")
    uv = uv_or_skip()
    folder = tmp_path_factory.mktemp("matrix")
    registry_or_skip(uv, folder)
    lines = wheelhouse.requirement_lines()
    jobs = {(c.python, c.platform): (lines, c.python, c.platform) for c in CELLS}
    colab = MATRIX["colab"]
    jobs["colab"] = (colab_packages(), colab["python"], colab["platform"])
    with ThreadPoolExecutor(WORKERS) as pool:
        futures = {name: pool.submit(_compile, uv, *job, folder / str(i)) for i, (name, job) in enumerate(jobs.items())}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.matrix
@pytest.mark.parametrize("cell", CELLS, ids=_cell_id)
def test_cell_resolves_exactly_when_the_readme_says_supported(resolutions, cell):
    done = resolutions[(cell.python, cell.platform)]
    output = (done.stdout + done.stderr)[-2000:]
    if cell.supported:
        assert done.returncode == 0, f"the README calls Python {cell.python} on {cell.platform} supported:\n{output}"
        assert re.search(r"^tensorflow==", done.stdout, flags=re.MULTILINE)
    else:
        assert done.returncode != 0, (f"Python {cell.python} on {cell.platform} resolves: mark it supported in "
                                      f"support_matrix.json (and regenerate the README's table)")
        assert f"`{cell.blocker}`" in output or f"{cell.blocker}==" in output, (
            f"expected {cell.blocker} to block this cell ({cell.reason}), uv said:\n{output}")


@pytest.mark.matrix
def test_colab_cell_resolves_with_colabs_tensorflow(resolutions):
    done = resolutions["colab"]
    assert done.returncode == 0, (done.stdout + done.stderr)[-2000:]
    pins = dict(re.findall(r"^([a-z0-9-]+)==(\S+)", done.stdout, flags=re.MULTILINE))
    tf_version = MATRIX["colab"]["tensorflow"]
    assert pins["tensorflow"] == tf_version, "Colab's own TensorFlow must be kept"
    assert pins["tf-keras"].split(".")[:2] == tf_version.split(".")[:2], "tf-keras must match TensorFlow's minor"
    assert {"tensorflow-model-optimization", "ai-edge-litert", "litert-quantizer", "tflite-micro"} <= set(pins)
