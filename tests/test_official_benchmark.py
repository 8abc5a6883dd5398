"""The workshop's latency harness against LiteRT's own benchmark tool (benchmark_litert_model.py)."""

import numpy as np
import pytest

from workshop_utils.comparison import official_benchmark as ob

TOLERANCE = 0.15  # the two speedups must agree within 15%


def _skip_without_tool() -> None:
    problem = ob.official_tool_problem()
    if problem:
        pytest.skip(f"LiteRT's benchmark tool cannot run here: {problem}")


def test_official_tool_summary(blobs):
    _skip_without_tool()
    summary = ob.official_latency(blobs["float32"], num_threads=1, num_runs=20, warmup_runs=2)
    assert summary["num_threads"] == 1 and summary["latency"]["num_runs"] == 20
    assert summary["accelerators"] == ["CPU"]
    assert summary["latency"]["p5_ms"] <= summary["latency"]["median_ms"] <= summary["latency"]["p95_ms"]


def test_official_tool_failure_is_reported(tmp_path):
    _skip_without_tool()
    with pytest.raises(ValueError, match="not a TFLite model"):
        ob.official_latency(b"junkjunkjunk")
    with pytest.raises(ValueError, match="num_threads and num_runs"):
        ob.official_latency(tmp_path / "missing.tflite", num_threads=0)


def test_missing_tool_says_why(monkeypatch):
    monkeypatch.setattr(ob.importlib.util, "find_spec", lambda name: None)
    assert "is not installed" in ob.official_tool_problem()
    with pytest.raises(ob.OfficialToolError, match="is not installed"):
        ob.official_latency(b"")


def test_compare_needs_two_models(blobs):
    with pytest.raises(ValueError, match="at least one other model"):
        ob.compare_with_official_tool({"float32": blobs["float32"]}, np.zeros((1, 28, 28, 1), np.float32))


@pytest.mark.slow
def test_harness_and_official_tool_agree_on_the_int8_speedup():
    """float32 vs full_integer of the workshop CNN at 84x84 (about a millisecond per run), 1 thread."""
    _skip_without_tool()
    pair = ob.scaled_baseline_pair()
    tables = []
    for _attempt in range(2):  # a second measurement only when a burst of machine noise hit the first
        table = ob.compare_with_official_tool(pair, np.zeros((1, 84, 84, 1), np.float32), num_threads=1)
        print(table.round(3).to_string())
        tables.append(table)
        assert table["official_median_us"].min() >= 10 * table.attrs["official_resolution_us"]  # rounding negligible
        if abs(table.loc["full_integer", "official_vs_harness"] - 1) <= TOLERANCE:
            break
    agreement = tables[-1].loc["full_integer", "official_vs_harness"]
    assert abs(agreement - 1) <= TOLERANCE, "\n\n".join(t.round(3).to_string() for t in tables)
