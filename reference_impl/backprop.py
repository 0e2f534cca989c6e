"""Lesson 03, backpropagation made concrete: gradient checking, a small reverse-mode autodiff engine
over scalars, and two optimizers that use the gradients it computes.

`numerical_gradient` and `relative_error` live in reference_impl.gradcheck, where every layer's tests
use them; they are exported here too because they are this lesson's exercises.
"""
import math

from .backend import namespace
from .gradcheck import numerical_gradient, relative_error

__all__ = ["numerical_gradient", "relative_error", "Value", "sgd_momentum_step", "adam_step"]


class Value:
    """A scalar that remembers how it was computed, so that backward() can fill in d(output)/d(self).

    Supports +, -, *, / with Values or numbers on either side, ** a number, tanh(), exp(), relu().
    `.data` holds the value, `.grad` the gradient after backward() (0.0 before).
    """

    def __init__(self, data, _parents=(), _op=""):
        self.data = float(data)
        self.grad = 0.0
        self._parents = _parents
        self._op = _op
        # Adds this node's contribution to its parents' .grad, given its own .grad.
        self._backward = lambda: None

    def __repr__(self):
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g})"

    def __add__(self, other):
        other = _as_value(other)
        out = Value(self.data + other.data, (self, other), "+")

        def backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = backward
        return out

    def __mul__(self, other):
        other = _as_value(other)
        out = Value(self.data * other.data, (self, other), "*")

        def backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = backward
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            raise TypeError("Value ** Value is not supported: the exponent must be a number, e.g. x ** 2")
        out = Value(self.data ** exponent, (self,), f"**{exponent:g}")

        def backward():
            self.grad += exponent * self.data ** (exponent - 1) * out.grad
        out._backward = backward
        return out

    def __truediv__(self, other):
        other = _as_value(other)
        out = Value(self.data / other.data, (self, other), "/")

        def backward():
            self.grad += out.grad / other.data
            other.grad -= self.data / other.data ** 2 * out.grad
        out._backward = backward
        return out

    def tanh(self):
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def backward():
            self.grad += (1 - t * t) * out.grad
        out._backward = backward
        return out

    def exp(self):
        out = Value(math.exp(self.data), (self,), "exp")

        def backward():
            self.grad += out.data * out.grad
        out._backward = backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,), "relu")

        def backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = backward
        return out

    def __neg__(self):
        return self * -1.0

    def __sub__(self, other):
        return self + (-_as_value(other))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        return _as_value(other) - self

    def __rtruediv__(self, other):
        return _as_value(other) / self

    def backward(self):
        """Set .grad of every node this Value depends on to d(self)/d(node).

        Nodes are visited in reverse topological order, so each node's gradient is complete (summed
        over all its uses) before it is passed on to its parents.
        """
        order, seen = [], set()
        # Depth-first search without recursion, so long chains do not hit Python's recursion limit.
        stack = [(self, False)]
        while stack:
            node, parents_done = stack.pop()
            if parents_done:
                order.append(node)
            elif id(node) not in seen:
                seen.add(id(node))
                stack.append((node, True))
                stack.extend((parent, False) for parent in node._parents if id(parent) not in seen)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        for node in reversed(order):
            node._backward()


def _as_value(x):
    return x if isinstance(x, Value) else Value(x)


def sgd_momentum_step(w, dw, v, lr, momentum=0.9):
    """Gradient descent with momentum, torch.optim.SGD's rule: v = momentum*v + dw; w = w - lr*v.

    w, dw, v: arrays of one shape (v starts at zeros) -> new (w, v); the inputs are not changed.
    """
    _require_like("sgd_momentum_step", w, dw=dw, v=v)
    v = momentum * v + dw
    return w - lr * v, v


def adam_step(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step with bias correction, as torch.optim.Adam (no weight decay).

    w, dw, m, v: arrays of one shape (m and v start at zeros); t: the step number, counting from 1.
    Returns new (w, m, v); the inputs are not changed.
    """
    _require_like("adam_step", w, dw=dw, m=m, v=v)
    if int(t) < 1:
        raise ValueError(f"adam_step: the step count t counts from 1, got {t}")
    xp = namespace(w)
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    # The averages start at zero, so early on they are too small by the factor 1 - beta**t.
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (xp.sqrt(v_hat) + eps), m, v


def _require_like(func, w, **arrays):
    for name, value in arrays.items():
        if tuple(value.shape) != tuple(w.shape):
            raise ValueError(f"{func}: {name} must have w's shape {tuple(w.shape)}, got {tuple(value.shape)}")
