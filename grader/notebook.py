"""Door 1, the notebook: `check(exercise_id, *functions)` in a graded test cell, `progress(lesson)` before
a training section.

A check cell prints one report per exercise and nothing else. nbgrader scores the cell by its outputs:
- full marks: the report alone (no result, so nothing is echoed);
- partial credit: the report and a result whose plain text is the points (nbgrader's partial-credit
  rule reads it; a notebook shows nothing for it);
- no points: `CheckFailed`, an AssertionError whose traceback IPython displays as the report alone, so
  the learner (and Validate's dialog) sees what is wrong and no lines of the grader.
Nothing reaches stderr: the learner's printing and warnings are captured during the check.

Grading adds the hidden cases: the source notebook's test cells call `check.include_hidden_cases()` in
their hidden-test block, before the visible call, so one report covers visible and hidden cases alike.
"""
import sys

from .engine import exercises, get_check, run_check

__all__ = ["check", "CheckFailed", "progress", "Progress"]

_hidden_cases = False


class CheckFailed(AssertionError):
    """An exercise that earned no points; carries the engine's Result."""

    def __init__(self, result):
        super().__init__(result.message)
        self.result = result

    def _render_traceback_(self):
        # IPython shows these lines in place of a traceback.
        return self.result.message.splitlines()


class PartialScore(float):
    """The points of a partially right exercise, as the cell's result: nbgrader reads the plain text."""

    def _repr_html_(self):
        return ""  # the report above already says it; a notebook shows nothing more


def check(exercise_id, *functions, hidden=None):
    """Check the learner's functions for `exercise_id` and print the report.

    Returns None at full marks and a PartialScore for partial credit; raises CheckFailed at zero.
    hidden: include the hidden cases (default: only after `check.include_hidden_cases()`).
    """
    namespace = sys._getframe(1).f_globals  # the notebook's names: the building blocks to blame
    hidden = _hidden_cases if hidden is None else hidden
    result = run_check(exercise_id, *functions, hidden=hidden, namespace=namespace)
    if result.score == 0:
        raise CheckFailed(result) from None
    print(result.message)
    return None if result.passed else PartialScore(result.score)


def include_hidden_cases():
    """From now on in this kernel, every check grades the hidden cases too (the grader's test cells)."""
    global _hidden_cases
    _hidden_cases = True


check.include_hidden_cases = include_hidden_cases


class Progress:
    """The checks of one lesson's exercises on the learner's current functions (visible cases)."""

    def __init__(self, lesson, results):
        self.lesson = lesson
        self.results = results  # {exercise id: Result, or None when its functions are not defined}

    @property
    def failing(self):
        """The exercises written so far that do not pass their checks (not those the notebook has not reached)."""
        return [i for i, result in self.results.items() if result is not None and not result.passed]

    @property
    def points(self):
        return sum(r.score for r in self.results.values() if r is not None)

    @property
    def max_points(self):
        return sum(get_check(i).max_score for i in self.results)

    def report(self):
        width = max(len(i) for i in self.results)
        lines = [f"Lesson {self.lesson}: {self.points:g} of {self.max_points:g} points so far (visible cases)"]
        for exercise_id, result in self.results.items():
            if result is None:
                lines.append(f"  \u00b7 {exercise_id:<{width}}  not reached yet (its function is not defined)")
            elif _unwritten(result):
                lines.append(f"  \u00b7 {exercise_id:<{width}}  not written yet")
            else:
                mark = "\u2713" if result.passed else "\u2717"
                wrong = [part for part, f in result.figures.items() if not f["passed"]]
                detail = f"   wrong: {', '.join(wrong)}" if wrong and len(wrong) < len(result.figures) else ""
                lines.append(f"  {mark} {exercise_id:<{width}}  {result.score:g}/{result.max_score:g}{detail}")
        return "\n".join(lines)

    def blame(self, text):
        """`text` (what went wrong in training) and the exercises that still fail their checks."""
        if not self.failing:
            return (f"{text}. Every exercise of lesson {self.lesson} written so far passes its check, so look at "
                    "this section's code.")
        names = ", ".join(f"{i} ({self.results[i].score:g}/{self.results[i].max_score:g} points)"
                          for i in self.failing)
        return f"{text}. Exercises of lesson {self.lesson} that do not pass their checks yet: {names}. Fix them first."

    def __repr__(self):
        return f"<progress in {self.lesson}: {self.points:g}/{self.max_points:g} points>"


def _unwritten(result):
    return all(f.get("problem") == "unwritten" for f in result.figures.values() if not f["passed"]) \
        and not result.score


def progress(lesson, namespace=None):
    """Print and return the learner's progress in `lesson` ("mlp"): each exercise's check on the functions
    the notebook defines so far."""
    namespace = sys._getframe(1).f_globals if namespace is None else namespace
    results = {}
    for exercise_id in exercises(lesson):
        functions = [namespace.get(name) for name in get_check(exercise_id).functions]
        if all(callable(f) for f in functions):
            results[exercise_id] = run_check(exercise_id, *functions, namespace=namespace)
        else:
            results[exercise_id] = None
    shown = Progress(lesson, results)
    print(shown.report())
    return shown
