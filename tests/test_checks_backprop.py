"""The lesson 03 checks: the reference earns full marks, the learner's warnings stay in the learner's code,
and the report says what a missing reflected operator needs. Learners' mistakes and correct code written
other ways are in tests/learner_mistakes/ (test_visible_cases.py)."""
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import failed_parts
from learner_mistakes.backprop import make_value, relative_error_unfloored
from reference_impl import backprop as reference

pytestmark = [pytest.mark.grader, pytest.mark.backprop]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("backprop"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def test_a_learners_warning_stays_in_the_learners_code(capfd):
    result = run_check("backprop.relative_error", relative_error_unfloored)
    assert not result.passed and "RuntimeWarning" in result.message
    assert capfd.readouterr().err == ""  # 0 / 0 warned inside the learner's code, and stayed there


def test_a_missing_reflected_operator_is_explained():
    result = run_check("backprop.Value", make_value(reflected=False))
    assert failed_parts(result) == {"+ and -", "* and /"}, result.message
    assert "__radd__" in result.message and "TypeError" in result.message


def test_numerical_gradient_cases_pass_other_steps_than_the_default_for_both_parts():
    cases = get_check("backprop.numerical_gradient").cases(hidden=False)
    for part in ("1-D x", "x of any shape"):
        assert any("h" in case.inputs and case.parts == (part,) for case in cases), part
