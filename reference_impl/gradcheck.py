"""Central-difference gradient checking, on any backend.

`numerical_gradient` and `relative_error` are lesson 03's exercises; `layer_gradients` and
`compare_layer_gradients` apply them to a forward/backward pair with a random upstream gradient,
which is how every layer in the course is tested.
"""
from .backend import namespace, random_normal, to_numpy

__all__ = ["numerical_gradient", "relative_error", "layer_gradients", "compare_layer_gradients"]


def numerical_gradient(f, x, h=1e-5):
    """Gradient of the scalar function f at x by central differences.

    f: array -> float; x: array of any shape (float64 for a useful answer); h: step.
    Returns grad, same shape as x, with grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h).
    x is left unchanged: the steps are taken on a private copy.
    """
    xp = namespace(x)
    x = xp.asarray(x, copy=True)
    flat = x.reshape(-1)  # a view into x: stepping flat[i] steps x
    grad = xp.zeros_like(flat)
    for i in range(flat.shape[0]):
        old = float(flat[i])
        flat[i] = old + h
        f_plus = float(f(x))
        flat[i] = old - h
        f_minus = float(f(x))
        flat[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad.reshape(x.shape)


def relative_error(a, b):
    """max over elements of |a - b| / max(1e-8, |a| + |b|), as a Python float (0.0 for empty arrays)."""
    a, b = to_numpy(a), to_numpy(b)
    if a.size == 0 and b.size == 0:
        return 0.0
    return float((abs(a - b) / (abs(a) + abs(b)).clip(min=1e-8)).max())


def layer_gradients(forward, inputs, dout, h=1e-6):
    """Numerical gradients of L = sum(forward(*inputs)[0] * dout) with respect to every array input.

    forward: a `<name>_forward` function; inputs: its positional arguments (arrays and
    hyper-parameters); dout: upstream gradient shaped like the forward's output.
    Returns a list with one gradient per array input, in argument order.
    """
    grads = []
    for position, value in enumerate(inputs):
        if not hasattr(value, "shape"):
            continue

        def loss(v, position=position):
            args = list(inputs)
            args[position] = v
            out = forward(*args)[0]
            return float((out * dout).sum())

        grads.append(numerical_gradient(loss, value, h))
    return grads


def compare_layer_gradients(forward, backward, inputs, rng, h=1e-6):
    """Relative errors between a backward pass and central differences, under a random upstream gradient.

    A random dout (never all ones, which would hide a transposed or mis-summed gradient) weights
    the output. Returns one relative error per array input, in argument order.
    """
    out, cache = forward(*inputs)
    dout = random_normal(rng, tuple(out.shape), out)
    analytic = backward(dout, cache)
    if not isinstance(analytic, tuple):
        analytic = (analytic,)
    numeric = layer_gradients(forward, inputs, dout, h)
    return [relative_error(a, n) for a, n in zip(analytic, numeric)]
