"""The "your turn" checker: unanswered, wrong, raising and right answers."""

import pytest

from workshop_utils.teaching.exercises import check_answer, is_unanswered

CHECKS = [
    (lambda v: isinstance(v, int), "the end step must be a whole number: wrap it in int(...)"),
    (lambda v: v == 63, "the end step is the number of batches per epoch times the epochs"),
]


def test_unanswered_prints_not_done_and_returns_false(capsys):
    assert is_unanswered(...)
    assert check_answer("the end step", ..., CHECKS, hint="Compute it from the step count.") is False
    out = capsys.readouterr().out
    assert "Not done yet" in out and "Compute it from the step count." in out


def test_wrong_answer_names_the_first_failed_check(capsys):
    assert check_answer("the end step", 63.0, CHECKS) is False
    assert "wrap it in int" in capsys.readouterr().out
    assert check_answer("the end step", 64, CHECKS) is False
    assert "batches per epoch" in capsys.readouterr().out


def test_a_raising_check_is_reported_in_words(capsys):
    checks = [(lambda v: len(v) == 2, "give two values")]
    assert check_answer("the pair", 5, checks) is False
    out = capsys.readouterr().out
    assert "give two values" in out and "TypeError" in out


def test_right_answer_passes(capsys):
    assert check_answer("the end step", 63, CHECKS) is True
    assert "Check passed" in capsys.readouterr().out


def test_no_checks_is_a_usage_error():
    with pytest.raises(ValueError, match="at least one"):
        check_answer("x", 1, [])
