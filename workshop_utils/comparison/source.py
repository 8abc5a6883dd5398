"""Where a comparison's models come from: the workshop's baseline, or the model the user brings.

A user's model is keyed by what it is (a hash of its architecture, weights and compile settings) and by
the data (the dataset's array hash), never by a name, so two models called ``mine.keras`` never share rows.
A Keras 3 model gets a tf_keras twin for the TFMOT recipes (built once, when a row first needs it); a model
that cannot be bridged still gets every row that needs no TFMOT, converted from the original.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core import cache
from ..data.datasets import Dataset


def _architecture(model: Any) -> str:
    """The model's architecture as JSON, or its class path when it has no serializable config (subclassed)."""
    try:
        return model.to_json()
    except Exception:  # noqa: BLE001 - a model without get_config is still keyed, by its class and weights
        return f"{type(model).__module__}.{type(model).__qualname__}"


def _weights_digest(model: Any) -> str:
    digest = hashlib.sha256()
    for weight in model.get_weights():
        array = np.ascontiguousarray(weight)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:20]


def _describe(value: Any) -> Any:
    """A stable description of a loss/optimizer/metric (no memory addresses)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    config = None
    if hasattr(value, "get_config"):
        try:
            config = json.loads(json.dumps(value.get_config(), default=str))
        except Exception:  # noqa: BLE001 - a config we cannot read still leaves the class name
            config = None
    return {"class": f"{type(value).__module__}.{type(value).__qualname__}", "config": config}


def _compile_settings(model: Any) -> dict[str, Any]:
    """The user's loss and optimizer (recipes fine-tune with them), as part of the rows' key."""
    return {"loss": _describe(getattr(model, "loss", None)),
            "optimizer": _describe(getattr(model, "optimizer", None))}


def model_key(model: Any, dataset: Dataset) -> str:
    """The cache key of a user's model on ``dataset``: architecture, weights, compile settings and data."""
    return "user-" + cache.cache_key({
        "module": type(model).__module__.split(".")[0],  # keras (3) or tf_keras: their files differ
        "architecture": hashlib.sha256(_architecture(model).encode()).hexdigest()[:20],
        "weights": _weights_digest(model),
        "compile": _compile_settings(model),
        "data": dataset.fingerprint,
    })


def check_model_fits(model: Any, dataset: Dataset) -> None:
    """Raise a clear error when the model's input or output does not fit the dataset (before any work)."""
    try:
        input_shape, output_shape = model.input_shape, model.output_shape
    except (AttributeError, ValueError, RuntimeError):  # subclassed: no shapes; the converter will tell
        return
    if isinstance(input_shape, list) or isinstance(output_shape, list):
        raise ValueError(
            f"The model has {len(model.inputs)} input(s) and {len(model.outputs)} output(s); the comparison needs "
            "one image input and one class-score output. Fix: pass a single-input, single-output classifier."
        )
    if tuple(input_shape[1:]) != tuple(dataset.input_shape):
        raise ValueError(
            f"The model takes inputs of shape {tuple(input_shape[1:])} but the data's images are "
            f"{dataset.input_shape}. Fix: pass the data the model was trained on (preprocessed as in training)."
        )
    if output_shape[-1] is not None and output_shape[-1] < dataset.num_classes:
        raise ValueError(
            f"The model outputs {output_shape[-1]} class scores but the labels go up to class "
            f"{dataset.num_classes - 1}. Fix: pass the labels the model was trained on."
        )


@dataclass
class ModelSource:
    """The rows' starting model: ``original`` (as given), its key, and its tf_keras twin made on demand."""

    original: Any
    key: str
    is_user: bool
    label: str
    sample: Any = field(default=None, repr=False)  # a few real inputs the twin's outputs are checked on
    _twin: Any = field(default=None, repr=False)
    _bridge_error: Exception | None = field(default=None, repr=False)
    _bridged: bool = field(default=False, repr=False)

    @classmethod
    def baseline(cls, model: Any, key: str) -> ModelSource:
        return cls(model, key, is_user=False, label="the workshop's baseline", _twin=model, _bridged=True)

    @classmethod
    def user(cls, model: Any, dataset: Dataset) -> ModelSource:
        if isinstance(model, (str, Path)):
            from ..models.loading import load_model

            label = f"your model ({Path(model).name})"
            model = load_model(model)
        else:
            label = f"your model ({getattr(model, 'name', type(model).__name__)})"
        check_model_fits(model, dataset)
        return cls(model, model_key(model, dataset), is_user=True, label=label, sample=dataset.x_test[:4])

    def twin(self) -> Any:
        """The tf_keras model the recipes train (the original when it is tf_keras); raises if unbridgeable."""
        if not self._bridged:
            from ..models.bridge import to_tf_keras

            self._bridged = True
            try:
                self._twin = to_tf_keras(self.original, sample=self.sample)
            except Exception as error:  # noqa: BLE001 - kept, and re-raised to every row that needs the twin
                self._bridge_error = error
        if self._bridge_error is not None:
            raise self._bridge_error
        return self._twin

    def for_conversion(self) -> Any:
        """What the conversion rows convert: the twin when there is one, else the original (Keras 3 directly)."""
        try:
            return self.twin()
        except Exception:  # noqa: BLE001 - the reason is reported once, by the technique rows
            return self.original

    @property
    def bridge_error(self) -> Exception | None:
        return self._bridge_error
