"""workshop_utils: data, baseline, conversion, measurement, recipes and reports for the workshop.

Importing this package switches TensorFlow to tf_keras (Keras 2) before TensorFlow loads, because the
TensorFlow Model Optimization Toolkit only works with tf_keras models, and loads TensorFlow with its C++
start-up lines held back. Run as ``python -m workshop_utils``, TensorFlow loads only when a command needs
it, so ``--help`` and usage errors answer at once. Every public name is imported on first use.

The folders follow the pipeline: ``data`` -> ``models`` -> ``recipes`` (the techniques, Keras level) ->
``conversion`` (TFLite level) -> ``measurement`` -> ``comparison`` -> ``report``; ``core`` holds the
environment, cache and native-output plumbing every stage uses, ``check`` the environment report, and
``teaching`` and ``publishing`` the workshop's own figures, exercises, Colab set-up and publishing.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

from .core.env import load_tensorflow_quietly, use_legacy_keras, verbose

use_legacy_keras()  # must run before anything imports TensorFlow

# name -> the module that defines it (relative to this package)
_NAMES: dict[str, str] = {
    **dict.fromkeys(("Dataset", "load_dataset", "load_npz"), ".data.datasets"),
    **dict.fromkeys(("to_tf_keras", "is_keras3_model"), ".models.bridge"),
    "load_model": ".models.loading",
    **dict.fromkeys(("build_baseline", "get_baseline"), ".models.baseline"),
    **dict.fromkeys(("build_depthwise_cnn", "get_fragile_model"), ".models.fragile"),
    **dict.fromkeys(("UnsupportedModelError", "clone_model", "keras_accuracy"), ".models.keras_tools"),
    **dict.fromkeys(("MODES", "make_converter", "to_tflite", "representative_dataset"), ".conversion.convert"),
    **dict.fromkeys(("ModelSize", "model_size"), ".measurement.size"),
    **dict.fromkeys(("evaluate_tflite", "predict_tflite", "make_interpreter"), ".measurement.interpreter"),
    "benchmark_latency": ".measurement.latency",
    **dict.fromkeys(("MachineInfo", "machine_info"), ".measurement.machine"),
    **dict.fromkeys(("ROWS", "ROW_NAMES"), ".comparison.rows"),
    **dict.fromkeys(("ModelResult", "results_table"), ".comparison.results"),
    "run_comparison": ".comparison.run",
    **dict.fromkeys(("format_table", "plot_comparison", "to_markdown"), ".report.table"),
    **dict.fromkeys(("explain_speeds", "speed_explanation", "speed_verdict"), ".report.verdicts"),
    **dict.fromkeys(("Recommendation", "parse_board", "recommend"), ".report.recommend"),
    **dict.fromkeys(("format_recommendation", "write_deliverables"), ".report.deliverables"),
    **dict.fromkeys(("format_profile", "profile_model"), ".report.profile"),
    "show_figure": ".teaching.figures",
    "plot_image_grid": ".teaching.viz.samples",
    "check_environment": ".check.environment",
    **dict.fromkeys(("KerasVersionError", "fast_mode", "in_colab", "set_seeds"), ".core.env"),
    **dict.fromkeys(("cache_dir", "clear_cache"), ".core.cache"),
}
# public submodules, by their short name
_MODULES: dict[str, str] = {
    "recipes": ".recipes", "quantizer": ".conversion.quantizer", "mcu": ".measurement.mcu",
    "inspect_weights": ".measurement.inspect_weights", "quant_debug": ".measurement.quant_debug",
    "exercises": ".teaching.exercises", "native_output": ".core.native_output", "env": ".core.env",
    "keras3": ".conversion.keras3", "keras_quantize": ".conversion.keras_quantize",
    "tflite_file": ".measurement.tflite_file",
}

__all__ = [*_NAMES, *_MODULES]


def _start_tensorflow() -> None:
    load_tensorflow_quietly()  # hides TensorFlow's C++ start-up lines (WORKSHOP_VERBOSE=1 shows them)
    if not verbose():
        from .core.native_output import filter_native_noise

        filter_native_noise()  # in Jupyter: drop the converter's and XNNPACK's per-call C++ lines


def __getattr__(name: str) -> Any:
    if name in _MODULES:
        _start_tensorflow()
        value = importlib.import_module(_MODULES[name], __name__)
    elif name in _NAMES:
        _start_tensorflow()
        value = getattr(importlib.import_module(_NAMES[name], __name__), name)
    else:
        raise AttributeError(f"module 'workshop_utils' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


if sys.orig_argv[1:3] != ["-m", "workshop_utils"]:  # the CLI loads TensorFlow only for commands that need it
    _start_tensorflow()
