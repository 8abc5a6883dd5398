"""Latency with the LiteRT interpreter: interleaved rounds, bootstrap intervals, speed direction."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .interpreter import make_interpreter, quantize_input

SAME_SPEED_MARGIN = 0.05  # an interval inside 1 ± 5% is "the same speed"; a median within 5% is "slightly"
LATENCY_NOTE = "absolute times are for this machine only; compare speedups, not microseconds"


def _percentiles(samples: np.ndarray) -> tuple[float, float, float]:
    p5, median, p95 = np.percentile(samples, [5, 50, 95])
    return float(median), float(p5), float(p95)


def _bootstrap_ratio_ci(
    base_rounds: np.ndarray,
    other_rounds: np.ndarray,
    rng: np.random.Generator,
    groups: np.ndarray | None = None,
    n_boot: int = 2000,
) -> tuple[float, float]:
    """95% interval of the median per-round speedup.

    Two-level bootstrap: resample the groups (interpreter instances), then whole rounds within each, so
    the interval includes the spread between instances and not only between rounds.
    """
    ratios = base_rounds / other_rounds
    groups = np.arange(len(ratios)) if groups is None else np.asarray(groups)
    members = [np.flatnonzero(groups == g) for g in np.unique(groups)]
    medians = np.empty(n_boot)
    for b in range(n_boot):
        chosen = rng.integers(0, len(members), size=len(members))
        picks = np.concatenate([rng.choice(members[c], size=len(members[c])) for c in chosen])
        medians[b] = np.median(ratios[picks])
    low, high = np.percentile(medians, [2.5, 97.5])
    return float(low), float(high)


def benchmark_latency(
    models: Mapping[str, bytes],
    sample: np.ndarray,
    num_threads: int = 1,
    warmup_s: float = 0.5,
    rounds: int = 20,
    round_s: float = 0.1,
    seed: int = 0,
    progress: bool = False,
    instances: int = 3,
) -> pd.DataFrame:
    """Batch-1 latency of several TFLite models, measured fairly on a noisy shared CPU.

    Like TFLite's ``benchmark_model``: explicit thread count, a warm-up of ``warmup_s`` seconds per
    model, and only ``invoke()`` is timed. Unlike a one-off run, the models take turns in ``rounds``
    randomly ordered rounds of about ``round_s`` seconds each, so machine noise hits them all alike.
    Each model is loaded into ``instances`` interpreters used in turn, because two loads of the same
    model can differ by a fraction of a percent (memory layout); the interval then covers that too,
    so a rerun's speedup falls inside it. Returns median/p5/p95 microseconds and, against the first
    model, the median per-round speedup with a bootstrap 95% interval over rounds. Absolute times are
    for this machine only.
    """
    if not models:
        raise ValueError("benchmark_latency needs at least one model, e.g. {'float32': blob}.")
    if rounds < 2:
        raise ValueError("Use at least 2 rounds so the speedup has an interval.")
    if instances < 1:
        raise ValueError(f"instances must be at least 1; got {instances}.")
    sample = np.asarray(sample)
    if sample.ndim >= 1 and sample.shape[0] != 1:
        raise ValueError(f"sample must be one image with a batch axis, e.g. ds.x_test[:1]; got shape {sample.shape}.")
    names = list(models)
    runners: dict[str, list] = {name: [] for name in names}
    for name in names:
        for _ in range(instances):
            interpreter = make_interpreter(models[name], num_threads)
            inp = interpreter.get_input_details()[0]
            if tuple(inp["shape"]) != sample.shape:
                raise ValueError(f"Model {name!r} takes input {tuple(inp['shape'])}; sample is {sample.shape}.")
            interpreter.set_tensor(inp["index"], quantize_input(sample, inp))
            runners[name].append(interpreter)
    for copies in runners.values():  # warm up caches, XNNPACK packing and CPU clocks
        deadline = time.perf_counter() + warmup_s
        while time.perf_counter() < deadline:
            for interpreter in copies:
                interpreter.invoke()
    rng = np.random.default_rng(seed)
    times: dict[str, list[float]] = {name: [] for name in names}
    round_medians: dict[str, list[float]] = {name: [] for name in names}
    iterator = range(rounds)
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(iterator, desc="latency rounds", leave=False)
    for round_index in iterator:
        for index in rng.permutation(len(names)):
            name = names[index]
            invoke = runners[name][round_index % instances].invoke
            round_times = []
            deadline = time.perf_counter() + round_s
            while True:
                start = time.perf_counter_ns()
                invoke()
                round_times.append((time.perf_counter_ns() - start) / 1000.0)
                if time.perf_counter() >= deadline:
                    break
            times[name].extend(round_times)
            round_medians[name].append(float(np.median(round_times)))
    base = np.array(round_medians[names[0]])
    instance_of_round = np.arange(rounds) % instances
    rows = []
    for name in names:
        median, p5, p95 = _percentiles(np.array(times[name]))
        per_round = np.array(round_medians[name])
        low, high = _bootstrap_ratio_ci(base, per_round, rng, groups=instance_of_round)
        rows.append({
            "model": name, "median_us": median, "p5_us": p5, "p95_us": p95,
            "speedup_x": float(np.median(base / per_round)), "speedup_ci_low": low, "speedup_ci_high": high,
            "n_invokes": len(times[name]),
        })
    table = pd.DataFrame(rows).set_index("model")
    table.attrs["note"] = LATENCY_NOTE
    table.attrs["num_threads"] = num_threads
    return table


def all_cores() -> int:
    """The cores this process may use (a container or job scheduler can allow fewer than the machine has)."""
    from .machine import machine_info

    return machine_info().cores


def latency_by_threads(
    models: Mapping[str, bytes], sample: np.ndarray, thread_counts: tuple[int, ...] | None = None, **options
) -> pd.DataFrame:
    """The same models measured with each thread count (default: 1 and all cores), side by side.

    Columns per count n: ``median_us_{n}t``, ``speedup_x_{n}t`` (against the first model at n threads) and
    its interval ``speedup_ci_low_{n}t``/``speedup_ci_high_{n}t``; then ``threads_gain_x`` = median at the
    fewest threads / median at the most (how much the extra cores help each model). ``options`` go to
    :func:`benchmark_latency` (rounds, round_s, ...).
    """
    counts = tuple(dict.fromkeys(thread_counts or (1, all_cores())))
    if any(not isinstance(n, int) or n < 1 for n in counts):
        raise ValueError(f"thread_counts must be positive integers, e.g. (1, {all_cores()}); got {thread_counts}.")
    columns = ("median_us", "speedup_x", "speedup_ci_low", "speedup_ci_high")
    parts = []
    for n in counts:
        measured = benchmark_latency(models, sample, num_threads=n, **options)
        parts.append(measured[list(columns)].rename(columns=lambda c, n=n: f"{c}_{n}t"))
    table = pd.concat(parts, axis=1)
    table["threads_gain_x"] = table[f"median_us_{counts[0]}t"] / table[f"median_us_{counts[-1]}t"]
    table.attrs.update({"note": LATENCY_NOTE, "thread_counts": counts})
    return table


def speed_direction(
    speedup_x: float, ci_low: float, ci_high: float, margin: float = SAME_SPEED_MARGIN
) -> str:
    """One of "faster", "slightly faster", "slower", "slightly slower", "same", "not measured".

    "faster"/"slower" need the whole 95% interval on one side of 1.00x and the median at least ``margin``
    away from it; "slightly ..." when the interval excludes 1.00x but the median is within ``margin``;
    "same" when the interval contains 1.00x.
    """
    values = (speedup_x, ci_low, ci_high)
    if any(value is None or (isinstance(value, float) and math.isnan(value)) for value in values):
        return "not measured"
    if ci_low > 1.0:
        return "faster" if speedup_x >= 1.0 + margin else "slightly faster"
    if ci_high < 1.0:
        return "slower" if speedup_x <= 1.0 - margin else "slightly slower"
    return "same"
