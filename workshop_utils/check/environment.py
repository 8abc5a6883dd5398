"""The environment report: versions, CPU/GPU, Colab, and anything wrong with its fix."""

from __future__ import annotations

import importlib.metadata
import os
import platform
from dataclasses import dataclass, field

from ..core.env import RESTART_HINT, in_colab, keras_major_version
from ..measurement.machine import machine_info


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


@dataclass
class EnvironmentReport:
    """What :func:`check_environment` found: versions, hardware and a list of problems with fixes."""

    versions: dict[str, str | None]
    python: str
    cpu_count: int
    gpus: list[str]
    colab: bool
    keras_major: int
    problems: list[str] = field(default_factory=list)
    machine: str = ""  # wu.machine_info()'s stamp: the CPU features that decide int8/fp16 speed

    @property
    def ok(self) -> bool:
        return not self.problems

    def __str__(self) -> str:
        lines = [f"Python {self.python} on {platform.machine()}, {self.cpu_count} CPU cores"]
        lines += [f"Machine: {self.machine}"] if self.machine else []
        lines += [f"{name:<32} {ver or 'NOT INSTALLED'}" for name, ver in self.versions.items()]
        lines.append(f"tf.keras is Keras {self.keras_major}")
        lines.append(f"GPUs: {', '.join(self.gpus) if self.gpus else 'none (CPU only: fine for this workshop)'}")
        lines.append(f"Running on Colab: {'yes' if self.colab else 'no'}")
        lines += [f"PROBLEM: {p}" for p in self.problems] or ["Environment OK"]
        return "\n".join(lines)


REQUIRED_PACKAGES = ("tensorflow", "tf-keras", "tensorflow-model-optimization", "ai-edge-litert")


def check_environment(verbose: bool = True) -> EnvironmentReport:
    """Report versions, CPU/GPU and Colab, and list anything wrong together with its fix."""
    import tensorflow as tf

    versions = {name: _version(name) for name in (*REQUIRED_PACKAGES, "numpy", "pandas", "matplotlib")}
    problems: list[str] = []
    for name in REQUIRED_PACKAGES:
        if versions[name] is None:
            problems.append(f"{name} is missing. Fix: pip install -r requirements.txt")
    tf_ver, tfk_ver = versions["tensorflow"], versions["tf-keras"]
    if tf_ver and tfk_ver and _minor(tf_ver) != _minor(tfk_ver):
        problems.append(
            f"tf-keras {tfk_ver} does not match TensorFlow {tf_ver}. "
            f"Fix: pip install 'tf-keras=={_minor(tf_ver)}.*'"
        )
    keras_major = keras_major_version()
    if keras_major != 2:
        problems.append(RESTART_HINT)
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    report = EnvironmentReport(
        versions=versions,
        python=platform.python_version(),
        cpu_count=os.cpu_count() or 1,
        gpus=gpus,
        colab=in_colab(),
        keras_major=keras_major,
        problems=problems,
        machine=str(machine_info()),
    )
    if verbose:
        print(report)
    return report


def environment_part():
    """The environment report as one part of the pre-workshop check (value: the :class:`EnvironmentReport`)."""
    from .result import FAILED, OK, PartResult, summary

    try:
        report = check_environment(verbose=False)
    except Exception as error:  # noqa: BLE001 - e.g. TensorFlow itself does not import
        return PartResult("environment", FAILED, f"{summary(error)}.",
                          "pip install -r requirements.txt in a fresh venv (README, Quick start), or use Colab")
    if not report.ok:
        why, _, fix = report.problems[0].partition(" Fix: ")
        more = f" (and {len(report.problems) - 1} more problem(s), listed above)" if len(report.problems) > 1 else ""
        return PartResult("environment", FAILED, why + more, fix.strip() or "see the PROBLEM lines above", value=report)
    versions = report.versions
    return PartResult("environment", OK, f"Python {report.python}, TensorFlow {versions['tensorflow']} with tf-keras "
                      f"{versions['tf-keras']} (tf.keras is Keras {report.keras_major})", value=report)
