"""The comparison: every (technique, conversion) row measured on one baseline, with per-row caching.

Both ``python -m workshop_utils compare`` and the notebooks' dashboard call :func:`run_comparison`, so
there is one implementation of the table."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..conversion.convert import CALIBRATION_MODES
from ..core import cache
from ..core.env import fast_mode
from ..data.datasets import Dataset
from ..measurement.interpreter import evaluate_tflite
from ..measurement.latency import benchmark_latency, speed_direction
from ..measurement.machine import machine_info
from ..measurement.mcu import McuUnavailableError, arena_or_reason, is_transient
from ..measurement.size import model_size
from ..models.baseline import get_baseline
from ..models.keras_tools import keras_accuracy
from .modes import convert_row, mode_versions
from .results import ModelResult, results_table
from .rows import REFERENCE_ROW, ROWS, Row, select_rows
from .source import ModelSource
from .techniques import SHARED_STAGES, failure_note, technique_model  # noqa: F401 - SHARED_STAGES: public here too

CALIBRATION_SAMPLES = 200
MCU_CHECK_IMAGES = 100  # test images on which TFLite Micro's predictions are checked against LiteRT's


@dataclass
class Comparison:
    """The outcome of :func:`run_comparison`: the table plus bookkeeping."""

    table: pd.DataFrame
    blobs: dict[str, bytes]
    seconds: dict[str, float] = field(default_factory=dict)  # technique + conversion time per row
    cached: dict[str, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # messages about the whole run (e.g. a model not bridged)
    source: str = "the workshop's baseline"  # where the rows start


def _recipes_fingerprint() -> str:
    """A hash of the recipes' source: a changed default or fix invalidates the rows it produced."""
    folder = Path(__file__).parents[1] / "recipes"
    return cache.cache_key({path.name: path.read_text() for path in sorted(folder.glob("*.py"))})


def _row_key(row: Row, baseline_key: str, fast: bool, options: dict[str, Any]) -> str:
    import tensorflow as tf

    parts = {
        "row": row.name, "technique": row.technique, "mode": row.mode, "baseline": baseline_key,
        "fast": fast, "options": options, "calibration": CALIBRATION_SAMPLES, "tensorflow": tf.__version__,
        "recipes": _recipes_fingerprint() if row.technique != "baseline" else None,
    }
    for package, package_version in mode_versions(row.mode).items():  # converter-mode keys stay as they were
        parts[package.replace("-", "_")] = package_version
    return cache.cache_key(parts)


def _with_mcu(meta: dict[str, Any], blob: bytes, meta_path: Path, dataset: Dataset) -> dict[str, Any]:
    """``meta`` with TFLite Micro's arena (or why there is none), measured once and cached beside the row.

    Without tflite-micro nothing is cached, so the arena is measured on a later run where it is installed.
    """
    if "mcu_arena_bytes" in meta:
        return meta
    try:
        arena, note = arena_or_reason(blob, dataset.x_test[:MCU_CHECK_IMAGES])
    except McuUnavailableError:
        return {**meta, "mcu_note": "tflite-micro is not available on this platform (Linux x86-64 wheels only)"}
    meta = {**meta, "mcu_arena_bytes": arena, "mcu_note": note}
    if not is_transient(note):  # a time-out on a busy machine is measured again next run, not cached for good
        cache.write_json_atomic(meta_path, meta)
    return meta


def _load_row(folder: Path, key: str) -> tuple[tuple[bytes, dict[str, Any]] | None, str | None]:
    """(the cached blob and metadata, None), or (None, why it is unusable); (None, None) when never cached."""
    meta_path, blob_path = folder / f"{key}.json", folder / f"{key}.tflite"
    if not meta_path.exists() and not blob_path.exists():
        return None, None
    meta = cache.read_json(meta_path)
    if meta is None:
        return None, "its metadata is missing or unreadable"
    if meta.get("key") != key:
        return None, "its metadata belongs to other settings (stale)"
    if not all(isinstance(meta.get(field_), (int, float)) for field_ in ("accuracy", "raw_bytes", "seconds")):
        return None, "its metadata lacks accuracy, raw_bytes or seconds (corrupt)"
    if not blob_path.exists():
        return None, "its .tflite file is missing"
    blob = blob_path.read_bytes()
    if len(blob) != meta["raw_bytes"]:
        return None, f"its .tflite file has {len(blob)} bytes instead of {meta['raw_bytes']} (truncated or replaced)"
    if blob[4:8] != b"TFL3":
        return None, "its .tflite file is not a TFLite model (corrupt)"
    return (blob, meta), None


