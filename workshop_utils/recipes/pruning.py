"""Magnitude pruning: zero out the smallest weights while fine-tuning, then strip the wrappers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..data.datasets import Dataset
from ..models.keras_tools import clone_model, compile_classifier, training_setup
from ._common import (
    DEFAULT_BATCH_SIZE,
    announce,
    check_inputs,
    choose_layers,
    fine_tune,
    resolve_layer_names,
    resolve_training,
    steps_text,
    wrap_layers,
)
from ._guard import check_drop, tfmot_errors

PRUNE_LEARNING_RATE = 5e-4
DEFAULT_TARGET_SPARSITY = 0.8
END_FRACTION = 0.7  # reach the target after 70% of the steps; the rest lets the network recover
UPDATES = 10  # how many times the mask is recomputed on the way to the target


@dataclass(frozen=True)
class PruningPlan:
    """The pruning schedule of a fine-tune, with the step numbers it was computed from."""

    schedule: Any  # tfmot.sparsity.keras.PolynomialDecay
    steps_per_epoch: int
    total_steps: int
    begin_step: int
    end_step: int
    frequency: int


def pruning_schedule(
    n_train: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
    epochs: int = 2,
    target_sparsity: float = DEFAULT_TARGET_SPARSITY,
    initial_sparsity: float = 0.0,
    end_fraction: float = END_FRACTION,
) -> PruningPlan:
    """A PolynomialDecay that reaches ``target_sparsity`` within a short fine-tune.

    One optimizer step per batch: ``total_steps = ceil(n_train / batch_size) * epochs``. Sparsity ramps from
    ``initial_sparsity`` at step 0 to ``target_sparsity`` at ``end_step`` (about ``end_fraction`` of the
    steps), recomputing the mask every ``frequency`` steps. TFMOT's default frequency of 100 steps would
    never prune in a fine-tune this short, so the frequency is ``end_step // 10``; ``end_step`` is rounded
    down to a multiple of it because masks only update on those steps.
    """
    import tensorflow_model_optimization as tfmot

    if n_train < 1 or batch_size < 1 or epochs < 1:
        raise ValueError(
            f"n_train, batch_size and epochs must be positive; got {n_train}, {batch_size}, {epochs}."
        )
    check_sparsity(target_sparsity, initial_sparsity)
    if not 0.0 < end_fraction <= 1.0:
        raise ValueError(f"end_fraction must be in (0, 1]; got {end_fraction}.")
    steps_per_epoch = -(-n_train // batch_size)
    total_steps = steps_per_epoch * epochs
    last = max(1, int(end_fraction * total_steps))
    frequency = max(1, last // UPDATES)
    end_step = (last // frequency) * frequency
    schedule = tfmot.sparsity.keras.PolynomialDecay(
        initial_sparsity=initial_sparsity, final_sparsity=target_sparsity,
        begin_step=0, end_step=end_step, frequency=frequency,
    )
    return PruningPlan(schedule, steps_per_epoch, total_steps, 0, end_step, frequency)


def check_sparsity(target_sparsity: float, initial_sparsity: float = 0.0) -> None:
    if not 0.0 < target_sparsity < 1.0:
        raise ValueError(f"target_sparsity must be in (0, 1), e.g. 0.8 for 80% zeros; got {target_sparsity}.")
    if not 0.0 <= initial_sparsity < target_sparsity:
        raise ValueError(
            f"initial_sparsity must be in [0, target_sparsity={target_sparsity}); got {initial_sparsity}."
        )


def _check_m_by_n(sparsity_m_by_n: Any) -> tuple[int, int] | None:
    if sparsity_m_by_n is None:
        return None
    try:
        m, n = (int(v) for v in sparsity_m_by_n)
    except (TypeError, ValueError):
        m = n = -1
    if not 0 < m < n:
        raise ValueError(
            f"sparsity_m_by_n must be (m, n) with 0 < m < n: m zeros in every n consecutive weights, "
            f"e.g. (2, 4); got {sparsity_m_by_n!r}."
        )
    return m, n


def _prune_problem(layer) -> str | None:
    """Why TFMOT cannot prune ``layer`` (None when it can)."""
    import tensorflow_model_optimization as tfmot
    from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import PruneRegistry

    if isinstance(layer, tfmot.sparsity.keras.PrunableLayer) or hasattr(layer, "get_prunable_weights"):
        return None
    if not PruneRegistry.supports(layer):
        return "TFMOT has no pruning rule for this layer type (implement tfmot.sparsity.keras.PrunableLayer)"
    if PruneRegistry._LAYERS_WEIGHTS_MAP.get(type(layer), None) == []:  # noqa: SLF001 - no public query
        return "TFMOT prunes none of its weights"
    return None


def prune(
    model,
    dataset: Dataset,
    target_sparsity: float | None = None,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = PRUNE_LEARNING_RATE,
    initial_sparsity: float = 0.0,
    sparsity_m_by_n: tuple[int, int] | None = None,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
    fast: bool | None = None,
):
    """Magnitude-prune ``model`` while fine-tuning on ``dataset``; returns a stripped, compiled copy.

    ``target_sparsity`` (default 0.8) is the fraction of zeros each pruned kernel ends with, reached through
    :func:`pruning_schedule`. ``sparsity_m_by_n=(2, 4)`` prunes in TFMOT's structured pattern instead: 2 zeros
    in every 4 consecutive input-channel weights (sparsity fixed at m/n; kernels with fewer than n input
    channels, like a first conv on grayscale images, stay dense). ``layers`` restricts pruning to those layer
    names; by default every layer TFMOT can prune is pruned. ``epochs`` defaults to 2 (1 when ``fast``; None
    reads WORKSHOP_FAST), more on a small dataset (at least MIN_STEPS optimizer steps). The model's own loss
    and optimizer class are kept where it was compiled. The input model is not changed; a Keras 3 model is
    bridged to its tf_keras twin first.
    """
    import tensorflow_model_optimization as tfmot

    model = check_inputs(model, dataset, "prune")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    m_by_n = _check_m_by_n(sparsity_m_by_n)
    if m_by_n and target_sparsity is not None and abs(target_sparsity - m_by_n[0] / m_by_n[1]) > 1e-9:
        raise ValueError(
            f"sparsity_m_by_n={m_by_n} always gives {m_by_n[0] / m_by_n[1]:.0%} zeros; it conflicts with "
            f"target_sparsity={target_sparsity}. Fix: pass only one of them."
        )
    if target_sparsity is None:
        target_sparsity = m_by_n[0] / m_by_n[1] if m_by_n else DEFAULT_TARGET_SPARSITY
    plan = pruning_schedule(len(dataset.x_train), batch_size, epochs, target_sparsity, initial_sparsity)
    names = resolve_layer_names(model, layers)
    setup = training_setup(model)
    with announce("prune", verbose, seed) as info, tfmot_errors("Pruning", model):
        work = clone_model(model)
        chosen = choose_layers(work, names, "pruning", _prune_problem)
        params = {"pruning_schedule": plan.schedule, "sparsity_m_by_n": m_by_n}
        wrapped = wrap_layers(work, chosen, lambda layer: tfmot.sparsity.keras.prune_low_magnitude(layer, **params))
        fine_tune(wrapped, dataset, epochs, batch_size, learning_rate,
                  callbacks=[tfmot.sparsity.keras.UpdatePruningStep()], verbose=verbose, setup=setup)
        result = tfmot.sparsity.keras.strip_pruning(wrapped)
        pattern = f"{m_by_n[0]}:{m_by_n[1]} pattern" if m_by_n else f"{target_sparsity:.0%} sparsity"
        info["summary"] = (f"{pattern} on {len(chosen)} layer(s) ({', '.join(chosen[:4])}"
                           f"{', ...' if len(chosen) > 4 else ''}); {epochs} epoch(s), lr {learning_rate:g}")
    compile_classifier(result, learning_rate, setup=setup)
    steps = steps_text(len(dataset.x_train), batch_size, epochs)
    lower = "sparsity_m_by_n=None with target_sparsity=0.5" if m_by_n else f"target_sparsity={target_sparsity / 2:g}"
    check_drop("prune", model, result, dataset, f"fine-tune longer (epochs={2 * epochs}) or prune less ({lower})",
               steps)
    return result
