"""Environment: the Keras 2 switch, fast mode, seeds, Colab detection and a version check.

TFMOT 0.8 only understands tf_keras (Keras 2) models. TensorFlow 2.16+ defaults to Keras 3, so the
switch ``TF_USE_LEGACY_KERAS=1`` must be set *before* TensorFlow is first imported. Importing
``workshop_utils`` calls :func:`use_legacy_keras` first thing.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random
import sys
import warnings
from dataclasses import dataclass, field

LEGACY_KERAS_VAR = "TF_USE_LEGACY_KERAS"
FAST_VAR = "WORKSHOP_FAST"
OFFLINE_VAR = "WORKSHOP_OFFLINE"


class KerasVersionError(RuntimeError):
    """TensorFlow is running Keras 3, which TFMOT cannot work with."""


_RESTART_HINT = (
    "TensorFlow was imported before workshop_utils with Keras 3 active, and TFMOT only works with "
    "tf_keras (Keras 2) models. Fix: restart the kernel/interpreter and run `import workshop_utils` "
    "before `import tensorflow` (or set the environment variable TF_USE_LEGACY_KERAS=1 before starting)."
)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def use_legacy_keras() -> None:
    """Make ``tf.keras`` resolve to tf_keras (Keras 2); raise if TensorFlow already chose Keras 3."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide C++ info banners in notebooks
    already_imported = "tensorflow" in sys.modules
    if not already_imported:
        os.environ[LEGACY_KERAS_VAR] = "1"
        return
    if not _truthy(os.environ.get(LEGACY_KERAS_VAR)):
        raise KerasVersionError(_RESTART_HINT)


VERBOSE_VAR = "WORKSHOP_VERBOSE"


def verbose() -> bool:
    """True when ``WORKSHOP_VERBOSE`` is set: show the C++ libraries' log lines the package otherwise holds back."""
    return _truthy(os.environ.get(VERBOSE_VAR))


def load_tensorflow_quietly() -> None:
    """Import TensorFlow and probe its devices with the C-level start-up lines held back.

    TensorFlow's C++ side prints lines no learner can act on (the absl pre-init warning, "oneDNN custom
    operations are on", "Could not find cuda drivers", "failed call to cuInit") straight to file
    descriptor 2, which ``TF_CPP_MIN_LOG_LEVEL`` no longer hides. They are captured here; they are shown
    when the import fails, or always with ``WORKSHOP_VERBOSE=1``.
    """
    # Said by the converter on every int8-input conversion (calibrated or QAT); nothing to act on.
    warnings.filterwarnings("ignore", message="Statistics for quantized inputs were expected")
    if "tensorflow" in sys.modules or verbose():
        return
    from .native_output import capture_native_output

    try:
        with capture_native_output(fds=(2,)) as startup:
            import tensorflow as tf

            tf.config.list_physical_devices()  # the CUDA probe happens here, once
    except Exception:
        sys.stderr.write(startup.text)
        raise


def quiet_tensorflow_logs() -> None:
    """Silence TensorFlow's Python-side INFO chatter (e.g. "Assets written to ...") in notebooks."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")


def keras_major_version() -> int:
    """The major version of the Keras that ``tf.keras`` resolves to (2 for tf_keras)."""
    import tensorflow as tf

    return 2 if tf.keras.__name__.startswith("tf_keras") else 3


def fast_mode() -> bool:
    """True when ``WORKSHOP_FAST`` is set: fewer epochs and shorter benchmarks, same code path."""
    return _truthy(os.environ.get(FAST_VAR))


def offline_mode() -> bool:
    """True when ``WORKSHOP_OFFLINE`` is set: never try the network for data."""
    return _truthy(os.environ.get(OFFLINE_VAR))


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def set_seeds(seed: int = 0) -> None:
    """Seed Python, NumPy and TensorFlow so training runs repeat."""
    import numpy as np
    import tf_keras

    random.seed(seed)
    np.random.seed(seed)
    tf_keras.utils.set_random_seed(seed)


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
        problems.append(_RESTART_HINT)
    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    from .machine import machine_info

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
