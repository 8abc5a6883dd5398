"""tf_keras -> Keras 3: the workshop's baseline (or a technique's model) as a Keras 3 model with the same weights.

Keras 3 (``import keras``) is TensorFlow's default Keras since 2.16, and its own ``Model.quantize()`` works on
Keras 3 models only. TFMOT works on tf_keras only, and Keras 3 cannot load a tf_keras ``.keras`` file
either way round, so the twin is rebuilt layer by layer (each layer's config, keeping the keywords the Keras 3
class accepts) and gets the original's weights; its outputs are checked equal before it is returned.
The converter takes the twin directly: ``wu.to_tflite(keras3_model, mode)`` uses the same settings for both.
(The other direction, Keras 3 -> tf_keras for TFMOT, is :func:`workshop_utils.models.bridge.to_tf_keras`.)
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from ..models.keras_tools import UnsupportedModelError, require_tf_keras_model

RTOL = 1e-5  # largest output difference allowed, relative to the largest output magnitude
# The one difference the converter leaves between a Keras 3 file and its tf_keras twin's: Keras 3's Flatten reads
# the batch size at run time (SHAPE -> STRIDED_SLICE -> PACK feed its RESHAPE); tf_keras' reshapes to a constant.
DYNAMIC_BATCH_OPS = ("SHAPE", "STRIDED_SLICE", "PACK")
# Config keys not carried over: the weights are copied, so how they were initialized or constrained is moot,
# and tf_keras writes these in a format Keras 3 reads differently.
_DROPPED = ("initializer", "regularizer", "constraint", "batch_input_shape", "dtype")


def _keras3_layer(layer: Any):
    """The Keras 3 layer of the same class and settings as a tf_keras ``layer``."""
    import keras

    cls = getattr(keras.layers, type(layer).__name__, None)
    if cls is None:
        raise UnsupportedModelError(
            f"Layer '{layer.name}' ({type(layer).__name__}) has no Keras 3 counterpart in keras.layers. "
            "Fix: build the Keras 3 model yourself with `import keras` and copy the weights with set_weights."
        )
    accepted = set(inspect.signature(cls.__init__).parameters) | {"name", "trainable"}
    config = {key: value for key, value in layer.get_config().items()
              if key in accepted and not any(part in key for part in _DROPPED)}
    try:
        return cls(**config)
    except (TypeError, ValueError) as error:
        raise UnsupportedModelError(
            f"Layer '{layer.name}' ({type(layer).__name__}) could not be rebuilt in Keras 3: {error}. "
            "Fix: build the Keras 3 model yourself with `import keras` and copy the weights with set_weights."
        ) from error


def _first_branching_layer(layers: list[Any]) -> str | None:
    """The first layer that does not simply take the previous layer's output (a merge or a branch), if any."""
    previous = None
    for layer in layers:
        nodes = getattr(layer, "_inbound_nodes", None) or []
        inbound = nodes[0].inbound_layers if nodes else []
        inbound = inbound if isinstance(inbound, list) else [inbound]
        if len(nodes) != 1 or len(inbound) != 1 or (previous is not None and inbound[0] is not previous):
            return layer.name
        previous = layer
    return None


def keras3_twin(model: Any, sample: np.ndarray | None = None):
    """A Keras 3 ``Sequential`` with ``model``'s layers and weights (``model``: a tf_keras layer stack).

    Works for models that are a single chain of standard layers, such as the workshop's baseline and the
    stripped models of the pruning and clustering recipes. ``sample`` (a few inputs; zeros by default) is
    run through both models, which must agree.
    """
    import keras

    require_tf_keras_model(model, "keras3_twin")
    import tf_keras

    layers = [layer for layer in model.layers if not isinstance(layer, tf_keras.layers.InputLayer)]
    wrapped = [layer.name for layer in layers if hasattr(layer, "layer") or isinstance(layer, tf_keras.Model)]
    if wrapped:
        raise UnsupportedModelError(
            f"keras3_twin needs plain layers; {wrapped} are wrapped (a TFMOT model that was not stripped, or a "
            "nested model). Fix: pass the stripped model (the wu.recipes functions return stripped models)."
        )
    branching = _first_branching_layer(layers)
    if branching is not None:
        raise UnsupportedModelError(
            f"keras3_twin rebuilds a single chain of layers; layer '{branching}' merges or branches (e.g. a "
            "residual Add). Fix: quantize your own Keras 3 model with model.quantize(...) instead of a twin."
        )
    twin = keras.Sequential([keras.Input(shape=tuple(model.input_shape[1:]), name=model.layers[0].name
                                         if isinstance(model.layers[0], tf_keras.layers.InputLayer) else "input"),
                             *[_keras3_layer(layer) for layer in layers]], name=model.name)
    for source, target in zip(layers, twin.layers, strict=True):
        target.set_weights(source.get_weights())
    x = np.zeros((2, *model.input_shape[1:]), np.float32) if sample is None else np.asarray(sample, np.float32)
    ours, theirs = np.asarray(twin(x, training=False)), np.asarray(model(x, training=False))
    tolerance = RTOL * max(1.0, float(np.max(np.abs(theirs))))
    if ours.shape != theirs.shape or float(np.max(np.abs(ours - theirs))) > tolerance:
        raise UnsupportedModelError("The Keras 3 twin's outputs differ from the tf_keras model's; a layer setting "
                                    "did not carry over. Build the Keras 3 model yourself and use set_weights.")
    return twin


def keras3_accuracy(model: Any, x: np.ndarray, y: np.ndarray, batch_size: int = 500) -> float:
    """Top-1 accuracy of a Keras 3 model (quantized in Keras or not), in [0, 1]."""
    logits = np.concatenate([np.asarray(model(x[i:i + batch_size], training=False))
                             for i in range(0, len(x), batch_size)])
    return float(np.mean(np.argmax(logits, axis=-1) == np.asarray(y)))
