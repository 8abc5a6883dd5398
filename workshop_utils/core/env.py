"""Environment: the Keras 2 switch, fast mode, seeds, Colab detection and a version check.

TFMOT 0.8 only understands tf_keras (Keras 2) models. TensorFlow 2.16+ defaults to Keras 3, so the
switch ``TF_USE_LEGACY_KERAS=1`` must be set *before* TensorFlow is first imported. Importing
``workshop_utils`` calls :func:`use_legacy_keras` first thing.
"""

from __future__ import annotations

import os
import random
import sys
import warnings

LEGACY_KERAS_VAR = "TF_USE_LEGACY_KERAS"
FAST_VAR = "WORKSHOP_FAST"
OFFLINE_VAR = "WORKSHOP_OFFLINE"


class KerasVersionError(RuntimeError):
    """TensorFlow is running Keras 3, which TFMOT cannot work with."""


RESTART_HINT = (
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
        raise KerasVersionError(RESTART_HINT)


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


LIVE_VAR = "WORKSHOP_LIVE"
# The bundled offline sample's split (data/mnist_5k.npz, 80/20): every header's compute time was measured with it.
LIVE_TRAIN_IMAGES, LIVE_TEST_IMAGES = 4_000, 1_000


def live_mode() -> bool:
    """True when ``WORKSHOP_LIVE`` is set: the live session's setting, whose times the notebook headers state."""
    return _truthy(os.environ.get(LIVE_VAR))


def cap_for_live(dataset):
    """``dataset`` itself, or, with ``WORKSHOP_LIVE=1``, a stratified subset of the offline sample's size.

    The headers' compute times were measured on 4,000 training and 1,000 test images. An attendee who is
    online (or has full MNIST in Keras' cache) would otherwise train on 60,000 and wait 15x longer, so the
    live setting caps both sets at the sample's sizes, whatever was downloaded; its ``source`` says so.
    """
    n_train, n_test = len(dataset.x_train), len(dataset.x_test)
    if not live_mode() or (n_train <= LIVE_TRAIN_IMAGES and n_test <= LIVE_TEST_IMAGES):
        return dataset
    capped = dataset.subset(LIVE_TRAIN_IMAGES, LIVE_TEST_IMAGES)
    note = (f"live setting ({LIVE_VAR}=1): {len(capped.x_train):,} of {n_train:,} training and "
            f"{len(capped.x_test):,} of {n_test:,} test images")
    print(f"Using {note}, so training takes as long as the notebook headers say.")
    return type(dataset)(capped.x_train, capped.y_train, capped.x_test, capped.y_test, name=dataset.name,
                         source=f"{dataset.source}, {note}", num_classes=dataset.num_classes)


def live_capped(load):
    """Decorator for a dataset loader: its result goes through :func:`cap_for_live`."""
    import functools

    @functools.wraps(load)
    def wrapper(*args, **kwargs):
        return cap_for_live(load(*args, **kwargs))

    return wrapper
