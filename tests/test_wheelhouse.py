"""`python -m workshop_utils wheelhouse`: one folder of wheels from which a room installs with no network.

Offline: which cells a command line names, the refusals (unknown or unsupported cells, no uv), the pip command
each cell runs (with a stand-in pip) and the lock uv writes. With the registry (``pytest -m wheelhouse``, as CI
runs it; minutes; skipped, saying why, without uv or PyPI): the wheelhouse for this machine's cell is built, the
workshop zip unpacked, and a fresh venv installs from them with ``--no-index`` and every proxy pointing nowhere;
then that venv imports workshop_utils and converts and runs a tiny model. Times go to test-artifacts/wheelhouse.json.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from registry import opted_in, registry_or_skip, uv_or_skip

from workshop_utils import cli
from workshop_utils.core import support
from workshop_utils.publishing import bundle, wheelhouse
from workshop_utils.publishing.wheelhouse import Wheel, WheelhouseError

ROOT = Path(__file__).resolve().parents[1]
OPT_IN_VAR = "WORKSHOP_WHEELHOUSE_TEST"
ARTIFACT = ROOT / "test-artifacts" / "wheelhouse.json"
INSTALL_TIMEOUT_S = 3600
DEAD_PROXY = "http://127.0.0.1:9"  # the discard port: any attempt to reach the network fails at once
TINY_CONVERSION = """\
import numpy as np
import workshop_utils as wu
import tf_keras as keras

model = keras.Sequential([keras.layers.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])
x = np.random.default_rng(0).random((4, 8, 8, 1), dtype=np.float32)
blob = wu.to_tflite(model, "float32")
np.testing.assert_allclose(wu.predict_tflite(blob, x), model.predict(x, verbose=0), atol=1e-5)
print(wu.__file__)
print(f"converted and ran: {len(blob)} bytes")
"""


def test_requirement_lines_keep_markers_drop_the_editable_line_and_add_the_build_backend():
    lines = wheelhouse.requirement_lines()
    assert not any(line.startswith("-") for line in lines)
    assert any(line.startswith("tensorflow==") for line in lines)
    assert any(line.startswith("tflite-micro==") and "sys_platform" in line for line in lines)
    assert any(line.startswith("setuptools") for line in lines), "the -e . line builds with setuptools offline"


def test_default_cell_is_this_machine():
    python, key = wheelhouse.this_cell()
    if key is None:
        pytest.skip("this machine's platform is not in support_matrix.json")
    assert wheelhouse.choose_cells(None, None) == [(python, key)]


def test_all_leaves_out_the_cells_that_cannot_run():
    cells = wheelhouse.choose_cells("all", "all")
    assert ("3.13", "macos-arm64") in cells and ("3.10", "windows-x86_64") in cells
    assert not any(python == "3.14" or key == "macos-x86_64" for python, key in cells)
    assert len(cells) == sum(c.supported for c in support.cells(support.load_matrix()))


@pytest.mark.parametrize(("pythons", "platforms", "message"), [
    ("3.14", "linux-x86_64", "TensorFlow 2.21 publishes no Python 3.14 wheels"),
    ("3.12", "macos-x86_64", "Colab"),
    ("3.9", "linux-x86_64", "unknown Python 3.9: choose from 3.10"),
    ("3.12", "linux-riscv", "unknown platform linux-riscv"),
    ("3.14", "all", "no supported cell"),
])
def test_cells_that_cannot_be_built_are_refused_with_the_reason(pythons, platforms, message):
    with pytest.raises(WheelhouseError, match=message):
        wheelhouse.choose_cells(pythons, platforms)


def test_cli_refuses_before_any_work(capsys):
    start = time.perf_counter()
    with pytest.raises(SystemExit) as stopped:
        cli.main(["wheelhouse", "--python", "3.12", "--platform", "windows-x86"])
    assert stopped.value.code == 2
    assert "64-bit Python 3.13" in capsys.readouterr().err
    assert time.perf_counter() - start < 5


def test_missing_uv_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "uv", None)  # import uv fails
    monkeypatch.setattr(wheelhouse.shutil, "which", lambda name: None)
    with pytest.raises(WheelhouseError, match="pip install uv"):
        wheelhouse.uv_command()


def test_platform_tags_of_the_chosen_wheels():
    wheels = [Wheel("a", "1", ("a-1-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",), 1),
              Wheel("b", "2", ("b-2-py3-none-any.whl",), 1),
              Wheel("c", "3", ("c-3-cp311-cp311-manylinux_2_27_x86_64.whl",), 1)]
    assert wheelhouse.platform_tags(wheels) == ["manylinux2014_x86_64", "manylinux_2_17_x86_64",
                                                "manylinux_2_27_x86_64"]


def test_lock_is_read_into_wheels(tmp_path):
    lock = tmp_path / "pylock.toml"
    lock.write_text('lock-version = "1.0"\n\n[[packages]]\nname = "tabulate"\nversion = "0.10.0"\n'
                    'wheels = [{ url = "https://files.example/t/tabulate-0.10.0-py3-none-any.whl", size = 1200 }]\n')
    assert wheelhouse._read_lock(lock) == [Wheel("tabulate", "0.10.0", ("tabulate-0.10.0-py3-none-any.whl",), 1200)]


STAND_IN_PIP = """\
import json, sys
from pathlib import Path
args = sys.argv[1:]
Path(sys.argv[0]).with_suffix(".json").write_text(json.dumps(args))
dest = Path(args[args.index("--dest") + 1])
dest.mkdir(parents=True, exist_ok=True)
for line in Path(args[args.index("-r") + 1]).read_text().split():
    name, _, version = line.partition("==")
    if name == "refused" and version:  # as pip refuses a release whose Requires-Python excludes the target
        sys.exit(f"ERROR: No matching distribution found for {line}")
    if name != "skipped":
        (dest / f"{name}-{version or '0.9'}-py3-none-any.whl").write_bytes(b"wheel")
