"""Learner mistakes and correct alternatives for lesson 03, backpropagation."""
import math

import numpy as np

from .entries import alternative, mistake


# -- lesson 03: gradient checking -------------------------------------------------------------------
def _central_differences(f, x, h=1e-5, one_sided=False, restore=True, divide=2.0, copy=False):
    x = np.array(x, dtype=float) if copy else x
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


def numerical_gradient_one_sided(f, x, h=1e-5):
    return _central_differences(f, x, h, one_sided=True)


def numerical_gradient_not_restoring(f, x, h=1e-5):
    return _central_differences(f, x, h, restore=False)


def numerical_gradient_over_h(f, x, h=1e-5):
    return _central_differences(f, x, h, divide=1.0)


def numerical_gradient_one_dimensional(f, x, h=1e-5):
    grad = np.zeros_like(x)
    for i in range(len(x)):
        step = np.zeros_like(x)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def numerical_gradient_fixed_step(f, x, h=1e-5):
    return _central_differences(f, x, 1e-5, copy=True)


def numerical_gradient_copy_not_restored(f, x, h=1e-5):
    return _central_differences(f, x, h, restore=False, copy=True)


def numerical_gradient_all_at_once(f, x, h=1e-5):
    return np.full(x.shape, (f(x + h) - f(x - h)) / (2 * h))


def numerical_gradient_on_a_flat_copy(f, x, h=1e-5):
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


def numerical_gradient_with_unit_steps(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        step = np.zeros(x.shape)
        step[i] = h
        grad[i] = (f(x + step) - f(x - step)) / (2 * h)
    return grad


def relative_error_mean(a, b):
    return np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def relative_error_unfloored(a, b):
    return np.max(np.abs(a - b) / (np.abs(a) + np.abs(b)))


def relative_error_of_maxima(a, b):
    return np.abs(a - b).max() / max(1e-8, (np.abs(a) + np.abs(b)).max())


def relative_error_python_max(a, b):
    return float(np.max(np.abs(a - b) / max(1e-8, np.abs(a) + np.abs(b))))


def relative_error_larger_magnitude(a, b):
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b))))


