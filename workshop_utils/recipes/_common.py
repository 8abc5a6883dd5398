"""What every recipe shares: input checks, a private copy of the model, layer choice and the fine-tune loop."""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from typing import Any

from ..core.env import fast_mode, set_seeds
from ..data.datasets import Dataset
from ..models.keras_tools import TrainingSetup, UnsupportedModelError, require_tf_keras_model
from ._guard import UnsupportedLayerError

DEFAULT_EPOCHS = 2
FAST_EPOCHS = 1
DEFAULT_BATCH_SIZE = 64
# A small dataset (an epoch shorter than SMALL_EPOCH_STEPS optimizer steps) fine-tunes for at least MIN_STEPS
# steps per stage (FAST_MIN_STEPS in fast mode): on sklearn's digits (1,437 images, 23 steps per epoch) 2 epochs
# of 80% pruning lost 10 points, 6 epochs 5.3, 13 epochs 2.5 (a CNN at 96.4%). The workshop's MNIST sample
# (4,000 images, 63 steps per epoch) keeps 2 epochs (1 fast): the notebooks' stated times stay true.
SMALL_EPOCH_STEPS = 32
MIN_STEPS = 300
FAST_MIN_STEPS = 150


def check_model(model: Any, recipe: str) -> None:
    """Raise a clear error unless ``model`` is a built Sequential or functional tf_keras model."""
    require_tf_keras_model(model, f"recipes.{recipe}")
    import tf_keras

    if not isinstance(model, tf_keras.Sequential) and not getattr(model, "_is_graph_network", False):
        raise UnsupportedModelError(
            f"recipes.{recipe} got a subclassed model ({type(model).__name__}); TFMOT only rewrites Sequential "
            "and functional models, whose layer graph it can clone. Fix: rebuild it as "
            "keras.Sequential([...]) or keras.Model(inputs, outputs) and copy the weights with set_weights()."
        )
    if not model.built:
        raise ValueError(
            f"recipes.{recipe} got a model that is not built (its input shape is unknown). "
            "Fix: start it with keras.layers.InputLayer(input_shape=...) or call model.build((None, H, W, C))."
        )


def bridged(model: Any, dataset: Any = None) -> Any:
    """``model`` itself, or the tf_keras twin of a Keras 3 model (see :func:`wu.to_tf_keras`)."""
    from ..models.bridge import is_keras3_model, to_tf_keras

    if not is_keras3_model(model):
        return model
    try:
        fits = isinstance(dataset, Dataset) and dataset.input_shape == tuple(model.input_shape[1:])
    except (AttributeError, ValueError):  # a subclassed model has no input shape; to_tf_keras explains
        fits = False
    return to_tf_keras(model, sample=dataset.x_test if fits else None)


def check_inputs(model: Any, dataset: Any, recipe: str) -> Any:
    """The model to work on (a Keras 3 model's tf_keras twin) after :func:`check_model`; ``dataset`` must be a
    wu.Dataset whose images fit the model."""
    model = bridged(model, dataset)
    check_model(model, recipe)
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"recipes.{recipe} needs a wu.Dataset as second argument; got {type(dataset).__name__}. "
            "Fix: wu.load_dataset('mnist'), or wrap your arrays: wu.Dataset(x_train, y_train, x_test, y_test)."
        )
    expected = tuple(model.input_shape[1:])
    if expected != dataset.input_shape:
        raise ValueError(
            f"The model takes inputs of shape {expected} but the dataset images are {dataset.input_shape}. "
            "Fix: pass the dataset the model was trained on."
        )
    return model


