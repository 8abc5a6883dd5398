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
from ..measurement.mcu import McuUnavailableError, arena_or_reason
from ..measurement.size import model_size
from ..models.baseline import get_baseline
from .modes import convert_row, mode_versions
from .results import ModelResult, results_table
from .rows import REFERENCE_ROW, ROWS, Row, select_rows

CALIBRATION_SAMPLES = 200
MCU_CHECK_IMAGES = 100  # test images on which TFLite Micro's predictions are checked against LiteRT's


@dataclass
class Comparison:
    """The outcome of :func:`run_comparison`: the table plus bookkeeping."""

    table: pd.DataFrame
    blobs: dict[str, bytes]
    seconds: dict[str, float] = field(default_factory=dict)  # technique + conversion time per row
    cached: dict[str, bool] = field(default_factory=dict)


# Stages a collaborative recipe can take ready-made (technique -> (stage technique, recipe keyword)), so a cold
# run trains each stage once: pruning for pruned*, pqat and pcqat; clustering for clustered* and cqat.
SHARED_STAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "pqat": (("prune", "pruned"),), "cqat": (("cluster", "clustered"),), "pcqat": (("prune", "pruned"),),
}


def _technique_model(
    technique: str, baseline, dataset: Dataset, recipe_options: dict[str, Any], stages: dict[str, Any] | None = None
):
    """The row's Keras model. ``stages`` (technique -> model, filled here) shares a stage between recipes.

    A stage is shared only when neither recipe has options, so the shared model is exactly the one the
    recipe would train itself (the recipes seed every stage alike): the rows' cache keys stay valid.
    """
    if technique == "baseline":
        return baseline
    from ..recipes import RECIPES

    options = dict(recipe_options.get(technique, {}))
    if stages is not None and not options:
        for stage, keyword in SHARED_STAGES.get(technique, ()):
            if not recipe_options.get(stage):
                if stage not in stages:
                    stages[stage] = RECIPES[stage](baseline, dataset)
                options[keyword] = stages[stage]
    return RECIPES[technique](baseline, dataset, **options)


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


def run_comparison(
    dataset: Dataset,
    only: Sequence[str] | None = None,
    num_threads: int = 1,
    fast: bool | None = None,
    recipe_options: dict[str, dict[str, Any]] | None = None,
    measure_latency: bool = True,
    use_cache: bool = True,
    log: Callable[[str], None] = print,
) -> Comparison:
    """Produce the comparison rows for ``dataset`` (all of them, or ``only`` these plus float32).

    Each row's TFLite model and accuracy are cached under a key of their inputs, so a rerun after an
    interruption only computes what is missing. Latency is always measured fresh, for all rows
    together in interleaved rounds (fair against machine noise).
    """
    from tqdm.auto import tqdm

    fast = fast_mode() if fast is None else fast
    recipe_options = recipe_options or {}
    rows = select_rows(only)
    baseline, info = get_baseline(dataset, return_info=True)
    baseline_key = info.path.stem
    folder = cache.cache_dir() / "rows"
    folder.mkdir(parents=True, exist_ok=True)
    technique_models: dict[str, Any] = {"baseline": baseline}
    blobs: dict[str, bytes] = {}
    results: list[ModelResult] = []
    seconds: dict[str, float] = {}
    cached: dict[str, bool] = {}
    for row in tqdm(rows, desc="comparison rows", leave=False):
        key = _row_key(row, baseline_key, fast, recipe_options.get(row.technique, {}))
        with cache.lock(folder / key):
            hit, problem = _load_row(folder, key) if use_cache else (None, None)
            if problem:
                log(f"[{row.name}] cached row {folder / key}.* is unusable: {problem}. Recomputing.")
            if hit is None:
                log(f"[{row.name}] {row.description}: computing")
                start = time.perf_counter()
                if row.technique not in technique_models:
                    technique_models[row.technique] = _technique_model(
                        row.technique, baseline, dataset, recipe_options, stages=technique_models)
                calibration = dataset.x_train[:CALIBRATION_SAMPLES] if row.mode in CALIBRATION_MODES else None
                blob = convert_row(technique_models[row.technique], row.mode, calibration)
                accuracy = evaluate_tflite(blob, dataset.x_test, dataset.y_test)
                meta = {"key": key, "row": row.name, "accuracy": accuracy, "raw_bytes": len(blob),
                        "seconds": time.perf_counter() - start}
                cache.write_bytes_atomic(folder / f"{key}.tflite", blob)
                cache.write_json_atomic(folder / f"{key}.json", meta)
            else:
                blob, meta = hit
                log(f"[{row.name}] loaded from cache")
            meta = _with_mcu(meta, blob, folder / f"{key}.json", dataset)
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
    return Comparison(table=table, blobs=blobs, seconds=seconds, cached=cached)


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
            "smaller (zipped)": f"{row['compression_x']:.1f}x",
            "accuracy cost (pts)": f"{-row['accuracy_delta_pts']:+.2f}",
            "speed on this CPU": speed_text,
            "time to produce (s)": round(comparison.seconds.get(name, float("nan")), 1),
        })
    decisions = pd.DataFrame(records).set_index("row")
    decisions.attrs["machine"] = str(machine_info())
    return decisions
