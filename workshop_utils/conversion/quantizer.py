"""The LiteRT quantizer (pip ``litert-quantizer``): quantize an already converted float .tflite with a recipe.

Where the TFLite converter quantizes while converting a Keras model (notebook 01), the quantizer
starts from the float32 flatbuffer and rewrites it, layer by layer, following a recipe: int4 or int8
weights, float or integer activations, per channel or per tensor. It can also compare every tensor of
the quantized model with the float one (SNR, MSE), much like the quantization debugger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.native_output import capture_native_output
from ..measurement.interpreter import as_blob, make_interpreter
from ..measurement.tflite_file import tensor_types, weight_type_counts

INT4_RECIPE_NOTE = "int4 weights per output channel, float activations (weight-only, dequantized before each op)"
INT4_DYNAMIC_NOTE = ("int4 weights per output channel; each layer quantizes its float input to int8 at run time and "
                     "multiplies in integers (dynamic, no DEQUANTIZE op)")
# The quantizer's own recipe names (litert_quantizer.recipe) for the two int4 ways, and what each runs as.
INT4_RECIPES = {"weight_only_wi4_afp32": INT4_RECIPE_NOTE, "dynamic_wi4_afp32": INT4_DYNAMIC_NOTE}
INT4_FC_DYNAMIC_NOTE = ("dynamic int4 weights in fully connected layers, dynamic int8 in convolutions (where "
                        "XNNPACK's dynamic int4 kernels appear to cover fully connected layers only)")
A8W8_RECIPE = "default_a8w8"  # int8 activations (per tensor) and int8 weights (per channel): full integer
QUANTIZED_TYPES = {"INT8", "INT4", "INT16", "FLOAT16", "UINT8"}


class QuantizerUnavailableError(ImportError):
    """The ``litert-quantizer`` package is missing; the message gives the install command."""


def quantizer_class():
    """``litert_quantizer.Quantizer``, or a clear error naming the package to install."""
    try:
        from litert_quantizer import Quantizer
    except ImportError as error:
        raise QuantizerUnavailableError(
            f"The LiteRT quantizer is not installed ({error}). Fix: `pip install litert-quantizer==0.11.0` "
            "(it pins ai-edge-litert 2.3.0, the version requirements.txt uses)."
        ) from error
    return Quantizer


def require_float_model(model: bytes, what: str) -> bytes:
    """The bytes, if they are a float32 model; the quantizer starts from float weights."""
    blob = as_blob(model)
    quantized = sorted(set(weight_type_counts(blob)) & QUANTIZED_TYPES)
    if quantized:
        raise ValueError(
            f"{what} needs a float32 .tflite, but this model already stores {', '.join(quantized)} weights. "
            "Fix: pass wu.to_tflite(model, 'float32')."
        )
    return blob


def _signature(model: bytes) -> tuple[str, str]:
    """The model's (signature key, input name), which the quantizer's calibration data is keyed by."""
    signatures = make_interpreter(model, use_xnnpack=False).get_signature_list()
    if not signatures:
        raise ValueError("The model has no signature; convert it with wu.to_tflite so it gets 'serving_default'.")
    key = next(iter(signatures))
    inputs = signatures[key]["inputs"]
    if len(inputs) != 1:
        raise ValueError(f"Only single-input models are supported; signature {key!r} has inputs {inputs}.")
    return key, inputs[0]


def signature_samples(model: bytes, images: np.ndarray) -> dict[str, list[dict[str, np.ndarray]]]:
    """``{signature: [{input_name: image[None]}, ...]}``, the form calibrate() and validate() take."""
    key, name = _signature(model)
    images = np.asarray(images, dtype=np.float32)
    if images.ndim < 2 or len(images) == 0:
        raise ValueError(f"Pass a batch of images (N, ...), N >= 1; got shape {images.shape}.")
    return {key: [{name: image[np.newaxis]} for image in images]}


def _quantize_with(blob: bytes, recipe_name: str) -> bytes:
    """``blob`` quantized with one of ``litert_quantizer.recipe``'s recipes, named as the quantizer names it."""
    quantizer = quantizer_class()(blob)  # first: a clear error when the package is missing
    from litert_quantizer import recipe

    quantizer.load_quantization_recipe(getattr(recipe, recipe_name)())
    with capture_native_output():
        result = quantizer.quantize(enable_progress_report=False)
    return bytes(result.quantized_model)  # a bytearray is refused by the interpreters


def int4_weights(float_model: bytes) -> bytes:
    """Weight-only int4 (per output channel) of a float32 .tflite: the quantizer's ``weight_only_wi4_afp32``.

    Weights are stored as packed 4-bit integers with a scale per output channel; activations stay
    float, and a DEQUANTIZE op turns each weight back to float32 before its layer runs, on every run on
    LiteRT's CPU path (what that costs depends on the machine: measure it with ``wu.benchmark_latency``).
    """
    return _quantize_with(require_float_model(float_model, "int4_weights"), "weight_only_wi4_afp32")


