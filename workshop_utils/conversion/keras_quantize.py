"""Keras 3's own quantization (``model.quantize(...)``) and what becomes of it in a .tflite file.

Keras 3 quantizes a model in place, layer by layer (Dense and EinsumDense; Conv2D is left in float with a
warning). The quantized model runs in Keras; exporting it goes through TensorFlow's TFLite converter, which
either refuses it (``"int8"``: int8 activations the TFLite kernels do not take) or writes what Keras
computes, op by op (``"int4"``: the unpacking of the 4-bit codes is constant-folded, so no INT4 tensor is
left and the file grows). :func:`export_quantized` never raises: it returns the file or the reason in words.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .convert import to_tflite


def _configs() -> dict[str, tuple[str | None, Callable[[], Any] | None, str]]:
    """name -> (Keras mode, config factory, what it stores and computes)."""
    from keras.quantizers import Int4QuantizationConfig, Int8QuantizationConfig

    return {
        "int8": ("int8", None, "int8 weights per output channel; int8 activations quantized at run time"),
        "int8_weight_only": (None, lambda: Int8QuantizationConfig(activation_quantizer=None),
                             "int8 weights per output channel; float activations"),
        "int4": ("int4", None, "int4 weights in blocks of 128 inputs, with zero points; int8 activations"),
        "int4_per_channel": (None, lambda: Int4QuantizationConfig(block_size=None),
                             "int4 weights per output channel (block_size=None); int8 activations"),
    }


KERAS_QUANTIZATIONS = ("int8", "int8_weight_only", "int4", "int4_per_channel")


def describe(name: str) -> str:
    """What Keras stores and computes for one of :data:`KERAS_QUANTIZATIONS`."""
    return _configs()[_check(name)][2]


def _check(name: str) -> str:
    if name not in KERAS_QUANTIZATIONS:
        raise ValueError(f"Unknown Keras quantization {name!r}. Valid: {', '.join(KERAS_QUANTIZATIONS)}.")
    return name


def _copy(model: Any):
    import keras

    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def quantized_layers(model: Any) -> list[str]:
    """Names of the layers Keras quantized (their dtype policy carries a quantization mode)."""
    return [layer.name for layer in model.layers if getattr(layer, "quantization_mode", None)]


def keras_quantize(model: Any, name: str = "int8"):
    """A copy of a Keras 3 ``model`` quantized by Keras itself; the original is left as it is.

    ``name`` is one of :data:`KERAS_QUANTIZATIONS`; the call made is ``copy.quantize(mode)`` or
    ``copy.quantize(config=...)``. Keras' warnings for layers it cannot quantize (Conv2D, pooling, ...) are
    kept off the screen; :func:`quantized_layers` tells which layers it did quantize.
    """
    mode, factory, _ = _configs()[_check(name)]
    copy = _copy(model)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a `quantize` method")
        if factory is None:
            copy.quantize(mode)
        else:
            copy.quantize(config=factory())
    return copy


@dataclass(frozen=True)
class ExportResult:
    """The outcome of exporting a Keras 3 model to .tflite: the file, or why there is none (in plain words)."""

    name: str
    blob: bytes | None
    reason: str = ""  # empty when the export worked
    error: str = ""  # the converter's own key line, for reference
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.blob is not None


_OPERAND = re.compile(r"'tfl\.(\w+)' op operand #(\d+) must be tensor of (.+?) values, but got '(tensor<[^']*>)'")


def explain_converter_error(message: str) -> tuple[str, str]:
    """(plain-words reason, the converter's key line) for a failed conversion of a Keras-quantized model."""
    match = _OPERAND.search(message)
    if match:
        op, operand, accepted, got = match.groups()
        element = got.rsplit("x", 1)[-1].rstrip(">")
        reason = (
            f"TFLite's {op.upper()} kernel takes operand #{operand} as {accepted.replace(' type', '')}, but the "
            f"Keras-quantized layer feeds it a raw {element} tensor ({got}): Keras quantizes the layer's input to "
            "int8 at run time and multiplies int8 by int8, a computation with no TFLite kernel. Cure: keep the "
            "activations float (weight-only: Int8QuantizationConfig(activation_quantizer=None)), or quantize with "
            "the converter (wu.to_tflite(model, 'dynamic_range' or 'full_integer')) or the LiteRT quantizer."
        )
        return reason, match.group(0)
    lines = [line.strip() for line in str(message).splitlines() if "error" in line.lower()]
    key = lines[0] if lines else " ".join(str(message).split())[:300]
    return f"The TFLite converter refused the Keras-quantized model: {key}", key


def export_quantized(model: Any, name: str = "") -> ExportResult:
    """Convert a (Keras-quantized) Keras 3 model with ``wu.to_tflite(model, 'float32')``; never raises.

    Returns an :class:`ExportResult` with the flatbuffer bytes, or ``blob=None`` and the reason. The
    converter's mode is float32 because the model already carries its quantization (Keras' own layers).
    """
    import io
    from contextlib import redirect_stderr

    try:
        with redirect_stderr(io.StringIO()):  # to_tflite replays the converter's log on failure: we explain it
            blob = to_tflite(model, "float32")
    except Exception as error:  # noqa: BLE001 - any converter failure becomes a reason, not a crash
        reason, key = explain_converter_error(str(error))
        return ExportResult(name, None, reason, key)
    return ExportResult(name, blob)


def quantize_and_export(model: Any, name: str) -> ExportResult:
    """:func:`keras_quantize` then :func:`export_quantized`; ``details["what"]`` says what Keras stores and computes."""
    result = export_quantized(keras_quantize(model, name), name)
    return ExportResult(result.name, result.blob, result.reason, result.error, {"what": describe(name)})


def keras_int4_tflite(model: Any, calibration: Any = None) -> bytes:
    """The ``keras_int4`` comparison row: ``model`` (tf_keras or Keras 3) quantized by Keras 3's
    ``quantize("int4")`` and converted. ``calibration`` is unused (Keras' int4 needs none)."""
    from ..models.bridge import is_keras3_model
    from .keras3 import keras3_twin

    keras3_model = model if is_keras3_model(model) else keras3_twin(model)
    result = quantize_and_export(keras3_model, "int4")
    if result.blob is None:
        raise RuntimeError(f"Keras 3 int4 export failed: {result.reason}")
    return result.blob


def int4_equals_rounding(quantized: Any, rounded: Any, x: np.ndarray, atol: float = 1e-4) -> bool:
    """True when two Keras-quantized models give the same outputs on ``x`` (e.g. GPTQ vs plain int4 rounding)."""
    return bool(np.allclose(np.asarray(quantized(x, training=False)), np.asarray(rounded(x, training=False)),
                            atol=atol))


PIXEL_LEVELS = 255  # GPTQ's data loader casts every sample to int32 "tokens": images travel as 0..255 integers


def gptq_int4(model: Any, images: np.ndarray, layer: str, num_samples: int = 16, group_size: int = 128):
    """A copy of ``model`` with ``layer`` (a Dense layer) quantized to int4 by Keras' GPTQ, calibrated on ``images``.

    Keras' GPTQ is built for language models: ``GPTQConfig`` needs a ``dataset`` and a ``tokenizer``, casts
    every sample to int32 token ids, and runs ``pre_block_layers`` then each of ``sequential_blocks``. For an
    image model that means: images as integer pixel values 0..255 (float pixels in [0, 1] would be cast to
    0 and 1), a Rescaling and Reshape in front of the layers before ``layer``, and ``layer`` as the one block.
    The tokenizer is never called for numeric data, but must not be None.
    """
    import keras
    from keras.quantizers import GPTQConfig

    copy = _copy(model)
    names = [item.name for item in copy.layers]
    if layer not in names:
        raise ValueError(f"No layer {layer!r} in the model; its layers: {names}.")
    target = copy.get_layer(layer)
    if not isinstance(target, keras.layers.Dense):
        raise ValueError(f"GPTQ quantizes Dense layers; {layer!r} is a {type(target).__name__}.")
    images = np.asarray(images, np.float32)
    tokens = np.round(images.reshape(len(images), -1) * PIXEL_LEVELS).astype(np.int32)
    pre = [keras.layers.Rescaling(1 / PIXEL_LEVELS), keras.layers.Reshape(images.shape[1:])]
    pre += [copy.get_layer(name) for name in names[:names.index(layer)]]
    config = GPTQConfig(
        dataset=list(tokens[:num_samples]), tokenizer=object(), weight_bits=4,
        num_samples=min(num_samples, len(tokens)), sequence_length=tokens.shape[1], group_size=group_size,
        quantization_layer_structure={"pre_block_layers": pre, "sequential_blocks": [target]},
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        was = keras.config.is_interactive_logging_enabled()  # GPTQ prints a progress bar through Keras
        keras.config.disable_interactive_logging()
        try:
            # filters: without them Keras gives every Dense layer GPTQ's dtype policy, calibrated or not
            copy.quantize("gptq", config=config, filters=lambda item: item.name == layer)
        finally:
            if was:
                keras.config.enable_interactive_logging()
    return copy


def rounded_int4(model: Any, layer: str, group_size: int = 128):
    """A copy of ``model`` with only ``layer`` quantized to int4 by plain rounding (Keras' ``quantize``), the
    baseline GPTQ must beat; weights only, like GPTQ."""
    from keras.quantizers import Int4QuantizationConfig

    copy = _copy(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        copy.quantize(config=Int4QuantizationConfig(block_size=group_size, activation_quantizer=None),
                      filters=lambda item: item.name == layer)
    return copy