def _source(dataset: Dataset, model: Any) -> ModelSource:
    if model is None:
        baseline, info = get_baseline(dataset, return_info=True)
        return ModelSource.baseline(baseline, info.path.stem)
    return ModelSource.user(model, dataset)


def _note(row: Row, step: str, error: Exception, source: ModelSource, notes: list[str], log) -> str:
    """The row note for a row that failed; an unbridgeable model is also reported once in ``notes``."""
    if step != "technique":
        what = f"conversion to {row.mode}" if step == "conversion" else "running the converted model in LiteRT"
        return failure_note(what, error, fix="leave this row out with --only; the other rows do not need it")
    if error is source.bridge_error:
        if not notes or "cannot be bridged" not in notes[0]:
            notes.insert(0, f"{source.label} cannot be bridged to tf_keras, so the TFMOT technique rows are "
                            f"empty (the conversion rows convert it directly): {' '.join(str(error).split())}")
            log(notes[0])
        return "TFMOT needs a tf_keras twin of the model, which cannot be built: " + " ".join(str(error).split())
    return failure_note(row.technique, error)


def _technique_of(row: Row, source: ModelSource, models: dict[str, Any], dataset: Dataset, recipe_options,
                  fast_arg: bool | None) -> Any:
    """The Keras model the row converts: the source's, or its technique's (trained once, kept in ``models``)."""
    if row.technique == "baseline":
        return source.for_conversion()
    if row.technique not in models:
        models[row.technique] = technique_model(
            row.technique, source.twin(), dataset, recipe_options, stages=models, fast=fast_arg)
    return models[row.technique]


