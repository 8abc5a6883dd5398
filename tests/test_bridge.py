"""The Keras 3 -> tf_keras bridge and the model loader: twins answer like their originals, errors name the fix."""

from __future__ import annotations

import numpy as np
import pytest

import workshop_utils as wu  # before TensorFlow: it switches tf.keras to tf_keras

# isort: split
import keras  # Keras 3, whatever TF_USE_LEGACY_KERAS says
import tf_keras

from workshop_utils.models import bridge

RNG = np.random.default_rng(0)


def _images(shape, n=6):
    return RNG.normal(size=(n, *shape)).astype("float32")


def _residual_block():
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(4, 3, padding="same", name="conv")(inputs)
    x = keras.layers.BatchNormalization(name="bn")(x)
    y = keras.layers.ReLU(max_value=6.0, name="relu6")(x)
    x = keras.layers.Add(name="residual")([x, y])
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(3, name="logits")(x))


def _depthwise():
    inputs = keras.Input((9, 9, 2))
    x = keras.layers.ZeroPadding2D(((1, 0), (0, 1)))(inputs)
    x = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2)(x)
    x = keras.layers.SeparableConv2D(5, 3, padding="same", activation="relu")(x)
    x = keras.layers.AveragePooling2D(2)(x)
    x = keras.layers.Activation("sigmoid")(x)
    x = keras.layers.Flatten()(x)
    return keras.Model(inputs, keras.layers.Softmax()(keras.layers.Dense(4)(x)))


def _merges():
    inputs = keras.Input((8, 8, 4))
    scaled = keras.layers.Rescaling(2.0, offset=-1.0)(inputs)
    norm = keras.layers.Normalization(mean=[0.1, 0.2, 0.3, 0.4], variance=[1.0, 2.0, 3.0, 4.0])(scaled)
    a = keras.layers.Conv2D(3, 1)(norm)
    b = keras.layers.Conv2D(3, 1, activation="tanh")(norm)
    x = keras.layers.Concatenate()([a, b, keras.layers.Multiply()([a, b])])
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Reshape((16, 9))(x)
    x = keras.layers.Dropout(0.5)(keras.layers.Flatten()(x))
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def _adapted_normalization_sequential():
    norm = keras.layers.Normalization(axis=-1)
    norm.adapt(_images((8, 8, 2), 20) * 3 + 1)
    return keras.Sequential([keras.Input((8, 8, 2)), norm, keras.layers.Conv2D(2, 3, activation="silu"),
                             keras.layers.Flatten(), keras.layers.Dense(3)])


def _nested():
    head = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(2)],
                            name="head")
    inputs = keras.Input((4, 4, 1))
    x = keras.layers.GlobalAveragePooling2D()(keras.layers.Conv2D(8, 3, padding="same")(inputs))
    return keras.Model(inputs, head(x))


FAMILIES = {"residual_bn_relu6": _residual_block, "depthwise_separable_padding": _depthwise,
            "concat_multiply_rescale_norm": _merges, "adapted_normalization": _adapted_normalization_sequential,
            "nested_model": _nested}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_twin_answers_like_the_keras3_original(family):
    keras.utils.set_random_seed(1)
    original = FAMILIES[family]()
    for layer in original.layers:  # non-default BatchNorm statistics, so a missed copy would show
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.set_weights([w + RNG.uniform(0.5, 1.5, w.shape).astype("float32") for w in layer.get_weights()])
    twin = wu.to_tf_keras(original)
    assert isinstance(twin, tf_keras.Model) and not wu.is_keras3_model(twin) and wu.is_keras3_model(original)
    x = _images(original.input_shape[1:])
    expected, got = np.asarray(original(x, training=False)), np.asarray(twin(x, training=False))
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * float(np.abs(expected).max()))
    assert twin.count_params() == original.count_params()


def test_twin_keeps_the_compile_settings():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.8),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    twin = wu.to_tf_keras(model)
    assert isinstance(twin.optimizer, tf_keras.optimizers.SGD)
    assert twin.optimizer.get_config()["momentum"] == pytest.approx(0.8)
    assert float(twin.optimizer.learning_rate) == pytest.approx(0.05)
    assert isinstance(twin.loss, tf_keras.losses.SparseCategoricalCrossentropy)
    assert twin.loss.get_config()["from_logits"]


def test_tf_keras_model_comes_back_unchanged():
    model = tf_keras.Sequential([tf_keras.Input((4,)), tf_keras.layers.Dense(2)])
    assert wu.to_tf_keras(model) is model
    with pytest.raises(wu.UnsupportedModelError, match="needs a Keras model"):
        wu.to_tf_keras("mine.keras")


