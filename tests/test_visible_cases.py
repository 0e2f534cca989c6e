"""A check that passes in the notebook means the points are earned: the visible cases exercise every kind of
input the hidden cases use, so the hidden cases only add seeds and sizes. Enforced two ways:

- every mistake variant of a check (by name and part) that a hidden case shows to be wrong is shown to be
  wrong by a visible case too (compared with the check's own tolerance);
- every learner mistake collected in tests/learner_mistakes/ loses on the visible cases exactly the parts
  it loses when graded, and the visible report names it; every correct alternative earns full marks.
"""
import warnings

import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import failed_parts
from learner_mistakes import CORRECT_ALTERNATIVES, MISTAKES

pytestmark = [pytest.mark.grader]

def wrong_variants(check, case):
    """{(mistake name, part)} for the variants whose output on `case` the check's comparison rejects."""
    wrong = set()
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # variants overflow on purpose on large inputs
        expected = check.expected(case)
        for mistake in check.mistakes(case, expected):
            for part, output in mistake.outputs.items():
                if output is not None and not check.compare(part, expected[part], output, case).ok:
                    wrong.add((mistake.name, part))
    return wrong


def mistakes_only_hidden_cases_catch(check):
    """{(mistake name, part): the label of a hidden case that catches it} for what no visible case catches."""
    caught_visibly, caught_hidden = set(), {}
    for case in check.cases(hidden=True):
        for key in wrong_variants(check, case):
            if case.hidden:
                caught_hidden.setdefault(key, case.label)
            else:
                caught_visibly.add(key)
    return {key: label for key, label in caught_hidden.items() if key not in caught_visibly}


@pytest.mark.parametrize("exercise_id", exercises())
def test_every_variant_a_hidden_case_catches_a_visible_case_catches(exercise_id):
    missed = mistakes_only_hidden_cases_catch(get_check(exercise_id))
    assert not missed, "only hidden cases catch: " + "; ".join(
        f"{name!r} in {part} (on {label})" for (name, part), label in missed.items())


@pytest.mark.parametrize("exercise_id", exercises())
def test_hidden_cases_come_after_the_visible_ones(exercise_id):
    """The visible run is the start of the graded one, so what the notebook shows is what grading sees first."""
    check = get_check(exercise_id)
    visible = [case.label for case in check.cases(hidden=False)]
    graded = check.cases(hidden=True)
    assert [case.label for case in graded[:len(visible)]] == visible
    assert not any(case.hidden for case in graded[:len(visible)]) and all(case.hidden for case in graded[len(visible):])


def _corpus(table):
    return [pytest.param(exercise_id, entry, id=f"{exercise_id}: {entry.description}")
            for exercise_id, entries in table.items() for entry in entries]


@pytest.mark.parametrize("exercise_id, mistake", _corpus(MISTAKES))
def test_a_learner_mistake_fails_the_visible_run_as_it_fails_grading(exercise_id, mistake):
    visible = run_check(exercise_id, *mistake.functions, namespace=mistake.namespace)
    graded = run_check(exercise_id, *mistake.functions, hidden=True, namespace=mistake.namespace)
    assert not graded.passed, f"not a mistake after all: {graded.message}"
    assert failed_parts(visible) == failed_parts(graded), f"visible:\n{visible.message}\ngraded:\n{graded.message}"
    if mistake.parts is not None:
        assert failed_parts(graded) == mistake.parts, graded.message
    if mistake.named is not None:
        assert mistake.named in visible.message, visible.message


@pytest.mark.parametrize("exercise_id, code", _corpus(CORRECT_ALTERNATIVES))
def test_correct_code_written_another_way_earns_full_marks(exercise_id, code):
    for hidden in (False, True):
        result = run_check(exercise_id, *code.functions, hidden=hidden)
        assert result.passed and result.score == result.max_score, result.message


@pytest.mark.parametrize("exercise_id", exercises())
def test_the_corpus_covers_every_exercise(exercise_id):
    assert len(MISTAKES.get(exercise_id, ())) >= 3, f"collect at least three learner mistakes for {exercise_id}"
    assert CORRECT_ALTERNATIVES.get(exercise_id), f"collect a correct alternative for {exercise_id}"
    takes = len(get_check(exercise_id).functions)
    for entry in MISTAKES[exercise_id] + CORRECT_ALTERNATIVES[exercise_id]:
        assert len(entry.functions) == takes, f"{entry.description}: the check takes {takes} functions"
