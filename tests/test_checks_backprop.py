"""The lesson 03 checks: the reference earns full marks, learners' real mistakes fail and are named,
and correct code written another way passes."""
import math

import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import assert_fails, assert_passes, failed_parts
from reference_impl import backprop as reference

pytestmark = [pytest.mark.grader, pytest.mark.backprop]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("backprop"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


def _numerical_gradient(f, x, h=1e-5, one_sided=False, restore=True, divide=2.0):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old if one_sided else old - h
        minus = f(x)
        if restore:
            x[i] = old
        grad[i] = (plus - minus) / (h if one_sided else divide * h)
    return grad


def test_numerical_gradient_mistakes():
    assert_fails("backprop.numerical_gradient", lambda f, x, h=1e-5: _numerical_gradient(f, x, h, one_sided=True),
                 parts={"1-D x", "x of any shape"}, mentions="one-sided difference (f(x + h) - f(x)) / h")
    assert_fails("backprop.numerical_gradient", lambda f, x, h=1e-5: _numerical_gradient(f, x, h, restore=False),
                 parts={"1-D x", "x of any shape"}, mentions="changed its input x in place")
    assert_fails("backprop.numerical_gradient", lambda f, x, h=1e-5: _numerical_gradient(f, x, h, divide=1.0),
                 parts={"1-D x", "x of any shape"}, mentions="times 2")

    def one_dimensional(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in range(len(x)):
            step = np.zeros_like(x)
            step[i] = h
            grad[i] = (f(x + step) - f(x - step)) / (2 * h)
        return grad

    result = assert_fails("backprop.numerical_gradient", one_dimensional, parts={"x of any shape"})
    assert result.score == 1


def test_numerical_gradient_on_a_flat_copy_passes():
    def flat(f, x, h=1e-5):
        x = x.astype(float).copy()
        view = x.reshape(-1)
        grad = np.zeros(view.shape)
        for i in range(view.size):
            saved = view[i]
            view[i] = saved + h
            plus = f(x)
            view[i] = saved - h
            minus = f(x)
            view[i] = saved
            grad[i] = (plus - minus) / (2 * h)
        return grad.reshape(x.shape)

    assert_passes("backprop.numerical_gradient", flat)


def _relative_error(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def test_relative_error_mistakes(capfd):
    assert_fails("backprop.relative_error",
                 lambda a, b: np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))),
                 parts={"value"}, mentions="mean over elements")
    assert_fails("backprop.relative_error", lambda a, b: np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))),
                 parts={"value"}, mentions="no floor on the denominator")
    assert_fails("backprop.relative_error", lambda a, b: np.abs(a - b).max() / max(1e-8, (np.abs(a) + np.abs(b)).max()),
                 parts={"value"}, mentions="max|a - b| / max(|a| + |b|)")
    assert capfd.readouterr().err == ""  # 0 / 0 warned inside the learner's code, and stayed there


def test_relative_error_with_a_loop_passes():
    def loop(a, b):
        worst = 0.0
        for x, y in zip(a.reshape(-1), b.reshape(-1)):
            worst = max(worst, abs(x - y) / max(1e-8, abs(x) + abs(y)))
        return worst

    assert_passes("backprop.relative_error", loop)


