"""workshop_utils: data, baseline, conversion, measurement, recipes and reports for the workshop.

Importing this package switches TensorFlow to tf_keras (Keras 2) before TensorFlow loads, because the
TensorFlow Model Optimization Toolkit only works with tf_keras models.
"""

from . import env
from .env import load_tensorflow_quietly, use_legacy_keras

use_legacy_keras()  # must run before anything below imports TensorFlow
load_tensorflow_quietly()  # hides TensorFlow's C++ start-up lines (WORKSHOP_VERBOSE=1 shows them)

from . import exercises, inspect_weights, mcu, native_output, quant_debug, quantizer, recipes  # noqa: E402  (TFMOT itself loads on first use)
from .cache import cache_dir, clear_cache  # noqa: E402
from .compare import ROW_NAMES, ROWS, run_comparison  # noqa: E402
from .convert import MODES, make_converter, to_tflite  # noqa: E402
from .data import Dataset, load_dataset  # noqa: E402
from .env import KerasVersionError, check_environment, fast_mode, in_colab, set_seeds  # noqa: E402
from .figures import show_figure  # noqa: E402
from .machine import MachineInfo, machine_info  # noqa: E402
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
from .verdicts import explain_speeds, speed_explanation, speed_verdict  # noqa: E402
from .viz.samples import plot_image_grid  # noqa: E402

if not env.verbose():
    native_output.filter_native_noise()  # in Jupyter: drop the converter's and XNNPACK's per-call C++ lines

__all__ = [
    # data, baseline, conversion, measurement
    "Dataset", "load_dataset", "build_baseline", "get_baseline", "clone_model", "keras_accuracy",
    "MODES", "make_converter", "to_tflite",
    "ModelSize", "model_size", "evaluate_tflite", "predict_tflite", "make_interpreter", "benchmark_latency",
    # techniques and inspection
    "recipes", "inspect_weights", "quant_debug", "exercises", "mcu", "quantizer", "native_output",
    # the comparison table, plots and figures
    "ROWS", "ROW_NAMES", "run_comparison", "ModelResult", "results_table", "format_table", "to_markdown",
    "plot_comparison", "plot_image_grid", "show_figure",
    # environment and cache
    "check_environment", "fast_mode", "in_colab", "set_seeds", "cache_dir", "clear_cache",
    "KerasVersionError", "UnsupportedModelError",
    # where a result was measured, and speed sentences computed from the measurement
    "MachineInfo", "machine_info", "speed_verdict", "speed_explanation", "explain_speeds",
]
