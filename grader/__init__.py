"""The course's grader: one engine of checks (grader.engine) and its doors.

    from grader import check
    check("mlp.affine_backward", affine_forward, affine_backward)          # in a notebook test cell

    from grader import run_check, max_score, exercises
    result = run_check("mlp.affine_backward", affine_forward, affine_backward, hidden=True)

Checks live in grader/checks/, one module per lesson.
"""
from .engine import Result, UnknownExercise, exercises, max_score, run_check
from .notebook import check

__all__ = ["check", "run_check", "max_score", "exercises", "Result", "UnknownExercise"]
