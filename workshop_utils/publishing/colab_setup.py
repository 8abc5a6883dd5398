"""Colab set-up, run by each notebook's first cell on Colab only, before ``workshop_utils`` is importable.

The setup cell fetches the workshop (``git clone`` of its home, or the uploaded zip) and runs this file with
``runpy`` in the kernel's own process. It keeps Colab's TensorFlow and installs what Colab lacks, at the
versions requirements.txt pins: tf-keras matching TensorFlow's minor version (TFMOT needs Keras 2 models),
TFMOT, the LiteRT interpreter and quantizer, TFLite Micro and the helpers the package imports. Then it puts
the workshop on ``sys.path``. Standard library only: nothing else is installed yet when it runs.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = ROOT / "requirements.txt"
# The workshop's own toolchain: always installed at requirements.txt's pins (Colab has none of them).
TOOLCHAIN = ("tensorflow-model-optimization", "ai-edge-litert", "litert-quantizer", "tflite-micro")
# Libraries Colab usually has: its versions are kept, and only a missing one is installed (at the pin).
IF_MISSING = ("numpy", "pandas", "matplotlib", "pillow", "tqdm", "ipywidgets", "tabulate", "filelock", "py-cpuinfo")
PIP_TAIL_LINES = 12


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_requirements(path: Path = REQUIREMENTS) -> dict[str, list[str]]:
    """Requirement lines of ``requirements.txt`` by normalized name (comments, options and ``-e .`` dropped).

    A name can have several lines, one per Python range (``matplotlib==...; python_version < "3.11"``): all are
    passed to pip, which keeps the one whose marker matches this runtime.
    """
    pins: dict[str, list[str]] = {}
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = re.sub(r"\s+#.*$", "", raw).strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", line)
        if match:
            pins.setdefault(normalize(match.group()), []).append(line)
    return pins


def installed_version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def packages_to_install(tf_version: str, pins: dict[str, list[str]]) -> list[str]:
    """pip requirements for this runtime: TensorFlow as it is, tf-keras of its minor version, and the rest."""
    minor = ".".join(tf_version.split(".")[:2])
    # TensorFlow itself is listed at its installed version so pip resolves everything else around it.
    packages = [f"tensorflow=={tf_version}", f"tf-keras=={minor}.*"]
    packages += [line for name in TOOLCHAIN for line in pins.get(normalize(name), [name])]
    packages += [line for name in IF_MISSING if installed_version(name) is None
                 for line in pins.get(normalize(name), [name])]
    return packages


def pip_install(packages: list[str]) -> None:
    """Install ``packages`` quietly; on failure, raise with pip's last lines and a plain-words fix."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *packages]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-PIP_TAIL_LINES:])
        raise RuntimeError(
            f"Could not install the workshop's packages with pip (is this runtime online?): restart the runtime "
            f"and run the setup cell again. pip said:\n{tail}"
        )


def summary(packages: list[str]) -> str:
    names = [re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", package).group() for package in packages[1:]]
    versions = [f"{name} {installed_version(name)}" for name in dict.fromkeys(names) if installed_version(name)]
    return ", ".join(versions)


def main() -> None:
    tf_version = installed_version("tensorflow")
    if tf_version is None:
        raise RuntimeError("This runtime has no TensorFlow: on Colab pick a standard Python 3 runtime "
                           "(Runtime > Change runtime type), or elsewhere run pip install -r requirements.txt.")
    packages = packages_to_install(tf_version, pinned_requirements())
    print(f"Installing what Colab lacks for its TensorFlow {tf_version} (about a minute)...", flush=True)
    start = time.perf_counter()
    pip_install(packages)
    importlib.invalidate_caches()  # the kernel imports the new packages without a restart
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    print(f"Ready in {time.perf_counter() - start:.0f} s: TensorFlow {installed_version('tensorflow')} (Colab's), "
          f"{summary(packages)}.")


if __name__ == "__main__":
    main()
