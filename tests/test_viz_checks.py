import pandas as pd
import pytest

from workshop_utils.teaching.viz._checks import require_table


def test_require_table_accepts_a_complete_table():
    table = pd.DataFrame({"a": [1], "b": [2]})
    assert require_table(table, ["a", "b"], "sweep", "hint") is table


@pytest.mark.parametrize(
    "table,error,message",
    [
        ([1, 2], TypeError, "must be a pandas DataFrame"),
        (pd.DataFrame({"a": [1]}), ValueError, "lacks the columns \\['b'\\]; it needs a, b \\(measure first\\)"),
        (pd.DataFrame({"a": [], "b": []}), ValueError, "is empty: measure first"),
    ],
)
def test_require_table_names_the_problem(table, error, message):
    with pytest.raises(error, match=message):
        require_table(table, ["a", "b"], "sweep", "measure first")
