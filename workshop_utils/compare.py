"""The comparison: every (technique, conversion) row measured on one baseline, with per-row caching.

Both ``python -m workshop_utils compare`` and the notebooks' dashboard call :func:`run_comparison`, so
there is one implementation of the table.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import cache
from .convert import CALIBRATION_MODES, to_tflite
from .data import Dataset
from .env import fast_mode
from .measure import benchmark_latency, evaluate_tflite, model_size
from .models import get_baseline
from .report import ModelResult, results_table

CALIBRATION_SAMPLES = 200
REFERENCE_ROW = "float32"


@dataclass(frozen=True)
class Row:
    """One comparison row: a technique (Keras level) followed by a conversion mode (TFLite level)."""

    name: str
    technique: str  # "baseline" or a name in workshop_utils.recipes.RECIPES
    mode: str
    description: str


ROWS: tuple[Row, ...] = (
    Row("float32", "baseline", "float32", "no optimization (reference)"),
    Row("dynamic_range", "baseline", "dynamic_range", "PTQ: int8 weights, float activations"),
    Row("full_integer", "baseline", "full_integer", "PTQ: int8 weights and activations"),
    Row("float16", "baseline", "float16", "PTQ: float16 weights"),
    Row("int16x8", "baseline", "int16x8", "PTQ: int16 activations, int8 weights"),
    Row("qat_int8", "qat", "full_integer", "quantization-aware training"),
    Row("pruned", "prune", "float32", "magnitude pruning to 80% sparsity"),
    Row("pruned_int8", "prune", "full_integer", "pruning + full integer PTQ"),
    Row("clustered", "cluster", "float32", "weight clustering, 16 clusters"),
    Row("clustered_int8", "cluster", "full_integer", "clustering + full integer PTQ"),
    Row("pqat_int8", "pqat", "full_integer", "pruning + sparsity-preserving QAT"),
    Row("cqat_int8", "cqat", "full_integer", "clustering + cluster-preserving QAT"),
    Row("pcqat_int8", "pcqat", "full_integer", "pruning + clustering + preserving QAT"),
)
ROW_NAMES = tuple(row.name for row in ROWS)


def select_rows(only: Sequence[str] | None = None) -> list[Row]:
    """The rows to produce, always starting with the float32 reference; unknown names raise."""
    if not only:
        return list(ROWS)
    unknown = [name for name in only if name not in ROW_NAMES]
    if unknown:
        raise ValueError(f"Unknown row(s) {unknown}. Valid rows: {', '.join(ROW_NAMES)}.")
    wanted = {REFERENCE_ROW, *only}
    return [row for row in ROWS if row.name in wanted]


@dataclass
class Comparison:
    """The outcome of :func:`run_comparison`: the table plus bookkeeping."""

    table: pd.DataFrame
    blobs: dict[str, bytes]
    seconds: dict[str, float] = field(default_factory=dict)  # technique + conversion time per row
    cached: dict[str, bool] = field(default_factory=dict)


def _technique_model(technique: str, baseline, dataset: Dataset, recipe_options: dict[str, Any]):
    if technique == "baseline":
        return baseline
    from .recipes import RECIPES

    return RECIPES[technique](baseline, dataset, **recipe_options.get(technique, {}))


def _recipes_fingerprint() -> str:
    """A hash of the recipes' source: a changed default or fix invalidates the rows it produced."""
    folder = Path(__file__).parent / "recipes"
    return cache.cache_key({path.name: path.read_text() for path in sorted(folder.glob("*.py"))})


def _row_key(row: Row, baseline_key: str, fast: bool, options: dict[str, Any]) -> str:
    import tensorflow as tf

    return cache.cache_key({
        "row": row.name, "technique": row.technique, "mode": row.mode, "baseline": baseline_key,
        "fast": fast, "options": options, "calibration": CALIBRATION_SAMPLES, "tensorflow": tf.__version__,
        "recipes": _recipes_fingerprint() if row.technique != "baseline" else None,
    })


def _load_row(folder: Path, key: str) -> tuple[bytes, dict[str, Any]] | None:
    meta = cache.read_json(folder / f"{key}.json")
    blob_path = folder / f"{key}.tflite"
    if meta is None or meta.get("key") != key or not blob_path.exists():
        return None
    blob = blob_path.read_bytes()
    if len(blob) != meta.get("raw_bytes"):
        return None  # truncated or replaced: recompute
    return blob, meta


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
            hit = _load_row(folder, key) if use_cache else None
            if hit is None:
                log(f"[{row.name}] {row.description}: computing")
                start = time.perf_counter()
                if row.technique not in technique_models:
                    technique_models[row.technique] = _technique_model(row.technique, baseline, dataset, recipe_options)
                calibration = dataset.x_train[:CALIBRATION_SAMPLES] if row.mode in CALIBRATION_MODES else None
                blob = to_tflite(technique_models[row.technique], row.mode, representative_data=calibration)
                accuracy = evaluate_tflite(blob, dataset.x_test, dataset.y_test)
                meta = {"key": key, "row": row.name, "accuracy": accuracy, "raw_bytes": len(blob),
                        "seconds": time.perf_counter() - start}
                cache.write_bytes_atomic(folder / f"{key}.tflite", blob)
                cache.write_json_atomic(folder / f"{key}.json", meta)
            else:
                blob, meta = hit
                log(f"[{row.name}] loaded from cache")
        blobs[row.name] = blob
        seconds[row.name] = float(meta["seconds"])
        cached[row.name] = hit is not None
        results.append(ModelResult(row.name, model_size(blob), float(meta["accuracy"])))
    latency = None
    if measure_latency:
        log(f"Measuring latency of {len(blobs)} models (batch 1, {num_threads} thread(s), interleaved rounds)")
        settings = {"rounds": 12, "round_s": 0.04, "warmup_s": 0.5} if fast else {"rounds": 21, "round_s": 0.1}
        latency = benchmark_latency(blobs, dataset.x_test[:1], num_threads=num_threads, progress=True, **settings)
    table = results_table(results, latency, reference=REFERENCE_ROW)
    return Comparison(table=table, blobs=blobs, seconds=seconds, cached=cached)


def decision_table(comparison: Comparison) -> pd.DataFrame:
    """What each row buys and costs on this machine, worded from the measured numbers."""
    table = comparison.table
    specs = {row.name: row for row in ROWS}
    records = []
    for name, row in table.iterrows():
        spec = specs.get(name)
        speed = row["speedup_x"]
        if pd.isna(speed):
            speed_text = "not measured"
        elif row["speedup_ci_low"] > 1.05:
            speed_text = f"faster ({speed:.2f}x)"
        elif row["speedup_ci_high"] < 0.95:
            speed_text = f"slower ({speed:.2f}x)"
        else:
            speed_text = f"same speed ({speed:.2f}x)"
        records.append({
            "row": name,
            "what it does": spec.description if spec else "",
            "needs training": "no" if spec is None or spec.technique == "baseline" else "yes (fine-tune)",
            "smaller (zipped)": f"{row['compression_x']:.1f}x",
            "accuracy cost (pts)": f"{-row['accuracy_delta_pts']:+.2f}",
            "speed on this CPU": speed_text,
            "time to produce (s)": round(comparison.seconds.get(name, float("nan")), 1),
        })
    return pd.DataFrame(records).set_index("row")