def make_value(assign=False, tanh_rule="1 - t**2", topological=True, reflected=True):
    """A learner's Value class, with a chosen mistake."""

    class Value:
        def __init__(self, data, parents=()):
            self.data, self.grad, self.parents, self._backward = float(data), 0.0, parents, lambda: None

        def _add_grad(self, node, amount):
            node.grad = amount if assign else node.grad + amount

        @staticmethod
        def wrap(other):
            return other if isinstance(other, Value) else Value(other)

        def __add__(self, other):
            other = self.wrap(other)
            out = Value(self.data + other.data, (self, other))

            def backward():
                self._add_grad(self, out.grad)
                self._add_grad(other, out.grad)
            out._backward = backward
            return out

        def __mul__(self, other):
            other = self.wrap(other)
            out = Value(self.data * other.data, (self, other))

            def backward():
                self._add_grad(self, other.data * out.grad)
                self._add_grad(other, self.data * out.grad)
            out._backward = backward
            return out

        def __pow__(self, n):
            out = Value(self.data**n, (self,))
            out._backward = lambda: self._add_grad(self, n * self.data ** (n - 1) * out.grad)
            return out

        def __neg__(self):
            return self * -1.0

        def __sub__(self, other):
            return self + (-self.wrap(other))

        def __truediv__(self, other):
            return self * self.wrap(other) ** -1.0

        def tanh(self):
            t = math.tanh(self.data)
            out = Value(t, (self,))
            local = 1 - t**2 if tanh_rule == "1 - t**2" else 1 - t
            out._backward = lambda: self._add_grad(self, local * out.grad)
            return out

        def exp(self):
            out = Value(math.exp(self.data), (self,))
            out._backward = lambda: self._add_grad(self, out.data * out.grad)
            return out

        def relu(self):
            out = Value(max(self.data, 0.0), (self,))
            out._backward = lambda: self._add_grad(self, (out.data > 0) * out.grad)
            return out

        def backward(self):
            self.grad = 1.0
            if not topological:
                def recurse(node):
                    node._backward()
                    for parent in dict.fromkeys(node.parents):
                        recurse(parent)
                recurse(self)
                return
            order, seen, stack = [], set(), [(self, False)]
            while stack:  # an iterative depth-first search instead of micrograd's recursive one
                node, done = stack.pop()
                if done:
                    order.append(node)
                elif id(node) not in seen:
                    seen.add(id(node))
                    stack.append((node, True))
                    stack.extend((parent, False) for parent in node.parents)
            for node in reversed(order):
                node._backward()

    if reflected:
        Value.__radd__ = Value.__add__
        Value.__rmul__ = Value.__mul__
        Value.__rsub__ = lambda self, other: Value(other) - self
        Value.__rtruediv__ = lambda self, other: Value(other) / self
    return Value


def test_value_written_differently_passes():
    assert_passes("backprop.Value", make_value())


def test_value_mistakes():
    assert_fails("backprop.Value", make_value(assign=True), parts={"a node used twice", "topological order"},
                 mentions="gradients assigned (=) instead of accumulated (+=)")
    assert_fails("backprop.Value", make_value(tanh_rule="1 - t"), parts={"tanh and exp", "topological order"},
                 mentions="tanh's derivative as 1 - t")
    assert_fails("backprop.Value", make_value(topological=False), parts={"topological order"},
                 mentions="backward() without a topological order")
    result = run_check("backprop.Value", make_value(reflected=False))
    assert failed_parts(result) == {"+ and -", "* and /"}, result.message
    assert "__radd__" in result.message and "TypeError" in result.message


def test_momentum_mistakes():
    def dampened(w, dw, v, lr, momentum=0.9):
        v = momentum * v + (1 - momentum) * dw
        return w - lr * v, v

    def velocity(w, dw, v, lr, momentum=0.9):
        v = momentum * v - lr * dw
        return w + v, v

    def in_place(w, dw, v, lr, momentum=0.9):
        v *= momentum
        v += dw
        return w - lr * v, v

    assert_fails("backprop.sgd_momentum_step", dampened, parts={"w", "v"}, mentions="dampened form")
    assert_fails("backprop.sgd_momentum_step", velocity, parts={"w", "v"}, mentions="velocity form")
    assert_fails("backprop.sgd_momentum_step", in_place, parts={"w", "v"}, mentions="changed its input v in place")


def test_momentum_with_out_arrays_passes():
    def step(w, dw, v, lr, momentum=0.9):
        v_new = np.multiply(v, momentum)
        np.add(v_new, dw, out=v_new)
        return np.subtract(w, lr * v_new), v_new

    assert_passes("backprop.sgd_momentum_step", step)


def _adam(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, correct=True, eps_inside=False):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw**2
    m_hat, v_hat = (m / (1 - beta1**t), v / (1 - beta2**t)) if correct else (m, v)
    denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / denominator, m, v


def test_adam_mistakes():
    assert_fails("backprop.adam_step", lambda *a, **k: _adam(*a, **k, correct=False), parts={"w"},
                 mentions="no bias correction")
    assert_fails("backprop.adam_step", lambda *a, **k: _adam(*a, **k, eps_inside=True), parts={"w"},
                 mentions="eps inside the square root")

    def corrected_state(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w, m, v = _adam(w, dw, m, v, t, lr, beta1, beta2, eps)
        return w, m / (1 - beta1**t), v / (1 - beta2**t)

    assert_fails("backprop.adam_step", corrected_state, parts={"m", "v"}, mentions="bias-corrected m and v returned")


def test_adam_in_torch_form_passes():
    def torch_form(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw * dw
        denominator = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
        return w - (lr / (1 - beta1**t)) * m / denominator, m, v

    assert_passes("backprop.adam_step", torch_form)