class Scale(keras.layers.Layer):
    def call(self, inputs):
        return inputs * 2.0


def test_custom_layer_is_named_with_the_way_out():
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(Scale(name="scale")(inputs)))
    with pytest.raises(wu.UnsupportedModelError, match=r"'scale' \(Scale\) is a custom layer.*keras.Sequential"):
        wu.to_tf_keras(model)


def test_subclassed_model_is_refused_with_the_way_out():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs):
            return self.dense(inputs)

    model = Net()
    model(np.zeros((1, 4), "float32"))
    with pytest.raises(wu.UnsupportedModelError, match="Net is a subclassed Keras 3 model.*tf_keras"):
        wu.to_tf_keras(model)


def test_operator_and_unknown_activation_are_named():
    inputs = keras.Input((4,))
    with_operator = keras.Model(inputs, keras.layers.Dense(2)(inputs + 3.0))
    with pytest.raises(wu.UnsupportedModelError, match="operator or Lambda.*keras.layers.Add"):
        wu.to_tf_keras(with_operator)
    hard_silu = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="hard_silu", name="d")])
    with pytest.raises(wu.UnsupportedModelError, match=r"'d' \(Dense\).*'hard_silu'.*tf_keras"):
        wu.to_tf_keras(hard_silu)


def test_mismatching_twin_is_refused(monkeypatch):
    model = _residual_block()
    monkeypatch.setattr(bridge, "_copy_weights", lambda source, twin: None)  # a twin with its own random weights
    with pytest.raises(wu.UnsupportedModelError, match="does not answer like the original"):
        wu.to_tf_keras(model)


# --- load_model ------------------------------------------------------------------------------------------------


def _tf_keras_model():
    model = tf_keras.Sequential([tf_keras.Input((6, 6, 1)), tf_keras.layers.Conv2D(2, 3), tf_keras.layers.Flatten(),
                                 tf_keras.layers.Dense(3)])
    model.compile(optimizer=tf_keras.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy")
    return model


def _keras3_model():
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten(),
                              keras.layers.Dense(3)])
    model.compile(optimizer=keras.optimizers.RMSprop(0.01), loss="sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize(("maker", "suffix"), [(_keras3_model, ".keras"), (_tf_keras_model, ".h5"),
                                               (_keras3_model, ".h5"), (_tf_keras_model, ".keras")])
def test_load_model_reads_what_either_keras_saved(maker, suffix, tmp_path):
    model = maker()
    path = tmp_path / f"mine{suffix}"
    model.save(path)
    loaded = wu.load_model(path)
    assert wu.is_keras3_model(loaded) == wu.is_keras3_model(model)
    x = _images((6, 6, 1))
    np.testing.assert_allclose(np.asarray(loaded(x)), np.asarray(model(x)), rtol=1e-6)
    assert type(loaded.optimizer).__name__ == "RMSprop", "the file's compile settings are kept"


def test_load_model_errors_name_the_fix(tmp_path):
    with pytest.raises(wu.UnsupportedModelError, match="No model file"):
        wu.load_model(tmp_path / "missing.keras")
    (tmp_path / "model.onnx").write_bytes(b"x")
    with pytest.raises(wu.UnsupportedModelError, match=r"'\.onnx'.*model.save\('mine.keras'\)"):
        wu.load_model(tmp_path / "model.onnx")
    (tmp_path / "model.tflite").write_bytes(b"x")
    with pytest.raises(wu.UnsupportedModelError, match="already a TFLite model.*profile"):
        wu.load_model(tmp_path / "model.tflite")
    (tmp_path / "folder").mkdir()
    with pytest.raises(wu.UnsupportedModelError, match="not a SavedModel"):
        wu.load_model(tmp_path / "folder")
    (tmp_path / "exported").mkdir()
    (tmp_path / "exported" / "saved_model.pb").write_bytes(b"")
    with pytest.raises(wu.UnsupportedModelError, match="without Keras metadata.*model.save"):
        wu.load_model(tmp_path / "exported")
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    with pytest.raises(wu.UnsupportedModelError, match="not a readable .keras archive"):
        wu.load_model(tmp_path / "broken.keras")


def test_load_model_with_an_unknown_custom_layer_names_custom_objects(tmp_path):
    inputs = keras.Input((4,))
    model = keras.Model(inputs, keras.layers.Dense(2)(Scale(name="scale")(inputs)))
    model.save(tmp_path / "custom.keras")
    with pytest.raises(wu.UnsupportedModelError, match="Cannot load .*custom_objects"):
        wu.load_model(tmp_path / "custom.keras")
    assert wu.load_model(tmp_path / "custom.keras", custom_objects={"Scale": Scale}).get_layer("scale")
