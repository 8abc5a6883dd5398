"""Facts the notebooks teach about TFMOT 0.8.1, pinned so a future edit cannot teach them wrong again (issue 20).

- QAT's activation ranges are not trained by the loss: they are moving averages (decay 0.999, no zero-debias)
  of each batch's min and max, starting from [-6, 6] (notebook 02).
- ``prune_low_magnitude`` wraps the layer objects of the model it is given, so fine-tuning the "pruned copy"
  prunes the original too; ``quantize_model`` clones first and leaves its input alone (notebooks 03 and 04).
"""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu  # must come before TensorFlow: it switches to tf_keras (Keras 2)

# isort: split
import tensorflow_model_optimization as tfmot
import tf_keras as keras

EMA_DECAY = 0.999  # MovingAverageQuantizer's ema_decay (tfmot quantization/keras/quantizers.py)
INITIAL_RANGE = (-6.0, 6.0)  # _QuantizeHelper._add_range_weights' initializers


def tiny_relu_model(seed: int = 0) -> keras.Model:
    wu.set_seeds(seed)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    return keras.Model(inputs, keras.layers.Dense(3, name="logits")(hidden))


def batches(n: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 1, (n, 8)).astype(np.float32), rng.integers(0, 3, n)


def range_vars(qat_model: keras.Model, layer: str) -> tuple[float, float]:
    """The (min, max) of a quantized layer's output quantizer."""
    found = {v.name.split("/")[-1].split(":")[0]: float(v.numpy()) for v in qat_model.get_layer(layer).weights
             if "post_activation" in v.name}
    return found["post_activation_min"], found["post_activation_max"]


def fine_tune(model: keras.Model, x: np.ndarray, y: np.ndarray, steps: int, learning_rate: float) -> None:
    model.compile(optimizer=keras.optimizers.SGD(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=len(x) // 4, epochs=steps // 4, shuffle=False, verbose=0)


def test_qat_ranges_start_at_minus_6_6_and_are_not_trainable():
    qat = tfmot.quantization.keras.quantize_model(tiny_relu_model())
    assert range_vars(qat, "quant_hidden") == INITIAL_RANGE
    trainable = {id(v) for v in qat.trainable_weights}
    ranges = [v for v in qat.weights if "post_activation" in v.name]
    assert ranges and not any(id(v) in trainable for v in ranges), "the loss must not train the activation ranges"


def test_qat_relu_minimum_decays_as_the_moving_average_from_minus_6():
    """A ReLU's batch minimum is clipped to 0, so after n steps its range minimum is exactly -6 * 0.999**n."""
    qat = tfmot.quantization.keras.quantize_model(tiny_relu_model())
    x, y = batches()
    steps = 200
    fine_tune(qat, x, y, steps, learning_rate=0.05)  # the weights move; the minimum's path does not depend on them
    low, high = range_vars(qat, "quant_hidden")
    assert low == pytest.approx(INITIAL_RANGE[0] * EMA_DECAY**steps, rel=1e-4)
    assert low < -4.5, "200 steps leave most of the initial -6: the range is far from the data's minimum (0)"
    assert 0 < high < INITIAL_RANGE[1]


def test_qat_maximum_follows_the_moving_average_of_the_batch_maximum():
    """With the weights frozen (learning rate 0) and one repeated batch, every step sees the same batch max m:
    after n steps the maximum is m + (6 - m) * 0.999**n, nowhere near m itself."""
    model = tiny_relu_model()
    x, y = batches()
    batch_max = float(keras.Model(model.input, model.get_layer("hidden").output)(x).numpy().max())
    qat = tfmot.quantization.keras.quantize_model(model)
    steps = 400
    qat.compile(optimizer=keras.optimizers.SGD(0.0), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    qat.fit(x, y, batch_size=len(x), epochs=steps, shuffle=False, verbose=0)  # one step per epoch, same batch
    _, high = range_vars(qat, "quant_hidden")
    expected = batch_max + (INITIAL_RANGE[1] - batch_max) * EMA_DECAY**steps
    assert high == pytest.approx(expected, abs=0.02 * batch_max + 1e-3)  # 8-bit fake-quant moves m slightly
    assert high - batch_max > 0.5 * (INITIAL_RANGE[1] - batch_max), "400 steps: over half the initial excess remains"


def test_prune_low_magnitude_prunes_the_model_it_was_given():
    original = tiny_relu_model()
    schedule = tfmot.sparsity.keras.ConstantSparsity(0.8, begin_step=0, frequency=1)
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(original, pruning_schedule=schedule)  # no clone
    x, y = batches()
    wrapped.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    wrapped.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    kernel = original.get_layer("hidden").get_weights()[0]
    assert np.mean(kernel == 0) >= 0.75, "the wrappers hold the original layers: fine-tuning prunes the original too"


def test_prune_low_magnitude_on_a_clone_leaves_the_original_alone():
    original = tiny_relu_model()
    before = [w.copy() for w in original.get_weights()]
    schedule = tfmot.sparsity.keras.ConstantSparsity(0.8, begin_step=0, frequency=1)
    wrapped = tfmot.sparsity.keras.prune_low_magnitude(wu.clone_model(original), pruning_schedule=schedule)
    x, y = batches()
    wrapped.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    wrapped.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    assert all(np.array_equal(a, b) for a, b in zip(original.get_weights(), before, strict=True))


def test_quantize_model_leaves_its_input_alone():
    original = tiny_relu_model()
    before = [w.copy() for w in original.get_weights()]
    qat = tfmot.quantization.keras.quantize_model(original)
    fine_tune(qat, *batches(), steps=8, learning_rate=0.5)
    assert all(np.array_equal(a, b) for a, b in zip(original.get_weights(), before, strict=True))
