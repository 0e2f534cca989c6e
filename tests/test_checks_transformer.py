"""The lesson 06 checks: the reference earns full marks, the visible cases hold every clause the contract
states (masks that mask, a query with nothing to attend to, Tq != Tk, several heads, odd widths, large
scores), the block's gradients are graded by sub-layer, and a learner's NaN stays in the learner's code.
Learners' mistakes and correct code written other ways are in tests/learner_mistakes/ (test_visible_cases.py)."""
import time

import numpy as np
import pytest

from grader import exercises, run_check
from grader.checks.transformer import _BLOCK_GROUPS
from grader.engine import get_check
from grader_support import failed_parts
from learner_mistakes.transformer import (attention_forward, attention_forward_on_a_nan_softmax,
                                          softmax_forward_plain_shift, transformer_block_backward,
                                          transformer_block_forward)
from reference_impl import transformer as reference

pytestmark = [pytest.mark.grader, pytest.mark.transformer]


def positional_encoding(T, D):
    return reference.positional_encoding(T, D)  # the learner's takes no `like`


def reference_functions(exercise_id):
    return [positional_encoding if name == "positional_encoding" else getattr(reference, name)
            for name in get_check(exercise_id).functions]


def visible(exercise_id):
    return get_check(exercise_id).cases(hidden=False)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("transformer"))
