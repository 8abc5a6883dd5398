"""Colab's path, tested here: a Colab-shaped environment runs notebook 00's setup cell, then the whole notebook.

The environment: a fresh virtual environment with a TensorFlow one minor version older than requirements.txt
pins (as Colab often is), a Jupyter kernel, and none of tf-keras, TFMOT or LiteRT; a stand-in ``google.colab``
module imported at kernel start (as on Colab), so the notebook takes its Colab branch. The repository is
published as a local git repository (a commit of the current working tree, made in a temporary folder) and
the notebooks are retargeted to it; git's ``url.<base>.insteadOf`` maps the GitHub address onto it, or onto
a host that does not resolve for the failure cases.

Cases: the clone works (setup cell, then Run All in fast offline mode; tf-keras must match TensorFlow's
minor version); the clone fails but the workshop zip was uploaded (the notebook still runs); neither (the cell
says so in one sentence naming both fixes); TensorFlow already imported with Keras 3 (the user is told to
restart). Minutes, and it needs PyPI: it runs only with ``pytest -m colab`` (or WORKSHOP_COLAB_TEST=1), and
it is skipped, saying why, when PyPI cannot be reached. Results go to test-artifacts/colab_like.json.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import nbformat
import pytest

from workshop_utils.publishing import bundle, retarget
from workshop_utils.publishing.home import CONTENT_DIR_VAR, Home

pytestmark = pytest.mark.colab

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = "00_setup_and_baseline.ipynb"
OPT_IN_VAR = "WORKSHOP_COLAB_TEST"
ARTIFACT = ROOT / "test-artifacts" / "colab_like.json"
TEST_HOME = Home("colab-test/model-optimization-workshop", "main")
UNRESOLVABLE = "https://colab-test.invalid/"  # .invalid never resolves (RFC 2606)
CELL_TIMEOUT_S = 900
INSTALL_TIMEOUT_S = 1800
KERNEL_PACKAGES = ("ipykernel", "nbclient", "nbformat")
ABSENT_FROM_COLAB = ("tf-keras", "tensorflow-model-optimization", "ai-edge-litert")

# Runs inside the Colab-like venv: executes a notebook in that venv's kernel, keeps going past errors.
DRIVER = """\
import sys
import nbformat
from nbclient import NotebookClient

source, target, cwd, timeout = sys.argv[1:]
nb = nbformat.read(source, as_version=4)
NotebookClient(nb, timeout=int(timeout), kernel_name="python3", allow_errors=True,
               resources={"metadata": {"path": cwd}}).execute()
nbformat.write(nb, target)
"""
STAND_IN = '"""Stand-in for Colab\'s google.colab module: the notebooks only test that it is imported."""\n'


def _opted_in(config: pytest.Config) -> bool:
    markexpr = config.getoption("markexpr") or ""
    chosen = re.search(r"(?<!not )\bcolab\b", markexpr) is not None
    return chosen or os.environ.get(OPT_IN_VAR, "").strip().lower() in {"1", "true", "yes"}


def _run(command: list[str], timeout: float, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, **kwargs)


def _older_tensorflow() -> str:
    """The newest TensorFlow release one minor version below requirements.txt's pin, or skip saying why."""
    pin = re.search(r"^tensorflow==(\d+)\.(\d+)\.", (ROOT / "requirements.txt").read_text(), flags=re.MULTILINE)
    assert pin, "requirements.txt should pin tensorflow==X.Y.Z"
    try:
        done = _run([sys.executable, "-m", "pip", "index", "versions", "tensorflow"], timeout=180)
    except subprocess.TimeoutExpired:
        pytest.skip("PyPI cannot be reached (pip index versions tensorflow timed out): the Colab-like test "
                    "installs TensorFlow and the workshop's packages from it")
    listed = re.search(r"Available versions: (.*)", done.stdout)
    if done.returncode != 0 or not listed:
        pytest.skip(f"PyPI cannot be reached (pip index versions tensorflow: {done.stderr.strip()[-300:]}): "
                    "the Colab-like test installs TensorFlow and the workshop's packages from it")
    major, minor = int(pin.group(1)), int(pin.group(2)) - 1
    older = [v for v in listed.group(1).split(", ") if re.fullmatch(rf"{major}\.{minor}\.\d+", v)]
    if not older:
        pytest.skip(f"PyPI lists no TensorFlow {major}.{minor}.x for this Python: no older-than-pinned release to test")
    return max(older, key=lambda v: int(v.rsplit(".", 1)[1]))


