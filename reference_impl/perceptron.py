"""Lesson 01, the perceptron: a linear classifier trained one mistake at a time.

Dimensions used below:
    N   number of examples      D   number of features

Labels are -1 or +1. The score of an example x is x @ w + b; a score of exactly 0 counts as +1.
"""
from .arguments import require_array, require_shape
from .backend import device, namespace

__all__ = ["perceptron_predict", "perceptron_update", "perceptron_train"]


def perceptron_predict(X, w, b):
    """Labels of the examples X under the boundary (w, b).

    X (N, D), w (D,), b a number -> y_hat (N,) int64 in {-1, +1}; sign(0) is taken as +1.
    """
    require_array("perceptron_predict", "X", X, ndim=2)
    require_array("perceptron_predict", "w", w, ndim=1)
    require_shape("perceptron_predict", "X", X, (None, w.shape[0]), "(N, D)")
    xp = namespace(X, w)
    scores = X @ w + b  # (N,)
    return xp.astype(scores >= 0, xp.int64) * 2 - 1


def perceptron_update(w, b, x, y, lr):
    """One step of the perceptron rule on the example (x, y).

    w (D,), b a number, x (D,), y in {-1, +1}, lr > 0 -> new (w, b). Exactly when the example is
    misclassified, w + lr*y*x and b + lr*y; otherwise copies of w and b. The inputs are not changed.
    """
    require_array("perceptron_update", "w", w, ndim=1)
    require_array("perceptron_update", "x", x, ndim=1)
    require_shape("perceptron_update", "x", x, tuple(w.shape), "(D,)")
    y = _require_label("perceptron_update", y)
    xp = namespace(w, x)
    if _label_of(x, w, b) == y:
        return xp.asarray(w, copy=True), b
    return w + lr * y * x, b + lr * y


def perceptron_train(X, y, epochs, lr=1.0):
    """Train a perceptron from w = 0, b = 0, visiting the examples in order, `epochs` times.

    X (N, D), y (N,) in {-1, +1} -> w (D,), b (a float), mistakes (a list of `epochs` ints: the
    number of updates made in each epoch; 0 means the data was separated).
    """
    require_array("perceptron_train", "X", X, ndim=2)
    require_array("perceptron_train", "y", y, ndim=1, kind=None)
    N, D = X.shape
    require_shape("perceptron_train", "y", y, (N,), "(N,)")
    xp = namespace(X)
    labels = [_require_label("perceptron_train", float(label)) for label in y]
    w, b = xp.zeros((D,), dtype=X.dtype, device=device(X)), 0.0
    mistakes = []
    # The rule is online: each example sees the boundary left by the one before, so the loop over
    # examples is the algorithm itself.
    for _ in range(epochs):
        count = 0
        for n in range(N):
            if _label_of(X[n], w, b) != labels[n]:
                w, b = w + lr * labels[n] * X[n], b + lr * labels[n]
                count += 1
        mistakes.append(count)
    return w, float(b), mistakes


def _label_of(x, w, b):
    """The predicted label of one example x (D,): +1 when x @ w + b >= 0, else -1."""
    return 1 if float(x @ w + b) >= 0 else -1


def _require_label(func, y):
    if y not in (-1, 1):
        raise ValueError(f"{func}: labels must be -1 or +1, got {y!r}; map 0/1 labels with 2 * y - 1")
    return int(y)
