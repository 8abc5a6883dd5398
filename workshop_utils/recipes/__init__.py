"""Technique recipes: one call turns a trained tf_keras model into a pruned / clustered / QAT model.

Every recipe takes ``(model, dataset, **options)``, never changes its input, fine-tunes briefly with fixed
seeds and returns a compiled model ready for ``wu.to_tflite``. Recipes never convert; converters never train.

Options every recipe takes: ``epochs`` (default 2, 1 when ``fast``; on a small dataset, with epochs under
``SMALL_EPOCH_STEPS`` steps, enough for ``MIN_STEPS`` optimizer steps; for pqat/cqat/pcqat: per stage),
``fast`` (None reads WORKSHOP_FAST), ``batch_size=64``, ``learning_rate``, ``layers`` (layer names to restrict
the technique to; default: every layer TFMOT supports), ``seed=0`` and ``verbose`` (0 silent, 1 one summary
line, 2 also Keras' epoch lines). A recipe fine-tunes with the model's own loss and optimizer class where it
was compiled (else Adam and sparse categorical cross-entropy), bridges a Keras 3 model to its tf_keras twin,
and warns (``AccuracyDropWarning``) when its model loses more than 2 points of test accuracy, naming the
option to turn. Models TFMOT cannot handle (subclassed, unsupported layers, any TFMOT failure) raise an error
naming the layer and the fix.

>>> pruned = wu.recipes.prune(baseline, ds, target_sparsity=0.8)
>>> qat_model = wu.recipes.RECIPES["qat"](baseline, ds)
"""

from ._common import FAST_MIN_STEPS, MIN_STEPS, SMALL_EPOCH_STEPS
from ._guard import AccuracyDropWarning, UnsupportedLayerError
from .clustering import centroid_initialization, cluster
from .collaborative import cqat, pcqat, pqat
from .pruning import PruningPlan, prune, pruning_schedule
from .quantization import qat, quantize_aware_model

RECIPES = {"qat": qat, "prune": prune, "cluster": cluster, "pqat": pqat, "cqat": cqat, "pcqat": pcqat}

__all__ = [
    "FAST_MIN_STEPS", "MIN_STEPS", "RECIPES", "SMALL_EPOCH_STEPS", "AccuracyDropWarning", "PruningPlan",
    "UnsupportedLayerError",
    "centroid_initialization", "cluster", "cqat", "pcqat",
    "pqat", "prune", "pruning_schedule", "qat", "quantize_aware_model",
]
