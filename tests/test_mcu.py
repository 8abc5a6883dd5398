"""TensorFlow Lite Micro helpers: arena, predictions against LiteRT, refusals, C array, boards, no-wheel path."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest

import workshop_utils as wu
from workshop_utils.measurement import mcu

needs_tflm = pytest.mark.skipif(not mcu.mcu_available(), reason=str(mcu.mcu_unavailable_reason()))
IMAGE = (16, 16, 1)
FILTERS = 8


@pytest.fixture(scope="module")
def tiny_blobs() -> dict[str, bytes]:
    """An untrained Conv(8)-Flatten-Dense(3) model: its largest activation is 16*16*8 values."""
    import tf_keras as keras

    wu.set_seeds(0)
    model = keras.Sequential([
        keras.layers.InputLayer(input_shape=IMAGE),
        keras.layers.Conv2D(FILTERS, 3, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(3),
    ])
    calibration = np.random.default_rng(0).random((32, *IMAGE), dtype=np.float32)
    return {mode: wu.to_tflite(model, mode, representative_data=calibration)
            for mode in ("float32", "full_integer", "dynamic_range")}


def _images(n: int = 24) -> np.ndarray:
    return np.random.default_rng(1).random((n, *IMAGE), dtype=np.float32)


@needs_tflm
def test_arena_has_the_size_of_the_activations(tiny_blobs):
    activation_values = IMAGE[0] * IMAGE[1] * FILTERS
    float_arena = mcu.measure_arena(tiny_blobs["float32"])
    int8_arena = mcu.measure_arena(tiny_blobs["full_integer"])
    # the conv output must live in the arena; planning, bookkeeping and scratch add at most a few times that
    assert 4 * activation_values <= float_arena <= 4 * (4 * activation_values) + 8 * 1024
    assert activation_values <= int8_arena < float_arena
    # the search's smallest arena may differ by the 16-byte alignment of the buffer's start
    assert abs(mcu.measure_arena(tiny_blobs["full_integer"], method="search") - int8_arena) <= 16
    with pytest.raises(ValueError, match="method"):
        mcu.measure_arena(tiny_blobs["float32"], method="guess")


@needs_tflm
def test_mcu_predictions_equal_litert(tiny_blobs):
    images = _images()
    float_mcu = mcu.predict_mcu(tiny_blobs["float32"], images)
    np.testing.assert_allclose(float_mcu, wu.predict_tflite(tiny_blobs["float32"], images), rtol=1e-4, atol=1e-5)
    int8_mcu = mcu.predict_mcu(tiny_blobs["full_integer"], images)
    int8_lite = wu.predict_tflite(tiny_blobs["full_integer"], images, use_xnnpack=False)
    np.testing.assert_array_equal(int8_mcu, int8_lite)  # same reference kernels, same integers
    assert mcu.mcu_agreement(tiny_blobs["float32"], images) == 1.0
    with pytest.raises(ValueError, match="shape"):
        mcu.predict_mcu(tiny_blobs["float32"], images[:, :8])


@needs_tflm
def test_refused_model_gives_the_one_line_reason(tiny_blobs):
    with pytest.raises(mcu.McuRefusedError, match="not supported") as caught:
        mcu.measure_arena(tiny_blobs["dynamic_range"])
    assert "\n" not in caught.value.reason
    with pytest.raises(mcu.McuRefusedError, match="arena is too small"):
        mcu.make_mcu_interpreter(tiny_blobs["float32"], arena_size=1024)


def test_refusal_reason_parsing():
    lines = ["tensorflow/lite/micro/kernels/conv_common.cc Hybrid models are not supported on TFLite Micro.",
             "Node CONV_2D (number 2) failed to prepare with status 1"]
    assert mcu.refusal_reason(lines) == "CONV_2D (node 2): Hybrid models are not supported on TFLite Micro."
    assert mcu.refusal_reason([]) == "no reason printed"


def test_c_array_round_trips(tiny_blobs):
    blob = tiny_blobs["full_integer"]
    source = mcu.c_array(blob, name="g_model")
    assert "TFLM_MODEL_ALIGN16 const unsigned char g_model[]" in source and "alignas(16)" in source
    assert f"g_model_len = {len(blob)};" in source
    assert mcu.parse_c_array(source) == blob
    with pytest.raises(ValueError, match="_len"):
        mcu.parse_c_array(source.replace(f"= {len(blob)};", f"= {len(blob) + 1};"))
    with pytest.raises(ValueError, match="C identifier"):
        mcu.c_array(blob, name="2fast")
    with pytest.raises(ValueError, match="not a TFLite model"):
        mcu.c_array(b"0123456789")


@pytest.mark.skipif(shutil.which("xxd") is None, reason="xxd is not installed")
def test_c_array_bytes_match_xxd(tiny_blobs, tmp_path):
    path = tmp_path / "model.tflite"
    path.write_bytes(tiny_blobs["float32"])
    xxd = subprocess.run(["xxd", "-i", path.name], cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    ours = mcu.c_array(tiny_blobs["float32"])
    body = lambda text: text.split("{", 1)[1].split("}", 1)[0].split()  # noqa: E731
    assert body(ours) == body(xxd)


def test_fits_verdicts_are_computed():
    board = mcu.Board("demo", "chip", ram_bytes=1000, flash_bytes=4000, source="https://example.com")
    small = mcu.fits(1000, 500, board)
    assert small.fits and small.flash_share == 0.25 and str(small).startswith("fits")
    too_much_ram = mcu.fits(1000, 900, board)
    assert not too_much_ram.fits and "RAM" in str(too_much_ram) and "flash" not in str(too_much_ram).split("(")[0]
    with pytest.raises(ValueError, match="budget"):
        mcu.fits(1, 1, board, budget=1.5)
    table = mcu.fit_table({"a": (1000, 500), "b": (1000, float("nan"))}, boards=(board,))
    assert table.loc["b", "demo"] == "cannot run on TFLM" and table.loc["a", "demo"].startswith("fits")
    assert {b.name for b in mcu.BOARDS} >= {"Arduino Nano 33 BLE Sense", "Raspberry Pi Pico"}
    assert all(b.source.startswith("https://") and b.ram_bytes < b.flash_bytes for b in mcu.BOARDS)


def test_unavailable_platform_says_so(monkeypatch, tiny_blobs):
    monkeypatch.setitem(sys.modules, "tflite_micro", None)  # what a platform without the wheel looks like
    assert not mcu.mcu_available()
    assert "Linux x86-64" in mcu.mcu_unavailable_reason()
    blob = tiny_blobs["float32"]
    for call in (lambda: mcu.measure_arena(blob), lambda: mcu.predict_mcu(blob, _images())):
        with pytest.raises(mcu.McuUnavailableError, match="tflite-micro"):
            call()
    assert mcu.parse_c_array(mcu.c_array(tiny_blobs["float32"])) == tiny_blobs["float32"]  # no TFLM needed



@needs_tflm
def test_an_aborting_tflm_leaves_the_caller_alive_with_the_note(monkeypatch, tiny_blobs):
    from workshop_utils.measurement.mcu_worker import STANDIN_VAR

    monkeypatch.setenv(STANDIN_VAR, "abort")  # the child calls os.abort(), as TFLM does on some models
    arena, note = mcu.arena_or_reason(tiny_blobs["full_integer"], _images(4))
    assert arena is None and note.startswith("TFLite Micro aborted on this model (signal 6, SIGABRT): ")
    assert "in Interpreter.from_bytes" in note and "check failed, aborting" in note  # what it printed to fd 2
    assert "micro_allocator.cc" not in note and "\n" not in note  # trimmed to one line
    for call in (lambda: mcu.measure_arena(tiny_blobs["float32"]), lambda: mcu.predict_mcu(tiny_blobs["float32"],
                 _images(2)), lambda: mcu.make_mcu_interpreter(tiny_blobs["float32"])):
        with pytest.raises(mcu.McuCrashedError, match="SIGABRT"):
            call()


@needs_tflm
def test_a_hanging_tflm_hits_the_time_limit(monkeypatch, tiny_blobs):
    from workshop_utils.measurement.mcu_worker import STANDIN_VAR

    monkeypatch.setenv(STANDIN_VAR, "hang")
    arena, note = mcu.arena_or_reason(tiny_blobs["full_integer"], timeout_s=1.5)
    assert arena is None and note.startswith("TFLite Micro did not finish within 1.5 s on this model")
    assert mcu.is_transient(note) and not mcu.is_transient("refused by TensorFlow Lite Micro: X")
    with pytest.raises(ValueError, match="timeout_s"):
        mcu.measure_arena(tiny_blobs["full_integer"], timeout_s=0)


@needs_tflm
def test_comparison_goes_on_when_tflm_aborts(monkeypatch, tmp_path, small_mnist):
    from workshop_utils.measurement.mcu_worker import STANDIN_VAR

    monkeypatch.setenv("WORKSHOP_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv(STANDIN_VAR, "abort")
    table = wu.run_comparison(small_mnist, only=["full_integer"], measure_latency=False, fast=True,
                              log=lambda _: None).table
    assert list(table.index) == ["float32", "full_integer"] and table["accuracy"].notna().all()
    assert table["mcu_arena_bytes"].isna().all()
    assert table["mcu_note"].str.startswith("TFLite Micro aborted on this model (signal 6, SIGABRT)").all()
