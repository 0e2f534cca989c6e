"""The course's grader: one engine of checks (grader.engine) and its doors.

    from grader import check, progress
    check("mlp.affine_backward", affine_forward, affine_backward)          # in a notebook test cell
    lesson_progress = progress("mlp")                                      # before a training section

    from grader import run_check, max_score, exercises
    result = run_check("mlp.affine_backward", affine_forward, affine_backward, hidden=True)

Checks live in grader/checks/, one module per lesson.
"""
from .engine import Result, UnknownExercise, exercises, max_score, run_check
from .notebook import CheckFailed, check, progress

__all__ = ["check", "progress", "CheckFailed", "run_check", "max_score", "exercises", "Result", "UnknownExercise"]
