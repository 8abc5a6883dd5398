"""Keras 3 configs in tf_keras' terms: the keywords a class takes, serialized objects without their Keras 3
wrapper, and the compile settings (loss, optimizer class and settings, metrics) carried to a twin."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

# keyword arguments every tf_keras layer accepts besides its own (tf_keras' Layer.__init__ **kwargs)
_BASE_KWARGS = {"name", "trainable", "dtype", "dynamic", "input_dim", "input_shape", "batch_input_shape",
                "batch_size", "autocast", "activity_regularizer", "weights"}


def plain(value: Any) -> Any:
    """A Keras 3 serialized object without its ``module``/``registered_name`` wrapper (tf_keras' format)."""
    if isinstance(value, dict):
        if "class_name" in value and "config" in value:
            return {"class_name": value["class_name"], "config": plain(value["config"])}
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def accepted_keywords(cls: type) -> set[str]:
    """The keyword arguments ``cls`` takes, its base classes' included (subclasses forward ``**kwargs``)."""
    names = set(_BASE_KWARGS)
    for klass in cls.__mro__:
        if "__init__" in vars(klass):
            params = inspect.signature(klass.__init__).parameters
            names |= {name for name, p in params.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
    return names


def _keyword_subset(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    accepted = accepted_keywords(cls)
    return {key: value for key, value in plain(config).items()
            if key in accepted and value is not None and not isinstance(value, dict)}


def _tf_keras_object(module: Any, spec: Any) -> Any:
    """A tf_keras loss/metric/optimizer from a Keras 3 serialized one (a name string or a class dict)."""
    if isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        name, config = spec.get("class_name"), spec.get("config")
        if name == "function" and isinstance(config, str):  # a loss or metric given as a function
            return config
        cls = getattr(module, name, None) if isinstance(name, str) else None
        if isinstance(cls, type) and isinstance(config, dict):
            return cls(**_keyword_subset(cls, config))
    raise ValueError(f"no tf_keras equivalent for {spec!r}")


def _optimizer(spec: Any):
    import tf_keras

    if isinstance(spec, str):
        return tf_keras.optimizers.get(spec)
    cls = getattr(tf_keras.optimizers, spec.get("class_name", ""), None)
    if not isinstance(cls, type):
        raise ValueError(f"no tf_keras optimizer {spec.get('class_name')!r}")
    config = spec.get("config", {})
    kwargs = _keyword_subset(cls, config)
    rate = config.get("learning_rate")
    if isinstance(rate, dict):  # a learning-rate schedule
        kwargs["learning_rate"] = tf_keras.optimizers.schedules.deserialize(plain(rate))
    kwargs.pop("name", None)
    return cls(**kwargs)


def carry_compile(source: Any, twin: Any) -> None:
    """Compile the twin with the original's loss, optimizer (class and settings) and metrics, where set."""
    import tf_keras

    config = source.get_compile_config() if getattr(source, "compiled", False) else None
    if not config or config.get("loss") is None or config.get("optimizer") is None:
        return
    try:
        metrics = config.get("metrics") or []
        metrics = metrics if isinstance(metrics, list) else [metrics]
        twin.compile(
            optimizer=_optimizer(config["optimizer"]),
            loss=_tf_keras_object(tf_keras.losses, config["loss"]),
            metrics=[_tf_keras_object(tf_keras.metrics, m) for m in metrics],
        )
    except (TypeError, ValueError, KeyError) as error:
        warnings.warn(
            f"Could not carry the compile settings of '{source.name}' to its tf_keras twin ({error}); the recipes "
            "will fine-tune it with the workshop's defaults (Adam, sparse categorical cross-entropy).",
            stacklevel=3,
        )
