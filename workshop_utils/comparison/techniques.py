"""The technique rows' models: a recipe per technique, stages shared between recipes, failures as notes."""

from __future__ import annotations

import functools
import inspect
import os
import re
from collections.abc import Callable
from typing import Any

from ..data.datasets import Dataset
from ..models.keras_tools import UnsupportedModelError

NOTE_CHARS = 400  # a row note longer than this is cut (a whole traceback helps no one in a table)

# Stages a collaborative recipe can take ready-made (technique -> (stage technique, recipe keyword)), so a cold
# run trains each stage once: pruning for pruned*, pqat and pcqat; clustering for clustered* and cqat.
SHARED_STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "pqat": (("prune", "pruned"),), "cqat": (("cluster", "clustered"),), "pcqat": (("prune", "pruned"),),
}


def _recipe_call(technique: str, fast: bool | None) -> Callable[..., Any]:
    """``RECIPES[technique]``, told ``fast`` when the caller set it (a recipe without the keyword reads
    ``WORKSHOP_FAST``, set for the call)."""
    from ..recipes import RECIPES

    recipe = RECIPES[technique]
    if fast is None:
        return recipe
    if "fast" in inspect.signature(recipe).parameters:
        return functools.partial(recipe, fast=fast)

    def with_fast_env(*args: Any, **kwargs: Any) -> Any:
        previous = os.environ.get("WORKSHOP_FAST")
        os.environ["WORKSHOP_FAST"] = "1" if fast else "0"
        try:
            return recipe(*args, **kwargs)
        finally:
            if previous is None:
                os.environ.pop("WORKSHOP_FAST", None)
            else:
                os.environ["WORKSHOP_FAST"] = previous

    return with_fast_env


def technique_model(
    technique: str, baseline, dataset: Dataset, recipe_options: dict[str, Any], stages: dict[str, Any] | None = None,
    fast: bool | None = None,
):
    """The row's Keras model. ``stages`` (technique -> model, filled here) shares a stage between recipes.

    A stage is shared only when neither recipe has options, so the shared model is exactly the one the
    recipe would train itself (the recipes seed every stage alike): the rows' cache keys stay valid.
    """
    if technique == "baseline":
        return baseline
    options = dict(recipe_options.get(technique, {}))
    if stages is not None and not options:
        for stage, keyword in SHARED_STAGES.get(technique, ()):
            if not recipe_options.get(stage):
                if stage not in stages:
                    stages[stage] = _recipe_call(stage, fast)(baseline, dataset)
                options[keyword] = stages[stage]
    return _recipe_call(technique, fast)(baseline, dataset, **options)


def _once(message: str) -> str:
    """``message`` with each repeated sentence kept once (the converter repeats one line per op it refuses)."""
    sentences = re.split(r"(?<=[.!?])\s+", message)
    kept = list(dict.fromkeys(sentences))
    if len(kept) == len(sentences):
        return message
    return " ".join(kept) + f" ({len(sentences) - len(kept)} repeats left out)"


def failure_note(what: str, error: BaseException, fix: str | None = None) -> str:
    """A row note for a step that failed on this model: the recipe's own message for an
    :class:`UnsupportedModelError` (it names the layer and the fix), else the error's type and message and
    ``fix`` (default: restrict the technique ``what`` to the layers it supports, or leave its rows out)."""
    message = _once(" ".join(str(error).split())) or type(error).__name__
    if len(message) > NOTE_CHARS:
        message = message[: NOTE_CHARS - 1] + "…"
    if isinstance(error, UnsupportedModelError):
        return f"{what} not applied: {message}"
    fix = fix or (f"restrict it to the layers it supports (recipe_options={{'{what}': {{'layers': [...]}}}}) "
                  "or leave its rows out with --only")
    return f"{what} failed ({type(error).__name__}: {message}). Fix: {fix}."
