"""Collaborative optimization: prune and/or cluster, then QAT that preserves the zeros and shared values.

Plain QAT would move every weight again and undo the sparsity or clustering; TFMOT's "preserve" schemes
keep the zero mask and the cluster assignments fixed while the model learns to tolerate 8 bits.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..data import Dataset
from ._common import DEFAULT_BATCH_SIZE, announce, check_inputs, resolve_layer_names, resolve_training
from .clustering import DEFAULT_CLUSTERS, DEFAULT_INIT, cluster
from .pruning import prune
from .quantization import QAT_LEARNING_RATE, quantize_and_fine_tune


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
):
    """Prune (see :func:`prune`), then sparsity-preserving QAT; returns the QAT model.

    ``epochs`` applies to each stage; ``learning_rate`` to the QAT stage (pruning uses its own default).
    """
    check_inputs(model, dataset, "pqat")
    epochs = resolve_training(epochs, batch_size, learning_rate)
    names = resolve_layer_names(model, layers)
    with announce("pqat", verbose, seed) as info:
        pruned = prune(model, dataset, target_sparsity, epochs=epochs, batch_size=batch_size,
                       sparsity_m_by_n=sparsity_m_by_n, layers=names, seed=seed, verbose=verbose)
        result = quantize_and_fine_tune(pruned, dataset, names, _prune_preserve_scheme(),
                                        epochs, batch_size, learning_rate, verbose)
        info["summary"] = "pruned, then sparsity-preserving QAT"
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
):
    """Cluster (see :func:`cluster`), then cluster-preserving QAT; returns the QAT model.

    ``epochs`` applies to each stage; ``learning_rate`` to the QAT stage (clustering uses its own default).
    """
    check_inputs(model, dataset, "cqat")
    epochs = resolve_training(epochs, batch_size, learning_rate)
    names = resolve_layer_names(model, layers)
    with announce("cqat", verbose, seed) as info:
        clustered = cluster(model, dataset, number_of_clusters, init=init, per_channel=per_channel,
                            epochs=epochs, batch_size=batch_size, layers=names, seed=seed, verbose=verbose)
        result = quantize_and_fine_tune(clustered, dataset, names, _cluster_preserve_scheme(False),
                                        epochs, batch_size, learning_rate, verbose)
        info["summary"] = "clustered, then cluster-preserving QAT"
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
):
    """Prune, then sparsity-preserving clustering, then sparsity- and cluster-preserving QAT.

    ``epochs`` applies to each of the three stages; ``learning_rate`` to the QAT stage.
    """
    check_inputs(model, dataset, "pcqat")
    epochs = resolve_training(epochs, batch_size, learning_rate)
    names = resolve_layer_names(model, layers)
    with announce("pcqat", verbose, seed) as info:
        pruned = prune(model, dataset, target_sparsity, epochs=epochs, batch_size=batch_size,
                       sparsity_m_by_n=sparsity_m_by_n, layers=names, seed=seed, verbose=verbose)
        clustered = cluster(pruned, dataset, number_of_clusters, init=init, per_channel=per_channel,
                            preserve_sparsity=True, epochs=epochs, batch_size=batch_size, layers=names,
                            seed=seed, verbose=verbose)
        result = quantize_and_fine_tune(clustered, dataset, names, _cluster_preserve_scheme(True),
                                        epochs, batch_size, learning_rate, verbose)
        info["summary"] = "pruned, clustered (sparsity kept), then sparsity- and cluster-preserving QAT"
    return result
