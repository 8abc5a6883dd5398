"""workshop_utils: data, baseline, conversion, measurement, recipes and reports for the workshop.

Importing this package switches TensorFlow to tf_keras (Keras 2) before TensorFlow loads, because the
TensorFlow Model Optimization Toolkit only works with tf_keras models.
"""

from .env import use_legacy_keras

use_legacy_keras()  # must run before anything below imports TensorFlow

from .cache import cache_dir, clear_cache  # noqa: E402
from .compare import ROW_NAMES, ROWS, run_comparison  # noqa: E402
from .convert import MODES, make_converter, to_tflite  # noqa: E402
from .data import Dataset, load_dataset  # noqa: E402
from .env import KerasVersionError, check_environment, fast_mode, in_colab, set_seeds  # noqa: E402
from .figures import show_figure  # noqa: E402
from .measure import (  # noqa: E402
    ModelSize,
    benchmark_latency,
    evaluate_tflite,
    make_interpreter,
    model_size,
    predict_tflite,
)
from .models import (  # noqa: E402
    UnsupportedModelError,
    build_baseline,
    clone_model,
    get_baseline,
    keras_accuracy,
)
from .report import ModelResult, format_table, plot_comparison, results_table, to_markdown  # noqa: E402
from .viz.samples import plot_image_grid  # noqa: E402

__all__ = [
    "MODES", "ROWS", "ROW_NAMES", "Dataset", "KerasVersionError", "ModelResult", "ModelSize",
    "UnsupportedModelError", "format_table", "plot_comparison", "plot_image_grid", "results_table",
    "run_comparison", "show_figure", "to_markdown",
    "benchmark_latency", "build_baseline", "cache_dir", "check_environment", "clear_cache", "clone_model",
    "evaluate_tflite", "fast_mode", "get_baseline", "in_colab", "keras_accuracy", "load_dataset",
    "make_converter", "make_interpreter", "model_size", "predict_tflite", "set_seeds", "to_tflite",
]