"""


def test_download_runs_pip_for_exactly_the_chosen_wheels(tmp_path):
    stand_in = tmp_path / "pip_stand_in.py"
    stand_in.write_text(STAND_IN_PIP)
    wheels = [Wheel("tabulate", "0.10.0", ("tabulate-0.10.0-py3-none-any.whl",), 1),
              Wheel("numpy", "2.2.6", ("numpy-2.2.6-py3-none-any.whl",), 1)]
    wheelhouse.download("3.10", wheels, tmp_path / "out", tmp_path, pip=[sys.executable, str(stand_in)])
    args = json.loads(stand_in.with_suffix(".json").read_text())
    for flag in ("--no-deps", "--only-binary=:all:"):
        assert flag in args
    assert args[args.index("--python-version") + 1] == "3.10" and args[args.index("--implementation") + 1] == "cp"
    assert (tmp_path / "out" / "numpy-2.2.6-py3-none-any.whl").is_file()
    refused = Wheel("refused", "1.3", ("refused-1.3-py3-none-any.whl",), 1)
    assert wheelhouse.download("3.11", [refused, *wheels], tmp_path / "out", tmp_path,
                               pip=[sys.executable, str(stand_in)]) == ["refused"]
    assert (tmp_path / "out" / "refused-0.9-py3-none-any.whl").is_file(), "downloaded as pip picks it, unpinned"
    with pytest.raises(WheelhouseError, match="did not download the wheels uv chose for skipped"):
        wheelhouse.download("3.10", [Wheel("skipped", "1", ("skipped-1-py3-none-any.whl",), 1)], tmp_path / "out",
                            tmp_path, pip=[sys.executable, str(stand_in)])


# --- with the registry: build this machine's wheelhouse and install from it offline ----------------------------

def _offline_env() -> dict[str, str]:
    """No pip configuration, no index, and every proxy pointing at a closed port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV", "PYTHON"))}
    env.pop("TF_USE_LEGACY_KERAS", None)
    env.update({"PIP_CONFIG_FILE": os.devnull, "HTTP_PROXY": DEAD_PROXY, "HTTPS_PROXY": DEAD_PROXY,
                "http_proxy": DEAD_PROXY, "https_proxy": DEAD_PROXY, "ALL_PROXY": DEAD_PROXY, "NO_PROXY": "",
                "no_proxy": "", "TF_CPP_MIN_LOG_LEVEL": "2"})
    return env


@pytest.mark.wheelhouse
def test_wheelhouse_installs_the_workshop_with_the_network_off(request, tmp_path):
    if not opted_in(request.config, "wheelhouse", OPT_IN_VAR):
        pytest.skip(f"building a wheelhouse downloads the learner set and takes minutes: run `pytest -m wheelhouse "
                    f"tests/test_wheelhouse.py` (or set {OPT_IN_VAR}=1)")
    registry_or_skip(uv_or_skip(), tmp_path)
    python, key = wheelhouse.this_cell()
    if key is None:
        pytest.skip("this machine's platform is not in support_matrix.json")
    out = tmp_path / "wheelhouse"
    start = time.perf_counter()
    built = subprocess.run([sys.executable, "-m", "workshop_utils", "wheelhouse", "--out", str(out)],
                           capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S, cwd=ROOT)
    build_s = time.perf_counter() - start
    assert built.returncode == 0, built.stdout + built.stderr
    assert "pip install --no-index --find-links" in built.stdout and (out / "README.txt").is_file()

    workshop = tmp_path / "workshop"  # the room's USB stick: the workshop zip, unpacked, and the wheelhouse
    with zipfile.ZipFile(bundle.build_bundle(tmp_path / "workshop.zip")) as zf:
        zf.extractall(workshop)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300, env=_offline_env())
    venv_python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    start = time.perf_counter()
    installed = subprocess.run([str(venv_python), "-m", "pip", "install", "--no-index", "--find-links", str(out),
                                "-r", "requirements.txt"], capture_output=True, text=True, cwd=workshop,
                               timeout=INSTALL_TIMEOUT_S, env=_offline_env())
    install_s = time.perf_counter() - start
    assert installed.returncode == 0, (installed.stdout + installed.stderr)[-3000:]

    ran = subprocess.run([str(venv_python), "-c", TINY_CONVERSION], capture_output=True, text=True, cwd=tmp_path,
                         timeout=600, env=_offline_env())
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert Path(ran.stdout.splitlines()[0]).resolve().is_relative_to(workshop.resolve()), \
        "workshop_utils must come from the unpacked workshop (the editable -e . line)"
    summary = {"cell": f"Python {python} {key}", "wheels": len(list(out.glob("*.whl"))),
               "wheelhouse_mb": round(wheelhouse.folder_mb(out)), "build_s": round(build_s),
               "offline_install_s": round(install_s), "conversion": ran.stdout.splitlines()[-1]}
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))
