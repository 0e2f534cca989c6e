"""The lesson 05 checks: the reference earns full marks, the mistake models are the reference when they make
no mistake, the cases hold what the exercise's clauses need (T > 1, N > 1, D != H, nonzero initial states,
an upstream gradient at every step, saturation, norms on both sides of max_norm), and the reports say what a
learner needs. Learners' mistakes and correct code written other ways are in tests/learner_mistakes/
(test_visible_cases.py)."""
import time

import numpy as np
import pytest

from grader import exercises, run_check
from grader.checks import rnn_lstm as checks
from grader.compare import compare_arrays, tolerance_for
from grader.engine import get_check
from grader_support import failed_parts
from learner_mistakes.rnn_lstm import (
    clip_gradients_in_place, clip_gradients_without_eps, lstm_backward_from_steps, lstm_forward_from_steps,
    lstm_step_backward_dc_prev_without_f, lstm_step_forward, rnn_backward_from_wrong_steps,
    rnn_forward_caching_a, rnn_step_backward_from_a, rnn_step_forward_caching_a,
)
from reference_impl import rnn_lstm as reference

pytestmark = [pytest.mark.grader, pytest.mark.rnn_lstm]

FORWARDS = ["rnn_lstm.rnn_step_forward", "rnn_lstm.rnn_forward", "rnn_lstm.lstm_step_forward",
            "rnn_lstm.lstm_forward"]
BACKWARDS = ["rnn_lstm.rnn_step_backward", "rnn_lstm.rnn_backward", "rnn_lstm.lstm_step_backward",
             "rnn_lstm.lstm_backward"]


def reference_functions(exercise_id):
    return [getattr(reference, name) for name in get_check(exercise_id).functions]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("rnn_lstm"))
