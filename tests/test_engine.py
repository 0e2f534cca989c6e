"""The check engine: the registry, the guards around the learner's code, the notebook door, and the
calling seam batch grading will use."""
import io
import signal
import threading
import time
import warnings

import numpy as np
import pytest

import grader.notebook
import reference_impl
from grader import CheckFailed, UnknownExercise, check, engine, exercises, max_score, progress, run_check
from grader.calling import Handle, LocalCaller
from grader.engine import Case, Check, get_check, grade
from grader.mistakes import Mistake
from grader.harness import ScalarFunction, ValueProgram

pytestmark = pytest.mark.grader

CONTRACT_IDS = [
    "perceptron.perceptron_predict", "perceptron.perceptron_update", "perceptron.perceptron_train",
    "mlp.affine_forward", "mlp.affine_backward", "mlp.relu_forward", "mlp.relu_backward",
    "mlp.sigmoid_forward", "mlp.sigmoid_backward", "mlp.tanh_forward", "mlp.tanh_backward",
    "mlp.softmax", "mlp.softmax_cross_entropy", "mlp.mlp_forward", "mlp.mlp_backward", "mlp.sgd_step", "mlp.train_mlp",
    "backprop.numerical_gradient", "backprop.relative_error", "backprop.Value",
    "backprop.sgd_momentum_step", "backprop.adam_step",
    "cnn.im2col", "cnn.col2im", "cnn.conv2d_forward", "cnn.conv2d_backward", "cnn.maxpool2d_forward",
    "cnn.maxpool2d_backward", "cnn.flatten_forward", "cnn.flatten_backward",
    "rnn_lstm.rnn_step_forward", "rnn_lstm.rnn_step_backward", "rnn_lstm.rnn_forward", "rnn_lstm.rnn_backward",
    "rnn_lstm.lstm_step_forward", "rnn_lstm.lstm_step_backward", "rnn_lstm.lstm_forward", "rnn_lstm.lstm_backward",
    "rnn_lstm.clip_gradients",
    "transformer.softmax_forward", "transformer.softmax_backward", "transformer.attention_forward",
    "transformer.attention_backward", "transformer.multihead_attention_forward",
    "transformer.multihead_attention_backward", "transformer.layernorm_forward", "transformer.layernorm_backward",
    "transformer.positional_encoding", "transformer.transformer_block_forward", "transformer.transformer_block_backward",
    "gnn.normalize_adjacency", "gnn.gcn_forward", "gnn.gcn_backward", "gnn.message_passing_forward",
    "gnn.message_passing_backward",
]


def relu_forward(x):
    return np.maximum(x, 0), x


def test_every_contract_id_is_registered_in_course_order():
    assert exercises() == CONTRACT_IDS
    assert exercises("mlp") == [i for i in CONTRACT_IDS if i.startswith("mlp.")]
    for exercise_id in CONTRACT_IDS:
        check_ = get_check(exercise_id)
        assert max_score(exercise_id) == sum(check_.parts.values()) > 0
        lesson = getattr(reference_impl, exercise_id.split(".")[0])
        assert all(hasattr(lesson, name) for name in check_.functions), exercise_id


def test_unknown_id_names_the_close_ones():
    with pytest.raises(UnknownExercise, match="Did you mean 'mlp.affine_forward'"):
        run_check("mlp.afine_forward", relu_forward)
    with pytest.raises(ValueError, match="unknown lesson"):
        exercises("mpl")


def test_wrong_number_of_functions_says_which_the_check_takes():
    with pytest.raises(TypeError, match="takes 2 functions after the id: affine_forward, affine_backward; got 1"):
        run_check("mlp.affine_backward", relu_forward)


def _message(function, exercise_id="mlp.relu_forward", **options):
    result = run_check(exercise_id, function, **options)
    assert not result.passed and result.score == 0
    return result.message


