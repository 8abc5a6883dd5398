"""Keras 3 -> tf_keras: a twin with the same architecture and weights, checked equal before it is used.

TFMOT only rewrites tf_keras (Keras 2) models, and tf_keras cannot read what Keras 3 saves (its configs say
``batch_shape``, wrap dtypes and initializers in ``module``/``registered_name`` dicts, ...). The twin is
rebuilt layer by layer from the Keras 3 model's config, translated where the two Kerases differ, gets the
original's weights layer by layer, and must give the same outputs on a few inputs before it is returned.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .bridge_compile import accepted_keywords, carry_compile, plain
from .keras_tools import UnsupportedModelError

RTOL = 1e-5  # largest output difference allowed, relative to the largest output magnitude
CHECK_SAMPLES = 4
WAY_OUT = (
    "Fix: build the model as keras.Sequential([...]) or keras.Model(inputs, outputs) from standard Keras "
    "layers, or build it in tf_keras (`import tf_keras as keras`) and pass that model."
)
# Keras 3 activation names tf_keras spells differently
_ACTIVATIONS = {"silu": "swish"}


def is_keras3_model(model: Any) -> bool:
    """True for a Keras 3 (``import keras``) model, False for tf_keras models and everything else."""
    try:
        import keras
    except ImportError:  # pragma: no cover - Keras 3 ships with TensorFlow >= 2.16
        return False
    import tf_keras

    return isinstance(model, keras.Model) and not isinstance(model, tf_keras.Model)


def _describe(layer: Any) -> str:
    return f"'{layer.name}' ({type(layer).__name__})"


def _is_graph_model(model: Any) -> bool:
    import keras

    try:
        from keras.src.models.functional import Functional
    except ImportError:  # pragma: no cover - a future Keras moving the class
        return isinstance(model, keras.Sequential) or hasattr(model, "_operations")
    return isinstance(model, (keras.Sequential, Functional))


def _activation(layer: Any, value: Any) -> Any:
    import tf_keras

    if isinstance(value, str):
        name = _ACTIVATIONS.get(value, value)
        try:
            tf_keras.activations.get(name)
        except ValueError:
            fix = (" Fix: use an activation tf_keras has (relu, relu6, swish, ...) or a keras.layers.ReLU layer; "
                   + WAY_OUT[5:])
            raise UnsupportedModelError(
                f"Layer {_describe(layer)} uses the activation '{value}', which tf_keras (and so TFMOT) does not "
                f"have.{fix}"
            ) from None
        return name
    raise UnsupportedModelError(
        f"Layer {_describe(layer)} uses a custom activation ({value!r}); tf_keras cannot rebuild it from the "
        f"model's config. {WAY_OUT}"
    )


def _translate(layer: Any, config: dict[str, Any], tf_cls: type) -> dict[str, Any]:
    """``layer``'s Keras 3 config in tf_keras' terms (weights are copied later, so initializers are dropped)."""
    out: dict[str, Any] = {}
    for key, value in config.items():
        if key.endswith("_initializer"):
            continue
        if key == "dtype" and isinstance(value, dict):  # a DTypePolicy: tf_keras takes its name
            value = value.get("config", {}).get("name", "float32")
        elif key == "activation":
            value = _activation(layer, value)
        out[key] = plain(value)
    accepted = accepted_keywords(tf_cls)
    for key in [key for key in out if key not in accepted]:
        value = out.pop(key)
        if value not in (None, False, {}, []):  # options left at their off-value have nothing to translate
            raise UnsupportedModelError(
                f"Layer {_describe(layer)} sets {key}={value!r}, which tf_keras' {tf_cls.__name__} does not have. "
                f"{WAY_OUT}"
            )
    return out


def _twin_layer(layer: Any):
    """A new tf_keras layer configured like the Keras 3 ``layer`` (a nested model becomes a nested twin)."""
    import keras
    import tf_keras

    if isinstance(layer, keras.Model):
        return _rebuild(layer)
    module = type(layer).__module__
    name = type(layer).__name__
    if module.startswith("keras.src.ops") or name in ("TFOpLambda", "Lambda"):
        raise UnsupportedModelError(
            f"Layer {_describe(layer)} is an operator or Lambda (e.g. `x + 3.0` or keras.ops on a Keras tensor), "
            "which has no tf_keras layer and no TFMOT support. Fix: use Keras layers for it (keras.layers.Add, "
            "Multiply, Rescaling, ReLU, ...), or build the model in tf_keras and pass that model."
        )
    tf_cls = getattr(tf_keras.layers, name, None)
    if not module.startswith("keras.src.layers") or tf_cls is None:
        raise UnsupportedModelError(
            f"Layer {_describe(layer)} is a custom layer (class from '{module}'); tf_keras cannot rebuild it "
            f"from the model's config, so TFMOT cannot use it. {WAY_OUT}"
        )
    config = _translate(layer, layer.get_config(), tf_cls)
    try:
        return tf_cls.from_config(config)
    except (TypeError, ValueError) as error:
        raise UnsupportedModelError(
            f"tf_keras cannot build layer {_describe(layer)} from its Keras 3 config ({error}). {WAY_OUT}"
        ) from error


def _input(batch_shape: Any, dtype: Any, name: str):
    import tf_keras

    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", "float32")
    return tf_keras.Input(batch_shape=tuple(batch_shape), dtype=dtype or "float32", name=name)


def _rebuild(model: Any):
    """The tf_keras twin's architecture (untrained weights) of a Keras 3 Sequential or functional model."""
    import keras
    import tf_keras

    if not _is_graph_model(model):
        raise UnsupportedModelError(
            f"{type(model).__name__} is a subclassed Keras 3 model: its architecture is Python code in call(), "
            f"not a config, so no tf_keras twin can be rebuilt and TFMOT cannot rewrite it. {WAY_OUT}"
        )
    if isinstance(model, keras.Sequential):
        if not model.built or not model.inputs:
            raise UnsupportedModelError(
                f"The Keras 3 Sequential model '{model.name}' is not built (its input shape is unknown). "
                "Fix: start it with keras.Input(shape=...), or call model.build((None, H, W, C))."
            )
        source = model.inputs[0]
        layers = [tf_keras.Input(batch_shape=tuple(source.shape), dtype=source.dtype, name=f"{model.name}_input")]
        layers += [_twin_layer(layer) for layer in model.layers]
        return tf_keras.Sequential(layers, name=model.name)
    config = model.get_config()
    # operators (`x + 3.0`, keras.ops calls) are operations, not layers: get_layer cannot find them
    operations = {op.name: op for op in getattr(model, "operations", model.layers)}
    tensors: dict[tuple[str, int, int], Any] = {}

    def resolve(value: Any) -> Any:
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return tensors[tuple(value["config"]["keras_history"])]
        if isinstance(value, (list, tuple)):
            return [resolve(item) for item in value]
        if isinstance(value, dict):
            return {key: resolve(item) for key, item in value.items()}
        return value

    for entry in config["layers"]:
        name = entry["name"]
        if entry["class_name"] == "InputLayer":
            tensors[(name, 0, 0)] = _input(entry["config"]["batch_shape"], entry["config"].get("dtype"), name)
            continue
        twin = _twin_layer(operations[name])
        for node_index, node in enumerate(entry["inbound_nodes"]):
            args = resolve(node.get("args", []))
            kwargs = {key: value for key, value in resolve(node.get("kwargs", {})).items() if value is not None}
            outputs = twin(*args, **kwargs)
            flat = outputs if isinstance(outputs, (list, tuple)) else [outputs]
            for tensor_index, tensor in enumerate(flat):
                tensors[(name, node_index, tensor_index)] = tensor

    def endpoints(spec: Any) -> Any:
        if spec and isinstance(spec[0], str):  # a single [name, node, tensor]
            return tensors[tuple(spec)]
        return [tensors[tuple(item)] for item in spec]

    return tf_keras.Model(endpoints(config["input_layers"]), endpoints(config["output_layers"]), name=model.name)


