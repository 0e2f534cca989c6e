"""Lesson 03: gradient checking, the scalar autodiff Value, and the optimizers against torch."""
import math

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.backprop import Value, adam_step, numerical_gradient, relative_error, sgd_momentum_step

pytestmark = pytest.mark.backprop

HYPOTHESIS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_numerical_gradient_matches_the_analytic_one_and_leaves_x_alone(backend, rng):
    A = rng.standard_normal((3, 3))
    x = backend.asarray(rng.standard_normal((3, 2)))
    before = backend.to_numpy(x).copy()

    def f(v):
        v = backend.to_numpy(v)
        return float(np.sum(np.sin(A @ v)) + np.sum(v**3))
    grad = numerical_gradient(f, x)
    v = before
    analytic = A.T @ np.cos(A @ v) + 3 * v**2
    assert relative_error(grad, analytic) < 1e-8
    np.testing.assert_array_equal(backend.to_numpy(x), before)
    assert type(grad) is type(x) and tuple(grad.shape) == (3, 2)


def test_numerical_gradient_uses_the_step_it_is_given():
    # For f = x**3 the central difference is 3x**2 + h**2 exactly, so h is visible in the answer.
    grad = numerical_gradient(lambda v: float(v[0] ** 3), np.array([1.0]), h=0.1)
    assert grad[0] == pytest.approx(3.0 + 0.01, rel=1e-12)


def test_relative_error_is_symmetric_bounded_and_zero_on_zeros():
    a, b = np.array([1.0, -2.0, 0.0]), np.array([1.5, -2.0, 0.0])
    assert relative_error(a, b) == relative_error(b, a) == pytest.approx(0.5 / 2.5)
    assert relative_error(np.zeros(4), np.zeros(4)) == 0.0
    assert relative_error(np.array([1.0]), np.array([-1.0])) == 1.0


def run_both(expression, leaves):
    """expression(*nodes) on Values and on float64 torch tensors; returns (ours, torch's) data and grads."""
    values = [Value(x) for x in leaves]
    out = expression(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in leaves]
    expected = expression(*tensors)
    expected.backward()
    return (out.data, [v.grad for v in values]), (expected.item(), [t.grad.item() for t in tensors])


EXPRESSIONS = {
    "neuron": lambda w, x, b: (w * x + b).tanh(),
    "reused node": lambda a, b, c: a * a + a * b - (a / c) ** 3,
    "numbers on both sides": lambda a, b, c: 2.0 * a - 1.5 / (b * b + 1.0) + (3.0 - c) * 0.5 + a / 4.0,
    "exp and relu": lambda a, b, c: ((a - b).exp() + (b * c).relu() + (c - 10.0).relu()) ** 0.5,
    "deep chain": lambda a, b, c: _chain(a, b, c),
}


def _chain(a, b, c):
    out = a
    for _ in range(5):
        out = (out * b + c).tanh() * 0.9 + out * 0.1
    return out


@HYPOTHESIS
@given(name=st.sampled_from(sorted(EXPRESSIONS)),
       leaves=st.lists(st.floats(0.2, 2.0), min_size=3, max_size=3))
def test_value_matches_torch_autograd(name, leaves):
    (data, grads), (expected_data, expected_grads) = run_both(EXPRESSIONS[name], leaves)
    assert data == pytest.approx(expected_data, rel=1e-12, abs=1e-12)
    assert grads == pytest.approx(expected_grads, rel=1e-10, abs=1e-12)


def test_value_backward_handles_long_graphs_and_runs_twice():
    x = Value(0.5)
    out = x
    for _ in range(5000):  # deeper than Python's recursion limit
        out = out * 1.0001
    out.backward()
    assert x.grad == pytest.approx(1.0001 ** 5000)
    out.backward()  # a second backward starts from zero again
    assert x.grad == pytest.approx(1.0001 ** 5000)


def test_value_power_rejects_a_value_exponent():
    with pytest.raises(TypeError, match="exponent must be a number"):
        Value(2.0) ** Value(3.0)


def quadratic_gradients(rng, shape):
    """A fixed quadratic loss sum(A * (w - target)**2) whose gradient depends on w, as training would."""
    A, target = rng.uniform(0.5, 2.0, shape), rng.standard_normal(shape)
    return lambda w: 2 * A * (w - target)


def test_momentum_matches_torch_sgd_over_20_steps(backend, rng):
    gradient = quadratic_gradients(rng, (3, 4))
    w0 = rng.standard_normal((3, 4))
    w, v = backend.asarray(w0), backend.asarray(np.zeros((3, 4)))
    tw = torch.tensor(w0, requires_grad=True)
    optimizer = torch.optim.SGD([tw], lr=0.05, momentum=0.9)
    for _ in range(20):
        w, v = sgd_momentum_step(w, backend.asarray(gradient(backend.to_numpy(w))), v, lr=0.05)
        tw.grad = torch.from_numpy(gradient(tw.detach().numpy()))
        optimizer.step()
    np.testing.assert_allclose(backend.to_numpy(w), tw.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("lr, betas", [(1e-3, (0.9, 0.999)), (0.1, (0.8, 0.99))])
def test_adam_matches_torch_adam_over_20_steps(backend, rng, lr, betas):
    gradient = quadratic_gradients(rng, (5,))
    w0 = rng.standard_normal(5)
    w, m, v = backend.asarray(w0), backend.asarray(np.zeros(5)), backend.asarray(np.zeros(5))
    tw = torch.tensor(w0, requires_grad=True)
    optimizer = torch.optim.Adam([tw], lr=lr, betas=betas, eps=1e-8)
    for t in range(1, 21):
        w, m, v = adam_step(w, backend.asarray(gradient(backend.to_numpy(w))), m, v, t,
                            lr=lr, beta1=betas[0], beta2=betas[1])
        tw.grad = torch.from_numpy(gradient(tw.detach().numpy()))
        optimizer.step()
    np.testing.assert_allclose(backend.to_numpy(w), tw.detach().numpy(), rtol=1e-10, atol=1e-12)


def test_optimizers_leave_their_inputs_alone_and_name_bad_arguments(rng):
    w, dw, v = rng.standard_normal(3), rng.standard_normal(3), rng.uniform(0, 1, 3)
    copies = [a.copy() for a in (w, dw, v)]
    sgd_momentum_step(w, dw, v, lr=0.1)
    adam_step(w, dw, v, v, t=1)
    for array, copy in zip((w, dw, v), copies):
        np.testing.assert_array_equal(array, copy)
    with pytest.raises(ValueError, match="t counts from 1, got 0"):
        adam_step(w, dw, v, v, t=0)
    with pytest.raises(ValueError, match=r"v must have w's shape \(3,\), got \(2,\)"):
        sgd_momentum_step(w, dw, np.zeros(2), lr=0.1)
    assert math.isfinite(relative_error(w, dw))