def default_epochs(n_train: int | None, batch_size: int, fast: bool | None = None) -> int:
    """2 epochs (1 in fast mode); on a small dataset (epochs under SMALL_EPOCH_STEPS steps) enough epochs for
    MIN_STEPS (FAST_MIN_STEPS) optimizer steps."""
    fast = fast_mode() if fast is None else fast
    epochs = FAST_EPOCHS if fast else DEFAULT_EPOCHS
    steps_per_epoch = -(-n_train // batch_size) if n_train else 0
    if 0 < steps_per_epoch < SMALL_EPOCH_STEPS:
        epochs = max(epochs, -(-(FAST_MIN_STEPS if fast else MIN_STEPS) // steps_per_epoch))
    return epochs


def steps_text(n_train: int, batch_size: int, epochs: int) -> str:
    """``"46 fine-tune steps (2 epoch(s) of 23)"``, for messages."""
    per_epoch = -(-n_train // batch_size)
    return f"{per_epoch * epochs} fine-tune steps ({epochs} epoch(s) of {per_epoch})"


def resolve_training(
    epochs: int | None, batch_size: int, learning_rate: float, fast: bool | None = None, n_train: int | None = None,
) -> int:
    """Validate the fine-tune options. ``epochs=None``: :func:`default_epochs` (2, 1 when ``fast``, which None
    reads from WORKSHOP_FAST; more when ``n_train`` images make a small dataset)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer; got {batch_size!r}.")
    if epochs is None:
        epochs = default_epochs(n_train, batch_size, fast)
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer; got {epochs!r}.")
    if not learning_rate > 0:
        raise ValueError(f"learning_rate must be positive; got {learning_rate!r}.")
    return epochs


def resolve_layer_names(model, layers: str | Iterable[str] | None) -> list[str] | None:
    """Check ``layers=`` against the model: None stays None, a single name is allowed, unknown names raise."""
    if layers is None:
        return None
    names = [layers] if isinstance(layers, str) else list(layers)
    known = [layer.name for layer in model.layers]
    if not names:
        raise ValueError(f"layers= is empty. Pass layer names from: {', '.join(known)} (or layers=None for all).")
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(
            f"Unknown layer name(s) {unknown} in layers=. This model's layers are: {', '.join(known)}."
        )
    return list(dict.fromkeys(names))


def choose_layers(
    model,
    names: list[str] | None,
    technique: str,
    problem: Callable[[Any], str | None],
) -> list[str]:
    """Names of the layers to wrap.

    ``names=None``: every layer with weights for which ``problem(layer)`` is None; layers with weights that
    TFMOT cannot handle are skipped with a warning. Explicit ``names``: all must be supported, else
    :class:`UnsupportedLayerError` naming each layer and the reason.
    """
    by_name = {layer.name: layer for layer in model.layers}
    candidates = names if names is not None else [layer.name for layer in model.layers if layer.weights]
    chosen, refused = [], []
    for name in candidates:
        reason = problem(by_name[name])
        if reason is None:
            chosen.append(name)
        else:
            refused.append(f"'{name}' ({type(by_name[name]).__name__}): {reason}")
    if refused and names is not None:
        raise UnsupportedLayerError(
            f"Cannot apply {technique} to layer(s) " + "; ".join(refused)
            + ". Fix: leave them out of layers=, or use layers=None to apply it to every supported layer."
        )
    if refused:
        # one line however many layers (MobileNetV2 has 52 BatchNormalization layers); the same text from the
        # same place is shown once per session, however many stages ask
        warnings.warn(f"Not applying {technique} to {summarize(refused)}.", stacklevel=2)
    if not chosen:
        raise UnsupportedLayerError(
            f"No layer of this model can be given {technique} (layers: {', '.join(by_name)}). "
            "It needs Conv/Dense-like layers with weights."
        )
    return chosen


def summarize(refused: Sequence[str], first: int = 3) -> str:
    """``"'a' (Cls): why; ..."`` items as one short line: a count per reason and the first few layers of each."""
    groups: dict[str, list[str]] = {}
    for item in refused:
        layer, _, reason = item.partition(": ")
        groups.setdefault(reason, []).append(layer)
    parts = []
    for reason, layers in groups.items():
        more = f" and {len(layers) - first} more" if len(layers) > first else ""
        parts.append(f"{len(layers)} layer(s) ({reason}): {', '.join(layers[:first])}{more}")
    return "; ".join(parts)


def wrap_layers(model, chosen: Sequence[str], wrap: Callable[[Any], Any]):
    """A clone of ``model`` where each layer named in ``chosen`` is replaced by ``wrap(layer)``.

    The TFMOT tutorials' "apply to some layers" pattern: clone_model with a clone_function. The other layers
    are reused as they are, so call this on a private copy only.
    """
    import tf_keras

    chosen = set(chosen)
    return tf_keras.models.clone_model(
        model, clone_function=lambda layer: wrap(layer) if layer.name in chosen else layer
    )


class _DropMessages(logging.Filter):
    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefix)


@contextmanager
def hide_tensorflow_log(prefix: str):
    """Drop TensorFlow log records starting with ``prefix`` inside the block (an expected, noisy warning)."""
    logger = logging.getLogger("tensorflow")
    drop = _DropMessages(prefix)
    logger.addFilter(drop)
    try:
        yield
    finally:
        logger.removeFilter(drop)


def fine_tune(
    model,
    dataset: Dataset,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    callbacks: Sequence[Any] = (),
    verbose: int = 0,
    setup: TrainingSetup | None = None,
) -> None:
    """Compile with ``setup`` (the input model's loss and optimizer class; the baseline's Adam and logits loss
    by default) at ``learning_rate`` and train on ``dataset.x_train``."""
    from ..models.keras_tools import compile_classifier

    compile_classifier(model, learning_rate, setup=setup)
    # Cluster-preserving QAT trains centroids and keeps the kernels as derived values, so Keras warns once
    # per step that the kernels get no gradient. That is by design; hide it.
    with hide_tensorflow_log("Gradients do not exist for variables"):
        model.fit(
            dataset.x_train, dataset.y_train, epochs=epochs, batch_size=batch_size, shuffle=True,
            callbacks=list(callbacks), verbose=2 if verbose >= 2 else 0,
        )


@contextmanager
def announce(recipe: str, verbose: int, seed: int):
    """Seed everything, time the block and print one summary line (``verbose=0`` keeps quiet).

    The block fills the yielded dict's "summary" entry with what was done.
    """
    set_seeds(seed)
    info: dict[str, str] = {"summary": ""}
    start = time.perf_counter()
    yield info
    if verbose:
        print(f"{recipe}: {info['summary']} ({time.perf_counter() - start:.1f} s)")