def int4_dynamic(float_model: bytes) -> bytes:
    """Dynamic int4 (per output channel) of a float32 .tflite: the quantizer's ``dynamic_wi4_afp32``.

    The same packed 4-bit weights as :func:`int4_weights`, but no DEQUANTIZE op: each CONV_2D and
    FULLY_CONNECTED takes the int4 weights directly and quantizes its float input to int8 at run time
    (hybrid kernels, like the converter's dynamic range mode): integer arithmetic, no unpacking per run.
    """
    return _quantize_with(require_float_model(float_model, "int4_dynamic"), "dynamic_wi4_afp32")


def int4_fc_dynamic(float_model: bytes) -> bytes:
    """Dynamic int4 for FULLY_CONNECTED layers and dynamic int8 for CONV_2D: int4 where LiteRT's CPU path is fast.

    On the AVX-512 machine this was written on, ``dynamic_wi4_afp32`` on every layer ran slower than float32
    while int4 in the fully connected layers alone ran faster (deep dive 01c measures both on yours): likely
    XNNPACK has fast dynamic int4 kernels for fully connected layers but not for convolutions. Keeping the
    convolutions' (few) weights at int8 costs a few KB and runs them in XNNPACK's dynamic int8 kernels.
    Per-channel symmetric, like the recipes (zeros stay zero).
    """
    from litert_quantizer.qtyping import QuantGranularity

    blob = require_float_model(float_model, "int4_fc_dynamic")
    quantizer = quantizer_class()(blob)
    for operation, bits in (("FULLY_CONNECTED", 4), ("CONV_2D", 8)):
        quantizer.add_dynamic_config(regex=".*", operation_name=operation, num_bits=bits,
                                     granularity=QuantGranularity.CHANNELWISE)
    with capture_native_output():
        result = quantizer.quantize(enable_progress_report=False)
    return bytes(result.quantized_model)


INT4_FUNCTIONS = {"weight_only_wi4_afp32": int4_weights, "dynamic_wi4_afp32": int4_dynamic}


def a8w8(float_model: bytes, calibration_images: np.ndarray) -> bytes:
    """Full integer (int8 activations and weights) of a float32 .tflite with the quantizer's a8w8 recipe.

    The quantizer's counterpart of ``wu.to_tflite(model, "full_integer", representative_data=...)``:
    it runs the float model on ``calibration_images`` to record activation ranges, then quantizes.
    """
    blob = require_float_model(float_model, "a8w8")
    quantizer = quantizer_class()(blob)
    quantizer.load_quantization_recipe(A8W8_RECIPE)
    samples = signature_samples(blob, calibration_images)
    with capture_native_output():
        calibration = quantizer.calibrate(samples, num_threads=1)
        result = quantizer.quantize(calibration, enable_progress_report=False)
    return bytes(result.quantized_model)


def validation_table(float_model: bytes, quantized_model: bytes, images: np.ndarray) -> pd.DataFrame:
    """The quantizer's per-tensor validation: SNR and MSE of every tensor against the float model.

    SNR = mean(float²) / mean((quantized - float)²) over ``images``; ``snr_db`` is 10·log10 of it (every
    3 dB halves the error power). Rows are in the float model's tensor order, with the tensor's role.
    """
    from litert_quantizer.utils.validation_utils import ValidationErrorMetric

    float_blob, quantized_blob = as_blob(float_model), as_blob(quantized_model)
    quantizer = quantizer_class()(float_blob, previous_quantized_model=quantized_blob)
    samples = signature_samples(float_blob, images)
    with capture_native_output():
        result = quantizer.validate(
            test_data=samples, error_metrics=[ValidationErrorMetric.SNR, ValidationErrorMetric.MSE],
            use_xnnpack=True, num_threads=1,
        )
    rows = []
    for signature in result.available_signature_keys():
        outcome = result.get_signature_comparison_result(signature)
        for role, tensors in (("input", outcome.input_tensors), ("weight", outcome.constant_tensors),
                              ("activation", outcome.intermediate_tensors), ("output", outcome.output_tensors)):
            for name, metrics in tensors.items():
                rows.append({"tensor": name, "role": role, "snr": metrics["snr"], "mse": metrics["mse"]})
    table = pd.DataFrame(rows)
    order = {name: index for index, name in enumerate(tensor_types(float_blob)["tensor"])}
    table["position"] = table["tensor"].map(order)
    table = table.sort_values("position", kind="stable").drop(columns="position").reset_index(drop=True)
    table["snr_db"] = 10 * np.log10(table["snr"].clip(lower=1e-12))
    return table[["tensor", "role", "snr_db", "snr", "mse"]]