def relative_error_signed(a, b):
    return np.max((a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def relative_error_with_a_loop(a, b):
    worst = 0.0
    for x, y in zip(a.reshape(-1), b.reshape(-1)):
        worst = max(worst, abs(x - y) / max(1e-8, abs(x) + abs(y)))
    return worst


def relative_error_with_np_divide(a, b):
    ratio = np.divide(np.abs(a - b), np.clip(np.abs(a) + np.abs(b), 1e-8, None))
    return float(ratio.max())


# -- lesson 03: Value -------------------------------------------------------------------------------
def make_value(assign=False, tanh_rule="1 - t**2", topological=True, reflected=True, rsub_as_sub=False,
               relu_at_zero=0.0, seed_output=True, own_division=False, reverse=True):
    """A learner's Value class, with a chosen mistake (or none)."""

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
            if not own_division:
                return self * self.wrap(other) ** -1.0
            other = self.wrap(other)
            out = Value(self.data / other.data, (self, other))

            def backward():
                self._add_grad(self, out.grad / other.data)
                self._add_grad(other, -self.data / other.data**2 * out.grad)
            out._backward = backward
            return out

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
            local = 1.0 if self.data > 0 else (relu_at_zero if self.data == 0 else 0.0)
            out._backward = lambda: self._add_grad(self, local * out.grad)
            return out

        def backward(self):
            self.grad = 1.0 if seed_output else 0.0
            if not topological:
                def recurse(node):
                    node._backward()
                    for parent in dict.fromkeys(node.parents):
                        recurse(parent)
                recurse(self)
                return
            order, seen, stack = [], set(), [(self, False)]
            while stack:  # an iterative depth-first search instead of a recursive one
                node, done = stack.pop()
                if done:
                    order.append(node)
                elif id(node) not in seen:
                    seen.add(id(node))
                    stack.append((node, True))
                    stack.extend((parent, False) for parent in node.parents)
            for node in reversed(order) if reverse else order:
                node._backward()

    if reflected:
        Value.__radd__ = Value.__add__
        Value.__rmul__ = Value.__mul__
        Value.__rsub__ = Value.__sub__ if rsub_as_sub else (lambda self, other: Value(other) - self)
        Value.__rtruediv__ = lambda self, other: Value(other) / self
    return Value


# -- lesson 03: optimizers --------------------------------------------------------------------------
def momentum_dampened(w, dw, v, lr, momentum=0.9):
    v = momentum * v + (1 - momentum) * dw
    return w - lr * v, v


def momentum_velocity_form(w, dw, v, lr, momentum=0.9):
    v = momentum * v - lr * dw
    return w + v, v


def momentum_in_place(w, dw, v, lr, momentum=0.9):
    v *= momentum
    v += dw
    return w - lr * v, v


def momentum_old_velocity(w, dw, v, lr, momentum=0.9):
    return w - lr * v, momentum * v + dw


def momentum_hard_coded(w, dw, v, lr, momentum=0.9):
    v = 0.9 * v + dw
    return w - lr * v, v


def momentum_lr_in_velocity(w, dw, v, lr, momentum=0.9):
    v = momentum * v + lr * dw
    return w - v, v


def momentum_without_default(w, dw, v, lr, momentum):
    v = momentum * v + dw
    return w - lr * v, v


def momentum_with_out_arrays(w, dw, v, lr, momentum=0.9):
    v_new = np.multiply(v, momentum)
    np.add(v_new, dw, out=v_new)
    return np.subtract(w, lr * v_new), v_new


def momentum_on_copies(w, dw, v, lr, momentum=0.9):
    v = v.copy()
    v *= momentum
    v += dw
    return w - lr * v, v


def _adam(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, correct_m=True, correct_v=True,
          eps_inside=False, t_from_zero=False):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw**2
    step = t + 1 if t_from_zero else t
    m_hat = m / (1 - beta1**step) if correct_m else m
    v_hat = v / (1 - beta2**step) if correct_v else v
    denominator = np.sqrt(v_hat + eps) if eps_inside else np.sqrt(v_hat) + eps
    return w - lr * m_hat / denominator, m, v


def adam_uncorrected(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, beta1, beta2, eps, correct_m=False, correct_v=False)


def adam_eps_inside(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, beta1, beta2, eps, eps_inside=True)


def adam_returning_corrected_state(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v = _adam(w, dw, m, v, t, lr, beta1, beta2, eps)
    return w, m / (1 - beta1**t), v / (1 - beta2**t)


def adam_hard_coded_betas(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, 0.9, 0.999, eps)


def adam_t_from_zero(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, beta1, beta2, eps, t_from_zero=True)


def adam_only_v_corrected(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, beta1, beta2, eps, correct_m=False)


def adam_wrong_default_lr(w, dw, m, v, t, lr=1e-2, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, m, v, t, lr, beta1, beta2, eps)


def adam_in_torch_form(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw * dw
    denominator = np.sqrt(v) / math.sqrt(1 - beta2**t) + eps
    return w - (lr / (1 - beta1**t)) * m / denominator, m, v


def adam_with_lerp(w, dw, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = m + (1 - beta1) * (dw - m)  # moves m a fraction 1 - beta1 of the way to dw
    v = v + (1 - beta2) * (np.square(dw) - v)
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

MISTAKES = {
    "backprop.numerical_gradient": [
        mistake("one-sided", numerical_gradient_one_sided, named="one-sided difference (f(x + h) - f(x)) / h",
                 parts={"1-D x", "x of any shape"}),
        mistake("x not restored", numerical_gradient_not_restoring, named="changed its input x in place",
                 parts={"1-D x", "x of any shape"}),
        mistake("divided by h", numerical_gradient_over_h, named="divided by h where 2 * h belongs",
                 parts={"1-D x", "x of any shape"}),
        mistake("1-D only", numerical_gradient_one_dimensional, parts={"x of any shape"}),
        mistake("h ignored", numerical_gradient_fixed_step, named="h ignored", parts={"1-D x", "x of any shape"}),
        mistake("the copy's entries not put back", numerical_gradient_copy_not_restored, named="never put back",
                 parts={"1-D x", "x of any shape"}),
        mistake("every entry at once", numerical_gradient_all_at_once, named="every entry of x nudged at once",
                 parts={"1-D x", "x of any shape"}),
    ],
    "backprop.relative_error": [
        mistake("mean", relative_error_mean, named="mean over elements"),
        mistake("no floor", relative_error_unfloored, named="no floor on the denominator"),
        mistake("max over max", relative_error_of_maxima, named="max|a - b| / max(|a| + |b|)"),
        mistake("Python's max", relative_error_python_max, named="np.maximum(1e-8, array) floors each entry"),
        mistake("max(|a|, |b|)", relative_error_larger_magnitude, named="max(|a|, |b|) in the denominator"),
        mistake("no abs in the numerator", relative_error_signed, named="absolute value of a - b left out"),
    ],
    "backprop.Value": [
        mistake("grad =", make_value(assign=True), named="gradients assigned (=) instead of accumulated (+=)",
                 parts={"a node used twice", "topological order"}),
        mistake("tanh 1 - t", make_value(tanh_rule="1 - t"), named="tanh's derivative as 1 - t",
                 parts={"tanh and exp", "topological order"}),
        mistake("recursive backward", make_value(topological=False), named="backward() without a topological order",
                 parts={"topological order"}),
        mistake("no reflected operators", make_value(reflected=False), named="__radd__",
                 parts={"+ and -", "* and /"}),
        mistake("__rsub__ = __sub__", make_value(rsub_as_sub=True), named="__rsub__ computing x - 3",
                 parts={"+ and -"}),
        mistake("relu' (0) = 1", make_value(relu_at_zero=1.0), named="relu's derivative taken as 1 at 0",
                 parts={"relu"}),
        mistake("output grad not seeded", make_value(seed_output=False), named="without self.grad = 1.0"),
        mistake("_backward in topological order", make_value(reverse=False), named="not in reverse"),
    ],
    "backprop.sgd_momentum_step": [
        mistake("dampened", momentum_dampened, named="dampened form", parts={"w", "v"}),
        mistake("velocity form", momentum_velocity_form, named="velocity form", parts={"w", "v"}),
        mistake("v *= in place", momentum_in_place, named="changed its input v in place", parts={"w", "v"}),
        mistake("the old v", momentum_old_velocity, named="w stepped with the old v", parts={"w"}),
        mistake("momentum 0.9 hard-coded", momentum_hard_coded, named="momentum argument ignored", parts={"w", "v"}),
        mistake("lr in v", momentum_lr_in_velocity, named="lr folded into the velocity", parts={"w", "v"}),
        mistake("no default momentum", momentum_without_default,
                 named="missing 1 required positional argument: 'momentum'", parts={"w", "v"}),
    ],
    "backprop.adam_step": [
        mistake("no bias correction", adam_uncorrected, named="no bias correction", parts={"w"}),
        mistake("eps inside", adam_eps_inside, named="eps inside the square root", parts={"w"}),
        mistake("corrected state", adam_returning_corrected_state, named="bias-corrected m and v returned",
                 parts={"m", "v"}),
        mistake("betas hard-coded", adam_hard_coded_betas, named="beta1 and beta2 ignored", parts={"w", "m", "v"}),
        mistake("t from 0", adam_t_from_zero, named="t + 1", parts={"w"}),
        mistake("only v corrected", adam_only_v_corrected, named="m not bias-corrected", parts={"w"}),
        mistake("a default lr of 1e-2", adam_wrong_default_lr, parts={"w"}),
    ],
}

CORRECT_ALTERNATIVES = {
    "backprop.numerical_gradient": [alternative("a flat copy", numerical_gradient_on_a_flat_copy),
                                    alternative("unit steps", numerical_gradient_with_unit_steps)],
    "backprop.relative_error": [alternative("a loop", relative_error_with_a_loop),
                                alternative("np.divide and np.clip", relative_error_with_np_divide)],
    "backprop.Value": [alternative("an iterative topological order", make_value()),
                       alternative("its own division", make_value(own_division=True))],
    "backprop.sgd_momentum_step": [alternative("out arrays", momentum_with_out_arrays),
                                   alternative("copies edited in place", momentum_on_copies)],
    "backprop.adam_step": [alternative("torch's form", adam_in_torch_form), alternative("lerp", adam_with_lerp)],
}
