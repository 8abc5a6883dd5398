"""A cold comparison trains each stage once: the collaborative recipes take a ready pruned/clustered model."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu
from conftest import pooled_digits
from workshop_utils import recipes
from workshop_utils.comparison import run as compare
from workshop_utils.recipes import collaborative


@pytest.fixture(scope="module")
def tiny() -> wu.Dataset:
    """256/128 real digits pooled to 14x14: every stage trains in a second."""
    return pooled_digits(256, 128, "tiny_stages")


@pytest.fixture(scope="module")
def baseline(tiny):
    wu.set_seeds(0)
    model = wu.build_baseline(tiny.input_shape, tiny.num_classes)
    model.fit(tiny.x_train, tiny.y_train, epochs=1, batch_size=64, verbose=0)
    return model


def _same_weights(a, b) -> bool:
    return all(np.allclose(x, y, atol=1e-5) for x, y in zip(a.get_weights(), b.get_weights(), strict=True))


@pytest.mark.parametrize(("name", "stage", "keyword"), [
    ("pqat", "prune", "pruned"),
    pytest.param("cqat", "cluster", "clustered", marks=pytest.mark.slow),  # about a minute on 2 cores
    pytest.param("pcqat", "prune", "pruned", marks=pytest.mark.slow),
])
def test_given_stage_gives_the_whole_path_result(name, stage, keyword, tiny, baseline):
    whole = recipes.RECIPES[name](baseline, tiny, epochs=1, verbose=0)
    ready = recipes.RECIPES[stage](baseline, tiny, epochs=1, verbose=0)
    shared = recipes.RECIPES[name](baseline, tiny, epochs=1, verbose=0, **{keyword: ready})
    assert _same_weights(whole, shared)


def test_stage_with_its_options_is_refused(tiny, baseline):
    pruned = recipes.prune(baseline, tiny, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="pruned= .* together with target_sparsity"):
        recipes.pqat(baseline, tiny, target_sparsity=0.5, pruned=pruned)
    with pytest.raises(ValueError, match="clustered= .* together with number_of_clusters"):
        recipes.cqat(baseline, tiny, number_of_clusters=8, clustered=pruned)


def test_wrapped_stage_is_refused(tiny, baseline):
    qat_model = recipes.qat(baseline, tiny, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="stripped of TFMOT wrappers"):
        recipes.pcqat(baseline, tiny, pruned=qat_model)


def test_comparison_hands_each_stage_to_the_recipes_that_share_it(tiny, monkeypatch, tmp_path):
    """The wiring, with stand-in recipes (no training): one prune and one cluster feed every row that needs them."""
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    calls: list[tuple[str, dict]] = []

    def stand_in(name):
        def recipe(model, dataset, **options):
            calls.append((name, options))
            return model  # the baseline: converts like any recipe output

        return recipe

    for name in recipes.RECIPES:
        monkeypatch.setitem(recipes.RECIPES, name, stand_in(name))
    only = ["pruned", "clustered", "pqat_int8", "cqat_int8", "pcqat_int8"]
    wu.run_comparison(tiny, only=only, measure_latency=False, log=lambda _: None)
    assert [name for name, _ in calls] == ["prune", "cluster", "pqat", "cqat", "pcqat"]
    options = dict(calls)
    assert set(options["pqat"]) == {"pruned"} and set(options["pcqat"]) == {"pruned"}
    assert set(options["cqat"]) == {"clustered"}
    assert options["pqat"]["pruned"] is options["pcqat"]["pruned"]
    # a recipe with options of its own trains its own stage: nothing is shared with it
    calls.clear()
    wu.run_comparison(tiny, only=["pqat_int8"], measure_latency=False, log=lambda _: None,
                      recipe_options={"pqat": {"target_sparsity": 0.5}})
    assert calls == [("pqat", {"target_sparsity": 0.5})]


@pytest.mark.slow
def test_cold_comparison_trains_each_stage_once(tiny, monkeypatch, tmp_path):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    calls: list[str] = []

    def counting(name, function):
        def wrapper(model, dataset, *args, **options):
            calls.append(name + (" (sparsity kept)" if options.get("preserve_sparsity") else ""))
            return function(model, dataset, *args, **options)

        return wrapper

    prune, cluster = counting("prune", recipes.prune), counting("cluster", recipes.cluster)
    monkeypatch.setitem(recipes.RECIPES, "prune", prune)
    monkeypatch.setitem(recipes.RECIPES, "cluster", cluster)
    monkeypatch.setattr(collaborative, "prune", prune)  # what pqat/pcqat call when not given a stage
    monkeypatch.setattr(collaborative, "cluster", cluster)
    only = ["pruned", "pruned_int8", "clustered", "clustered_int8", "pqat_int8", "cqat_int8", "pcqat_int8"]
    result = wu.run_comparison(tiny, only=only, measure_latency=False, log=lambda _: None)
    assert not any(result.cached.values())
    assert sorted(calls) == ["cluster", "cluster (sparsity kept)", "prune"]


def test_shared_stages_name_real_recipes():
    for technique, stages in compare.SHARED_STAGES.items():
        assert technique in recipes.RECIPES
        for stage, keyword in stages:
            assert stage in recipes.RECIPES
            assert keyword in recipes.RECIPES[technique].__code__.co_varnames
