"""Lesson 01: the perceptron's prediction, update rule and training loop, on every backend."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.data import blobs, xor
from reference_impl.perceptron import perceptron_predict, perceptron_train, perceptron_update

pytestmark = pytest.mark.perceptron

HYPOTHESIS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def plain_perceptron(X, y, epochs, lr):
    """The rule written out with Python floats, one example at a time, as a second opinion."""
    w, b, mistakes = [0.0] * X.shape[1], 0.0, []
    for _ in range(epochs):
        count = 0
        for x, label in zip(X.tolist(), y.tolist()):
            score = sum(wi * xi for wi, xi in zip(w, x)) + b
            if (1 if score >= 0 else -1) != label:
                w = [wi + lr * label * xi for wi, xi in zip(w, x)]
                b += lr * label
                count += 1
        mistakes.append(count)
    return np.array(w), b, mistakes


@HYPOTHESIS
@given(N=st.integers(1, 8), D=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_predict_is_the_sign_of_the_score_with_zero_as_plus_one(backend, N, D, seed):
    rng = np.random.default_rng(seed)
    X, w, b = rng.standard_normal((N, D)), rng.standard_normal(D), float(rng.standard_normal())
    X[0] = 0.0
    b = b if N == 1 else 0.0  # with b = 0, the all-zero row scores exactly 0
    y_hat = backend.to_numpy(perceptron_predict(backend.asarray(X), backend.asarray(w), b))
    np.testing.assert_array_equal(y_hat, np.where(X @ w + b >= 0, 1, -1))
    assert y_hat.dtype == np.int64


def test_update_changes_w_and_b_exactly_on_a_mistake(backend):
    w, x = backend.asarray(np.array([1.0, -1.0])), backend.asarray(np.array([2.0, 2.0]))
    # score 0 is predicted +1: a mistake for y = -1, none for y = +1
    new_w, new_b = perceptron_update(w, 0.0, x, -1, 0.5)
    np.testing.assert_array_equal(backend.to_numpy(new_w), [0.0, -2.0])
    assert new_b == -0.5
    same_w, same_b = perceptron_update(w, 0.0, x, 1, 0.5)
    np.testing.assert_array_equal(backend.to_numpy(same_w), [1.0, -1.0])
    assert same_b == 0.0 and same_w is not w
    np.testing.assert_array_equal(backend.to_numpy(w), [1.0, -1.0])  # never mutated


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_separates_blobs_and_agrees_with_the_plain_rule(backend, seed):
    X, y = blobs(n=60, seed=seed)
    w, b, mistakes = perceptron_train(backend.asarray(X), backend.asarray(y), epochs=30, lr=0.5)
    plain_w, plain_b, plain_mistakes = plain_perceptron(X, y, 30, 0.5)
    np.testing.assert_allclose(backend.to_numpy(w), plain_w, rtol=1e-12, atol=1e-12)
    assert b == pytest.approx(plain_b) and mistakes == plain_mistakes
    assert mistakes[-1] == 0 and len(mistakes) == 30
    y_hat = perceptron_predict(backend.asarray(X), w, b)
    np.testing.assert_array_equal(backend.to_numpy(y_hat), y)


def test_training_never_separates_xor():
    X, y = xor(n=40, seed=0)
    _, _, mistakes = perceptron_train(X, y, epochs=50)
    assert min(mistakes) > 0


def test_training_leaves_its_inputs_alone(rng):
    X, y = blobs(n=20, seed=3)
    X_before, y_before = X.copy(), y.copy()
    perceptron_train(X, y, epochs=3)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_bad_labels_and_shapes_are_named(rng):
    X = rng.standard_normal((4, 2))
    with pytest.raises(ValueError, match=r"labels must be -1 or \+1, got 0.0; map 0/1 labels with 2 \* y - 1"):
        perceptron_train(X, np.array([0, 1, 1, 0]), epochs=1)
    with pytest.raises(ValueError, match=r"X must have shape \(N, D\) = \(\*, 3\), got \(4, 2\)"):
        perceptron_predict(X, np.zeros(3), 0.0)
    with pytest.raises(ValueError, match=r"y must have shape \(N,\) = \(4,\), got \(3,\)"):
        perceptron_train(X, np.array([1, -1, 1]), epochs=1)
