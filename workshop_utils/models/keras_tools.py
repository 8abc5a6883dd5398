"""tf_keras model helpers every stage uses: the Keras-version guard, compile, accuracy, clone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

LEARNING_RATE = 1e-3


class UnsupportedModelError(TypeError):
    """A model this package (or TFMOT) cannot work with; the message names the fix."""


def require_tf_keras_model(model: Any, what: str = "This function") -> None:
    """Raise a clear error unless ``model`` is a tf_keras (Keras 2) model."""
    import tf_keras

    if isinstance(model, tf_keras.Model):
        return
    module = type(model).__module__
    if module.startswith("keras"):
        raise UnsupportedModelError(
            f"{what} got a Keras 3 model ({type(model).__name__} from '{module}'). TFMOT and this package "
            "need tf_keras (Keras 2) models. Fix: `twin = wu.to_tf_keras(model)` gives a tf_keras twin with the "
            "same architecture and weights; or build the model with `import tf_keras as keras`."
        )
    raise UnsupportedModelError(f"{what} needs a tf_keras.Model; got {type(model).__name__}.")


def outputs_probabilities(model) -> bool:
    """Whether the model ends in a softmax (probabilities) rather than logits; TFMOT wrappers are looked into."""
    import tf_keras

    layer = model.layers[-1]
    layer = getattr(layer, "layer", layer)  # PruneLowMagnitude / ClusterWeights / QuantizeWrapper
    if isinstance(layer, tf_keras.layers.Softmax):
        return True
    activation = getattr(layer, "activation", None)
    activation = getattr(activation, "activation", activation)  # QAT's QuantizeAwareActivation
    return getattr(activation, "__name__", str(activation)) == "softmax"


_CATEGORICAL = ("categorical_crossentropy", "CategoricalCrossentropy")


@dataclass(frozen=True)
class TrainingSetup:
    """How a recipe fine-tunes a model: the user's loss and optimizer class where the model was compiled.

    ``optimizer`` is the user's optimizer (its class and settings are reused at the recipe's learning rate), or
    None for Adam; ``loss`` the user's loss, or sparse categorical cross-entropy (on logits unless the model
    ends in a softmax). One-hot losses become their sparse twins: a Dataset holds integer labels.
    """

    loss: Any
    optimizer: Any = None
    from_user: bool = False

    def describe(self) -> str:
        optimizer = type(self.optimizer).__name__ if self.optimizer is not None else "Adam"
        loss = self.loss if isinstance(self.loss, str) else type(self.loss).__name__
        return f"{optimizer}, {loss}" + (" (the model's own)" if self.from_user else "")

    def compile(self, model, learning_rate: float = LEARNING_RATE) -> None:
        import tf_keras as keras

        if self.optimizer is None:
            optimizer = keras.optimizers.Adam(learning_rate)
        else:
            config = {**self.optimizer.get_config(), "learning_rate": learning_rate}
            optimizer = type(self.optimizer).from_config(config)
        model.compile(optimizer=optimizer, loss=self.loss, metrics=["accuracy"])


def _sparse_loss(loss: Any) -> Any:
    import tf_keras as keras

    if isinstance(loss, str) and loss in _CATEGORICAL:
        return "sparse_categorical_crossentropy"
    if isinstance(loss, keras.losses.CategoricalCrossentropy):
        return keras.losses.SparseCategoricalCrossentropy(from_logits=loss.get_config().get("from_logits", False))
    return loss


def training_setup(model) -> TrainingSetup:
    """The fine-tune set-up for ``model``: its own compile settings where it has them, else the defaults."""
    import tf_keras as keras

    loss, optimizer = getattr(model, "loss", None), getattr(model, "optimizer", None)
    if loss is not None and optimizer is not None and not isinstance(loss, (dict, list, tuple)):
        return TrainingSetup(_sparse_loss(loss), optimizer, from_user=True)
    return TrainingSetup(keras.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(model)))


def compile_classifier(model, learning_rate: float = LEARNING_RATE, setup: TrainingSetup | None = None) -> None:
    """Compile for fine-tuning: ``setup`` (see :func:`training_setup`), by default Adam + sparse categorical
    cross-entropy (on logits unless the model ends in a softmax), the set-up of the workshop's baseline."""
    (setup or training_setup_default(model)).compile(model, learning_rate)


def training_setup_default(model) -> TrainingSetup:
    """The workshop's defaults, whatever ``model`` was compiled with."""
    import tf_keras as keras

    return TrainingSetup(keras.losses.SparseCategoricalCrossentropy(from_logits=not outputs_probabilities(model)))


def keras_accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> float:
    """Top-1 accuracy of a Keras model, in [0, 1]."""
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == y))


def clone_model(model):
    """An independent copy of a tf_keras model with the same weights, compiled with its loss and optimizer class
    (the workshop's defaults when it was not compiled)."""
    import tf_keras

    require_tf_keras_model(model, "clone_model")
    copy = tf_keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    compile_classifier(copy, setup=training_setup(model))
    return copy
