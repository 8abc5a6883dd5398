"""tf_keras model helpers every stage uses: the Keras-version guard, compile, accuracy, clone."""

from __future__ import annotations

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
            "need tf_keras (Keras 2) models. Fix: `import workshop_utils` before TensorFlow (it sets "
            "TF_USE_LEGACY_KERAS=1) and build the model with `import tf_keras as keras`."
        )
    raise UnsupportedModelError(f"{what} needs a tf_keras.Model; got {type(model).__name__}.")


def compile_classifier(model, learning_rate: float = LEARNING_RATE) -> None:
    """Adam + sparse categorical cross-entropy on logits, the set-up every recipe fine-tunes with."""
    import tf_keras as keras

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )


def keras_accuracy(model, x: np.ndarray, y: np.ndarray, batch_size: int = 512) -> float:
    """Top-1 accuracy of a Keras model, in [0, 1]."""
    logits = model.predict(x, batch_size=batch_size, verbose=0)
    return float(np.mean(np.argmax(logits, axis=-1) == y))


def clone_model(model):
    """An independent copy of a tf_keras model with the same weights (and compiled like the baseline)."""
    import tf_keras

    require_tf_keras_model(model, "clone_model")
    copy = tf_keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    compile_classifier(copy)
    return copy
