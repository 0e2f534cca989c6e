"""Door 1, the notebook: `check(exercise_id, *functions, hidden=False)` in a graded test cell.

It prints the report to stdout and returns the points, so a cell that ends with the call is scored
by nbgrader with that number (partial credit). An answer that earns no points raises AssertionError
carrying the report (the report is then not printed as well), so nbgrader's autograde and Validate
see a failure. Nothing reaches stderr: the learner's printing and warnings are captured during the
check.
"""
from .engine import run_check

__all__ = ["check"]


def check(exercise_id, *functions, hidden=False):
    """Check the learner's functions for `exercise_id`; returns the points earned (a float).

    hidden=True runs the visible cases plus more seeds and edge cases (the whole grade).
    """
    result = run_check(exercise_id, *functions, hidden=hidden)
    if result.score == 0:
        raise AssertionError(result.message) from None
    print(result.message)
    return result.score
