"""Bring your own model: `compare --model --data` and `run_comparison(ds, model=...)` on a model we did not train."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import workshop_utils as wu
from conftest import pooled_digits
from workshop_utils import cli, recipes
from workshop_utils.comparison.source import model_key
from workshop_utils.report.table import pareto_front


@pytest.fixture(scope="module")
def digits() -> wu.Dataset:
    """300/150 real digits pooled to 14x14: a model trains in a second."""
    return pooled_digits(300, 150, "byom_digits")


@pytest.fixture(scope="module")
def data_file(digits, tmp_path_factory):
    path = tmp_path_factory.mktemp("byom") / "digits.npz"
    np.savez(path, x_train=digits.x_train, y_train=digits.y_train, x_test=digits.x_test, y_test=digits.y_test)
    return path


def _train(model, digits, keras_module):
    model.compile(optimizer="adam", metrics=["accuracy"],
                  loss=keras_module.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(digits.x_train, digits.y_train, epochs=3, batch_size=32, verbose=0)
    return model


@pytest.fixture(scope="module")
def keras3_model(digits):
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input(digits.input_shape)
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Flatten()(x)
    return _train(keras.Model(inputs, keras.layers.Dense(10)(x), name="mine"), digits, keras)


@pytest.fixture(scope="module")
def keras3_file(keras3_model, tmp_path_factory):
    path = tmp_path_factory.mktemp("byom") / "mine.keras"
    keras3_model.save(path)
    return path


@pytest.fixture(scope="module")
def tf_keras_file(digits, tmp_path_factory):
    import tf_keras

    wu.set_seeds(0)
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=digits.input_shape),
        tf_keras.layers.Conv2D(8, 3, activation="relu"),
        tf_keras.layers.Flatten(),
        tf_keras.layers.Dense(10),
    ], name="legacy")
    path = tmp_path_factory.mktemp("byom") / "legacy.h5"
    _train(model, digits, tf_keras).save(path)
    return path


def _compare(model_file, data_file, out, only: str) -> pd.DataFrame:
    assert cli.main(["compare", "--model", str(model_file), "--data", str(data_file), "--fast", "--out", str(out),
                     "--only", only]) == 0
    return pd.read_csv(out / "results.csv", index_col=0)


@pytest.mark.parametrize(("which", "only"), [("keras3_file", "full_integer,pruned"),
                                             ("tf_keras_file", "dynamic_range,int16x8")])
def test_compare_model_and_data(which, only, request, digits, data_file, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("WORKSHOP_FAST", "1")  # what --fast sets, restored after the test
    model_file = request.getfixturevalue(which)
    table = _compare(model_file, data_file, tmp_path / "out", only)
    assert list(table.index) == ["float32", *only.split(",")]
    assert table["accuracy"].notna().all() and not table["row_note"].fillna("").any()
    expected = wu.keras_accuracy(wu.load_model(model_file), digits.x_test, digits.y_test)
    assert abs(table.loc["float32", "accuracy"] - expected) <= 0.001, "the float32 row is the user's model"
    for row in table.index:
        blob = (tmp_path / "out" / "models" / f"{row}.tflite").read_bytes()
        assert blob[4:8] == b"TFL3" and len(blob) == table.loc[row, "raw_bytes"]
    assert (tmp_path / "out" / "results.md").exists()


def test_rows_are_keyed_by_the_weights_and_data_not_a_name(keras3_model, keras3_file, digits):
    import keras

    loaded = wu.load_model(keras3_file)
    assert model_key(loaded, digits) == model_key(keras3_model, digits)
    other = keras.models.clone_model(keras3_model)  # same name and architecture, other (fresh) weights
    assert model_key(other, digits) != model_key(keras3_model, digits)
    fewer = digits.subset(200, 100)
    assert model_key(keras3_model, fewer) != model_key(keras3_model, digits)


def test_unbridgeable_model_gets_the_named_error_and_the_conversion_rows(digits, tmp_path, monkeypatch):
    import keras

    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.flatten, self.dense = keras.layers.Flatten(), keras.layers.Dense(10)

        def call(self, x):
            return self.dense(self.flatten(x))

    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    model = Subclassed()
    model(digits.x_test[:1])
    lines: list[str] = []
    result = wu.run_comparison(digits, model=model, only=["full_integer", "float16", "pruned", "qat_int8"],
                               measure_latency=False, log=lines.append)
    table = result.table
    assert table.loc[["float32", "full_integer", "float16"], "accuracy"].notna().all()
    assert set(result.blobs) == {"float32", "full_integer", "float16"}
    for row in ("pruned", "qat_int8"):
        assert np.isnan(table.loc[row, "accuracy"])
        assert "Subclassed" in table.loc[row, "row_note"] and "Fix:" in table.loc[row, "row_note"]
    assert len(result.notes) == 1 and "cannot be bridged" in result.notes[0]
    assert sum("cannot be bridged to tf_keras" in line for line in lines) == 1, "one message, not one per row"
    assert "Rows not produced" in wu.to_markdown(table)


def test_a_failing_recipe_becomes_its_rows_note(keras3_model, digits, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    calls = []

    def broken(model, dataset, **options):
        calls.append(options)
        raise AttributeError("layer \"tf.__operators__.add\" (type TFOpLambda) has no attribute 'kernel'")

    monkeypatch.setitem(recipes.RECIPES, "prune", broken)
    result = wu.run_comparison(digits, model=keras3_model, only=["dynamic_range", "pruned", "pruned_int8"],
                               measure_latency=False, log=lambda _: None)
    table = result.table
    assert len(calls) == 1, "a technique that failed is not retried for its other rows"
    for row in ("pruned", "pruned_int8"):
        note = table.loc[row, "row_note"]
        assert "AttributeError" in note and "TFOpLambda" in note and "Fix:" in note
    assert table.loc[["float32", "dynamic_range"], "accuracy"].notna().all()
    assert table.loc["dynamic_range", "row_note"] == ""
    assert set(pareto_front(table)) <= {"float32", "dynamic_range"}, "a row without a model is no option"


@pytest.mark.parametrize(("extra", "message"), [
    (["--model", "{model}"], "--model: needs --data"),
    (["--data", "{data}"], "--data: needs --model"),
    (["--model", "{model}", "--data", "{data}", "--dataset", "mnist"], "--dataset: not allowed with --model"),
    (["--model", "nowhere.keras", "--data", "{data}"], "'nowhere.keras' does not exist"),
    (["--model", "{model}", "--data", "{bad_data}"], "lacks the array(s) y_train"),
    (["--model", "{model}", "--data", "{wide_data}"], "inputs of shape (14, 14, 1)"),
])
def test_model_and_data_are_checked_before_any_work(extra, message, keras3_file, data_file, tmp_path, capsys):
    bad, wide = tmp_path / "bad.npz", tmp_path / "wide.npz"
    np.savez(bad, x_train=np.zeros((4, 14, 14, 1), np.float32), x_test=np.zeros((4, 14, 14, 1), np.float32),
             y_test=np.zeros(4, np.int64))
    x = np.zeros((10, 16, 16, 1), np.float32)
    np.savez(wide, x_train=x, y_train=np.arange(10), x_test=x, y_test=np.arange(10))
    names = {"model": keras3_file, "data": data_file, "bad_data": bad, "wide_data": wide}
    argv = ["compare", "--out", str(tmp_path / "out"), *(a.format(**names) for a in extra)]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and "Fix:" in err


def test_a_failing_conversion_becomes_its_row_note(keras3_model, digits, tmp_path, monkeypatch):
    from workshop_utils.comparison import run as compare

    convert = compare.convert_row

    def refuse_16x8(model, mode, calibration):
        if mode == "int16x8":
            raise RuntimeError("Quantization to 16x8-bit not yet supported for op: 'HARD_SWISH'. " * 3)
        return convert(model, mode, calibration)

    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(compare, "convert_row", refuse_16x8)
    table = wu.run_comparison(digits, model=keras3_model, only=["float16", "int16x8"], measure_latency=False,
                              log=lambda _: None).table
    note = table.loc["int16x8", "row_note"]
    assert note.startswith("conversion to int16x8 failed") and note.count("HARD_SWISH") == 1 and "--only" in note
    assert table.loc[["float32", "float16"], "accuracy"].notna().all()
