"""The lesson 01 checks: the reference earns full marks, learners' real mistakes fail and are named,
and correct code written another way passes."""
import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import assert_fails, assert_passes
from reference_impl import perceptron as reference

pytestmark = [pytest.mark.grader, pytest.mark.perceptron]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("perceptron"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def test_predict_mistakes():
    assert_fails("perceptron.perceptron_predict", lambda X, w, b: np.sign(X @ w + b), parts={"y_hat"},
                 mentions="np.sign, which gives 0 on the boundary", hidden=False)
    assert_fails("perceptron.perceptron_predict", lambda X, w, b: np.where(X @ w + b > 0, 1, -1), parts={"y_hat"},
                 mentions="scores > 0 where scores >= 0 belongs")
    assert_fails("perceptron.perceptron_predict", lambda X, w, b: (X @ w + b >= 0).astype(int), parts={"y_hat"},
                 mentions="labels 0 and 1")
    assert_fails("perceptron.perceptron_predict", lambda X, w, b: np.where(X @ w >= 0, 1, -1), parts={"y_hat"},
                 mentions="bias b left out")


def test_predict_with_a_loop_passes():
    def loop(X, w, b):
        labels = []
        for x in X:
            score = sum(x_d * w_d for x_d, w_d in zip(x, w)) + b
            labels.append(1 if score >= 0 else -1)
        return np.array(labels)

    assert_passes("perceptron.perceptron_predict", loop)


def _predict(x, w, b):
    return 1 if x @ w + b >= 0 else -1


def test_update_mistakes():
    def in_place(w, b, x, y, lr):
        if _predict(x, w, b) != y:
            w += lr * y * x
            b += lr * y
        return w, b

    def always(w, b, x, y, lr):
        return w + lr * y * x, b + lr * y

    def nonpositive(w, b, x, y, lr):
        if y * (x @ w + b) <= 0:
            return w + lr * y * x, b + lr * y
        return w, b

    def bias_without_label(w, b, x, y, lr):
        if _predict(x, w, b) != y:
            return w + lr * y * x, b + lr
        return w, b

    assert_fails("perceptron.perceptron_update", in_place, parts={"w", "b"}, mentions="changed its input w in place")
    assert_fails("perceptron.perceptron_update", always, parts={"w", "b"}, mentions="an update on every sample")
    assert_fails("perceptron.perceptron_update", nonpositive, parts={"w", "b"},
                 mentions="y * score <= 0 taken as a mistake")
    assert_fails("perceptron.perceptron_update", bias_without_label, parts={"b"}, mentions="b moved by lr instead")


def test_update_returning_numpy_scalars_passes():
    def update(w, b, x, y, lr):
        wrong = np.where(x @ w + b >= 0, 1, -1) != y
        return w + wrong * lr * y * x, np.float64(b + wrong * lr * y)

    assert_passes("perceptron.perceptron_update", update)


def _train(X, y, epochs, lr=1.0, rule="mistake", cumulative=False, stop_early=False):
    w, b, mistakes, total = np.zeros(X.shape[1]), 0.0, [], 0
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            score = x_i @ w + b
            update = {"mistake": _predict(x_i, w, b) != y_i, "always": True, "sign": np.sign(score) != y_i}[rule]
            if update:
                w, b = w + lr * y_i * x_i, b + lr * y_i
                count += 1
        total += count
        mistakes.append(total if cumulative else count)
        if stop_early and count == 0:
            break
    return w, b, mistakes


def test_train_mistakes():
    assert_fails("perceptron.perceptron_train", lambda X, y, e, lr=1.0: _train(X, y, e, lr, rule="always"),
                 parts={"w", "b", "mistakes"}, mentions="an update on every sample")
    assert_fails("perceptron.perceptron_train", lambda X, y, e, lr=1.0: _train(X, y, e, lr, rule="sign"),
                 parts={"w", "b", "mistakes"}, mentions="np.sign for the prediction")
    assert_fails("perceptron.perceptron_train", lambda X, y, e, lr=1.0: _train(X, y, e, lr, cumulative=True),
                 parts={"mistakes"}, mentions="running totals of mistakes")
    assert_fails("perceptron.perceptron_train", lambda X, y, e, lr=1.0: _train(X, y, e, lr, stop_early=True),
                 parts={"mistakes"}, mentions="one count per epoch")
    assert_fails("perceptron.perceptron_train", lambda X, y, e, lr=1.0: _train(X, y, e, lr)[:2] + (3,),
                 parts={"mistakes"}, mentions="mistakes is a single number")


def test_train_with_indices_passes():
    def train(X, y, epochs, lr=1.0):
        N, D = X.shape
        w, b, mistakes = np.zeros(D), 0.0, []
        for _ in range(epochs):
            mistakes.append(0)
            for i in range(N):
                if np.where(X[i] @ w + b >= 0, 1, -1) != y[i]:
                    w = w + lr * y[i] * X[i]
                    b = b + lr * y[i]
                    mistakes[-1] += 1
        return w, b, mistakes

    assert_passes("perceptron.perceptron_train", train)
