import matplotlib
import pandas as pd

import workshop_utils as wu
from workshop_utils.comparison.run import Comparison, decision_table
from workshop_utils.report.dashboard import Dashboard

matplotlib.use("Agg")


def _comparison(threads: int = 1) -> Comparison:
    results = [
        wu.ModelResult("float32", wu.ModelSize(1000, 900), 0.97),
        wu.ModelResult("full_integer", wu.ModelSize(260, 225), 0.966),
        wu.ModelResult("pruned_int8", wu.ModelSize(250, 90), 0.95),
    ]
    latency = pd.DataFrame(
        {"median_us": [60.0, 24.0, 24.0], "p95_us": [70.0, 30.0, 31.0], "speedup_x": [1.0, 2.5, 0.5 + threads],
         "speedup_ci_low": [1.0, 2.4, 0.4 + threads], "speedup_ci_high": [1.0, 2.6, 0.6 + threads]},
        index=["float32", "full_integer", "pruned_int8"],
    )
    table = wu.results_table(results, latency)
    return Comparison(table=table, blobs={}, seconds={"float32": 1.0, "full_integer": 2.0, "pruned_int8": 9.0},
                      cached={})


def test_dashboard_controls_drive_the_choice(small_mnist):
    dashboard = Dashboard(_comparison(), small_mnist, rerun=lambda *a, **k: _comparison())
    dashboard.budget.value = 0.5
    assert "full_integer" in dashboard.status.value
    dashboard.budget.value = 3.0
    assert "pruned_int8" in dashboard.status.value
    dashboard.metric.value = "accuracy"
    assert list(dashboard.selected_table().index) == ["float32", "full_integer", "pruned_int8"]
    dashboard.techniques.value = ("float32",)
    assert dashboard.refresh() == "float32"


def test_dashboard_remeasure_uses_the_shared_code_path(small_mnist):
    calls = []

    def rerun(dataset, only, num_threads, log):
        calls.append((only, num_threads))
        return _comparison(num_threads)

    dashboard = Dashboard(_comparison(), small_mnist, rerun=rerun)
    dashboard.threads.value = 2
    dashboard.techniques.value = ("float32", "pruned_int8")
    result = dashboard.remeasure()
    assert calls == [(["float32", "pruned_int8"], 2)]
    assert result.table.loc["pruned_int8", "speedup_x"] == 2.5


def test_decision_table_wording_follows_numbers():
    decisions = decision_table(_comparison())
    assert decisions.loc["full_integer", "speed on this CPU"].startswith("faster")
    assert decisions.loc["pruned_int8", "speed on this CPU"].startswith("faster")
    assert decisions.loc["float32", "speed on this CPU"].startswith("same speed")
    assert decisions.loc["full_integer", "speed on this CPU"] == "faster (2.50x [2.40, 2.60])"
    assert decisions.attrs["machine"] == str(wu.machine_info())
    assert decisions.loc["pruned_int8", "needs training"].startswith("yes")
    assert decisions.loc["full_integer", "needs training"] == "no"
    slow = decision_table(_comparison(threads=0))  # pruned speedup 0.5 [0.4, 0.6]
    assert slow.loc["pruned_int8", "speed on this CPU"].startswith("slower")


def test_dashboard_shows_machine_and_speed_verdicts(small_mnist, capsys):
    dashboard = Dashboard(_comparison(), small_mnist, rerun=lambda *a, **k: _comparison())
    assert f"Measured on: {wu.machine_info()}".replace("&", "&amp;") in dashboard.machine.value
    assert dashboard.threads.max == wu.machine_info().cores
    capsys.readouterr()
    dashboard.metric.value = "speedup vs float32"  # outside a notebook, display() prints
    shown = capsys.readouterr().out
    assert "full_integer ran at 2.50x float32's speed [2.40, 2.60]: faster on this machine." in shown
    assert "Likely cause:" in shown
    dashboard.metric.value = "accuracy"
    assert "Likely cause:" not in capsys.readouterr().out