@pytest.fixture(scope="module")
def colab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The Colab-like venv, the published repository and the retargeted notebook (built once per module)."""
    if not _opted_in(request.config):
        pytest.skip(f"the Colab-like test takes minutes and installs TensorFlow from PyPI: run it with "
                    f"`pytest -m colab tests/test_colab_like.py` (or set {OPT_IN_VAR}=1)")
    tf_version = _older_tensorflow()
    base = tmp_path_factory.mktemp("colab_like")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300, check=True)
    python = venv / "bin" / "python"
    start = time.perf_counter()
    done = _run([str(python), "-m", "pip", "install", "-q", f"tensorflow=={tf_version}", *KERNEL_PACKAGES],
                timeout=INSTALL_TIMEOUT_S)
    if done.returncode != 0:
        pytest.skip(f"could not install TensorFlow {tf_version} from PyPI into the Colab-like venv: "
                    f"{done.stderr.strip()[-500:]}")
    venv_install_s = time.perf_counter() - start
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                     timeout=60, check=True).stdout.strip())
    stand_in = base / "colab_stand_in"
    (stand_in / "google" / "colab").mkdir(parents=True)  # no google/__init__.py: google.protobuf stays visible
    (stand_in / "google" / "colab" / "__init__.py").write_text(STAND_IN)
    (site / "colab_stand_in.pth").write_text(f"{stand_in}\n")
    ipython_dir = base / "ipython"
    (ipython_dir / "profile_default" / "startup").mkdir(parents=True)
    (ipython_dir / "profile_default" / "startup" / "00-colab.py").write_text("import google.colab\n")
    driver = base / "driver.py"
    driver.write_text(DRIVER)

    source = base / "published"  # the working tree as it is now, committed in a temporary repository
    for relative in bundle.workshop_files(ROOT):
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, source / relative)
    assert not retarget.retarget(TEST_HOME, source).problems, "every notebook should carry a badge and setup cell"
    git = ["git", "-c", "user.name=Colab-like test", "-c", "user.email=colab-test@example.invalid"]
    _run([*git, "init", "-q", "-b", TEST_HOME.branch, str(source)], timeout=60, check=True)
    _run([*git, "-C", str(source), "add", "-A"], timeout=120, check=True)
    _run([*git, "-C", str(source), "commit", "-q", "-m", "Workshop snapshot for the Colab-like test"],
         timeout=120, check=True)
    remote = base / "remote"
    _run(["git", "clone", "-q", "--bare", str(source), str(remote / TEST_HOME.repository)], timeout=120, check=True)
    return {"base": base, "venv": venv, "python": python, "driver": driver, "ipython_dir": ipython_dir,
            "source": source, "remote": remote, "tf_version": tf_version, "venv_install_s": venv_install_s,
            "cache": base / "cache", "results": {}}


def _kernel_env(colab: dict, content: Path, github_maps_to: str) -> dict[str, str]:
    # Nothing of this test process leaks in: not its packages, nor the Keras switch workshop_utils set here.
    dropped = {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "TF_USE_LEGACY_KERAS"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update({
        "PATH": f"{colab['venv'] / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        "IPYTHONDIR": str(colab["ipython_dir"]),
        "JUPYTER_DATA_DIR": str(colab["base"] / "jupyter"),  # only the venv's own python3 kernel
        CONTENT_DIR_VAR: str(content),
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": f"url.{github_maps_to}.insteadOf",
        "GIT_CONFIG_VALUE_0": "https://github.com/",
        "WORKSHOP_FAST": "1",
        "WORKSHOP_OFFLINE": "1",
        "WORKSHOP_CACHE_DIR": str(colab["cache"]),
        "TF_CPP_MIN_LOG_LEVEL": "2",
    })
    return env


def _execute(colab: dict, nb: nbformat.NotebookNode, name: str, content: Path, github_maps_to: str):
    """Run ``nb`` in the Colab-like kernel with ``content`` as Colab's /content; returns the executed notebook."""
    content.mkdir(parents=True, exist_ok=True)
    source, target = colab["base"] / f"{name}.ipynb", colab["base"] / f"{name}.executed.ipynb"
    nbformat.write(nb, source)
    done = _run([str(colab["python"]), str(colab["driver"]), str(source), str(target), str(content),
                 str(CELL_TIMEOUT_S)], timeout=CELL_TIMEOUT_S * 3, env=_kernel_env(colab, content, github_maps_to),
                cwd=content)
    assert done.returncode == 0, f"the notebook driver failed:\n{done.stderr[-3000:]}"
    return nbformat.read(target, as_version=4)


def _setup_index(nb: nbformat.NotebookNode) -> int:
    return next(i for i, cell in enumerate(nb.cells) if retarget.is_setup_cell(cell))


