"""The toolchain parts of the pre-workshop check: one tiny model through everything the notebooks use.

Each function is one line of ``python -m workshop_utils check``: it runs the real library call the notebooks
make (tf_keras, the TFLite converter in every mode, the LiteRT interpreter and CompiledModel, TensorFlow Lite
Micro, the LiteRT quantizer, TFMOT's wrappers, matplotlib) on a model small enough to take a second, and
returns a :class:`PartResult` whose ``value`` the next parts build on. Heavy imports stay inside the functions.
"""

from __future__ import annotations

import gc
import importlib.metadata
import platform
import tempfile
from pathlib import Path

import numpy as np

from .result import FAILED, OK, SKIPPED, PartResult, needs, part

INPUT_SHAPE, CLASSES, IMAGES = (8, 8, 1), 3, 8
TFLM_PLATFORMS = (("Linux", "x86_64"),)  # where requirements install tflite-micro (its only wheels)
REINSTALL_ALL = "pip install -r requirements.txt in a fresh venv (README, Quick start), or use Colab"


def reinstall(package: str) -> str:
    """The command that puts back ``package`` at the version installed (or the whole set-up if it is missing)."""
    try:
        version = importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return REINSTALL_ALL
    return f"pip install --force-reinstall --no-deps {package}=={version} (or use Colab)"


@part("tiny model", REINSTALL_ALL)
def tiny_model() -> PartResult:
    """A seeded tf_keras Conv2D + Dense classifier on 8x8 images, and a few images for it (value: both)."""
    import tf_keras as keras

    from ..core.env import keras_major_version

    if keras_major_version() != 2:
        from ..core.env import RESTART_HINT

        return PartResult("tiny model", FAILED, "tf.keras is not tf_keras (Keras 2).", RESTART_HINT)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([
        keras.layers.Input(INPUT_SHAPE),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(CLASSES),
    ])
    images = np.random.default_rng(0).random((IMAGES, *INPUT_SHAPE), dtype=np.float32)
    outputs = model.predict(images, verbose=0)
    if outputs.shape != (IMAGES, CLASSES) or not np.isfinite(outputs).all():
        return PartResult("tiny model", FAILED, f"Keras predicted {outputs.shape}, not finite {IMAGES}x{CLASSES}.",
                          reinstall("tf-keras"))
    return PartResult("tiny model", OK, f"tf_keras {keras.__version__}: Conv2D + Dense, "
                      f"{model.count_params()} weights, predicts", value=(model, images))


@part("conversion", reinstall("tensorflow"))
def conversion(model: PartResult) -> PartResult:
    """``wu.to_tflite`` in every mode of ``wu.MODES`` (value: mode -> flatbuffer bytes)."""
    if skipped := needs("conversion", model):
        return skipped
    from ..conversion.convert import MODES, to_tflite

    keras_model, images = model.value
    blobs = {mode: to_tflite(keras_model, mode, representative_data=images) for mode in MODES}
    sizes = ", ".join(f"{mode} {len(blob):,} B" for mode, blob in blobs.items())
    return PartResult("conversion", OK, f"every mode converts ({sizes})", value=blobs)


@part("LiteRT interpreter", reinstall("ai-edge-litert"))
def litert_interpreter(model: PartResult, blobs: PartResult) -> PartResult:
    """Every converted file runs on the interpreter; the float32 file answers as Keras does."""
    if skipped := needs("LiteRT interpreter", model, blobs):
        return skipped
    from ..measurement.interpreter import predict_tflite

    keras_model, images = model.value
    outputs = {mode: predict_tflite(blob, images) for mode, blob in blobs.value.items()}
    broken = [mode for mode, out in outputs.items() if out.shape != (IMAGES, CLASSES) or not np.isfinite(out).all()]
    if broken:
        return PartResult("LiteRT interpreter", FAILED, f"no usable output for {', '.join(broken)}.",
                          reinstall("ai-edge-litert"))
    error = float(np.abs(outputs["float32"] - keras_model.predict(images, verbose=0)).max())
    if error > 1e-4:
        return PartResult("LiteRT interpreter", FAILED, f"the float32 file differs from Keras by {error:.2g}.",
                          reinstall("ai-edge-litert"))
    return PartResult("LiteRT interpreter", OK, f"all {len(outputs)} files run; float32 equals Keras "
                      f"(max difference {error:.1g})", value=outputs["float32"])


@part("LiteRT CompiledModel", reinstall("ai-edge-litert"))
def compiled_model(model: PartResult, blobs: PartResult, interpreter: PartResult) -> PartResult:
    """LiteRT 2.x's ``CompiledModel`` (notebook 00) runs the float32 file like the interpreter."""
    if skipped := needs("LiteRT CompiledModel", model, blobs, interpreter):
        return skipped
    from ai_edge_litert.compiled_model import CompiledModel

    from ..core.native_output import capture_native_output

    _, images = model.value
    with capture_native_output((2,)):  # LiteRT logs its accelerator search from C++
        compiled = CompiledModel.from_buffer(blobs.value["float32"])
        inputs, outputs = compiled.create_input_buffers(0), compiled.create_output_buffers(0)
        inputs[0].write(images[:1])
        compiled.run_by_index(0, inputs, outputs)
        answer = np.asarray(outputs[0].read(CLASSES, np.float32))
        del compiled, inputs, outputs  # freed here, so its C++ goodbye lines are captured too
        gc.collect()
    error = float(np.abs(answer - interpreter.value[0]).max())
    if not error <= 1e-4:
        return PartResult("LiteRT CompiledModel", FAILED, f"differs from the interpreter by {error:.2g}.",
                          reinstall("ai-edge-litert"))
    return PartResult("LiteRT CompiledModel", OK, f"runs the float32 file, same output (max difference {error:.1g})",
                      value=answer)


