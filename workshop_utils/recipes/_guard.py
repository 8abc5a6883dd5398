"""What a recipe says when things go wrong: any TFMOT failure as a named error, and a large accuracy drop."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from ..data.datasets import Dataset
from ..models.keras_tools import UnsupportedModelError, keras_accuracy

MAX_DROP_PTS = 2.0
# Layer names as TFMOT and Keras quote them in their messages
_NAMED = (re.compile(r'layer "([^"]+)"', re.I), re.compile(r"layer '([^']+)'", re.I),
          re.compile(r"Layer ([^\s:,]+):"), re.compile(r"layer[: ]+([\w./-]+)", re.I))
_OPERATOR_TYPES = ("TFOpLambda", "SlicingOpLambda", "Lambda")
OPERATOR_FIX = ("A TFOpLambda layer is a TensorFlow operation applied to a Keras tensor (e.g. `x + y`, `x * 3.0`, "
                "tf.nn.relu6), which TFMOT cannot wrap. Fix: rebuild it with Keras layers (keras.layers.Add(), "
                "Multiply(), ReLU(6.0)). ")
# Inside pqat/cqat/pcqat the stage recipes leave the drop check to the whole path (one warning, not three)
_CHECK_DROP: ContextVar[bool] = ContextVar("check_drop", default=True)


class UnsupportedLayerError(UnsupportedModelError, ValueError):
    """A layer a TFMOT technique cannot handle; the message names the layer and the fix."""


class AccuracyDropWarning(UserWarning):
    """A recipe's model lost more than ``MAX_DROP_PTS`` points of test accuracy against its input model."""


def named_layers(model: Any, text: str) -> list[Any]:
    layers = {layer.name: layer for layer in model.layers}
    found = []
    for pattern in _NAMED:
        for name in pattern.findall(text):
            name = name.removeprefix("quant_").removeprefix("prune_low_magnitude_").removeprefix("cluster_")
            if name in layers and layers[name] not in found:
                found.append(layers[name])
    return found


def _suspects(model: Any) -> list[Any]:
    """Layers TFMOT usually trips on: TensorFlow operators recorded as layers, Lambdas, custom classes."""
    return [layer for layer in model.layers
            if type(layer).__name__ in _OPERATOR_TYPES or not type(layer).__module__.startswith("tf_keras")]


def failure_message(technique: str, model: Any, error: BaseException) -> tuple[str, bool]:
    """(the message for a TFMOT failure on ``model``, whether it names a layer)."""
    culprits = named_layers(model, str(error)) or _suspects(model)
    text = f"{type(error).__name__}: {' '.join(str(error).split())[:400]}"
    if not culprits:
        return (f"{technique} failed inside TFMOT ({text}). Fix: check the model is a plain Sequential/functional "
                "classifier of standard Keras layers, or restrict the technique with layers=[...].", False)
    names = ", ".join(f"'{layer.name}' ({type(layer).__name__})" for layer in culprits[:5])
    operators = [layer for layer in culprits if type(layer).__name__ in _OPERATOR_TYPES]
    supported = [layer.name for layer in model.layers
                 if layer not in culprits and type(layer).__name__ in ("Conv2D", "Dense", "DepthwiseConv2D")]
    fix = OPERATOR_FIX + "Or" if operators else "Fix: replace it with standard Keras layers, or"
    return (f"{technique} cannot handle layer(s) {names}: TFMOT failed with {text}. {fix} apply the technique "
            f"to supported layers only, e.g. layers={supported[:8]!r}.", True)


@contextmanager
def tfmot_errors(technique: str, model: Any) -> Iterator[None]:
    """Turn any exception inside the block (TFMOT raises AttributeError, KeyError, ...) into a named error."""
    try:
        yield
    except UnsupportedModelError:
        raise
    except MemoryError:
        raise
    except Exception as error:  # noqa: BLE001 - the point: no raw TFMOT error reaches the user
        message, named = failure_message(technique, model, error)
        raise (UnsupportedLayerError if named else UnsupportedModelError)(message) from error


@contextmanager
def stages() -> Iterator[None]:
    """Inside the block the recipes skip their accuracy-drop check (a whole path checks once, at its end)."""
    token = _CHECK_DROP.set(False)
    try:
        yield
    finally:
        _CHECK_DROP.reset(token)


def check_drop(recipe: str, before: Any, after: Any, dataset: Dataset, knobs: str, steps: str) -> float | None:
    """Warn when ``after`` lost more than MAX_DROP_PTS test-accuracy points against ``before``; the drop in points."""
    if not _CHECK_DROP.get():
        return None
    reference = keras_accuracy(before, dataset.x_test, dataset.y_test)
    result = keras_accuracy(after, dataset.x_test, dataset.y_test)
    drop = 100.0 * (reference - result)
    if drop > MAX_DROP_PTS:
        warnings.warn(AccuracyDropWarning(
            f"{recipe} lost {drop:.1f} points of test accuracy against its input model ({reference:.2%} -> "
            f"{result:.2%}) after {steps}. Fix: {knobs}."
        ), stacklevel=3)
    return drop