def _copy_weights(source: Any, twin: Any) -> None:
    """Each layer's weights, by layer name (the two Kerases order a model's full weight list differently)."""
    import keras

    for layer in source.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        target = twin.get_layer(layer.name)
        if isinstance(layer, keras.Model):
            _copy_weights(layer, target)
            continue
        weights = layer.get_weights()
        if not weights:
            continue
        shapes, expected = [w.shape for w in weights], [tuple(w.shape) for w in target.weights]
        if shapes != expected:
            raise UnsupportedModelError(
                f"Layer {_describe(layer)} holds weights of shapes {shapes} but its tf_keras twin expects "
                f"{expected}. {WAY_OUT}"
            )
        target.set_weights(weights)
        if hasattr(target, "finalize_state"):  # e.g. Normalization derives mean/variance from the adapted state
            target.finalize_state()


def _check_outputs(source: Any, twin: Any, sample: np.ndarray | None, rtol: float) -> None:
    """Raise unless the twin answers like the original on a few inputs (real ones when ``sample`` is given)."""
    rng = np.random.default_rng(0)
    inputs = [sample[:CHECK_SAMPLES]] if sample is not None else [
        rng.normal(size=(CHECK_SAMPLES, *tensor.shape[1:])).astype(tensor.dtype) for tensor in source.inputs
    ]
    feed = inputs[0] if len(inputs) == 1 else inputs
    expected = source(feed, training=False)
    got = twin(feed, training=False)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    got = got if isinstance(got, (list, tuple)) else [got]
    for ref, out in zip(expected, got, strict=True):
        ref, out = np.asarray(ref), np.asarray(out)
        scale = max(float(np.max(np.abs(ref))), 1e-6)
        diff = float(np.max(np.abs(ref - out)))
        if not diff <= rtol * scale:
            raise UnsupportedModelError(
                f"The tf_keras twin of '{source.name}' does not answer like the original (largest output "
                f"difference {diff:.3g}, {diff / scale:.2e} of the largest output; allowed {rtol:g}). Some layer "
                f"option did not translate. {WAY_OUT}"
            )


def to_tf_keras(model: Any, sample: np.ndarray | None = None, rtol: float = RTOL):
    """A tf_keras twin of a Keras 3 Sequential/functional ``model``; a tf_keras model comes back unchanged.

    Same architecture (rebuilt from the config), same weights (copied layer by layer), same compile settings
    where the model was compiled; its outputs are checked equal to the original's on a few inputs (``sample``,
    or random ones) within ``rtol`` of the largest output before it is returned. A subclassed model, a custom
    layer or an operator layer raises :class:`UnsupportedModelError` naming the layer and the way out.
    """
    import tf_keras

    if isinstance(model, tf_keras.Model):
        return model
    if not is_keras3_model(model):
        raise UnsupportedModelError(
            f"to_tf_keras needs a Keras model (Keras 3 or tf_keras); got {type(model).__name__}. "
            "Fix: load it first, e.g. wu.load_model('mine.keras')."
        )
    twin = _rebuild(model)
    _copy_weights(model, twin)
    _check_outputs(model, twin, None if sample is None else np.asarray(sample, dtype=np.float32), rtol)
    carry_compile(model, twin)
    return twin
