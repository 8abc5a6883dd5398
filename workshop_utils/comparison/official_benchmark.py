"""Check the workshop's latency harness against LiteRT's own benchmark tool (``benchmark_litert_model.py``).

LiteRT 2.x ships ``ai_edge_litert/tools/benchmark_litert_model.py``: it loads a model with the
``CompiledModel`` API (CPU accelerator = XNNPACK), fills the inputs with random values, runs warm-up and
timed runs and writes a JSON summary. :func:`official_latency` runs it as a subprocess with an explicit
thread count; :func:`compare_with_official_tool` measures the same models with it and with
:func:`~workshop_utils.measurement.latency.benchmark_latency`, and returns both speedups side by side.

The tool reports milliseconds rounded to 0.01 ms, so a model that runs in tens of microseconds (the
workshop's MNIST CNN) gets a median that is only good to about 10-20%; the check is meaningful on models
that take a millisecond or more (see :func:`scaled_baseline_pair`).
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..measurement.interpreter import as_blob
from ..measurement.latency import benchmark_latency

TOOL_MODULE = "ai_edge_litert.tools.benchmark_litert_model"
TOOL_RESOLUTION_MS = 0.01  # the tool rounds every latency it reports to 0.01 ms


class OfficialToolError(RuntimeError):
    """LiteRT's benchmark tool is missing or failed; the message gives its reason."""


def official_tool_problem() -> str | None:
    """Why the official tool cannot run here (None when it can): a missing module or dependency."""
    for module in (TOOL_MODULE, "ml_dtypes"):
        try:
            if importlib.util.find_spec(module) is None:
                return f"{module} is not installed (pip install ai-edge-litert, which ships the tool)"
        except ModuleNotFoundError as error:
            return f"{module} cannot be found: {error}"
    return None


def official_latency(
    model: bytes | str | Path,
    num_threads: int = 1,
    num_runs: int = 500,
    warmup_runs: int = 50,
    timeout_s: float = 300,
) -> dict:
    """Run ``python -m ai_edge_litert.tools.benchmark_litert_model`` on ``model``; returns its JSON summary.

    The summary's "latency" holds init/avg/median/p5/p95 milliseconds (rounded by the tool to 0.01 ms).
    Raises :class:`OfficialToolError` with the tool's last error lines when it cannot run.
    """
    problem = official_tool_problem()
    if problem:
        raise OfficialToolError(problem)
    if num_threads < 1 or num_runs < 1 or warmup_runs < 0:
        raise ValueError(f"num_threads and num_runs must be >= 1 and warmup_runs >= 0; got "
                         f"{num_threads}, {num_runs}, {warmup_runs}.")
    blob = as_blob(model)
    with tempfile.TemporaryDirectory(prefix="litert_bench_") as folder:
        model_path, result_path = Path(folder) / "model.tflite", Path(folder) / "result.json"
        model_path.write_bytes(blob)
        command = [sys.executable, "-m", TOOL_MODULE, f"--model={model_path}", f"--num_threads={num_threads}",
                   f"--num_runs={num_runs}", f"--warmup_runs={warmup_runs}", f"--result_json={result_path}"]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s, check=False)
        except subprocess.TimeoutExpired as error:
            raise OfficialToolError(f"the benchmark tool did not finish within {timeout_s:.0f} s") from error
        if done.returncode != 0 or not result_path.exists():
            tail = " | ".join(done.stderr.strip().splitlines()[-3:])
            raise OfficialToolError(f"the benchmark tool exited with code {done.returncode}: {tail}")
        return json.loads(result_path.read_text())


def compare_with_official_tool(
    models: Mapping[str, bytes],
    sample: np.ndarray,
    num_threads: int = 1,
    repeats: int = 3,
    num_runs: int = 500,
    rounds: int = 20,
    round_s: float = 0.1,
) -> pd.DataFrame:
    """Latency and speedup of each model (against the first) by the workshop harness and by LiteRT's tool.

    The official tool runs ``repeats`` times per model, the models taking turns (so machine noise hits them
    alike); its latency is the median of the runs' medians. Columns: harness_median_us, harness_speedup_x,
    harness_ci_low, harness_ci_high, official_median_us, official_speedup_x, and official_vs_harness (the
    ratio of the two speedups; 1.0 = perfect agreement). ``attrs["official_resolution_us"]`` is the tool's
    rounding step.
    """
    if len(models) < 2:
        raise ValueError("compare_with_official_tool needs a reference and at least one other model.")
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1; got {repeats}.")
    names = list(models)
    official: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(repeats):
        for name in names:
            summary = official_latency(models[name], num_threads=num_threads, num_runs=num_runs)
            official[name].append(1000.0 * summary["latency"]["median_ms"])
    harness = benchmark_latency(models, sample, num_threads=num_threads, rounds=rounds, round_s=round_s)
    table = pd.DataFrame(index=pd.Index(names, name="model"))
    table["harness_median_us"] = harness["median_us"]
    table["harness_speedup_x"] = harness["speedup_x"]
    table["harness_ci_low"] = harness["speedup_ci_low"]
    table["harness_ci_high"] = harness["speedup_ci_high"]
    table["official_median_us"] = [float(np.median(official[name])) for name in names]
    table["official_speedup_x"] = table["official_median_us"].iloc[0] / table["official_median_us"]
    table["official_vs_harness"] = table["official_speedup_x"] / table["harness_speedup_x"]
    table.attrs.update({"num_threads": num_threads, "official_resolution_us": 1000.0 * TOOL_RESOLUTION_MS})
    return table


def scaled_baseline_pair(image_size: int = 84, calibration_images: int = 32, seed: int = 0) -> dict[str, bytes]:
    """float32 and full_integer conversions of the workshop CNN built for ``image_size`` square images.

    Same layers as the baseline, larger input: each run takes about a millisecond, where the official
    tool's 0.01 ms rounding no longer matters. Untrained weights (latency does not depend on their values);
    calibration on random images.
    """
    from ..conversion.convert import to_tflite
    from ..models.baseline import build_baseline

    model = build_baseline((image_size, image_size, 1), 10, seed=seed)
    rng = np.random.default_rng(seed)
    calibration = rng.random((calibration_images, image_size, image_size, 1), dtype=np.float32)
    return {"float32": to_tflite(model, "float32"),
            "full_integer": to_tflite(model, "full_integer", representative_data=calibration)}
