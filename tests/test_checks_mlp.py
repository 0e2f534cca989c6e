"""The lesson 02 checks: the reference earns full marks, a harmless overflow in the learner's code stays
quiet, and the edge cases are what their labels say. Learners' mistakes and correct code written other ways
are in tests/learner_mistakes/ (test_visible_cases.py); the training loop's check has test_checks_training.py."""
import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from learner_mistakes.mlp import sigmoid_backward_recomputed, sigmoid_forward_caching_x, sigmoid_forward_naive
from reference_impl import mlp as reference

pytestmark = [pytest.mark.grader, pytest.mark.mlp]

LAYER_EXERCISES = [e for e in exercises("mlp") if e != "mlp.train_mlp"]  # its reference loop lives in its check


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", LAYER_EXERCISES)
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def test_sigmoid_that_overflows_harmlessly_passes_quietly(capfd):
    for hidden in (False, True):
        assert run_check("mlp.sigmoid_forward", sigmoid_forward_naive, hidden=hidden).passed
        assert run_check("mlp.sigmoid_backward", sigmoid_forward_caching_x, sigmoid_backward_recomputed,
                         hidden=hidden).passed
    assert capfd.readouterr().err == ""


def test_the_underflow_cases_underflow_in_float64():
    underflow = [case for case in get_check("mlp.softmax_cross_entropy").cases(hidden=True)
                 if "underflows" in case.label]
    assert {case.hidden for case in underflow} == {False, True}
    for case in underflow:
        scores, y = case.inputs["scores"], case.inputs["y"]
        probs = reference.softmax(scores)
        assert np.any(probs[np.arange(len(y)), y] == 0.0), case.label


def test_large_inputs_go_beyond_where_np_exp_overflows():
    for exercise_id in ("mlp.tanh_forward", "mlp.sigmoid_forward"):
        large = [case for case in get_check(exercise_id).cases(hidden=False) if "large" in case.label]
        assert large and all(np.abs(case.inputs["x"]).max() > 710 for case in large), exercise_id


def test_sgd_step_passes_other_keys_as_the_lesson_says():
    keys = [set(case.inputs["params"]) for case in get_check("mlp.sgd_step").cases(hidden=False)]
    assert any(k - {"W1", "b1", "W2", "b2"} for k in keys) and any(not k & {"W1"} for k in keys)
