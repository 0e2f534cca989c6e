"""The grader as the learner's code sees it while a notebook is graded: no checks, no answers.

The notebook's test cells are not run here: the trusted grader runs each one itself, outside this
sandbox, and calls your functions from there. `check` and `progress` therefore do nothing in this
process; calling them changes nothing about your grade.
"""

__all__ = ["check", "progress"]


def check(exercise_id, *functions, hidden=None):
    """Does nothing here: the grader runs the checks itself, outside the sandbox."""
    return None


check.include_hidden_cases = lambda: None


class _NoProgress:
    """What `progress` returns while grading: no checks run here, so nothing is failing."""

    failing = []
    points = 0.0
    max_points = 0.0

    def report(self):
        return ""

    def blame(self, text):
        return text


def progress(lesson, namespace=None):
    """Does nothing here: the lesson's progress is shown when you run the notebook yourself."""
    return _NoProgress()
