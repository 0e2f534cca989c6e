"""The lesson 01 checks: the reference earns full marks, and the edge cases are what their labels say.
Learners' mistakes and correct code written other ways are in tests/learner_mistakes/ (test_visible_cases.py)."""
import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from reference_impl import perceptron as reference

pytestmark = [pytest.mark.grader, pytest.mark.perceptron]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("perceptron"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def test_boundary_cases_put_x_exactly_on_the_boundary():
    boundary = [case for case in get_check("perceptron.perceptron_update").cases(hidden=True)
                if "score exactly 0" in case.label]
    assert {case.hidden for case in boundary} == {False, True}
    for case in boundary:
        i = case.inputs
        assert i["x"] @ i["w"] + i["b"] == 0.0, case.label
    assert {case.inputs["y"] for case in boundary} == {-1, 1}


def test_mistake_cases_are_misclassified_with_either_label():
    for case in get_check("perceptron.perceptron_update").cases(hidden=True):
        if "misclassified" in case.label:
            i = case.inputs
            assert np.where(i["x"] @ i["w"] + i["b"] >= 0, 1, -1) != i["y"], case.label
            assert f"y = {'+1' if i['y'] == 1 else '-1'}" in case.label


def test_predict_ties_case_has_scores_of_exactly_zero():
    for case in get_check("perceptron.perceptron_predict").cases(hidden=True):
        if "boundary" in case.label or "every score is 0" in case.label:
            i = case.inputs
            assert np.any(i["X"] @ i["w"] + i["b"] == 0.0), case.label
