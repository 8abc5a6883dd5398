"""Collaborative optimization: prune and/or cluster, then QAT that preserves the zeros and shared values.

Plain QAT would move every weight again and undo the sparsity or clustering; TFMOT's "preserve" schemes
keep the zero mask and the cluster assignments fixed while the model learns to tolerate 8 bits.

Each recipe runs its whole path from the trained dense model, or starts from a stage you already have:
``pqat(model, ds, pruned=p)`` and ``pcqat(model, ds, pruned=p)`` skip the pruning with ``p = prune(model, ds)``,
``cqat(model, ds, clustered=c)`` skips the clustering with ``c = cluster(model, ds)``. Every stage starts from
the same seed, so the result equals the whole-path call with the same options (``compare`` trains each stage
once this way).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.env import set_seeds
from ..data.datasets import Dataset
from ._common import DEFAULT_BATCH_SIZE, announce, check_inputs, resolve_layer_names, resolve_training, steps_text
from ._guard import check_drop, stages
from .clustering import DEFAULT_CLUSTERS, DEFAULT_INIT, cluster
from .pruning import prune
from .quantization import QAT_LEARNING_RATE, quantize_and_fine_tune

_WRAPPER_CLASSES = ("PruneLowMagnitude", "ClusterWeights", "ClusterWeightsMHA", "QuantizeWrapper",
                    "QuantizeWrapperV2", "QuantizeLayer")


def check_stage(stage: Any, dataset: Dataset, recipe: str, keyword: str, stage_options: dict[str, Any]) -> None:
    """A given stage model must be a stripped tf_keras model for ``dataset``, passed without the stage's options."""
    given = [name for name, value in stage_options.items() if value is not None]
    if given:
        raise ValueError(
            f"recipes.{recipe} got {keyword}= (a finished stage) together with {', '.join(given)}, which only "
            f"configure the stage it skips. Fix: pass those options to the stage's own recipe, or drop {keyword}=."
        )
    check_inputs(stage, dataset, recipe)
    wrapped = [layer.name for layer in stage.layers if type(layer).__name__ in _WRAPPER_CLASSES]
    if wrapped:
        raise ValueError(
            f"recipes.{recipe} needs {keyword}= stripped of TFMOT wrappers; layer(s) {wrapped} are still wrapped. "
            "Fix: pass the output of wu.recipes.prune / wu.recipes.cluster (they strip), or strip_pruning / "
            "strip_clustering yourself."
        )


def _prune_preserve_scheme():
    import tensorflow_model_optimization as tfmot

    return tfmot.quantization.keras.collab_opts.Default8BitPrunePreserveQuantizeScheme()


def _cluster_preserve_scheme(preserve_sparsity: bool):
    import tensorflow_model_optimization as tfmot

    # Note: this scheme's own default is preserve_sparsity=True, so plain CQAT must pass False.
    return tfmot.experimental.combine.Default8BitClusterPreserveQuantizeScheme(preserve_sparsity=preserve_sparsity)


def pqat(
    model,
    dataset: Dataset,
    target_sparsity: float | None = None,
    sparsity_m_by_n: tuple[int, int] | None = None,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = QAT_LEARNING_RATE,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
    pruned: Any = None,
    fast: bool | None = None,
):
    """Prune (see :func:`prune`), then sparsity-preserving QAT; returns the QAT model.

    ``epochs`` applies to each stage; ``learning_rate`` to the QAT stage (pruning uses its own default).
    ``pruned``: an already pruned model (``prune(model, dataset, ...)``) to start the QAT stage from instead
    of pruning again.
    """
    model = check_inputs(model, dataset, "pqat")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    names = resolve_layer_names(model, layers)
    if pruned is not None:
        check_stage(pruned, dataset, "pqat", "pruned",
                    {"target_sparsity": target_sparsity, "sparsity_m_by_n": sparsity_m_by_n})
    with announce("pqat", verbose, seed) as info, stages():
        if pruned is None:
            pruned = prune(model, dataset, target_sparsity, epochs=epochs, batch_size=batch_size,
                           sparsity_m_by_n=sparsity_m_by_n, layers=names, seed=seed, verbose=verbose)
            info["summary"] = "pruned, then sparsity-preserving QAT"
        else:
            info["summary"] = "the given pruned model, then sparsity-preserving QAT"
        set_seeds(seed)  # the QAT stage starts from the same seed whether the pruning ran here or not
        result = quantize_and_fine_tune(pruned, dataset, names, _prune_preserve_scheme(),
                                        epochs, batch_size, learning_rate, verbose)
    check_drop("pqat", model, result, dataset, f"fine-tune longer (epochs={2 * epochs}, per stage) or prune less "
               "(target_sparsity=0.5)", steps_text(len(dataset.x_train), batch_size, epochs) + " per stage")
    return result


