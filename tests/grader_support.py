"""Helpers for the grader's tests: which parts of a result failed, and asserting a wrong answer fails."""
from grader import run_check


def failed_parts(result):
    return {part for part, figures in result.figures.items() if not figures["passed"]}


def assert_fails(exercise_id, *functions, parts, mentions=(), hidden=True):
    """The check fails exactly `parts`, and its message holds every phrase in `mentions`."""
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert failed_parts(result) == set(parts), result.message
    assert result.score == result.max_score - sum(result.figures[p]["max_points"] for p in parts)
    for phrase in (mentions if isinstance(mentions, (tuple, list)) else (mentions,)):
        assert phrase in result.message, result.message
    return result


def assert_passes(exercise_id, *functions):
    for hidden in (False, True):
        result = run_check(exercise_id, *functions, hidden=hidden)
        assert result.passed and result.score == result.max_score, result.message