def test_reference_earns_full_marks(exercise_id, hidden):
    result = run_check(exercise_id, *reference_functions(exercise_id), hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def test_every_check_grades_fast():
    """A class is graded with every hidden case; the lesson's whole set should take well under a second each
    (measured on a loaded machine, so the bound is generous)."""
    for exercise_id in exercises("transformer"):
        start = time.perf_counter()
        run_check(exercise_id, *reference_functions(exercise_id), hidden=True)
        assert time.perf_counter() - start < 1.0, exercise_id


@pytest.mark.parametrize("exercise_id", ["transformer.attention_forward", "transformer.attention_backward"])
def test_attention_cases_hold_every_clause(exercise_id):
    cases = visible(exercise_id)
    masks = [case.inputs.get("mask") for case in cases]
    assert any(mask is None for mask in masks), "mask=None (the default) must be a case"
    assert any(mask is not None and mask.ndim == 2 for mask in masks), "a (T, T) mask"
    assert any(mask is not None and mask.ndim == 3 for mask in masks), "an (N, Tq, Tk) mask"
    assert any(case.inputs["q"].shape[1] != case.inputs["k"].shape[1] and "mask" in case.inputs for case in cases)
    assert all(case.inputs["q"].shape[-1] != case.inputs["v"].shape[-1] for case in cases), "d != dv everywhere"
    for mask in masks:
        if mask is not None:
            assert not mask.all() and mask.any(), "a mask that masks something and leaves something"
    assert any(mask is not None and not mask.any(axis=-1).all() for mask in masks), "a query with nothing to attend to"


def test_a_query_with_nothing_to_attend_to_gets_zero_and_passes_no_gradient():
    case = next(c for c in visible("transformer.attention_backward")
                if "mask" in c.inputs and not c.inputs["mask"].any(axis=-1).all())
    q, k, v, mask = (case.inputs[name] for name in ("q", "k", "v", "mask"))
    out, cache = reference.attention_forward(q, k, v, mask)
    dq, dk, dv = reference.attention_backward(case.extra["dout"], cache)
    empty = ~mask.any(axis=-1)  # (N, Tq)
    assert np.all(out[empty] == 0) and np.all(dq[empty] == 0) and np.isfinite(dk).all() and np.isfinite(dv).all()


def test_multihead_cases_have_two_and_three_heads_wider_than_one_and_D_not_T():
    cases = visible("transformer.multihead_attention_forward")
    assert {case.inputs["num_heads"] for case in cases} >= {2, 3}
    for case in cases:
        N, T, D = case.inputs["x"].shape
        assert D // case.inputs["num_heads"] > 1 and D != T, case.label
    shapes = {case.inputs["mask"].ndim for case in cases if "mask" in case.inputs}
    assert shapes == {2, 3} and any("mask" not in case.inputs for case in cases)


def test_the_head_split_is_decided_by_the_columns_each_head_uses():
    """Head j uses columns j*d ... (j+1)*d of q, k and v: a split that gives it columns j, j + h, ... (and
    merges the heads back the same way) fails on the visible cases and is named."""
    result = run_check("transformer.multihead_attention_forward", _mha_interleaved)
    assert failed_parts(result) == {"out"} and "heads interleaved" in result.message, result.message


def _mha_interleaved(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    N, T, D = x.shape
    h, d = num_heads, D // num_heads
    qkv = x @ Wqkv + bqkv
    q, k, v = (t.reshape(N, T, d, h).transpose(0, 3, 1, 2) for t in np.split(qkv, 3, axis=-1))
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    heads, _ = attention_forward(q, k, v, mask)
    return heads.transpose(0, 2, 3, 1).reshape(N, T, D) @ Wo + bo, None


def test_layernorm_cases_have_two_and_three_axes_and_a_given_eps():
    cases = visible("transformer.layernorm_forward")
    assert {case.inputs["x"].ndim for case in cases} == {2, 3}
    assert any("eps" in case.inputs for case in cases) and any("eps" not in case.inputs for case in cases)
    assert any(np.ptp(case.inputs["x"], axis=-1).min() == 0 for case in cases), "a constant row"


def test_positional_encoding_cases_have_an_odd_width_and_T_not_D():
    sizes = [(case.inputs["T"], case.inputs["D"]) for case in visible("transformer.positional_encoding")]
    assert any(D % 2 for _, D in sizes) and all(T != D for T, D in sizes)
    T, D = next((T, D) for T, D in sizes if D % 2)
    pe = reference.positional_encoding(T, D)
    assert np.allclose(pe[:, -1], np.sin(np.arange(T) / 10000 ** ((D - 1) / D))), "an odd D ends with a sine"


def test_softmax_cases_have_scores_where_np_exp_overflows_and_a_row_of_minus_inf():
    cases = visible("transformer.softmax_forward")
    assert any(np.abs(case.inputs["x"][np.isfinite(case.inputs["x"])]).max() > 710 for case in cases)
    assert any(np.isneginf(case.inputs["x"]).all(axis=-1).any() for case in cases)


def test_the_block_is_graded_with_and_without_a_mask_and_with_several_heads():
    for exercise_id in ("transformer.transformer_block_forward", "transformer.transformer_block_backward"):
        cases = visible(exercise_id)
        assert any("mask" in case.inputs for case in cases) and any("mask" not in case.inputs for case in cases)
        assert {case.inputs["num_heads"] for case in cases} >= {2, 3}


def test_the_block_backward_groups_every_parameter_once():
    grouped = [key for keys in _BLOCK_GROUPS.values() for key in keys]
    assert sorted(grouped) == sorted(reference.BLOCK_PARAMS) and len(grouped) == len(set(grouped))
    assert get_check("transformer.transformer_block_backward").parts == {part: 1 for part in _BLOCK_GROUPS}


def test_a_missing_gradient_costs_its_sub_layer_only():
    def backward_without_b2(dout, cache):
        dx, grads = transformer_block_backward(dout, cache)
        return dx, {key: value for key, value in grads.items() if key != "b2"}

    result = run_check("transformer.transformer_block_backward", transformer_block_forward, backward_without_b2)
    assert failed_parts(result) == {"feed-forward grads"}, result.message
    assert "grads has no key 'b2'" in result.message


def test_a_learners_nan_stays_in_the_learners_code(capfd):
    for exercise_id, functions in (("transformer.softmax_forward", (softmax_forward_plain_shift,)),
                                   ("transformer.attention_forward", (attention_forward_on_a_nan_softmax,))):
        result = run_check(exercise_id, *functions)
        assert not result.passed and "RuntimeWarning" in result.message
    assert capfd.readouterr().err == ""
