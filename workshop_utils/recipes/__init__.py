"""Technique recipes: one call turns a trained tf_keras model into a pruned / clustered / QAT model.

Every recipe takes ``(model, dataset, **options)``, never changes its input, fine-tunes briefly with fixed
seeds and returns a compiled model ready for ``wu.to_tflite``. Recipes never convert; converters never train.

Options every recipe takes: ``epochs`` (default 2, 1 in fast mode; for pqat/cqat/pcqat: per stage),
``batch_size=64``, ``learning_rate``, ``layers`` (layer names to restrict the technique to; default: every
layer TFMOT supports), ``seed=0`` and ``verbose`` (0 silent, 1 one summary line, 2 also Keras' epoch lines).
Models TFMOT cannot handle (Keras 3, subclassed, unsupported layers) raise an error naming the fix.

>>> pruned = wu.recipes.prune(baseline, ds, target_sparsity=0.8)
>>> qat_model = wu.recipes.RECIPES["qat"](baseline, ds)
"""

from ._common import UnsupportedLayerError
from .clustering import centroid_initialization, cluster
from .collaborative import cqat, pcqat, pqat
from .pruning import PruningPlan, prune, pruning_schedule
from .quantization import qat, quantize_aware_model

RECIPES = {"qat": qat, "prune": prune, "cluster": cluster, "pqat": pqat, "cqat": cqat, "pcqat": pcqat}

__all__ = [
    "RECIPES", "PruningPlan", "UnsupportedLayerError", "centroid_initialization", "cluster", "cqat", "pcqat",
    "pqat", "prune", "pruning_schedule", "qat", "quantize_aware_model",
]