def test_an_exception_is_reported_with_the_learners_line():
    def broken(x):
        scale = 1 // 0
        return x * scale, x

    message = _message(broken)
    assert "relu_forward raised ZeroDivisionError: integer division or modulo by zero" in message
    assert "in broken, line" in message and "scale = 1 // 0" in message


def test_an_unwritten_stub_and_a_missing_return_are_named():
    def stub(x):
        raise NotImplementedError("relu_forward")

    def no_return(x):
        np.maximum(x, 0)

    assert "write the function's body first" in _message(stub)
    assert "returned None" in _message(no_return) and "is a return statement missing?" in _message(no_return)


def test_nan_wrong_dtype_and_wrong_shape_fail_with_figures():
    result = run_check("mlp.relu_forward", lambda x: (np.full_like(x, np.nan), x))
    assert "contains NaN at [0, 0]" in result.message
    assert result.figures["out"]["problem"] == "nonfinite"

    result = run_check("mlp.relu_forward", lambda x: (np.maximum(x, 0).astype(np.float32), x))
    assert "dtype float32" in result.message and result.figures["out"]["dtype_got"] == "float32"

    result = run_check("mlp.relu_forward", lambda x: (np.maximum(x, 0).T, x))
    figures = result.figures["out"]
    assert (figures["shape_expected"], figures["shape_got"]) == ((4, 5), (5, 4))

    result = run_check("mlp.relu_forward", lambda x: (np.maximum(x, 0) + 0.5 * (x < 0), x))
    figures = result.figures["out"]
    assert figures["problem"] == "values" and figures["max_abs_error"] == pytest.approx(0.5)
    assert len(figures["where"]) == 2 and figures["expected_at"] == 0.0


def test_a_mutated_input_fails():
    def in_place(x):
        np.maximum(x, 0, out=x)
        return x, x

    assert "changed its input x in place" in _message(in_place)


def test_an_endless_loop_is_stopped_in_the_main_thread():
    def endless(x):
        while True:
            try:
                time.sleep(0.01)
            except Exception:  # the watchdog's interrupt is not an Exception, so this does not swallow it
                pass

    started = time.monotonic()
    message = _message(endless, time_limit=0.2)
    assert "did not finish within 0.2 s" in message
    assert time.monotonic() - started < 2


def test_an_endless_loop_is_abandoned_outside_the_main_thread():
    stop = threading.Event()

    def endless(x):
        while not stop.is_set():
            time.sleep(0.005)
        return x, x

    found = {}
    worker = threading.Thread(target=lambda: found.update(result=run_check("mlp.relu_forward", endless, time_limit=0.2)))
    worker.start()
    worker.join(5)
    stop.set()
    assert "did not finish within 0.2 s" in found["result"].message


def test_the_time_limit_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("NNCOURSE_CALL_TIME_LIMIT", "0.1")

    def slow(x):
        time.sleep(1)
        return np.maximum(x, 0), x

    assert "within 0.1 s" in _message(slow)


def test_a_timer_set_by_someone_else_survives_a_check():
    previous = signal.signal(signal.SIGALRM, lambda *_: None)
    signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        assert run_check("mlp.relu_forward", relu_forward).passed
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def noisy_relu_forward(x):
    import sys

    print("debugging", x.shape)
    print("to stderr", file=sys.stderr)
    warnings.warn("a learner's warning")
    with np.errstate(all="warn"):
        np.exp(np.float64(1000))  # a RuntimeWarning, which this suite turns into errors elsewhere
    return np.maximum(x, 0), x


def test_printing_and_warning_inside_the_learners_code_reach_nobody(capfd):
    result = run_check("mlp.relu_forward", noisy_relu_forward, hidden=True)
    assert result.passed, result.message
    assert capfd.readouterr() == ("", "")


def test_full_marks_print_the_report_and_echo_nothing(capfd):
    assert check("mlp.relu_forward", noisy_relu_forward) is None
    out, err = capfd.readouterr()
    assert err == "" and "mlp.relu_forward: 1/1 points" in out and "\u2713 out" in out