def _errors(nb: nbformat.NotebookNode) -> list[str]:
    return [f"cell {i}: {out.ename}: {out.evalue}" for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def _text(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", []) if out.output_type == "stream")


def _wall_time_s(cell: nbformat.NotebookNode) -> float:
    timing = cell.metadata.get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    assert start and end, "nbclient records each cell's execution times"
    return (datetime.fromisoformat(end.replace("Z", "+00:00")) -
            datetime.fromisoformat(start.replace("Z", "+00:00"))).total_seconds()


def _installed(colab: dict, name: str) -> str | None:
    done = _run([str(colab["python"]), "-c", f"import importlib.metadata as m; print(m.version({name!r}))"],
                timeout=60)
    return done.stdout.strip() if done.returncode == 0 else None


def _record(colab: dict, **results) -> None:
    colab["results"].update(results)
    ARTIFACT.parent.mkdir(exist_ok=True)
    summary = {"tensorflow": colab["tf_version"], "venv_install_s": round(colab["venv_install_s"], 1),
               **colab["results"]}
    ARTIFACT.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


def _notebook(colab: dict) -> nbformat.NotebookNode:
    return nbformat.read(colab["source"] / "notebooks" / NOTEBOOK, as_version=4)


def test_colab_like_environment_lacks_what_the_setup_cell_installs(colab):
    assert _installed(colab, "tensorflow") == colab["tf_version"]
    for name in ABSENT_FROM_COLAB:
        assert _installed(colab, name) is None, f"{name} must not be preinstalled: the setup cell installs it"


def test_clone_then_run_all(colab):
    nb = _notebook(colab)
    executed = _execute(colab, nb, "clone", colab["base"] / "content_clone", f"file://{colab['remote']}/")
    assert not _errors(executed), "\n".join(_errors(executed))
    setup = executed.cells[_setup_index(executed)]
    tf_version, tf_keras = _installed(colab, "tensorflow"), _installed(colab, "tf-keras")
    assert tf_version == colab["tf_version"], "the setup cell must keep Colab's own TensorFlow"
    assert tf_keras and tf_keras.split(".")[:2] == tf_version.split(".")[:2], \
        f"tf-keras {tf_keras} should match TensorFlow {tf_version}'s minor version"
    assert (colab["base"] / "content_clone" / "workshop" / ".git").is_dir(), "the workshop was cloned"
    _record(colab, tf_keras=tf_keras, setup_cell_s=round(_wall_time_s(setup), 1),
            notebook_s=round(sum(_wall_time_s(c) for c in executed.cells if c.cell_type == "code"), 1),
            setup_output=_text(setup).strip())


def test_failed_clone_falls_back_to_the_uploaded_zip(colab):
    content = colab["base"] / "content_zip"
    content.mkdir()
    bundle.build_bundle(content / TEST_HOME.zip_name, root=colab["source"])
    executed = _execute(colab, _notebook(colab), "zip", content, UNRESOLVABLE)
    assert not _errors(executed), "\n".join(_errors(executed))
    assert (content / "workshop" / "workshop_utils" / "publishing" / "colab_setup.py").is_file(), "the zip was unpacked"
    assert not (content / "workshop" / ".git").exists(), "nothing was cloned: the URL does not resolve"
    setup = executed.cells[_setup_index(executed)]
    _record(colab, zip_case_setup_output=_text(setup).strip())


def test_neither_clone_nor_zip_names_both_fixes(colab):
    nb = _notebook(colab)
    nb.cells = nb.cells[:_setup_index(nb) + 1]
    executed = _execute(colab, nb, "neither", colab["base"] / "content_neither", UNRESOLVABLE)
    errors = [out for out in executed.cells[-1].outputs if out.output_type == "error"]
    assert errors, "the setup cell must stop Run All when it cannot fetch the workshop"
    message = errors[0].evalue
    assert "\n" not in message and message.count(". ") == 0, f"one plain sentence, got: {message}"
    assert "retarget" in message and "bundle" in message, f"the message must name both fixes: {message}"
    assert TEST_HOME.zip_name in message, "the message must name the zip the cell looks for"
    _record(colab, neither_message=f"{errors[0].ename}: {message}", neither_git_output=_text(executed.cells[-1]))


def test_keras3_already_imported_asks_for_a_restart(colab):
    nb = _notebook(colab)
    setup = nb.cells[_setup_index(nb)]
    first = nbformat.v4.new_code_cell("import tensorflow as tf  # Keras 3, before the workshop")
    first.pop("id")  # notebook 00 is nbformat 4.4, without cell ids
    nb.cells = [first, setup]
    content = colab["base"] / "content_clone"  # the workshop is there already (cloned by the first case)
    if not content.is_dir():
        pytest.skip("needs the workshop cloned by test_clone_then_run_all")
    executed = _execute(colab, nb, "keras3", content, f"file://{colab['remote']}/")
    errors = [out for out in executed.cells[-1].outputs if out.output_type == "error"]
    assert errors and errors[0].ename == "KerasVersionError", f"expected KerasVersionError, got {_errors(executed)}"
    assert "restart" in errors[0].evalue.lower()
    _record(colab, keras3_message=f"{errors[0].ename}: {errors[0].evalue}")
