"""Weight clustering: share a few values (centroids) per kernel, fine-tune them, then strip the wrappers."""

from __future__ import annotations

from collections.abc import Iterable
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

CLUSTER_LEARNING_RATE = 1e-4
DEFAULT_CLUSTERS = 16
# TFMOT's API default is k-means++, but its clustering tutorial uses LINEAR: centroids spread evenly over the
# weight range leave most weights in a few central clusters, which zips smaller at the same accuracy
# (measured on the offline MNIST sample: int8 7.0x vs 6.0x smaller than float32, both within 0.5 point).
DEFAULT_INIT = "linear"
INITS = ("kmeans_plus_plus", "linear", "density_based", "random")


def centroid_initialization(init: Any):
    """``"kmeans_plus_plus"``, ``"linear"``, ``"density_based"`` or ``"random"`` as a CentroidInitialization."""
    import tensorflow_model_optimization as tfmot

    enum = tfmot.clustering.keras.CentroidInitialization
    if isinstance(init, enum):
        return init
    if isinstance(init, str) and init.lower() in INITS:
        return enum[init.upper()]
    raise ValueError(f"Unknown centroid init {init!r}. Choose one of {', '.join(INITS)}.")


def _cluster_problem(number_of_clusters: int, per_channel: bool):
    import tensorflow_model_optimization as tfmot
    import tf_keras
    from tensorflow_model_optimization.python.core.clustering.keras.cluster import (
        layer_has_enough_weights_to_cluster,
    )
    from tensorflow_model_optimization.python.core.clustering.keras.clustering_registry import (
        ClusteringRegistry,
    )

    def problem(layer) -> str | None:
        if isinstance(layer, tfmot.clustering.keras.ClusterableLayer):
            return None
        if not ClusteringRegistry.supports(layer):
            return "TFMOT has no clustering rule for this layer type (implement ClusterableLayer)"
        if ClusteringRegistry._LAYERS_WEIGHTS_MAP.get(type(layer), None) == []:  # noqa: SLF001 - no public query
            return "TFMOT clusters none of its weights"
        # TFMOT silently leaves such Conv2D layers unclustered; say so instead.
        if isinstance(layer, tf_keras.layers.Conv2D) and not layer_has_enough_weights_to_cluster(
            layer, number_of_clusters, per_channel
        ):
            return f"too few weights for {number_of_clusters} clusters" + (" per channel" if per_channel else "")
        return None

    return problem


def cluster(
    model,
    dataset: Dataset,
    number_of_clusters: int = DEFAULT_CLUSTERS,
    init: str = DEFAULT_INIT,
    per_channel: bool = False,
    preserve_sparsity: bool = False,
    epochs: int | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    learning_rate: float = CLUSTER_LEARNING_RATE,
    layers: str | Iterable[str] | None = None,
    seed: int = 0,
    verbose: int = 1,
    fast: bool | None = None,
):
    """Cluster the weights of ``model`` and fine-tune the centroids on ``dataset``; returns a stripped copy.

    Each clustered kernel ends with at most ``number_of_clusters`` distinct values (per output channel with
    ``per_channel=True``, which only changes Conv2D layers). ``init`` picks the centroid initialization:
    "linear" (default, see ``DEFAULT_INIT``), "kmeans_plus_plus" (TFMOT's default), "density_based", "random".
    ``preserve_sparsity=True`` keeps the zeros of a pruned model at zero (the zero centroid is fixed).
    ``layers`` restricts clustering to those names; by default every layer TFMOT can cluster is clustered.
    ``epochs`` defaults to 2 (1 when ``fast``; None reads WORKSHOP_FAST), more on a small dataset (at least
    MIN_STEPS optimizer steps). The model's own loss and optimizer class are kept where it was compiled. The
    input model is not changed; a Keras 3 model is bridged to its tf_keras twin first.
    """
    import tensorflow_model_optimization as tfmot

    # The variant with preserve_sparsity and cluster_per_channel; `tfmot.clustering.keras.experimental`
    # does not import this submodule itself, so the attribute path fails without this import.
    from tensorflow_model_optimization.python.core.clustering.keras.experimental import (
        cluster as experimental_cluster,
    )

    model = check_inputs(model, dataset, "cluster")
    epochs = resolve_training(epochs, batch_size, learning_rate, fast, len(dataset.x_train))
    minimum = 3 if preserve_sparsity else 2  # TFMOT: > 2 with sparsity preservation (0 is one of them)
    if not isinstance(number_of_clusters, int) or number_of_clusters < minimum:
        raise ValueError(f"number_of_clusters must be an integer >= {minimum}; got {number_of_clusters!r}.")
    init_enum = centroid_initialization(init)
    names = resolve_layer_names(model, layers)
    setup = training_setup(model)
    with announce("cluster", verbose, seed) as info, tfmot_errors("Clustering", model):
        work = clone_model(model)  # cluster_weights wraps (and changes) the layers of the model it is given
        chosen = choose_layers(work, names, "clustering", _cluster_problem(number_of_clusters, per_channel))
        params = {
            "number_of_clusters": number_of_clusters,
            "cluster_centroids_init": init_enum,
            "cluster_per_channel": per_channel,
            "preserve_sparsity": preserve_sparsity,
        }
        wrapped = wrap_layers(work, chosen, lambda layer: experimental_cluster.cluster_weights(layer, **params))
        fine_tune(wrapped, dataset, epochs, batch_size, learning_rate, verbose=verbose, setup=setup)
        result = tfmot.clustering.keras.strip_clustering(wrapped)
        extra = (", per channel" if per_channel else "") + (", sparsity preserved" if preserve_sparsity else "")
        info["summary"] = (
            f"{number_of_clusters} clusters ({init_enum.name.lower()}{extra}) on {len(chosen)} layer(s) "
            f"({', '.join(chosen[:4])}{', ...' if len(chosen) > 4 else ''}); {epochs} epoch(s), lr {learning_rate:g}"
        )
    compile_classifier(result, learning_rate, setup=setup)
    check_drop("cluster", model, result, dataset,
               f"fine-tune longer (epochs={2 * epochs}) or keep more clusters "
               f"(number_of_clusters={2 * number_of_clusters})", steps_text(len(dataset.x_train), batch_size, epochs))
    return result