def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def averaged_db(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def test_partial_credit_is_a_result_nbgrader_reads_and_a_notebook_does_not_show(capfd):
    points = check("mlp.affine_backward", affine_forward, averaged_db)
    out, err = capfd.readouterr()
    assert err == "" and out.count("mlp.affine_backward: 2/3 points") == 1 and "\u2717 db" in out
    assert points == 2.0 and repr(points) == "2.0" and points._repr_html_() == ""


def test_no_points_raise_an_assertion_shown_as_the_report_alone(capfd):
    with pytest.raises(CheckFailed) as raised:
        check("mlp.relu_forward", lambda x: (x, x))
    assert isinstance(raised.value, AssertionError)
    lines = raised.value._render_traceback_()
    assert lines[0] == "mlp.relu_forward: 0/1 points" and "\u2717 out" in lines[1]
    assert not any("Traceback" in line or "grader" + "/" in line for line in lines)
    assert capfd.readouterr() == ("", "")


def counting(function, calls):
    def counted(*args):
        calls.append(args)
        return function(*args)

    return counted


def test_include_hidden_cases_makes_every_later_check_grade_them_in_one_report(monkeypatch, capfd):
    monkeypatch.setattr(grader.notebook, "_hidden_cases", False)
    visible, graded = [], []
    check("mlp.relu_forward", counting(relu_forward, visible))
    check.include_hidden_cases()
    check("mlp.relu_forward", counting(relu_forward, graded))
    assert len(graded) == len(get_check("mlp.relu_forward").cases(hidden=True)) > len(visible)
    assert capfd.readouterr().out.count("mlp.relu_forward: 1/1 points") == 2


def test_a_hidden_case_is_reported_by_its_kind_never_its_seed():
    visible_calls = len(get_check("mlp.relu_forward").cases(hidden=False))
    calls = []

    def wrong_on_hidden_cases(x):
        calls.append(1)
        return (np.maximum(x, 0) if len(calls) <= visible_calls else np.abs(x)), x

    result = run_check("mlp.relu_forward", wrong_on_hidden_cases, hidden=True)
    assert not result.passed and result.figures["out"]["hidden"]
    where = [line for line in result.message.splitlines() if line.strip().startswith("on ")]
    assert where and where[0].strip().startswith("on a hidden case: ") and "seed" not in where[0]


def test_a_failing_check_names_the_learners_building_block_that_fails_its_own_check(monkeypatch):
    monkeypatch.setattr(get_check("mlp.mlp_backward"), "uses",
                        ("mlp.affine_forward", "mlp.affine_backward", "mlp.relu_forward", "mlp.relu_backward"),
                        raising=False)
    namespace = {"affine_forward": affine_forward, "affine_backward": averaged_db, "relu_forward": relu_forward,
                 "relu_backward": lambda dout, x: dout * (x > 0)}

    def mlp_forward(X, params):
        h, c1 = affine_forward(X, params["W1"], params["b1"])
        a, c2 = relu_forward(h)
        scores, c3 = affine_forward(a, params["W2"], params["b2"])
        return scores, (c1, c2, c3)

    def mlp_backward(dscores, cache):
        c1, c2, c3 = cache
        da, dW2, db2 = averaged_db(dscores, c3)
        _, dW1, db1 = averaged_db(namespace["relu_backward"](da, c2), c1)
        return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    result = run_check("mlp.mlp_backward", mlp_forward, mlp_backward, namespace=namespace)
    assert result.blamed == ["mlp.affine_backward"]
    assert "Your affine_backward fails its own check (mlp.affine_backward: 2/3 points)" in result.message
    assert "fix it first" in result.message
    # Right building blocks are not blamed, and a passing check runs none of them.
    namespace["affine_backward"] = lambda dout, cache: (dout @ cache[1].T, cache[0].T @ dout, dout.sum(axis=0))
    assert run_check("mlp.mlp_backward", mlp_forward, mlp_backward, namespace=namespace).blamed == []


def test_progress_shows_each_exercise_and_blames_the_failing_ones(capfd):
    def stub(dout, cache):
        raise NotImplementedError

    namespace = {"affine_forward": affine_forward, "affine_backward": averaged_db, "relu_forward": relu_forward,
                 "relu_backward": stub}
    shown = progress("mlp", namespace)
    out, err = capfd.readouterr()
    assert err == "" and out.startswith("Lesson mlp: 4 of ")
    rows = {line.split()[1]: line for line in out.splitlines()[1:]}
    assert "\u2713" in rows["mlp.affine_forward"] and "2/3" in rows["mlp.affine_backward"]
    assert "wrong: db" in rows["mlp.affine_backward"] and "not written yet" in rows["mlp.relu_backward"]
    assert "not reached yet" in rows["mlp.softmax"]
    assert shown.failing == ["mlp.affine_backward", "mlp.relu_backward"]
    blame = shown.blame("the loss should fall")
    assert blame.startswith("the loss should fall. ") and "mlp.affine_backward (2/3 points)" in blame
    assert "mlp.softmax" not in blame  # not reached yet: no blame
    assert "passes its check" in progress("mlp", {"affine_forward": affine_forward}).blame("x")


class TwoMistakesCheck(Check):
    """Doubling and squaring agree where x == 2 and part where x differs: the second case tells them apart."""

    exercise_id = "mlp.two_mistakes"
    functions = ("f",)
    parts = {"out": 1}

    def cases(self, hidden):
        return [Case("x = 2", {"x": np.array([2.0, 2.0])}), Case("x = 3", {"x": np.array([3.0, 2.0])})]

    def call_learner(self, caller, case):
        return {"out": caller.call("f", case.inputs["x"], returns="out:array")}

    def expected(self, case):
        return {"out": case.inputs["x"] + 1}

    def mistakes(self, case, expected):
        x = case.inputs["x"]
        return [Mistake("x doubled", "add one", {"out": 2 * x}), Mistake("x squared", "add one", {"out": x**2})]


def test_a_second_guess_is_dropped_when_another_case_rules_it_out(monkeypatch):
    monkeypatch.setitem(engine._REGISTRY, "mlp.two_mistakes", TwoMistakesCheck())
    squared = run_check("mlp.two_mistakes", lambda x: x**2).message
    assert "looks like x squared" in squared and "x doubled" not in squared
    doubled = run_check("mlp.two_mistakes", lambda x: 2 * x).message
    assert "looks like x doubled" in doubled and "x squared" not in doubled


class NpyCaller(LocalCaller):
    """A caller that lets only what a sandboxed process could exchange cross the boundary: arrays as
    .npy bytes (no pickle), numbers, strings, Handles and the harness's plain descriptions."""

    def call(self, name, *args, returns, adapter=None, **kwargs):
        args = [self._cross(a) for a in args]
        kwargs = {k: self._cross(v) for k, v in kwargs.items()}
        result = super().call(name, *args, returns=returns, adapter=adapter, **kwargs)
        return self._cross(result)

    def _cross(self, value):
        if isinstance(value, np.ndarray):
            buffer = io.BytesIO()
            np.save(buffer, value, allow_pickle=False)
            buffer.seek(0)
            return np.load(buffer, allow_pickle=False)
        if isinstance(value, (tuple, list)):
            return type(value)(self._cross(v) for v in value)
        if isinstance(value, dict):
            return {k: self._cross(v) for k, v in value.items()}
        assert value is None or isinstance(value, (int, float, str, np.number, Handle, ScalarFunction, ValueProgram)), \
            f"{type(value).__name__} would not cross a process boundary"
        return value


@pytest.mark.parametrize("exercise_id", CONTRACT_IDS)
def test_every_check_exchanges_only_plain_values_with_the_learners_side(exercise_id):
    check_ = get_check(exercise_id)
    lesson = getattr(reference_impl, exercise_id.split(".")[0])
    caller = NpyCaller({name: getattr(lesson, name) for name in check_.functions})
    result = grade(exercise_id, caller, hidden=True)
    assert result.passed, result.message
