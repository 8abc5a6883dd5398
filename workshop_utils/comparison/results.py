"""The one results table: a row per technique x conversion, compression and accuracy deltas."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..measurement.machine import machine_info
from ..measurement.size import ModelSize

COLUMNS = (
    "technique", "raw_bytes", "zipped_bytes", "compression_x", "accuracy", "accuracy_delta_pts",
    "latency_median_us", "latency_p95_us", "speedup_x", "speedup_ci_low", "speedup_ci_high",
    "flash_bytes", "mcu_arena_bytes", "mcu_note", "row_note",
)


@dataclass(frozen=True)
class ModelResult:
    """One measured model: its name, size and accuracy (latency is measured for all models together).

    A row that could not be produced has ``size=None``, NaN accuracy and the reason in ``row_note``.
    """

    technique: str
    size: ModelSize | None
    accuracy: float
    mcu_arena_bytes: float = float("nan")  # TensorFlow Lite Micro's tensor arena (wu.mcu); NaN: cannot run
    mcu_note: str = ""  # why there is no arena (refused by TFLM, tflite-micro unavailable), else ""
    row_note: str = ""  # why the row has no model (its technique failed on this model), else ""

    @property
    def raw_bytes(self) -> float:
        return float("nan") if self.size is None else self.size.raw_bytes

    @property
    def zipped_bytes(self) -> float:
        return float("nan") if self.size is None else self.size.zipped_bytes


def results_table(
    results: Sequence[ModelResult], latency: pd.DataFrame | None = None, reference: str | None = None
) -> pd.DataFrame:
    """The workshop's table: one row per result, compression and accuracy against ``reference``.

    ``reference`` (default: the first result, normally float32) sets compression_x = reference zipped
    / this zipped and accuracy_delta_pts = (this - reference) accuracy in percentage points.
    ``latency`` is :func:`~workshop_utils.measurement.latency.benchmark_latency`'s output, indexed by technique.
    ``attrs["machine"]`` records where it was measured (:func:`~workshop_utils.measurement.machine.machine_info`'s
    fields and its one-line "stamp"), which every output of the table prints.
    """
    if not results:
        raise ValueError("results_table needs at least one ModelResult.")
    names = [r.technique for r in results]
    if len(set(names)) != len(names):
        raise ValueError(f"Duplicate technique names in {names}; each row needs its own name.")
    reference = reference or names[0]
    if reference not in names:
        raise ValueError(f"Reference {reference!r} is not among the results {names}.")
    ref = results[names.index(reference)]
    if ref.size is None:
        raise ValueError(f"The reference row {reference!r} has no model ({ref.row_note}); nothing to compare with.")
    table = pd.DataFrame({
        "technique": names,
        "raw_bytes": [r.raw_bytes for r in results],
        "zipped_bytes": [r.zipped_bytes for r in results],
        "accuracy": [r.accuracy for r in results],
        "flash_bytes": [r.raw_bytes for r in results],  # on a microcontroller the flatbuffer sits in flash as is
        "mcu_arena_bytes": [float(r.mcu_arena_bytes) for r in results],
        "mcu_note": [r.mcu_note for r in results],
        "row_note": [r.row_note for r in results],
    })
    table["compression_x"] = ref.size.zipped_bytes / table["zipped_bytes"]
    table["accuracy_delta_pts"] = (table["accuracy"] - ref.accuracy) * 100
    latency_columns = {
        "median_us": "latency_median_us", "p95_us": "latency_p95_us", "speedup_x": "speedup_x",
        "speedup_ci_low": "speedup_ci_low", "speedup_ci_high": "speedup_ci_high",
    }
    for source, target in latency_columns.items():
        if latency is not None and source in latency.columns:
            table[target] = table["technique"].map(latency[source]).astype(float)
        else:
            table[target] = np.nan
    table = table[list(COLUMNS)].set_index("technique")
    if latency is not None:
        table.attrs.update(latency.attrs)
    table.attrs["machine"] = machine_info().to_dict()
    return table