def tflm_expected() -> bool:
    """True where requirements install tflite-micro (it has wheels for Linux x86-64 only)."""
    return (platform.system(), platform.machine()) in TFLM_PLATFORMS


@part("TensorFlow Lite Micro", "pip install -r requirements.txt (it installs tflite-micro on Linux x86-64)")
def micro(model: PartResult, blobs: PartResult) -> PartResult:
    """The int8 file on TensorFlow Lite Micro (``wu.mcu.arena_or_reason``); SKIPPED where it has no wheel."""
    name = "TensorFlow Lite Micro"
    from ..measurement import mcu

    reason = mcu.mcu_unavailable_reason()
    if reason is not None:
        if tflm_expected():
            return PartResult(name, FAILED, reason.split(" Fix:")[0],
                              "pip install -r requirements.txt (it installs tflite-micro on Linux x86-64)")
        return PartResult(name, SKIPPED, f"no tflite-micro wheel for {platform.system()} {platform.machine()}: "
                          "the microcontroller cells skip, saying why (everything else runs)")
    if skipped := needs(name, model, blobs):
        return skipped
    _, images = model.value
    arena, why_not = mcu.arena_or_reason(blobs.value["full_integer"], images[:4])
    if arena is None:
        return PartResult(name, FAILED, f"the tiny int8 model does not run: {why_not}.", reinstall("tflite-micro"))
    return PartResult(name, OK, f"runs the int8 file like LiteRT, tensor arena {arena:,} B", value=arena)


@part("LiteRT quantizer", reinstall("litert-quantizer"))
def quantizer(model: PartResult, blobs: PartResult) -> PartResult:
    """``wu.quantizer.int4_weights`` on the float32 file: INT4 tensors in the result, which runs on LiteRT."""
    if skipped := needs("LiteRT quantizer", model, blobs):
        return skipped
    from ..conversion import quantizer as wq
    from ..measurement.interpreter import predict_tflite

    _, images = model.value
    int4 = wq.int4_weights(blobs.value["float32"])
    types = wq.weight_type_counts(int4)
    outputs = predict_tflite(int4, images)
    if "INT4" not in types or not np.isfinite(outputs).all():
        return PartResult("LiteRT quantizer", FAILED, f"int4 weights gave tensors {types} and "
                          f"{'finite' if np.isfinite(outputs).all() else 'non-finite'} outputs.",
                          reinstall("litert-quantizer"))
    return PartResult("LiteRT quantizer", OK, f"int4 weights ({types['INT4']} INT4 tensors, {len(int4):,} B) "
                      "run on LiteRT", value=int4)


@part("TFMOT", reinstall("tensorflow-model-optimization"))
def tfmot_wrappers(model: PartResult) -> PartResult:
    """TFMOT's prune, cluster and quantize wrappers on copies of the tiny model; prune and cluster stripped."""
    if skipped := needs("TFMOT", model):
        return skipped
    import tensorflow_model_optimization as tfmot

    from ..conversion.convert import is_qat_model
    from ..models.keras_tools import clone_model

    keras_model, _ = model.value
    sparsity, clustering = tfmot.sparsity.keras, tfmot.clustering.keras
    pruned = sparsity.strip_pruning(sparsity.prune_low_magnitude(
        clone_model(keras_model), pruning_schedule=sparsity.ConstantSparsity(0.5, begin_step=0)))
    clusters = 4
    clustered = clustering.strip_clustering(clustering.cluster_weights(
        clone_model(keras_model), number_of_clusters=clusters,
        cluster_centroids_init=clustering.CentroidInitialization.LINEAR))
    quantized = tfmot.quantization.keras.quantize_model(clone_model(keras_model))
    kernels = [w for layer in clustered.layers for w in layer.get_weights() if w.ndim > 1]
    problems = []
    if len(pruned.get_weights()) != len(keras_model.get_weights()):
        problems.append("strip_pruning left wrapper weights")
    if not kernels or max(len(np.unique(k)) for k in kernels) > clusters:
        problems.append(f"clustered kernels hold more than {clusters} values")
    if not is_qat_model(quantized):
        problems.append("quantize_model added no quantization wrappers")
    if problems:
        return PartResult("TFMOT", FAILED, "; ".join(problems) + ".", reinstall("tensorflow-model-optimization"))
    return PartResult("TFMOT", OK, f"{tfmot.__version__}: prune + strip, cluster ({clusters} values) + strip, "
                      "quantize_model", value=quantized)


@part("figure", reinstall("matplotlib"))
def figure() -> PartResult:
    """A matplotlib figure drawn with the Agg backend into a PNG file (the notebooks' plots, headless)."""
    import matplotlib
    from matplotlib.figure import Figure  # the object API: no pyplot state, no window, Agg for PNG

    fig = Figure(figsize=(2, 2))
    fig.add_subplot().plot([0, 1, 2], [0, 1, 4])
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "check.png"
        fig.savefig(path)
        data = path.read_bytes()
    if not data.startswith(b"\x89PNG"):
        return PartResult("figure", FAILED, "matplotlib wrote no PNG.", reinstall("matplotlib"))
    return PartResult("figure", OK, f"matplotlib {matplotlib.__version__} drew a {len(data):,}-byte PNG",
                      value=len(data))


__all__ = ["OK", "SKIPPED", "FAILED", "tiny_model", "conversion", "litert_interpreter", "compiled_model", "micro",
           "quantizer", "tfmot_wrappers", "figure", "reinstall", "tflm_expected"]
