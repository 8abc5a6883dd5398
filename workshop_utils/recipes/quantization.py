"""Quantization-aware training (QAT): fake-quantize weights and activations while fine-tuning."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ..data.datasets import Dataset
from ..models.keras_tools import clone_model, compile_classifier
from ._common import (
    DEFAULT_BATCH_SIZE,
    UnsupportedLayerError,
    announce,
    check_inputs,
    check_model,
    fine_tune,
    resolve_layer_names,
    resolve_training,
    wrap_layers,
)

QAT_LEARNING_RATE = 1e-4
_TFMOT_LAYER_IN_ERROR = re.compile(r"Layer (\S+?):")


def _split_by_support(model, names: list[str] | None, scheme) -> tuple[list[str], list[str]]:
    """(supported names, unsupported "'name' (Class)") among ``names``, by the scheme's registry."""
    import tf_keras

    registry = scheme.get_quantize_registry()
    supported, unsupported = [], []
    for layer in model.layers:
        if isinstance(layer, tf_keras.layers.InputLayer) or (names is not None and layer.name not in names):
            continue
        if registry.supports(layer):
            supported.append(layer.name)
        else:
            unsupported.append(f"'{layer.name}' ({type(layer).__name__})")
    return supported, unsupported


def quantize_aware_model(model, layers: str | Iterable[str] | None = None, scheme: Any = None):
    """A QAT copy of ``model`` (not modified, not trained) from ``quantize_apply`` with ``scheme``.

    ``layers=None`` annotates the whole model (what ``tfmot.quantization.keras.quantize_model`` does);
    otherwise only those layer names, with ``quantize_annotate_layer``. ``scheme`` defaults to
    ``Default8BitQuantizeScheme()``. TFMOT's errors for unsupported layers become
    :class:`UnsupportedLayerError` naming the layer and the fix.
    """
    import tensorflow_model_optimization as tfmot
    import tf_keras

    check_model(model, "quantize_aware_model")
    names = resolve_layer_names(model, layers)
    quantize = tfmot.quantization.keras
    if scheme is None:
        scheme = quantize.default_8bit.Default8BitQuantizeScheme()
    work = clone_model(model)
    # quantize_apply rebuilds the model from its config; custom layer classes must be known by name or
    # Keras fails with an obscure TypeError before TFMOT can say which layer it cannot quantize.
    custom_objects = {type(layer).__name__: type(layer) for layer in work.layers}
    try:
        with tf_keras.utils.custom_object_scope(custom_objects):
            if names is None:
                annotated = quantize.quantize_annotate_model(work)
            else:
                annotated = wrap_layers(work, names, quantize.quantize_annotate_layer)
            return quantize.quantize_apply(annotated, scheme=scheme)
    except (RuntimeError, ValueError, TypeError) as error:
        supported, culprits = _split_by_support(model, names, scheme)
        match = _TFMOT_LAYER_IN_ERROR.search(str(error))
        if match and not any(c.startswith(f"'{match.group(1)}'") for c in culprits):
            culprits.insert(0, f"'{match.group(1)}'")
        if not culprits:
            raise
        raise UnsupportedLayerError(
            f"Quantization-aware training does not support layer(s) {', '.join(culprits)} ({error}). "
            f"Fix: quantize only supported layers, e.g. layers={supported!r}, or annotate the layer yourself "
            "with tfmot.quantization.keras.quantize_annotate_layer(layer, quantize_config=YourQuantizeConfig())."
        ) from error


def quantize_and_fine_tune(
    model, dataset: Dataset, names: list[str] | None, scheme: Any, epochs: int, batch_size: int,
    learning_rate: float, verbose: int,
):
    """The QAT step every QAT recipe ends with: quantize_apply, fine-tune, compile for evaluate."""
    result = quantize_aware_model(model, names, scheme)
    fine_tune(result, dataset, epochs, batch_size, learning_rate, verbose=verbose)
    compile_classifier(result, learning_rate)
    return result


def qat(
    model,
    dataset: Dataset,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = QAT_LEARNING_RATE,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
):
    """Quantization-aware fine-tune of ``model`` on ``dataset``; returns the QAT model (from quantize_apply).

    The result still computes in float but rounds weights and activations to 8 bits on the way, so it
    learns to tolerate int8; convert it with ``wu.to_tflite(result, "full_integer")`` (QAT learned the
    activation ranges, so no representative data is needed).
    ``layers`` quantizes only those layer names; by default the whole model is. ``epochs`` defaults to 2
    (1 in fast mode). The input model is not changed.
    """
    check_inputs(model, dataset, "qat")
    epochs = resolve_training(epochs, batch_size, learning_rate)
    names = resolve_layer_names(model, layers)
    with announce("qat", verbose, seed) as info:
        result = quantize_and_fine_tune(model, dataset, names, None, epochs, batch_size, learning_rate, verbose)
        scope = ", ".join(names) if names else "all layers"
        info["summary"] = f"8-bit QAT on {scope}; {epochs} epoch(s), lr {learning_rate:g}"
    return result
