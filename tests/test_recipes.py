"""Unit tests for workshop_utils.recipes: every recipe on a tiny model, 1 epoch, plus the error paths."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu  # must come before TensorFlow: it switches to tf_keras (Keras 2)
from conftest import pooled_digits

# isort: split
import tf_keras

from workshop_utils import recipes
from workshop_utils.measurement import inspect_weights
from workshop_utils.models.keras_tools import UnsupportedModelError, compile_classifier

CLUSTERS = 8


class Scale(tf_keras.layers.Layer):
    """A custom layer with a weight: no TFMOT technique knows it."""

    def build(self, input_shape):
        self.factor = self.add_weight("factor", shape=(), initializer="ones")

    def call(self, inputs):
        return inputs * self.factor


@pytest.fixture(scope="module")
def tiny() -> wu.Dataset:
    """512/256 real digits from the offline sample, average-pooled to 14x14 so everything stays small."""
    return pooled_digits(512, 256, "tiny")


@pytest.fixture(scope="module")
def baseline(tiny):
    model = wu.build_baseline(tiny.input_shape, tiny.num_classes)
    model.fit(tiny.x_train, tiny.y_train, epochs=1, batch_size=64, verbose=0)
    return model


@pytest.fixture(scope="module")
def run(tiny, baseline):
    """Run a recipe once per option set (1 epoch), check the input model is untouched, cache the result."""
    cache = {}

    def _run(name: str, **options):
        key = (name, repr(sorted(options.items())))
        if key not in cache:
            before = [w.copy() for w in baseline.get_weights()]
            cache[key] = recipes.RECIPES[name](baseline, tiny, epochs=1, verbose=0, **options)
            unchanged = all(np.array_equal(a, b) for a, b in zip(before, baseline.get_weights(), strict=True))
            assert unchanged, f"{name} changed its input model"
        return cache[key]

    return _run


def _sparsity(model) -> dict[str, float]:
    table = inspect_weights.kernel_sparsity(model)
    return dict(zip(table["layer"], table["sparsity"], strict=True))


@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_recipe_returns_compiled_model_and_leaves_input_alone(name, run, tiny, baseline):
    model = run(name)
    assert model is not baseline
    loss, accuracy = model.evaluate(tiny.x_test, tiny.y_test, verbose=0)
    assert np.isfinite(loss) and 0.0 <= accuracy <= 1.0
    names = " ".join(layer.name for layer in model.layers)
    assert "prune_low_magnitude" not in names and "cluster_" not in names, "wrappers must be stripped"
    if name in ("qat", "pqat", "cqat", "pcqat"):
        assert "quant_" in names, "QAT models keep the quantize wrappers (as from quantize_apply)"


def test_prune_reaches_target_sparsity(run):
    sparsity = _sparsity(run("prune"))  # default target: 0.8
    assert len(sparsity) == 4
    for layer, value in sparsity.items():
        assert abs(value - 0.8) <= 0.02, f"{layer}: {value:.3f} vs target 0.8"


def test_prune_two_by_four_pattern(run):
    sparsity = _sparsity(pruned := run("prune", sparsity_m_by_n=(2, 4)))
    for layer, kernel in inspect_weights._kernels(pruned):
        assert inspect_weights.m_by_n_pattern_holds(kernel, 2, 4), layer
    # conv1 sees one input channel: groups of 4 along C_in are just padding, so it stays dense
    assert sparsity["conv1"] == 0.0
    for layer in ("conv2", "dense", "logits"):
        assert abs(sparsity[layer] - 0.5) <= 0.02


def test_prune_only_named_layers(run):
    sparsity = _sparsity(run("prune", layers=["dense"]))
    assert abs(sparsity["dense"] - 0.8) <= 0.02
    assert sparsity["conv1"] == sparsity["conv2"] == sparsity["logits"] == 0.0


def test_pruning_schedule_reaches_target_on_a_pruning_step():
    plan = recipes.pruning_schedule(n_train=4000, batch_size=64, epochs=2, target_sparsity=0.8)
    assert (plan.steps_per_epoch, plan.total_steps) == (63, 126)
    assert plan.begin_step == 0 and 0 < plan.end_step <= plan.total_steps
    assert plan.end_step % plan.frequency == 0 and plan.frequency < 100
    should_prune, sparsity = plan.schedule(plan.end_step)
    assert bool(should_prune) and abs(float(sparsity) - 0.8) < 1e-6
    tiny_plan = recipes.pruning_schedule(n_train=10, batch_size=64, epochs=1, target_sparsity=0.5)
    assert tiny_plan.end_step == tiny_plan.frequency == 1


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"target_sparsity": 1.0}, "target_sparsity must be in"),
        ({"target_sparsity": 0.5, "initial_sparsity": 0.6}, "initial_sparsity"),
        ({"n_train": 0}, "must be positive"),
        ({"end_fraction": 0.0}, "end_fraction"),
    ],
)
def test_pruning_schedule_bad_input(options, message):
    arguments = {"n_train": 100, **options}
    with pytest.raises(ValueError, match=message):
        recipes.pruning_schedule(**arguments)


def test_cluster_at_most_n_unique_values(run):
    table = inspect_weights.unique_values(run("cluster"))  # default: 16 clusters per kernel
    assert len(table) == 4
    for row in table.itertuples():
        assert row.unique_values <= 16, row.layer


def test_cluster_per_channel(run):
    table = inspect_weights.unique_values(run("cluster", number_of_clusters=CLUSTERS, per_channel=True))
    for row in table.itertuples():
        limit = row.max_unique_per_channel if row.layer.startswith("conv") else row.unique_values
        assert limit <= CLUSTERS, row.layer
    assert table.set_index("layer").loc["conv2", "unique_values"] > CLUSTERS  # per channel, not per kernel


def test_pcqat_keeps_sparsity_and_clusters_into_int8(run, tiny):
    model = run("pcqat")  # defaults: 80% sparsity, 16 clusters
    stats = inspect_weights.tflite_weight_stats(wu.to_tflite(model, "full_integer", tiny.x_train[:50]))
    assert len(stats) == 4
    for row in stats.itertuples():
        assert row.sparsity >= 0.78, f"{row.name}: sparsity {row.sparsity:.3f} lost in conversion"
        # int8 maps each shared value to one integer per channel; the zero may be a cluster of its own
        assert row.max_unique_per_channel <= 16 + 1, row.name


@pytest.mark.parametrize("init", ["linear", "density_based", "random", "KMEANS_PLUS_PLUS"])
def test_centroid_initialization_names(init):
    assert recipes.centroid_initialization(init).name == init.upper()


@pytest.mark.parametrize("name", ["prune", "qat"])
def test_keras3_model_is_bridged(name, tiny):
    import keras  # Keras 3, even with TF_USE_LEGACY_KERAS=1: only tf.keras is redirected

    assert keras.__version__.startswith("3")
    model = keras.Sequential([keras.Input(tiny.input_shape), keras.layers.Flatten(), keras.layers.Dense(10)])
    result = recipes.RECIPES[name](model, tiny, epochs=1, verbose=0)
    assert isinstance(result, tf_keras.Model), "the recipe works on the Keras 3 model's tf_keras twin"


def test_keras3_subclassed_model_is_refused_with_the_way_out(tiny):
    import keras

    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(10)

        def call(self, inputs):
            return self.dense(keras.ops.reshape(inputs, (-1, 196)))

    model = Net()
    model(tiny.x_test[:1])
    with pytest.raises(UnsupportedModelError, match="subclassed Keras 3 model.*keras.Sequential"):
        recipes.prune(model, tiny)


def test_subclassed_model_is_refused(tiny):
    class Net(tf_keras.Model):
        def __init__(self):
            super().__init__()
            self.flat = tf_keras.layers.Flatten()
            self.out = tf_keras.layers.Dense(10)

        def call(self, inputs):
            return self.out(self.flat(inputs))

    model = Net()
    model(tiny.x_test[:1])
    with pytest.raises(UnsupportedModelError, match="subclassed model.*Sequential"):
        recipes.prune(model, tiny)


def test_unbuilt_model_is_refused(tiny):
    model = tf_keras.Sequential([tf_keras.layers.Flatten(), tf_keras.layers.Dense(10)])
    with pytest.raises(ValueError, match="not built"):
        recipes.cluster(model, tiny)


@pytest.mark.parametrize("dataset", [None, "mnist", (np.zeros((2, 14, 14, 1)), np.zeros(2))])
def test_bad_dataset_argument(baseline, dataset):
    with pytest.raises(TypeError, match="needs a wu.Dataset"):
        recipes.qat(baseline, dataset)


def test_dataset_with_other_image_shape(baseline):
    other = wu.Dataset(np.zeros((4, 8, 8, 1), np.float32), [0, 1, 2, 3], np.zeros((2, 8, 8, 1), np.float32), [0, 1])
    with pytest.raises(ValueError, match=r"inputs of shape \(14, 14, 1\).*\(8, 8, 1\)"):
        recipes.prune(baseline, other)


@pytest.mark.parametrize("name", sorted(recipes.RECIPES))
def test_unknown_layer_names(name, baseline, tiny):
    with pytest.raises(ValueError, match=r"Unknown layer name\(s\) \['dense_7'\].*conv1, pool1, conv2"):
        recipes.RECIPES[name](baseline, tiny, layers=["dense", "dense_7"])


def test_empty_layer_list(baseline, tiny):
    with pytest.raises(ValueError, match="layers= is empty"):
        recipes.prune(baseline, tiny, layers=[])


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("prune", {"target_sparsity": 1.5}, "target_sparsity must be in"),
        ("prune", {"sparsity_m_by_n": (4, 2)}, "0 < m < n"),
        ("prune", {"sparsity_m_by_n": (2, 4), "target_sparsity": 0.8}, "conflicts"),
        ("cluster", {"number_of_clusters": 1}, "number_of_clusters"),
        ("cluster", {"init": "bogus"}, "Unknown centroid init"),
        ("qat", {"epochs": 0}, "epochs must be"),
        ("qat", {"batch_size": 0}, "batch_size must be"),
        ("pcqat", {"learning_rate": 0.0}, "learning_rate must be"),
    ],
)
def test_bad_options(name, options, message, baseline, tiny):
    with pytest.raises(ValueError, match=message):
        recipes.RECIPES[name](baseline, tiny, verbose=0, **options)


@pytest.fixture(scope="module")
def custom_model(tiny):
    inputs = tf_keras.Input(tiny.input_shape)
    x = tf_keras.layers.Flatten(name="flatten")(inputs)
    x = Scale(name="scale")(x)
    outputs = tf_keras.layers.Dense(tiny.num_classes, name="logits")(x)
    model = tf_keras.Model(inputs, outputs)
    compile_classifier(model)
    return model


def test_qat_names_unsupported_layer_and_fix(custom_model, tiny):
    with pytest.raises(recipes.UnsupportedLayerError, match=r"'scale' \(Scale\).*layers=.*QuantizeConfig"):
        recipes.qat(custom_model, tiny, epochs=1, verbose=0)
    # restricting QAT to supported layers is the documented fix
    model = recipes.qat(custom_model, tiny, epochs=1, verbose=0, layers=["logits"])
    assert any(layer.name == "quant_logits" for layer in model.layers)


def test_quantize_aware_model_selected_layers_untrained(baseline):
    model = recipes.quantize_aware_model(baseline, layers=["dense"])
    names = [layer.name for layer in model.layers]
    assert "quant_dense" in names and "conv1" in names and "quant_conv1" not in names
    kernels = dict(inspect_weights._kernels(model))  # the float kernels inside the quantize wrappers
    np.testing.assert_array_equal(kernels["quant_dense"], baseline.get_layer("dense").get_weights()[0])
    with pytest.raises(ValueError, match="Unknown layer name"):
        recipes.quantize_aware_model(baseline, layers="nope")


def test_quantize_aware_model_bridges_keras3():
    import keras

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, name="dense")])
    assert "quant_dense" in [layer.name for layer in recipes.quantize_aware_model(model).layers]


@pytest.mark.parametrize("name", ["prune", "cluster"])
def test_unsupported_layer_skipped_by_default_refused_when_named(name, custom_model, tiny):
    with pytest.warns(UserWarning, match="'scale' \\(Scale\\)"):
        model = recipes.RECIPES[name](custom_model, tiny, epochs=1, verbose=0)
    assert [layer.name for layer in model.layers][-1] == "logits"
    with pytest.raises(recipes.UnsupportedLayerError, match=r"'scale' \(Scale\).*Fix: leave them out"):
        recipes.RECIPES[name](custom_model, tiny, epochs=1, verbose=0, layers=["scale", "logits"])


def test_layer_without_weights_cannot_be_pruned(baseline, tiny):
    with pytest.raises(recipes.UnsupportedLayerError, match="'pool1'"):
        recipes.prune(baseline, tiny, layers=["pool1"], verbose=0)


def test_fast_mode_uses_one_epoch(monkeypatch):
    from workshop_utils.recipes._common import resolve_training

    monkeypatch.setenv("WORKSHOP_FAST", "1")
    assert resolve_training(None, 64, 1e-4) == 1
    monkeypatch.setenv("WORKSHOP_FAST", "0")
    assert resolve_training(None, 64, 1e-4) == 2


def test_recipes_registry_names():
    assert set(recipes.RECIPES) == {"qat", "prune", "cluster", "pqat", "cqat", "pcqat"}


# --- issue 18: the user's compile settings, lengths from the dataset size, every TFMOT failure named -----------


def test_recipe_keeps_the_users_optimizer_and_loss(tiny):
    model = tf_keras.Sequential([tf_keras.Input(tiny.input_shape), tf_keras.layers.Flatten(),
                                 tf_keras.layers.Dense(tiny.num_classes, activation="softmax", name="probs")])
    model.compile(optimizer=tf_keras.optimizers.SGD(0.1, momentum=0.7),
                  loss=tf_keras.losses.CategoricalCrossentropy())  # one-hot loss: the Dataset holds class ids
    result = recipes.prune(model, tiny, epochs=1, verbose=0, learning_rate=0.01)
    assert isinstance(result.optimizer, tf_keras.optimizers.SGD)
    assert result.optimizer.get_config()["momentum"] == pytest.approx(0.7)
    assert float(result.optimizer.learning_rate) == pytest.approx(0.01), "the recipe's fine-tune rate"
    assert isinstance(result.loss, tf_keras.losses.SparseCategoricalCrossentropy)
    assert not result.loss.get_config()["from_logits"]


def test_uncompiled_softmax_model_gets_a_probability_loss(baseline):
    from workshop_utils.models.keras_tools import training_setup

    assert training_setup(baseline).loss.get_config()["from_logits"], "the baseline ends in logits"
    softmax = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(3, activation="softmax")])
    setup = training_setup(softmax)
    assert not setup.from_user and not setup.loss.get_config()["from_logits"]


def test_default_lengths_grow_on_small_datasets(monkeypatch):
    from workshop_utils.recipes._common import default_epochs, resolve_training

    monkeypatch.setenv("WORKSHOP_FAST", "0")
    assert resolve_training(None, 64, 1e-4, fast=True) == 1, "fast=True wins over the environment"
    assert default_epochs(4000, 64, fast=False) == 2 and default_epochs(4000, 64, fast=True) == 1  # the workshop's
    digits_steps = -(-1437 // 64)  # sklearn digits: 23 steps per epoch
    for fast, minimum in ((False, recipes.MIN_STEPS), (True, recipes.FAST_MIN_STEPS)):
        epochs = default_epochs(1437, 64, fast=fast)
        assert epochs * digits_steps >= minimum > (epochs - 1) * digits_steps
    assert resolve_training(3, 64, 1e-4, n_train=100) == 3, "explicit epochs are kept"


def test_tfmot_attribute_error_names_the_operator_layer(tiny):
    inputs = tf_keras.Input(tiny.input_shape)
    x = tf_keras.layers.Conv2D(2, 3, name="conv")(inputs)
    x = tf_keras.layers.Flatten()(x + 1.0)  # a TFOpLambda layer: QAT fails on it with a raw AttributeError
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(tiny.num_classes, name="logits")(x))
    with pytest.raises(recipes.UnsupportedLayerError, match=r"'tf.__operators__.add' \(TFOpLambda\).*keras.layers.Add"):
        recipes.qat(model, tiny, epochs=1, verbose=0)


def test_any_tfmot_exception_in_pruning_names_the_layer(baseline, tiny, monkeypatch):
    import tensorflow_model_optimization as tfmot

    def broken(layer, **_):
        raise KeyError(f'layer "{layer.name}" has no such attribute')

    monkeypatch.setattr(tfmot.sparsity.keras, "prune_low_magnitude", broken)
    with pytest.raises(recipes.UnsupportedLayerError, match=r"Pruning cannot handle layer\(s\) 'conv1' \(Conv2D\)"):
        recipes.prune(baseline, tiny, epochs=1, verbose=0)


def test_skip_list_is_one_short_line():
    from workshop_utils.recipes._common import choose_layers
    from workshop_utils.recipes.pruning import _prune_problem

    layers = [tf_keras.Input((4, 4, 1)), tf_keras.layers.Conv2D(2, 1, name="conv")]
    layers += [tf_keras.layers.BatchNormalization(name=f"bn{i}") for i in range(10)]
    model = tf_keras.Sequential(layers)
    with pytest.warns(UserWarning) as caught:
        choose_layers(model, None, "pruning", _prune_problem)
    (warning,) = caught
    text = str(warning.message)
    assert "10 layer(s)" in text and "'bn0' (BatchNormalization)" in text and "and 7 more" in text
    assert "bn9" not in text and len(text) < 300


def test_accuracy_drop_warns_with_the_knob(baseline, tiny):
    from workshop_utils.recipes._guard import check_drop

    broken = wu.clone_model(baseline)
    broken.set_weights([w * 0 for w in baseline.get_weights()])  # predicts one class: chance accuracy
    with pytest.warns(recipes.AccuracyDropWarning, match=r"prune lost .* points.*Fix: try epochs=4"):
        check_drop("prune", baseline, broken, tiny, "try epochs=4", "8 steps")


def test_long_qat_refusals_are_shortened():
    from workshop_utils.recipes.quantization import _order, _shorten

    culprits = [f"'bn{i}' (BatchNormalization)" for i in range(30)] + ["'tf.math.add' (TFOpLambda)"]
    ordered = _order(culprits, named=[])
    assert ordered[0] == "'tf.math.add' (TFOpLambda)", "operators before BatchNormalization"
    text = _shorten(ordered)
    assert "and 25 more (25 BatchNormalization)" in text and len(text) < 250
