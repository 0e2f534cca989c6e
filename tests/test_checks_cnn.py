"""The lesson 04 checks: the reference earns full marks, the visible cases hold every input a simplified
implementation gets wrong (and their labels say so truthfully), the cases cross door 4's wire as plain values,
and im2col's layout is torch's F.unfold. Learners' mistakes and correct code written other ways are in
tests/learner_mistakes/cnn.py (test_visible_cases.py)."""
import time

import numpy as np
import pytest

from grader import exercises, run_check
from grader.autograde.wire import decode, encode
from grader.engine import get_check
from learner_mistakes.cnn import maxpool2d_backward_every_tie, maxpool2d_forward
from reference_impl import cnn as reference

pytestmark = [pytest.mark.grader, pytest.mark.cnn]


def visible(exercise_id):
    return get_check(exercise_id).cases(hidden=False)


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("cnn"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


@pytest.mark.parametrize("exercise_id", exercises("cnn"))
def test_a_check_grades_a_class_quickly(exercise_id):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    run_check(exercise_id, *functions, hidden=True)  # imports and first calls out of the way
    started = time.perf_counter()
    run_check(exercise_id, *functions, hidden=True)
    assert time.perf_counter() - started < 0.5  # about 0.02 s each on a loaded 2-core machine


@pytest.mark.parametrize("exercise_id", exercises("cnn"))
def test_every_case_crosses_the_sandbox_wire_as_plain_values(exercise_id):
    for case in get_check(exercise_id).cases(hidden=True):
        for name, value in case.inputs.items():
            back = decode(*encode(value))
            if isinstance(value, np.ndarray):
                assert back.dtype == value.dtype and np.array_equal(back, value), (case.label, name)
            else:
                assert type(back) is type(value) and back == value, (case.label, name)
                assert all(type(size) is int for size in (value if isinstance(value, tuple) else (value,)))


def _conv_sizes(case):
    N, C, H, W = case.inputs["x"].shape
    F, _, HH, WW = case.inputs["w"].shape
    return N, C, H, W, F, HH, WW, case.inputs["stride"], case.inputs["pad"]


@pytest.mark.parametrize("exercise_id", ["cnn.conv2d_forward", "cnn.conv2d_backward"])
def test_visible_convolutions_hold_every_simplification(exercise_id):
    sizes = [(_conv_sizes(case), case.dtype) for case in visible(exercise_id)]
    assert any(N > 1 and C > 1 and F > 1 and H != W and HH != WW for (N, C, H, W, F, HH, WW, _, _), _ in sizes)
    assert {pad for (*_, stride, pad), _ in sizes if stride == 2} >= {1, 2}
    assert any((H + 2 * pad - HH) % stride for (N, C, H, W, F, HH, WW, stride, pad), _ in sizes)
    assert any(N == 1 for (N, *_), _ in sizes) and any(dtype == np.float32 for _, dtype in sizes)
    for case in get_check(exercise_id).cases(hidden=True):
        N, C, H, W, F, HH, WW, stride, pad = _conv_sizes(case)
        if "not a multiple of the stride" in case.label:
            assert (H + 2 * pad - HH) % stride, case.label
        if "neither size a multiple" in case.label:
            assert (H + 2 * pad - HH) % stride and (W + 2 * pad - WW) % stride, case.label
        if "windows overlap" in case.label:
            assert HH > stride or WW > stride, case.label


@pytest.mark.parametrize("exercise_id", ["cnn.im2col", "cnn.col2im"])
def test_visible_im2col_cases_overlap_stride_pad_and_floor(exercise_id):
    cases = visible(exercise_id)
    for case in cases:
        i = case.inputs
        N, C, H, W = i["x"].shape if "x" in i else i["x_shape"]
        if exercise_id == "cnn.col2im":
            assert ("windows overlap" in case.label) == (i["HH"] > i["stride"] or i["WW"] > i["stride"]), case.label
        if "not a multiple of the stride" in case.label:
            assert (H + 2 * i["pad"] - i["HH"]) % i["stride"], case.label
    inputs = [case.inputs for case in cases]
    assert any(i["HH"] > i["stride"] for i in inputs) and {i["pad"] for i in inputs if i["stride"] == 2} >= {1, 2}
    assert any(i["HH"] != i["WW"] for i in inputs) and any(case.dtype == np.float32 for case in cases)


def _windows_with_a_tie_that_matters(x, pool, stride):
    """How many windows hold their maximum more than once."""
    windows = np.lib.stride_tricks.sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    flat = windows.reshape(*windows.shape[:4], -1)
    return int(((flat == flat.max(axis=-1, keepdims=True)).sum(axis=-1) > 1).sum())


@pytest.mark.parametrize("exercise_id", ["cnn.maxpool2d_forward", "cnn.maxpool2d_backward"])
def test_pooling_cases_are_what_their_labels_say(exercise_id):
    cases = get_check(exercise_id).cases(hidden=True)
    for case in cases:
        x, pool, stride = case.inputs["x"], case.inputs["pool"], case.inputs["stride"]
        assert ("ties" in case.label) == (_windows_with_a_tie_that_matters(x, pool, stride) > 0), case.label
        assert ("windows overlap" in case.label) == (pool > stride), case.label
        if "not a multiple of the stride" in case.label:
            assert (x.shape[3] - pool) % stride, case.label
    kinds = {(case.inputs["pool"], case.inputs["stride"], "ties" in case.label) for case in cases if not case.hidden}
    assert {(2, 2, False), (3, 2, False), (2, 2, True), (3, 2, True)} <= kinds
    assert any(pool != stride and pool <= stride for pool, stride, _ in kinds)


def test_the_first_of_tied_maxima_is_graded_on_a_visible_case():
    result = run_check("cnn.maxpool2d_backward", maxpool2d_forward, maxpool2d_backward_every_tie)
    assert "ties in windows" in result.message and "FIRST maximum" in result.message, result.message


def test_flatten_cases_keep_several_channels_in_3_and_4_dimensions():
    for exercise_id in ("cnn.flatten_forward", "cnn.flatten_backward"):
        shapes = [case.inputs["x"].shape for case in visible(exercise_id)]
        assert {len(shape) for shape in shapes if shape[1] > 1 and shape[0] > 1} >= {3, 4}


def test_hyper_parameters_are_in_the_label_a_learner_reproduces():
    labels = [case.label for case in visible("cnn.conv2d_backward")]
    assert "seed 1: x (2, 2, 6, 7), w (3, 2, 3, 3), b (3,), stride 2, pad 1" in labels[1]
    assert all("x_shape (" in case.label for case in visible("cnn.col2im"))


def test_im2col_and_col2im_are_torchs_unfold_and_fold_on_every_case():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for case in get_check("cnn.im2col").cases(hidden=True):
        i = case.inputs
        unfolded = F.unfold(torch.as_tensor(i["x"]), (i["HH"], i["WW"]), padding=i["pad"], stride=i["stride"])
        np.testing.assert_allclose(reference.im2col(*i.values()), unfolded.numpy(), rtol=1e-6)
    for case in get_check("cnn.col2im").cases(hidden=True):
        i = case.inputs
        folded = F.fold(torch.as_tensor(i["cols"]), i["x_shape"][2:], (i["HH"], i["WW"]), padding=i["pad"],
                        stride=i["stride"])
        np.testing.assert_allclose(reference.col2im(*i.values()), folded.numpy(), rtol=1e-5, atol=1e-6)