def cqat(
    model,
    dataset: Dataset,
    number_of_clusters: int = DEFAULT_CLUSTERS,
    init: str = DEFAULT_INIT,
    per_channel: bool = False,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = QAT_LEARNING_RATE,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
    clustered: Any = None,
    fast: bool | None = None,
):
    """Cluster (see :func:`cluster`), then cluster-preserving QAT; returns the QAT model.

    ``epochs`` applies to each stage; ``learning_rate`` to the QAT stage (clustering uses its own default).
    ``clustered``: an already clustered model (``cluster(model, dataset, ...)``) to start the QAT stage from
    instead of clustering again (then leave number_of_clusters, init and per_channel at their defaults).
    """
    model = check_inputs(model, dataset, "cqat")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    names = resolve_layer_names(model, layers)
    if clustered is not None:
        changed = {"number_of_clusters": number_of_clusters if number_of_clusters != DEFAULT_CLUSTERS else None,
                   "init": init if init != DEFAULT_INIT else None, "per_channel": per_channel or None}
        check_stage(clustered, dataset, "cqat", "clustered", changed)
    with announce("cqat", verbose, seed) as info, stages():
        if clustered is None:
            clustered = cluster(model, dataset, number_of_clusters, init=init, per_channel=per_channel,
                                epochs=epochs, batch_size=batch_size, layers=names, seed=seed, verbose=verbose)
            info["summary"] = "clustered, then cluster-preserving QAT"
        else:
            info["summary"] = "the given clustered model, then cluster-preserving QAT"
        set_seeds(seed)  # the QAT stage starts from the same seed whether the clustering ran here or not
        result = quantize_and_fine_tune(clustered, dataset, names, _cluster_preserve_scheme(False),
                                        epochs, batch_size, learning_rate, verbose)
    check_drop("cqat", model, result, dataset, f"fine-tune longer (epochs={2 * epochs}, per stage) or keep more "
               f"clusters (number_of_clusters={2 * number_of_clusters})",
               steps_text(len(dataset.x_train), batch_size, epochs) + " per stage")
    return result


def pcqat(
    model,
    dataset: Dataset,
    target_sparsity: float | None = None,
    number_of_clusters: int = DEFAULT_CLUSTERS,
    init: str = DEFAULT_INIT,
    per_channel: bool = False,
    sparsity_m_by_n: tuple[int, int] | None = None,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = QAT_LEARNING_RATE,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
    pruned: Any = None,
    fast: bool | None = None,
):
    """Prune, then sparsity-preserving clustering, then sparsity- and cluster-preserving QAT.

    ``epochs`` applies to each of the three stages; ``learning_rate`` to the QAT stage. ``pruned``: an
    already pruned model (``prune(model, dataset, ...)``) to start the clustering stage from instead of
    pruning again (the sparsity-preserving clustering is this recipe's own stage and always runs).
    """
    model = check_inputs(model, dataset, "pcqat")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    names = resolve_layer_names(model, layers)
    if pruned is not None:
        check_stage(pruned, dataset, "pcqat", "pruned",
                    {"target_sparsity": target_sparsity, "sparsity_m_by_n": sparsity_m_by_n})
    with announce("pcqat", verbose, seed) as info, stages():
        start = "pruned" if pruned is None else "the given pruned model"
        if pruned is None:
            pruned = prune(model, dataset, target_sparsity, epochs=epochs, batch_size=batch_size,
                           sparsity_m_by_n=sparsity_m_by_n, layers=names, seed=seed, verbose=verbose)
        clustered = cluster(pruned, dataset, number_of_clusters, init=init, per_channel=per_channel,
                            preserve_sparsity=True, epochs=epochs, batch_size=batch_size, layers=names,
                            seed=seed, verbose=verbose)
        set_seeds(seed)  # the QAT stage starts from the same seed however the earlier stages were obtained
        result = quantize_and_fine_tune(clustered, dataset, names, _cluster_preserve_scheme(True),
                                        epochs, batch_size, learning_rate, verbose)
        info["summary"] = f"{start}, clustered (sparsity kept), then sparsity- and cluster-preserving QAT"
    check_drop("pcqat", model, result, dataset, f"fine-tune longer (epochs={2 * epochs}, per stage), prune less "
               f"(target_sparsity=0.5) or keep more clusters (number_of_clusters={2 * number_of_clusters})",
               steps_text(len(dataset.x_train), batch_size, epochs) + " per stage")
    return result
