"""Quantization-aware training (QAT): fake-quantize weights and activations while fine-tuning."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

from ..data.datasets import Dataset
from ..models.keras_tools import TrainingSetup, UnsupportedModelError, clone_model, compile_classifier, training_setup
from ._common import (
    DEFAULT_BATCH_SIZE,
    UnsupportedLayerError,
    announce,
    bridged,
    check_inputs,
    check_model,
    fine_tune,
    resolve_layer_names,
    resolve_training,
    steps_text,
    wrap_layers,
)
from ._guard import OPERATOR_FIX, check_drop, failure_message, named_layers, tfmot_errors

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
    ``Default8BitQuantizeScheme()``. TFMOT's errors (any type) become :class:`UnsupportedLayerError` naming the
    layer and the fix. A Keras 3 model is bridged to its tf_keras twin first.
    """
    import tensorflow_model_optimization as tfmot
    import tf_keras

    model = bridged(model)
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
    except UnsupportedModelError:
        raise
    except Exception as error:  # noqa: BLE001 - TFMOT fails with AttributeError, KeyError, ... too
        supported, culprits = _split_by_support(model, names, scheme)
        match = _TFMOT_LAYER_IN_ERROR.search(str(error))
        if match and not any(c.startswith(f"'{match.group(1)}'") for c in culprits):
            culprits.insert(0, f"'{match.group(1)}'")
        if not culprits:
            message, named = failure_message("Quantization-aware training", model, error)
            raise (UnsupportedLayerError if named else UnsupportedModelError)(message) from error
        culprits = _order(culprits, [f"'{layer.name}' ({type(layer).__name__})"
                                     for layer in named_layers(model, str(error))])
        operator = any("(TFOpLambda)" in c or "(Lambda)" in c for c in culprits)
        raise UnsupportedLayerError(
            f"Quantization-aware training does not support layer(s) {_shorten(culprits)} "
            f"({type(error).__name__}: {' '.join(str(error).split())[:300]}). "
            + (OPERATOR_FIX + "Or" if operator else "Fix:")
            + f" quantize only supported layers, e.g. layers={_shorten_names(supported)}, or annotate the "
            "layer yourself with tfmot.quantization.keras.quantize_annotate_layer(layer, "
            "quantize_config=YourQuantizeConfig())."
        ) from error


def _order(culprits: list[str], named: list[str]) -> list[str]:
    """The layers the error names first, then operators, then the rest; BatchNormalization (which QAT folds into
    the convolution before it, so rarely the cause) last."""
    merged = list(dict.fromkeys(named + culprits))
    return sorted(merged, key=lambda c: (c not in named, "Lambda)" not in c, "(BatchNormalization)" in c))


def _shorten(items: list[str], first: int = 6) -> str:
    """The first few items, then a count per layer class of the others (MobileNetV3 has 50+ such layers)."""
    if len(items) <= first:
        return ", ".join(items)
    counts = Counter(item.rsplit("(", 1)[-1].rstrip(")") for item in items[first:])
    rest = ", ".join(f"{n} {cls}" for cls, n in counts.most_common())
    return f"{', '.join(items[:first])} and {len(items) - first} more ({rest})"


def _shorten_names(names: list[str], first: int = 6) -> str:
    if len(names) <= first:
        return repr(names)
    return f"[{', '.join(map(repr, names[:first]))}, ...] (the {len(names)} supported layers)"


def quantize_and_fine_tune(
    model, dataset: Dataset, names: list[str] | None, scheme: Any, epochs: int, batch_size: int,
    learning_rate: float, verbose: int, setup: TrainingSetup | None = None,
):
    """The QAT step every QAT recipe ends with: quantize_apply, fine-tune, compile for evaluate.

    ``setup`` (default: ``model``'s own, see ``training_setup``) is the loss and optimizer class to train with.
    """
    setup = setup or training_setup(model)
    result = quantize_aware_model(model, names, scheme)
    with tfmot_errors("Quantization-aware training", model):
        fine_tune(result, dataset, epochs, batch_size, learning_rate, verbose=verbose, setup=setup)
    compile_classifier(result, learning_rate, setup=setup)
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
    fast: bool | None = None,
):
    """Quantization-aware fine-tune of ``model`` on ``dataset``; returns the QAT model (from quantize_apply).

    The result still computes in float but rounds weights and activations to 8 bits on the way, so it
    learns to tolerate int8; convert it with ``wu.to_tflite(result, "full_integer")`` (the fine-tune
    recorded moving-average activation ranges, so no representative data is needed).
    ``layers`` quantizes only those layer names; by default the whole model is. ``epochs`` defaults to 2
    (1 when ``fast``; None reads WORKSHOP_FAST), more on a small dataset (at least MIN_STEPS optimizer steps).
    The model's own loss and optimizer class are kept where it was compiled. The input model is not changed;
    a Keras 3 model is bridged to its tf_keras twin first.
    """
    model = check_inputs(model, dataset, "qat")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    names = resolve_layer_names(model, layers)
    with announce("qat", verbose, seed) as info:
        result = quantize_and_fine_tune(model, dataset, names, None, epochs, batch_size, learning_rate, verbose)
        scope = ", ".join(names) if names else "all layers"
        info["summary"] = f"8-bit QAT on {scope}; {epochs} epoch(s), lr {learning_rate:g}"
    check_drop("qat", model, result, dataset, f"fine-tune longer (epochs={2 * epochs}) or lower learning_rate "
               f"(now {learning_rate:g})", steps_text(len(dataset.x_train), batch_size, epochs))
    return result
