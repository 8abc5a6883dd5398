"""Load a model the user brings: a ``.keras`` or ``.h5`` file saved by Keras 3 or tf_keras, or a SavedModel."""

from __future__ import annotations

import json
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from .keras_tools import UnsupportedModelError

SUFFIXES = (".keras", ".h5", ".hdf5")
_MISSING = re.compile(
    r"(Could not locate (class|function) '[^']+'|Unknown (layer|activation|loss|metric)\W+'?[\w.]+'?)")
_SAVE_HINT = "Fix: save the trained model with model.save('mine.keras') (Keras 3 or tf_keras) and pass that file."


def _saved_by_keras3(path: Path) -> bool:
    """Whether Keras 3 wrote ``path`` (its recorded keras_version starts with 3); tf_keras writes 2.x."""
    version = ""
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                version = json.loads(archive.read("metadata.json")).get("keras_version", "")
        except (zipfile.BadZipFile, KeyError, ValueError) as error:
            raise UnsupportedModelError(
                f"{path} is not a readable .keras archive ({type(error).__name__}: {error}). {_SAVE_HINT}"
            ) from error
    else:
        import h5py

        try:
            with h5py.File(path, "r") as archive:
                version = archive.attrs.get("keras_version", "")
        except OSError as error:
            raise UnsupportedModelError(f"{path} is not a readable HDF5 file ({error}). {_SAVE_HINT}") from error
        version = version.decode() if isinstance(version, bytes) else str(version)
    return version.startswith("3")


def _check_saved_model(path: Path) -> None:
    if not (path / "saved_model.pb").exists():
        raise UnsupportedModelError(
            f"{path} is a folder but not a SavedModel (no saved_model.pb). Pass a .keras or .h5 file, or a "
            f"SavedModel folder written by tf_keras' model.save('folder'). {_SAVE_HINT}"
        )
    if not (path / "keras_metadata.pb").exists():
        raise UnsupportedModelError(
            f"{path} is a SavedModel without Keras metadata (written by model.export() or tf.saved_model.save): "
            "it holds an inference graph but no Keras layers, so no technique can be applied to it. "
            f"{_SAVE_HINT} Or convert it yourself and run `python -m workshop_utils profile FILE.tflite`."
        )


def _load(loader: Any, path: Path, custom_objects: dict[str, Any] | None, **options: Any):
    """``loader(path)`` with the compile settings the file holds, or without them if they cannot be rebuilt."""
    try:
        return loader(path, custom_objects=custom_objects, **options)
    except Exception as first:  # noqa: BLE001 - retried without the compile settings, then explained
        try:
            model = loader(path, custom_objects=custom_objects, compile=False, **options)
        except Exception as error:  # noqa: BLE001 - every loader failure gets one explained error
            text = " ".join(str(error).split())
            missing = _MISSING.search(text)
            if missing:  # Keras buries the unknown name deep in a long message: say it first
                text = f"{missing.group(0)}. {text}"
            if "safe_mode" in text or "Lambda" in text:
                fix = ("Its Lambda layer holds Python code that is not loaded by default. Fix: replace the Lambda by "
                       "standard layers, or load it yourself with keras.models.load_model(path, safe_mode=False) "
                       "and pass the model object.")
            else:
                fix = ("If it uses custom layers, losses or activations, pass them: "
                       "wu.load_model(path, custom_objects={'MyLayer': MyLayer}); the TFMOT techniques still need "
                       "standard layers (build the model as Sequential/functional from keras.layers).")
            raise UnsupportedModelError(f"Cannot load {path}: {type(error).__name__}: {text[:500]} {fix}") from error
        warnings.warn(
            f"Loaded {path.name} without its compile settings ({type(first).__name__}: {str(first)[:200]}); the "
            "recipes will fine-tune it with the workshop's defaults (Adam, sparse categorical cross-entropy).",
            stacklevel=3,
        )
        return model


def load_model(path: str | Path, custom_objects: dict[str, Any] | None = None):
    """The model saved at ``path``, loaded by the Keras that saved it: a Keras 3 or a tf_keras model.

    ``.keras`` and ``.h5`` files record the Keras version that wrote them; a folder must be a tf_keras
    SavedModel (one with ``keras_metadata.pb``). The file's compile settings (loss, optimizer) are kept where it
    has them, so the recipes fine-tune with them. Pass the result to ``wu.to_tf_keras`` for a tf_keras twin.
    """
    path = Path(path).expanduser()
    if not path.exists():
        raise UnsupportedModelError(f"No model file at {path}. Fix: check the path (relative to {Path.cwd()}).")
    if path.is_dir():
        import tf_keras

        _check_saved_model(path)
        return _load(tf_keras.models.load_model, path, custom_objects)
    suffix = path.suffix.lower()
    if suffix == ".tflite":
        raise UnsupportedModelError(
            f"{path} is already a TFLite model: no technique can be applied to it. Fix: run "
            "`python -m workshop_utils profile FILE.tflite` for its size and TFLite Micro support, or pass the "
            "Keras model it was converted from."
        )
    if suffix not in SUFFIXES:
        raise UnsupportedModelError(
            f"{path} has the extension '{path.suffix}'; a model must be a .keras or .h5 file or a SavedModel "
            f"folder. {_SAVE_HINT}"
        )
    if _saved_by_keras3(path):
        import keras

        return _load(keras.models.load_model, path, custom_objects)
    import tf_keras

    return _load(tf_keras.models.load_model, path, custom_objects)
