"""Conversion: a tf_keras model to TFLite flatbuffer bytes, in one of five storage/execution modes."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import numpy as np

from ..core.env import quiet_tensorflow_logs
from ..core.native_output import capture_native_output
from ..models.keras_tools import require_tf_keras_model

MODES = ("float32", "dynamic_range", "full_integer", "float16", "int16x8")
CALIBRATION_MODES = ("full_integer", "int16x8")
MIN_CALIBRATION_SAMPLES = 1
RECOMMENDED_CALIBRATION = "100-500"
# Layer classes tfmot's quantize_apply puts in a QAT model: they hold the ranges learned in training.
QAT_LAYER_CLASSES = ("QuantizeLayer", "QuantizeWrapper", "QuantizeWrapperV2")


def _is_qat_layer(layer) -> bool:
    cls = type(layer)
    return cls.__name__ in QAT_LAYER_CLASSES and cls.__module__.startswith("tensorflow_model_optimization")


def is_qat_model(model) -> bool:
    """True for a model from tfmot's ``quantize_apply`` (e.g. ``wu.recipes.qat``): it carries its int8 ranges."""
    return any(_is_qat_layer(layer) for layer in getattr(model, "layers", ()))


def unquantized_layers(model) -> list[str]:
    """Names of a QAT model's layers that QAT left alone (no learned ranges), InputLayer excepted."""
    import tf_keras

    return [layer.name for layer in model.layers
            if not _is_qat_layer(layer) and not isinstance(layer, tf_keras.layers.InputLayer)]


def _configure_qat_full_integer(converter, model) -> None:
    """Full integer from the ranges the QAT model recorded (moving averages): no calibration, int8 in and out."""
    import tensorflow as tf

    missing = unquantized_layers(model)
    if missing:
        raise ValueError(
            f"Mode 'full_integer' without representative_data uses the ranges the QAT model recorded, but this QAT "
            f"model leaves layer(s) {missing} unquantized, so they have none. Fix: pass representative_data="
            f"ds.x_train[:200] ({RECOMMENDED_CALIBRATION} training images), or run QAT on every layer (layers=None)."
        )
    # No supported_ops=[TFLITE_BUILTINS_INT8] here: TensorFlow checks it for calibration data before it looks
    # at the graph's fake-quant ops. A fully QAT-wrapped model converts to int8 kernels and int8 I/O anyway.
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8


def _is_keras3(model) -> bool:
    """True for a Keras 3 model, which TensorFlow's converter takes directly (Keras 3 is not imported for this:
    without it in ``sys.modules`` no Keras 3 model exists)."""
    from ..models.bridge import is_keras3_model

    return "keras" in sys.modules and is_keras3_model(model)


def _input_shape(model) -> tuple | None:
    """The model's input shape without the batch axis; None when it has none to read (subclassed Keras 3)."""
    try:
        return tuple(model.input_shape[1:])
    except (AttributeError, ValueError, RuntimeError):
        return None


def check_representative_data(model, data: np.ndarray | None, mode: str) -> np.ndarray:
    """Validate calibration images against the model's input: shape, dtype and count."""
    if data is None:
        raise ValueError(
            f"Mode {mode!r} calibrates activation ranges and needs representative_data: "
            f"{RECOMMENDED_CALIBRATION} training images, e.g. representative_data=ds.x_train[:200]. "
            "(A QAT model converts to full_integer without it: it recorded the ranges while fine-tuning.)"
        )
    data = np.asarray(data)
    expected = _input_shape(model)
    if expected is not None and (data.ndim != len(expected) + 1 or tuple(data.shape[1:]) != expected):
        raise ValueError(
            f"representative_data has shape {data.shape}, but the model takes batches of {expected}. "
            f"Fix: pass training images shaped (N, {', '.join(map(str, expected))})."
        )
    if not np.issubdtype(data.dtype, np.floating):
        raise ValueError(
            f"representative_data has dtype {data.dtype}; it must be float images preprocessed exactly as "
            "for training (e.g. float32 in [0, 1] for the workshop's MNIST). Fix: data.astype('float32')."
        )
    if len(data) < MIN_CALIBRATION_SAMPLES:
        raise ValueError(f"representative_data is empty; pass {RECOMMENDED_CALIBRATION} samples.")
    return data.astype(np.float32, copy=False)


def representative_dataset(data: np.ndarray) -> Callable[[], Iterator[list[np.ndarray]]]:
    """The generator the converter calls: one sample per step, with a batch axis of 1."""

    def generate() -> Iterator[list[np.ndarray]]:
        for sample in data:
            yield [sample[np.newaxis, ...]]

    return generate


def make_converter(model, mode: str, representative_data: np.ndarray | None = None):
    """A ``tf.lite.TFLiteConverter`` configured for ``mode`` (not yet converted), for inspection."""
    import tensorflow as tf

    if mode not in MODES:
        raise ValueError(f"Unknown conversion mode {mode!r}. Valid modes: {', '.join(MODES)}.")
    if not _is_keras3(model):  # a Keras 3 model converts as is; only the TFMOT recipes need tf_keras
        require_tf_keras_model(model, "to_tflite")
    quiet_tensorflow_logs()
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if mode == "float32":
        return converter
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if mode == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif mode == "full_integer" and representative_data is None and is_qat_model(model):
        _configure_qat_full_integer(converter, model)
    elif mode in CALIBRATION_MODES:
        data = check_representative_data(model, representative_data, mode)
        converter.representative_dataset = representative_dataset(data)
        if mode == "full_integer":
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8
        else:
            converter.target_spec.supported_ops = [
                tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
            ]
    return converter


def to_tflite(model, mode: str = "float32", representative_data: np.ndarray | None = None) -> bytes:
    """Convert a tf_keras model (or a Keras 3 model, which TensorFlow's converter takes directly) to TFLite bytes.

    Modes: ``float32`` (no optimisation), ``dynamic_range`` (int8 weights, float activations),
    ``full_integer`` (int8 weights and activations, int8 input/output; needs representative_data, except for
    a QAT model from ``wu.recipes.qat``/``pqat``/``cqat``/``pcqat`` or tfmot's ``quantize_apply``, whose
    fake-quantization layers learned every range in training: ``to_tflite(qat_model, "full_integer")``),
    ``float16`` (float16 weights), ``int16x8`` (int16 activations, int8 weights; needs
    representative_data; float input/output).
    """
    converter = make_converter(model, mode, representative_data)
    log = None
    try:
        # The converter prints C-level lines ("fully_quantize: 0, inference_type: 6 ...") and a UserWarning about
        # input statistics on every int8 conversion: nothing to act on, so they are kept only if it fails.
        # Keras 3 models also print "Saved artifact at ..." (stdout) on their way through model.export.
        with capture_native_output((1, 2) if _is_keras3(model) else (2,)) as log:
            return bytes(converter.convert())
    except Exception:
        if log is not None and log.text.strip():
            sys.stderr.write(log.text)
        raise
