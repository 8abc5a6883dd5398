"""How a row's TFLite file is made from its technique's Keras model.

Most rows use a converter mode (:data:`~workshop_utils.conversion.convert.MODES`). A post-conversion mode
runs on the technique's float32 conversion (the LiteRT quantizer); an export mode builds the file from the
Keras model another way (e.g. Keras 3's own quantization). Register a new way here, not in the run loop.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from ..conversion.convert import to_tflite
from ..conversion.keras_quantize import keras_int4_tflite
from ..conversion.quantizer import int4_fc_dynamic, int4_weights

# mode -> f(float32 TFLite bytes) -> TFLite bytes
POST_CONVERSION_MODES: dict[str, Callable[[bytes], bytes]] = {
    "int4_weights": int4_weights,  # weight-only int4 (litert_quantizer's weight_only_wi4_afp32)
    "int4_fc_dynamic": int4_fc_dynamic,  # dynamic int4 in fully connected layers, dynamic int8 in convolutions
}
# mode -> f(tf_keras model, calibration images) -> TFLite bytes
EXPORT_MODES: dict[str, Callable[[Any, Any], bytes]] = {"keras_int4": keras_int4_tflite}
# mode -> the packages whose version a row of that mode depends on (part of its cache key)
MODE_PACKAGES: dict[str, tuple[str, ...]] = {
    "int4_weights": ("litert-quantizer",), "int4_fc_dynamic": ("litert-quantizer",), "keras_int4": ("keras",),
}


def row_modes() -> set[str]:
    """Every mode a row may name besides the converter's own."""
    return set(POST_CONVERSION_MODES) | set(EXPORT_MODES)


def convert_row(model: Any, mode: str, calibration: Any) -> bytes:
    """The row's TFLite model for ``mode``: a converter mode, a post-conversion mode or an export mode."""
    if mode in POST_CONVERSION_MODES:
        return POST_CONVERSION_MODES[mode](to_tflite(model, "float32"))
    if mode in EXPORT_MODES:
        return EXPORT_MODES[mode](model, calibration)
    return to_tflite(model, mode, representative_data=calibration)


def mode_versions(mode: str) -> dict[str, str]:
    """Versions of the packages a row of ``mode`` depends on, for its cache key (empty for converter modes)."""
    return {package: version(package) for package in MODE_PACKAGES.get(mode, ())}