def run_comparison(
    dataset: Dataset,
    model: Any = None,
    only: Sequence[str] | None = None,
    num_threads: int = 1,
    fast: bool | None = None,
    recipe_options: dict[str, dict[str, Any]] | None = None,
    measure_latency: bool = True,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
) -> Comparison:
    """Produce the comparison rows for ``dataset`` (all of them, or ``only`` these plus float32).

    Without ``model`` the rows start from the workshop's baseline (trained on ``dataset``, cached). With
    ``model`` (a Keras 3 or tf_keras model, or the path of a .keras/.h5/SavedModel) they start from it: the
    float32 row is that model, the conversion rows convert it, and the technique rows train its tf_keras twin
    (:func:`wu.to_tf_keras`). A technique that cannot be applied (a layer TFMOT refuses, a model that cannot
    be bridged) leaves its rows empty with the reason in ``row_note``; the other rows are still produced.

    Each row's TFLite model and accuracy are cached under a key of their inputs (for a user's model: its
    architecture, weights and the data), so a rerun after an interruption only computes what is missing.
    ``fast`` (default: ``WORKSHOP_FAST``) shortens the recipes' fine-tuning and the latency benchmark. Latency
    is always measured fresh, for all rows together in interleaved rounds (fair against machine noise).
    """
    from tqdm.auto import tqdm

    fast_arg = fast
    fast = fast_mode() if fast is None else fast
    recipe_options = recipe_options or {}
    rows = select_rows(only)
    source = _source(dataset, model)
    folder = cache.cache_dir() / "rows"
    folder.mkdir(parents=True, exist_ok=True)
    technique_models: dict[str, Any] = {}
    failures: dict[str, str] = {}  # technique -> why its rows are empty
    blobs: dict[str, bytes] = {}
    results: list[ModelResult] = []
    seconds: dict[str, float] = {}
    cached: dict[str, bool] = {}
    notes: list[str] = []
    for row in tqdm(rows, desc="comparison rows", leave=False):
        if row.technique in failures:
            results.append(ModelResult(row.name, None, float("nan"), row_note=failures[row.technique]))
            continue
        key = _row_key(row, source.key, fast, recipe_options.get(row.technique, {}))
        with cache.lock(folder / key):
            hit, problem = _load_row(folder, key) if use_cache else (None, None)
            if problem:
                log(f"[{row.name}] cached row {folder / key}.* is unusable: {problem}. Recomputing.")
            if hit is None:
                log(f"[{row.name}] {row.description}: computing")
                start = time.perf_counter()
                step = "technique"
                try:
                    keras_model = _technique_of(row, source, technique_models, dataset, recipe_options, fast_arg)
                    step = "conversion"
                    calibration = dataset.x_train[:CALIBRATION_SAMPLES] if row.mode in CALIBRATION_MODES else None
                    blob = convert_row(keras_model, row.mode, calibration)
                    step = "measurement"
                    accuracy = evaluate_tflite(blob, dataset.x_test, dataset.y_test)
                except Exception as error:
                    if row.name == REFERENCE_ROW:
                        raise  # every other row is measured against it
                    note = _note(row, step, error, source, notes, log)
                    if step == "technique":
                        failures[row.technique] = note  # its other rows get the same note without a retry
                    log(f"[{row.name}] not produced: " + ("the model cannot be bridged (above)"
                                                         if error is source.bridge_error else note))
                    results.append(ModelResult(row.name, None, float("nan"), row_note=note))
                    continue
                meta = {"key": key, "row": row.name, "accuracy": accuracy, "raw_bytes": len(blob),
                        "seconds": time.perf_counter() - start}
                if row.name == REFERENCE_ROW and source.is_user:
                    meta["keras_accuracy"] = keras_accuracy(source.original, dataset.x_test, dataset.y_test)
                cache.write_bytes_atomic(folder / f"{key}.tflite", blob)
                cache.write_json_atomic(folder / f"{key}.json", meta)
            else:
                blob, meta = hit
                log(f"[{row.name}] loaded from cache")
            meta = _with_mcu(meta, blob, folder / f"{key}.json", dataset)
        if row.name == REFERENCE_ROW and "keras_accuracy" in meta:
            log(f"{source.label}: Keras test accuracy {meta['keras_accuracy']:.2%}, "
                f"as TFLite float32 {meta['accuracy']:.2%}")
        blobs[row.name] = blob
        seconds[row.name] = float(meta["seconds"])
        cached[row.name] = hit is not None
        arena = meta.get("mcu_arena_bytes")
        results.append(ModelResult(row.name, model_size(blob), float(meta["accuracy"]),
                                   float("nan") if arena is None else float(arena), meta.get("mcu_note", "")))
    latency = None
    if measure_latency:
        log(f"Measuring latency of {len(blobs)} models (batch 1, {num_threads} thread(s), interleaved rounds)")
        settings = {"rounds": 12, "round_s": 0.04, "warmup_s": 0.5} if fast else {"rounds": 21, "round_s": 0.1}
        latency = benchmark_latency(blobs, dataset.x_test[:1], num_threads=num_threads, progress=True, **settings)
    table = results_table(results, latency, reference=REFERENCE_ROW)
    table.attrs["source"] = source.label
    return Comparison(table=table, blobs=blobs, seconds=seconds, cached=cached, notes=notes, source=source.label)


def decision_table(comparison: Comparison) -> pd.DataFrame:
    """What each row buys and costs on this machine, worded from the measured numbers.

    The speed column follows :func:`~workshop_utils.measurement.latency.speed_direction` (the interval decides); the
    sentences and likely causes per row are :func:`~workshop_utils.report.verdicts.explain_speeds`. ``attrs["machine"]``
    holds the stamp of the machine the latency was measured on.
    """
    table = comparison.table
    specs = {row.name: row for row in ROWS}
    records = []
    for name, row in table.iterrows():
        spec = specs.get(name)
        speed, low, high = (float(row[c]) for c in ("speedup_x", "speedup_ci_low", "speedup_ci_high"))
        direction = speed_direction(speed, low, high)  # the same rule as wu.speed_verdict
        speed_text = direction if direction == "not measured" else (
            f"{'same speed' if direction == 'same' else direction} ({speed:.2f}x [{low:.2f}, {high:.2f}])")
        records.append({
            "row": name,
            "what it does": spec.description if spec else "",
            "needs training": "no" if spec is None or spec.technique == "baseline" else "yes (fine-tune)",
            "smaller (zipped)": "n/a" if pd.isna(row["compression_x"]) else f"{row['compression_x']:.1f}x",
            "accuracy cost (pts)": "n/a" if pd.isna(delta := row["accuracy_delta_pts"]) else f"{-delta:+.2f}",
            "speed on this CPU": speed_text,
            "time to produce (s)": round(comparison.seconds.get(name, float("nan")), 1),
        })
    decisions = pd.DataFrame(records).set_index("row")
    decisions.attrs["machine"] = str(machine_info())
    return decisions
