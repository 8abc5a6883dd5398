import pandas as pd
import pytest

import workshop_utils as wu
from workshop_utils.report.readme import END, START, check_readme, readme_block, replace_block, update_readme

BEFORE = f"# Title\n\nIntro.\n\n{START}\nold table\n{END}\n\n## Next section\n\nkept\n"


def _table(with_latency: bool = True) -> pd.DataFrame:
    results = [wu.ModelResult("float32", wu.ModelSize(1000, 900), 0.97),
               wu.ModelResult("dynamic_range", wu.ModelSize(270, 240), 0.97),
               wu.ModelResult("full_integer", wu.ModelSize(260, 225), 0.966),
               wu.ModelResult("pruned", wu.ModelSize(1000, 300), 0.96)]
    latency = pd.DataFrame(
        {"median_us": [60.0, 61.0, 88.0, 60.0], "p95_us": [70.0, 71.0, 95.0, 70.0],
         "speedup_x": [1.0, 0.98, 0.68, 1.0], "speedup_ci_low": [1.0, 0.9, 0.66, 0.98],
         "speedup_ci_high": [1.0, 1.05, 0.72, 1.02]},
        index=["float32", "dynamic_range", "full_integer", "pruned"])
    return wu.results_table(results, latency if with_latency else None)


def test_replace_block_keeps_everything_outside_the_markers():
    after = replace_block(BEFORE, "new table\n")
    assert after == BEFORE.replace("old table", "new table")
    assert replace_block(after, "new table") == after  # idempotent


@pytest.mark.parametrize(("text", "message"), [
    ("no markers", "exactly one"), (f"{START}\n{START}\n{END}", "found 2 and 1"), (f"{END}\n{START}", "before"),
])
def test_bad_markers_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        replace_block(text, "x")


def test_check_readme_names_the_fix(tmp_path):
    with pytest.raises(ValueError, match="is not a file"):
        check_readme(tmp_path / "missing.md")
    path = tmp_path / "README.md"
    path.write_text("# no markers\n")
    with pytest.raises(ValueError, match="Fix: put the two marker lines"):
        check_readme(path)


def test_generated_block_has_table_stamp_and_verdicts(tmp_path):
    path = tmp_path / "README.md"
    path.write_text(BEFORE)
    block = readme_block(_table(), "python -m workshop_utils compare --fast --readme README.md")
    update_readme(path, block)
    text = path.read_text()
    assert text.startswith("# Title\n\nIntro.") and text.endswith("## Next section\n\nkept\n")
    inside = text.split(START)[1].split(END)[0]
    assert "old table" not in inside and "compare --fast --readme README.md" in inside
    assert "| full_integer" in inside and f"Measured on: {wu.machine_info()}" in inside
    assert "full_integer ran at 0.68x float32's speed [0.66, 0.72]: slower on this machine." in inside
    assert "dynamic_range ran at 0.98x" in inside and inside.count("Likely cause:") == 3  # dynamic, int8, dense


def test_block_without_latency_has_no_verdicts():
    block = readme_block(_table(with_latency=False), "cmd")
    assert "| full_integer" in block and "Likely cause" not in block