def test_reference_earns_full_marks(exercise_id, hidden):
    result = run_check(exercise_id, *reference_functions(exercise_id), hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


@pytest.mark.parametrize("exercise_id", exercises("rnn_lstm"))
def test_a_check_with_its_hidden_cases_runs_well_inside_a_second(exercise_id):
    functions = reference_functions(exercise_id)
    run_check(exercise_id, *functions)  # imports and first calls out of the way
    started = time.perf_counter()
    run_check(exercise_id, *functions, hidden=True)
    assert time.perf_counter() - started < 0.5


def assert_same(expected, model, case):
    for part, value in expected.items():
        comparison = compare_arrays(value, model[part], tolerance_for(case.dtype), name=part)
        assert comparison.ok, f"{case.label}: {comparison.text}"


@pytest.mark.parametrize("exercise_id", FORWARDS)
def test_the_forward_mistake_model_without_a_mistake_is_the_reference(exercise_id):
    check = get_check(exercise_id)
    for case in check.cases(hidden=True):
        assert_same(check.expected(case), check.model_outputs(checks._as_sequence(case.inputs), None), case)


@pytest.mark.parametrize("exercise_id", BACKWARDS)
def test_the_backward_mistake_model_without_a_mistake_is_the_reference(exercise_id):
    check = get_check(exercise_id)
    for case in check.cases(hidden=True):
        upstream = [case.extra[name].astype(np.float64) for name in check.upstream]
        assert_same(check.expected(case), check.model_grads(checks._as_sequence(case.inputs), upstream, None), case)


@pytest.mark.parametrize("exercise_id", FORWARDS + BACKWARDS)
def test_the_visible_cases_have_what_each_clause_needs(exercise_id):
    check = get_check(exercise_id)
    for case in check.cases(hidden=False):
        x, Wx = case.inputs["x"], case.inputs["Wx"]
        N, D, H = x.shape[0], x.shape[-1], case.inputs["Wh"].shape[0]
        assert N > 1 and D != H and Wx.shape[1] != D, case.label
        if x.ndim == 3:
            assert x.shape[1] > 1 and len({N, x.shape[1], D, H}) == 4, case.label
        for state in ("h0", "h_prev", "c0", "c_prev"):
            if state in case.inputs:
                assert np.all(case.inputs[state] != 0), case.label
        for name in getattr(check, "upstream", ()):
            assert np.all(case.extra[name] != 0), f"{case.label}: {name} has zeros"


@pytest.mark.parametrize("exercise_id", FORWARDS + BACKWARDS)
def test_the_large_cases_go_beyond_where_np_exp_overflows(exercise_id):
    check = get_check(exercise_id)
    large = [case for case in check.cases(hidden=True) if "pre-activations up to 1e4" in case.label]
    assert {case.hidden for case in large} == {False, True}
    for case in large:
        x, _, _, Wx, _, b = checks._as_sequence(case.inputs)
        pre = np.abs(x @ Wx + b)  # the x part of every pre-activation
        assert pre.max() > 710, case.label
        assert np.abs(x[2:] @ Wx + b).max() < 20, f"{case.label}: only the first two examples should saturate"


def test_clip_cases_lie_on_both_sides_of_max_norm_with_several_shapes():
    cases = get_check("rnn_lstm.clip_gradients").cases(hidden=False)
    above = below = per_array_below = small = zero = float32 = False
    for case in cases:
        grads, max_norm = case.inputs["grads"], case.inputs["max_norm"]
        norms = [np.linalg.norm(g.astype(np.float64)) for g in grads.values()]
        total = np.sqrt(np.sum(np.square(norms)))
        assert len({g.shape for g in grads.values()}) >= 2, case.label
        above |= total > max_norm
        below |= 0 < total < max_norm
        per_array_below |= total > max_norm and max(norms) < max_norm
        small |= max_norm < total < 0.1 and case.dtype == np.float64
        zero |= total == 0
        float32 |= case.dtype == np.float32 and total > max_norm
    assert above and below and per_array_below and small and zero and float32


def test_clipping_in_place_is_told_to_build_a_new_dict():
    result = run_check("rnn_lstm.clip_gradients", clip_gradients_in_place)
    assert failed_parts(result) == {"grads", "total_norm"}
    assert "changed its input grads in place" in result.message and "compute new ones" in result.message


def test_a_division_by_a_zero_norm_warns_only_in_the_report(capfd):
    result = run_check("rnn_lstm.clip_gradients", clip_gradients_without_eps)
    assert failed_parts(result) == {"grads"}
    assert "small gradients, where the + 1e-6 shows" in result.message
    assert "Your code warned: RuntimeWarning: divide by zero" in result.message
    assert capfd.readouterr().err == ""


def test_a_sequence_backward_blames_the_step_backward_it_is_built_on():
    result = run_check("rnn_lstm.rnn_backward", rnn_forward_caching_a, rnn_backward_from_wrong_steps,
                       namespace={"rnn_step_forward": rnn_step_forward_caching_a,
                                  "rnn_step_backward": rnn_step_backward_from_a})
    assert result.blamed == ["rnn_lstm.rnn_step_backward"]
    assert result.message.splitlines()[1].startswith("  Your rnn_step_backward fails its own check")


def test_a_correct_lstm_backward_is_not_blamed_for_a_step_it_does_not_use():
    result = run_check("rnn_lstm.lstm_backward", lstm_forward_from_steps, lstm_backward_from_steps,
                       namespace={"lstm_step_forward": lstm_step_forward,
                                  "lstm_step_backward": lstm_step_backward_dc_prev_without_f})
    assert result.passed and result.blamed == []


def test_a_hidden_failure_names_its_kind_not_its_seed():
    def rnn_step_forward_for_small_batches(x, h_prev, Wx, Wh, b):
        h = np.tanh(x @ Wx + h_prev @ Wh + b)
        return (h if x.shape[0] < 5 else -h), None

    visible = run_check("rnn_lstm.rnn_step_forward", rnn_step_forward_for_small_batches)
    graded = run_check("rnn_lstm.rnn_step_forward", rnn_step_forward_for_small_batches, hidden=True)
    assert visible.passed and not graded.passed
    assert "on a hidden case: x (5, 7)" in graded.message and "seed 100" not in graded.message
