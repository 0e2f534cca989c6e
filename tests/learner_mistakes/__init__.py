"""Mistakes learners make, written as the code a learner would write, and correct code written another
way: one module per lesson, each with two tables, merged here for the whole course.

    MISTAKES[exercise_id]             [LearnerMistake, ...]   wrong code: every check must fail it
    CORRECT_ALTERNATIVES[exercise_id] [LearnerCode, ...]      right code: every check must pass it

`functions` are passed to the check in its own order (a backward exercise: the forward, then the backward).
`named` is a phrase the visible report must contain (the mistake's name, or what the report says instead),
None where the report can only say what is wrong; `parts` the parts the mistake loses, where it matters;
`namespace` the learner's other functions by name, where the report should blame one of them.

Plain data and module-level functions, so that other tests (a learner edition, batch grading in another
process) can reuse the corpus. A new lesson adds its module here under the lesson's name.
"""
import importlib
import pkgutil

from .entries import LearnerCode, LearnerMistake

__all__ = ["LearnerMistake", "LearnerCode", "MISTAKES", "CORRECT_ALTERNATIVES"]

MISTAKES, CORRECT_ALTERNATIVES = {}, {}
for _module in pkgutil.iter_modules(__path__):
    if _module.name != "entries":
        _lesson = importlib.import_module(f"{__name__}.{_module.name}")
        MISTAKES.update(_lesson.MISTAKES)
        CORRECT_ALTERNATIVES.update(_lesson.CORRECT_ALTERNATIVES)
