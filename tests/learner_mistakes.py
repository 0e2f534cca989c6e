"""Mistakes learners make in lessons 01-03, written as the code a learner would write, and correct code
written another way.

    MISTAKES[exercise_id]             [LearnerMistake, ...]   wrong code: every check must fail it
    CORRECT_ALTERNATIVES[exercise_id] [LearnerCode, ...]      right code: every check must pass it

`functions` are passed to the check in its own order (a backward exercise: the forward, then the backward).
`named` is a phrase the visible report must contain (the mistake's name, or what the report says instead),
None where the report can only say what is wrong; `parts` the parts the mistake loses, where it matters;
`namespace` the learner's other functions by name, where the report should blame one of them.

Plain data and module-level functions, so that other tests (a learner edition, batch grading in another
process) can reuse the corpus.
"""
import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["LearnerMistake", "LearnerCode", "MISTAKES", "CORRECT_ALTERNATIVES"]


@dataclass(frozen=True)
class LearnerMistake:
    description: str
    functions: tuple
    named: str = None
    parts: frozenset = None
    namespace: dict = field(default=None, hash=False)


@dataclass(frozen=True)
class LearnerCode:
    description: str
    functions: tuple


def _mistake(description, *functions, named=None, parts=None, namespace=None):
    return LearnerMistake(description, functions, named, frozenset(parts) if parts else None, namespace)


def _code(description, *functions):
    return LearnerCode(description, functions)


# -- lesson 01: the perceptron ----------------------------------------------------------------------
def predict(X, w, b):
    return np.where(X @ w + b >= 0, 1, -1)


def predict_with_np_sign(X, w, b):
    return np.sign(X @ w + b)


def predict_strictly_positive(X, w, b):
    return np.where(X @ w + b > 0, 1, -1)


def predict_zero_one(X, w, b):
    return (X @ w + b >= 0).astype(int)


def predict_without_bias(X, w, b):
    return np.where(X @ w >= 0, 1, -1)


def predict_with_column_w(X, w, b):
    return np.where(X @ w.reshape(-1, 1) + b >= 0, 1, -1)


def predict_squeezed(X, w, b):
    return np.squeeze(np.where(X @ w + b >= 0, 1, -1))


def predict_booleans(X, w, b):
    return X @ w + b >= 0


def predict_with_a_loop(X, w, b):
    labels = []
    for x in X:
        score = sum(x_d * w_d for x_d, w_d in zip(x, w)) + b
        labels.append(1 if score >= 0 else -1)
    return np.array(labels)


def predict_from_sign_and_ties(X, w, b):
    scores = X @ w + b
    return (np.sign(scores) + (scores == 0)).astype(int)


def predict_from_a_mask(X, w, b):
    return 2 * (X @ w + b >= 0) - 1


def _label(x, w, b):
    return 1 if x @ w + b >= 0 else -1


def update(w, b, x, y, lr):
    if predict(x[None, :], w, b)[0] != y:
        return w + lr * y * x, b + lr * y
    return w.copy(), b


def update_in_place(w, b, x, y, lr):
    if _label(x, w, b) != y:
        w += lr * y * x
        b += lr * y
    return w, b


def update_always(w, b, x, y, lr):
    return w + lr * y * x, b + lr * y


def update_on_nonpositive_margin(w, b, x, y, lr):
    if y * (x @ w + b) <= 0:
        return w + lr * y * x, b + lr * y
    return w, b


def update_with_np_sign(w, b, x, y, lr):
    if np.sign(x @ w + b) != y:
        return w + lr * y * x, b + lr * y
    return w, b


def update_bias_without_label(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + lr * y * x, b + lr
    return w, b


def update_without_lr(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + y * x, b + y
    return w, b


def update_weights_without_label(w, b, x, y, lr):
    if _label(x, w, b) != y:
        return w + lr * x, b + lr * y
    return w, b


def update_returning_numpy_scalars(w, b, x, y, lr):
    wrong = np.where(x @ w + b >= 0, 1, -1) != y
    return w + wrong * lr * y * x, np.float64(b + wrong * lr * y)


def update_from_the_margin(w, b, x, y, lr):
    score = x @ w + b
    right = y * score > 0 or (score == 0 and y == 1)
    return (w, b) if right else (w + lr * y * x, b + lr * y)


def update_on_np_sign_predict(w, b, x, y, lr):
    if predict_with_np_sign(x[None, :], w, b)[0] != y:
        return w + lr * y * x, b + lr * y
    return w, b


def train_on_an_update_that_always_updates(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if predict(x_n[None, :], w, b)[0] != y_n:
                count += 1
            w, b = update_always(w, b, x_n, y_n, lr)
        mistakes.append(count)
    return w, b, mistakes


def train(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_updating_always(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            count += int(_label(x_n, w, b) != y_n)
            w, b = w + lr * y_n * x_n, b + lr * y_n
        mistakes.append(count)
    return w, b, mistakes


def train_with_np_sign(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if np.sign(x_n @ w + b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_with_running_totals(X, y, epochs, lr=1.0):
    w, b, mistakes, total = np.zeros(X.shape[1]), 0.0, [], 0
    for _ in range(epochs):
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                total += 1
        mistakes.append(total)
    return w, b, mistakes


def train_stopping_early(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
        if count == 0:
            break
    return w, b, mistakes


def train_counting_in_one_number(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(epochs):
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                mistakes += 1
    return w, b, mistakes


def train_resetting_each_epoch(X, y, epochs, lr=1.0):
    mistakes = []
    for _ in range(epochs):
        w, b, count = np.zeros(X.shape[1]), 0.0, 0
        for x_n, y_n in zip(X, y):
            if _label(x_n, w, b) != y_n:
                w, b = w + lr * y_n * x_n, b + lr * y_n
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_without_lr(X, y, epochs, lr=1.0):
    return train(X, y, epochs)


def train_without_default_lr(X, y, epochs, lr):
    return train(X, y, epochs, lr)


def train_shuffled(X, y, epochs, lr=1.0):
    rng = np.random.default_rng(0)
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for n in rng.permutation(len(y)):
            if _label(X[n], w, b) != y[n]:
                w, b = w + lr * y[n] * X[n], b + lr * y[n]
                count += 1
        mistakes.append(count)
    return w, b, mistakes


def train_with_indices(X, y, epochs, lr=1.0):
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


def train_counting_changes(X, y, epochs, lr=1.0):
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_n, y_n in zip(X, y):
            new_w, new_b = update(w, b, x_n, y_n, lr)
            count += int(new_b != b)  # an update always moves b by lr * y
            w, b = new_w, new_b
        mistakes.append(count)
    return w, b, np.array(mistakes)


# -- lesson 02: layers ------------------------------------------------------------------------------
def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0), x


def relu_backward(dout, cache):
    return dout * (cache > 0)


def sigmoid_forward(x):
    e = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return s, s


def tanh_forward(x):
    y = np.tanh(x)
    return y, y


def affine_forward_without_bias(x, W, b):
    return x @ W, (x, W)


def affine_forward_transposed(x, W, b):
    return x @ W.T + b, (x, W)


def affine_forward_without_cache(x, W, b):
    return x @ W + b


def affine_forward_bias_per_row(x, W, b):
    return x @ W + b[:, None], (x, W)


def affine_forward_in_float32(x, W, b):
    return (x @ W + b).astype(np.float32), (x, W)


def affine_forward_with_loops(x, W, b):
    out = np.zeros((x.shape[0], W.shape[1]), dtype=x.dtype)
    for n in range(x.shape[0]):
        for m in range(W.shape[1]):
            out[n, m] = sum(x[n, d] * W[d, m] for d in range(x.shape[1])) + b[m]
    return out, {"x": x}


def affine_forward_with_einsum(x, W, b):
    return np.einsum("nd,dm->nm", x, W) + b, {"x": x, "W": W}


def affine_backward_dW_transposed(dout, cache):
    x, W = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def affine_backward_mean_bias(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def affine_backward_unsummed_bias(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout


def affine_backward_two_grads(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout


def affine_backward_dx_over_N(dout, cache):
    x, W = cache
    return dout @ W.T / x.shape[0], x.T @ dout, dout.sum(axis=0)


def affine_backward_averaged(dout, cache):
    x, W = cache
    N = x.shape[0]
    return dout @ W.T / N, x.T @ dout / N, dout.sum(axis=0) / N


def affine_backward_in_weight_order(dout, cache):
    x, W = cache
    return x.T @ dout, dout @ W.T, dout.sum(axis=0)


def affine_backward_bias_summed_everywhere(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.sum()


def affine_backward_with_einsum(dout, cache):
    x, W = cache
    return np.einsum("nm,dm->nd", dout, W), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout)


def affine_backward_from_outer_products(dout, cache):
    x, W = cache
    dW = np.zeros_like(W)
    for x_n, dout_n in zip(x, dout):
        dW += np.outer(x_n, dout_n)  # each example's share of the shared weights
    return dout @ W.T, dW, np.sum(dout, axis=0)


def relu_forward_in_place(x):
    x[x < 0] = 0
    return x, x


def relu_forward_mask(x):
    return (x > 0).astype(float), x


def relu_forward_abs(x):
    return np.abs(x), x


def relu_forward_with_two_loops(x):
    out = np.zeros_like(x)
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            out[i, j] = max(x[i, j], 0)
    return out, x


def relu_forward_times_mask(x):
    return x * (x > 0), None


def relu_forward_clipped(x):
    out = np.clip(x, 0, None)
    return out, out


def relu_backward_at_zero(dout, cache):
    return dout * (cache >= 0)


def relu_backward_mask_from_dout(dout, cache):
    return dout * (dout > 0)


def relu_backward_everywhere(dout, cache):
    return dout


def relu_backward_mask_only(dout, cache):
    return (cache > 0).astype(dout.dtype)


def relu_backward_times_x(dout, cache):
    return dout * cache


def relu_backward_in_place(dout, cache):
    dout[cache <= 0] = 0
    return dout


def relu_backward_from_the_output(dout, out):
    return np.where(out > 0, dout, 0).astype(dout.dtype)


def relu_backward_on_a_copy(dout, cache):
    dx = dout.copy()
    dx[cache <= 0] = 0
    return dx


def sigmoid_forward_naive(x):
    s = 1 / (1 + np.exp(-x))  # overflows (harmlessly) for very negative x
    return s, s


def sigmoid_forward_of_minus_x(x):
    return 1 / (1 + np.exp(x)), None


def sigmoid_forward_tanh(x):
    return np.tanh(x), None


def sigmoid_forward_without_cache(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_forward_exp_ratio(x):
    e = np.exp(x)
    s = e / (1 + e)
    return s, s


def sigmoid_forward_one_branch(x):
    s = 1 / (1 + np.exp(-np.abs(x)))
    return s, s


def sigmoid_forward_from_tanh(x):
    s = 0.5 * (1 + np.tanh(x / 2))
    return s, s


def sigmoid_forward_caching_x(x):
    return 1 / (1 + np.exp(-x)), x


def sigmoid_backward_without_one_minus_s(dout, s):
    return dout * s


def sigmoid_backward_from_x(dout, x):
    return dout * x * (1 - x)


def sigmoid_backward_without_dout(dout, s):
    return s * (1 - s)


def sigmoid_backward_tanh_rule(dout, s):
    return dout * (1 - s**2)


def sigmoid_backward_twice(dout, s):
    s = 1 / (1 + np.exp(-s))
    return dout * s * (1 - s)


def sigmoid_backward_recomputed(dout, x):
    s = 1 / (1 + np.exp(-x))
    return dout * s * (1 - s)


def sigmoid_backward_expanded(dout, s):
    return dout * s - dout * s**2


def tanh_forward_from_exponentials(x):
    y = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
    return y, y


def tanh_forward_sinh_over_cosh(x):
    y = np.sinh(x) / np.cosh(x)
    return y, y


def tanh_forward_sigmoid(x):
    return 1 / (1 + np.exp(-x)), None


def tanh_forward_sigmoid_not_doubled(x):
    return 2 / (1 + np.exp(-x)) - 1, None


def tanh_forward_from_exp_minus_2x(x):
    e = np.exp(-2 * x)
    y = (1 - e) / (1 + e)
    return y, y


def tanh_forward_via_sigmoid(x):
    with np.errstate(over="ignore"):
        y = 2 / (1 + np.exp(-2 * x)) - 1
    return y.astype(x.dtype), x


def tanh_forward_caching_x(x):
    return np.tanh(x), x


def tanh_backward_one_minus_y(dout, y):
    return dout * (1 - y)


def tanh_backward_from_x(dout, x):
    return dout * (1 - x**2)


def tanh_backward_without_dout(dout, y):
    return 1 - y**2


def tanh_backward_sigmoid_rule(dout, y):
    return dout * y * (1 - y)


def tanh_backward_twice(dout, y):
    return dout * (1 - np.tanh(y) ** 2)


def tanh_backward_from_cosh(dout, x):
    return dout / np.cosh(np.clip(x, -300, 300)) ** 2


def tanh_backward_expanded(dout, y):
    return dout - dout * y * y


# -- lesson 02: softmax and cross-entropy -----------------------------------------------------------
def softmax_unstable(s):
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_over_axis_one(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_global_max(s):
    e = np.exp(s - s.max())
    return e / e.sum(axis=-1, keepdims=True)


def softmax_without_keepdims(s):
    e = np.exp(s - s.max(axis=-1))
    return e / e.sum(axis=-1)


def softmax_over_the_batch(s):
    e = np.exp(s - s.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def softmax_not_normalised(s):
    return np.exp(s - s.max(axis=-1, keepdims=True))


def softmax_one_sum(s):
    e = np.exp(s)
    return e / np.sum(e)


def softmax_row_by_row(s):
    flat = s.reshape(-1, s.shape[-1])
    out = np.empty_like(flat)
    for i, row in enumerate(flat):
        log_norm = row.max() + np.log(np.sum(np.exp(row - row.max())))
        out[i] = np.exp(row - log_norm)
    return out.reshape(s.shape)


def softmax_with_ellipsis(s):
    e = np.exp(s - np.max(s, axis=-1)[..., None])
    return e / np.sum(e, axis=-1)[..., None]


def _log_softmax(s):
    shifted = s - s.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def _softmax_rows(s):
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def cross_entropy_summed(s, y):
    N = len(y)
    p = _softmax_rows(s)
    d = p.copy()
    d[np.arange(N), y] -= 1
    return -_log_softmax(s)[np.arange(N), y].sum(), d


def cross_entropy_without_minus_one(s, y):
    return -_log_softmax(s)[np.arange(len(y)), y].mean(), _softmax_rows(s) / len(y)


def cross_entropy_whole_columns(s, y):
    N = len(y)
    p = _softmax_rows(s)
    d = p.copy()
    d[np.arange(N), y] -= 1
    return -np.log(p[:, y]).mean(), d / N


def cross_entropy_log_of_softmax(s, y):
    N = len(y)
    p = _softmax_rows(s)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def cross_entropy_log_with_epsilon(s, y):
    N = len(y)
    p = _softmax_rows(s)
    loss = -np.log(p[np.arange(N), y] + 1e-12).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def cross_entropy_unstable(s, y):
    N = len(y)
    e = np.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.log(p[np.arange(N), y]).mean()
    p[np.arange(N), y] -= 1
    return loss, p / N


def cross_entropy_mean_over_classes(s, y):
    N, C = s.shape
    Y = np.eye(C)[y]
    loss = -(Y * _log_softmax(s)).mean()
    return loss, (_softmax_rows(s) - Y) / N


def cross_entropy_with_one_hot_matrices(s, y):
    N, C = s.shape
    Y = np.eye(C)[y]
    log_p = _log_softmax(s)
    return float(-(Y * log_p).sum() / N), (np.exp(log_p) - Y) / N


def cross_entropy_row_by_row(s, y):
    N = len(y)
    loss, dscores = 0.0, np.zeros_like(s)
    for n in range(N):
        row = s[n] - s[n].max()
        log_norm = np.log(np.sum(np.exp(row)))
        loss += log_norm - row[y[n]]
        dscores[n] = np.exp(row - log_norm)
        dscores[n, y[n]] -= 1
    return loss / N, dscores / N


# -- lesson 02: the two-layer network and SGD -------------------------------------------------------
def mlp_forward(X, params):
    hidden, fc1 = affine_forward(X, params["W1"], params["b1"])
    activated, relu = relu_forward(hidden)
    scores, fc2 = affine_forward(activated, params["W2"], params["b2"])
    return scores, (fc1, relu, fc2)


def mlp_backward(dscores, cache):
    fc1, relu, fc2 = cache
    dactivated, dW2, db2 = affine_backward(dscores, fc2)
    _, dW1, db1 = affine_backward(relu_backward(dactivated, relu), fc1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def _mlp_forward_keeping(X, params):
    """A learner's forward that keeps every intermediate, for the backward passes written out below."""
    h = X @ params["W1"] + params["b1"]
    a = np.maximum(h, 0)
    return a @ params["W2"] + params["b2"], (X, h, a, params)


def mlp_forward_without_relu(X, p):
    return (X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], None


def mlp_forward_relu_on_scores(X, p):
    scores, cache = _mlp_forward_keeping(X, p)
    return np.maximum(scores, 0), cache


def mlp_forward_without_b2(X, p):
    return np.maximum(X @ p["W1"] + p["b1"], 0) @ p["W2"], None


def mlp_forward_returning_probabilities(X, p):
    scores, cache = _mlp_forward_keeping(X, p)
    return _softmax_rows(scores), cache


def mlp_forward_unpacking_values(X, params):
    W1, b1, W2, b2 = params.values()
    return np.maximum(X @ W1 + b1, 0) @ W2 + b2, None


def affine_forward_dropping_the_bias(x, W, b):
    return x @ W, (x, W)


def mlp_forward_on_a_broken_affine(X, params):
    hidden, fc1 = affine_forward_dropping_the_bias(X, params["W1"], params["b1"])
    activated, relu = relu_forward(hidden)
    scores, fc2 = affine_forward_dropping_the_bias(activated, params["W2"], params["b2"])
    return scores, (fc1, relu, fc2)


def mlp_forward_in_one_line(X, p):
    return np.maximum(0, X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], (X, p)


def _written_out_grads(dscores, cache, mask=True, scale=1.0, keys=("W1", "b1", "W2", "b2"), mask_from="h",
                       second_input="a"):
    """The backward pass of _mlp_forward_keeping written out, with a chosen mistake."""
    X, h, a, p = cache
    da = dscores @ p["W2"].T
    dh = da * ((h if mask_from == "h" else da) > 0) if mask else da
    first = a if second_input == "a" else h
    values = (X.T @ dh, dh.sum(axis=0), first.T @ dscores, dscores.sum(axis=0))
    return {k: scale * v for k, v in zip(keys, values)}


def mlp_backward_written_out(dscores, cache):
    return _written_out_grads(dscores, cache)


def mlp_backward_without_mask(dscores, cache):
    return _written_out_grads(dscores, cache, mask=False)


def mlp_backward_averaged(dscores, cache):
    return _written_out_grads(dscores, cache, scale=1 / len(dscores))


def mlp_backward_with_d_keys(dscores, cache):
    return _written_out_grads(dscores, cache, keys=("dW1", "db1", "dW2", "db2"))


def mlp_backward_mask_from_gradient(dscores, cache):
    return _written_out_grads(dscores, cache, mask_from="dh")


def mlp_backward_dW2_before_relu(dscores, cache):
    return _written_out_grads(dscores, cache, second_input="h")


def mlp_backward_with_einsum(dscores, cache):
    X, h, a, p = cache
    dh = np.einsum("nc,hc->nh", dscores, p["W2"]) * (h > 0)
    return {"W1": np.einsum("nd,nh->dh", X, dh), "b1": dh.sum(0), "W2": np.einsum("nh,nc->hc", a, dscores),
            "b2": dscores.sum(0)}


def mlp_backward_on_a_transposed_dW(dscores, cache):
    fc1, relu, fc2 = cache
    dactivated, dW2, db2 = affine_backward_dW_transposed(dscores, fc2)
    _, dW1, db1 = affine_backward_dW_transposed(relu_backward(dactivated, relu), fc1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_backward_on_a_relu_mask(dscores, cache):
    fc1, relu, fc2 = cache
    dactivated, dW2, db2 = affine_backward(dscores, fc2)
    _, dW1, db1 = affine_backward(relu_backward_mask_only(dactivated, relu), fc1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step_in_place(params, grads, lr):
    for k in params:
        params[k] -= lr * grads[k]
    return params


def sgd_step_reassigning(params, grads, lr):
    for k in params:
        params[k] = params[k] - lr * grads[k]
    return params


def sgd_step_uphill(params, grads, lr):
    return {k: params[k] + lr * grads[k] for k in params}


def sgd_step_four_keys(params, grads, lr):
    return {"W1": params["W1"] - lr * grads["W1"], "b1": params["b1"] - lr * grads["b1"],
            "W2": params["W2"] - lr * grads["W2"], "b2": params["b2"] - lr * grads["b2"]}


def sgd_step_zipping_values(params, grads, lr):
    return {key: value - lr * grad for (key, value), grad in zip(params.items(), grads.values())}


def sgd_step_without_lr(params, grads, lr):
    return {k: params[k] - grads[k] for k in params}


def sgd_step_on_copies(params, grads, lr):
    new = {}
    for key, value in params.items():
        new[key] = value.copy()
        new[key] -= lr * grads[key]
    return new


def sgd_step_over_grads(params, grads, lr):
    return {key: params[key] - lr * grad for key, grad in grads.items()}


def cross_entropy(s, y):
    N = len(y)
    log_p = _log_softmax(s)
    dscores = np.exp(log_p)
    dscores[np.arange(N), y] -= 1
    return -log_p[np.arange(N), y].mean(), dscores / N


def sgd_step(params, grads, lr):
    return {key: value - lr * grads[key] for key, value in params.items()}


def _training_loop(X, y, params, lr, epochs, batch_size, seed, flaw=None):
    """A learner's minibatch loop on the learner's own building blocks above, with a chosen `flaw`."""
    rng, N, losses = np.random.default_rng(seed), len(y), []
    for _ in range(epochs):
        order = np.arange(N) if flaw == "no shuffle" else rng.permutation(N)
        epoch_losses = []
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]
            labels = y[start:start + batch_size] if flaw == "labels in order" else y[batch]
            scores, cache = mlp_forward(X[batch], params)
            loss, dscores = cross_entropy(scores, labels)
            params = sgd_step(params, mlp_backward(dscores, cache), 1.0 if flaw == "lr unused" else lr)
            epoch_losses.append(loss)
        losses += [np.mean(epoch_losses)] if flaw == "per epoch" else epoch_losses
    return params, losses


def train_mlp(X, y, params, lr, epochs, batch_size, seed):
    return _training_loop(X, y, params, lr, epochs, batch_size, seed)


def train_mlp_without_shuffling(X, y, params, lr, epochs, batch_size, seed):
    return _training_loop(X, y, params, lr, epochs, batch_size, seed, "no shuffle")


def train_mlp_labels_in_order(X, y, params, lr, epochs, batch_size, seed):
    return _training_loop(X, y, params, lr, epochs, batch_size, seed, "labels in order")


def train_mlp_losses_per_epoch(X, y, params, lr, epochs, batch_size, seed):
    return _training_loop(X, y, params, lr, epochs, batch_size, seed, "per epoch")


def train_mlp_without_lr(X, y, params, lr, epochs, batch_size, seed):
    return _training_loop(X, y, params, lr, epochs, batch_size, seed, "lr unused")


def train_mlp_with_a_permuted_copy(X, y, params, lr, epochs, batch_size, seed):
    losses = []
    for epoch in range(epochs):
        permutation = np.random.default_rng([seed, epoch]).permutation(len(y))
        X_epoch, y_epoch = X[permutation], y[permutation]
        for start in range(0, len(y), batch_size):
            scores, cache = mlp_forward(X_epoch[start:start + batch_size], params)
            loss, dscores = cross_entropy(scores, y_epoch[start:start + batch_size])
            params = sgd_step(params, mlp_backward(dscores, cache), lr)
            losses.append(float(loss))
    return params, np.array(losses)


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


_LAYERS = {"affine_forward": affine_forward, "affine_backward": affine_backward, "relu_forward": relu_forward,
           "relu_backward": relu_backward}

MISTAKES = {
    "perceptron.perceptron_predict": [
        _mistake("np.sign", predict_with_np_sign, named="np.sign, which gives 0 on the boundary"),
        _mistake("a strict inequality", predict_strictly_positive, named="scores > 0 where scores >= 0 belongs"),
        _mistake("0/1 labels", predict_zero_one, named="labels 0 and 1"),
        _mistake("the bias forgotten", predict_without_bias, named="bias b left out"),
        _mistake("w as a column", predict_with_column_w, named="labels of shape (N, 1)"),
        _mistake("np.squeeze", predict_squeezed, named="np.squeeze"),
        _mistake("booleans returned", predict_booleans, named="booleans"),
    ],
    "perceptron.perceptron_update": [
        _mistake("w += in place", update_in_place, named="changed its input w in place", parts={"w", "b"}),
        _mistake("an update on every sample", update_always, named="an update on every sample", parts={"w", "b"}),
        _mistake("y * score <= 0", update_on_nonpositive_margin, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b"}),
        _mistake("np.sign(score) != y", update_with_np_sign, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b"}),
        _mistake("b + lr", update_bias_without_label, named="b moved by lr instead", parts={"b"}),
        _mistake("lr forgotten", update_without_lr, named="learning rate left out", parts={"w", "b"}),
        _mistake("w + lr * x", update_weights_without_label, named="without the label y", parts={"w"}),
        _mistake("built on a perceptron_predict with np.sign", update_on_np_sign_predict,
                 named="perceptron_predict fails its own check",
                 namespace={"perceptron_predict": predict_with_np_sign}),
    ],
    "perceptron.perceptron_train": [
        _mistake("an update on every sample", train_updating_always, named="an update on every sample",
                 parts={"w", "b", "mistakes"}),
        _mistake("np.sign", train_with_np_sign, named="a score of exactly 0 counted as a mistake",
                 parts={"w", "b", "mistakes"}),
        _mistake("running totals", train_with_running_totals, named="running totals of mistakes",
                 parts={"mistakes"}),
        _mistake("stopped at the first epoch without mistakes", train_stopping_early, named="one count per epoch",
                 parts={"mistakes"}),
        _mistake("one number of mistakes", train_counting_in_one_number, named="mistakes is a single number",
                 parts={"mistakes"}),
        _mistake("w and b reset every epoch", train_resetting_each_epoch, named="reset to zeros at every epoch"),
        _mistake("lr unused", train_without_lr, named="learning rate left out", parts={"w", "b"}),
        _mistake("no default for lr", train_without_default_lr,
                 named="missing 1 required positional argument: 'lr'"),
        _mistake("the examples shuffled", train_shuffled),
        _mistake("built on a perceptron_update that always updates", train_on_an_update_that_always_updates,
                 named="perceptron_update fails its own check",
                 namespace={"perceptron_predict": predict, "perceptron_update": update_always}),
    ],
    "mlp.affine_forward": [
        _mistake("the bias forgotten", affine_forward_without_bias, named="bias left out"),
        _mistake("W transposed", affine_forward_transposed, named="matmul"),
        _mistake("no cache returned", affine_forward_without_cache,
                 named="returned a single NumPy array of shape (4, 3); it must return 2 values (out, cache)"),
        _mistake("b[:, None]", affine_forward_bias_per_row, named="could not be broadcast"),
        _mistake("float32 output", affine_forward_in_float32, named="less precise"),
    ],
    "mlp.affine_backward": [
        _mistake("dW transposed", affine_forward, affine_backward_dW_transposed, named="dW transposed",
                 parts={"dW"}),
        _mistake("db averaged", affine_forward, affine_backward_mean_bias, named="averaged over the batch",
                 parts={"db"}),
        _mistake("db not summed", affine_forward, affine_backward_unsummed_bias, named="not summed over the batch",
                 parts={"db"}),
        _mistake("db left out", affine_forward, affine_backward_two_grads,
                 named="returned 2 values; it must return 3: (dx, dW, db)", parts={"dx", "dW", "db"}),
        _mistake("dx divided by N", affine_forward, affine_backward_dx_over_N, named="averaged over the batch "
                 "(divided by N)", parts={"dx"}),
        _mistake("everything divided by N", affine_forward, affine_backward_averaged,
                 named="averaged over the batch (divided by N)", parts={"dx", "dW", "db"}),
        _mistake("(dW, dx, db)", affine_forward, affine_backward_in_weight_order, named="in the order (dW, dx, db)",
                 parts={"dx", "dW"}),
        _mistake("db summed over everything", affine_forward, affine_backward_bias_summed_everywhere,
                 named="summed over every axis", parts={"db"}),
    ],
    "mlp.relu_forward": [
        _mistake("x[x < 0] = 0", relu_forward_in_place, named="changed its input x in place"),
        _mistake("the mask", relu_forward_mask, named="mask returned"),
        _mistake("np.abs", relu_forward_abs, named="np.abs"),
        _mistake("two loops, for 2-D inputs only", relu_forward_with_two_loops),
    ],
    "mlp.relu_backward": [
        _mistake("x >= 0", relu_forward, relu_backward_at_zero, named="gradient passed at x == 0"),
        _mistake("mask from dout", relu_forward, relu_backward_mask_from_dout, named="mask taken from dout"),
        _mistake("no mask", relu_forward, relu_backward_everywhere, named="gradient passed where x <= 0"),
        _mistake("the mask alone", relu_forward, relu_backward_mask_only, named="mask returned without dout"),
        _mistake("dout * x", relu_forward, relu_backward_times_x, named="dout multiplied by x"),
        _mistake("dout edited in place", relu_forward, relu_backward_in_place, named="changed its input dout in place"),
    ],
    "mlp.sigmoid_forward": [
        _mistake("exp(x)", sigmoid_forward_of_minus_x, named="exp(x) where exp(-x) belongs"),
        _mistake("tanh", sigmoid_forward_tanh, named="tanh instead of sigmoid"),
        _mistake("no cache", sigmoid_forward_without_cache, named="returned a single"),
        _mistake("exp(x) / (1 + exp(x))", sigmoid_forward_exp_ratio, named="inf / inf = NaN for large x"),
        _mistake("the stable form's x < 0 branch missing", sigmoid_forward_one_branch, named="x < 0 branch missing"),
    ],
    "mlp.sigmoid_backward": [
        _mistake("dout * s", sigmoid_forward, sigmoid_backward_without_one_minus_s, named="the (1 - s) term missing"),
        _mistake("x for s", sigmoid_forward_caching_x, sigmoid_backward_from_x, named="x used where s = sigmoid(x)"),
        _mistake("no dout", sigmoid_forward, sigmoid_backward_without_dout, named="dout left out"),
        _mistake("1 - s**2", sigmoid_forward, sigmoid_backward_tanh_rule, named="1 - s**2 (tanh's derivative)"),
        _mistake("sigmoid of the cached s", sigmoid_forward, sigmoid_backward_twice, named="sigmoid applied again"),
    ],
    "mlp.tanh_forward": [
        _mistake("exponentials", tanh_forward_from_exponentials, named="quotient of exponentials"),
        _mistake("sinh / cosh", tanh_forward_sinh_over_cosh, named="quotient of exponentials"),
        _mistake("sigmoid", tanh_forward_sigmoid, named="sigmoid instead of tanh"),
        _mistake("2 * sigmoid(x) - 1", tanh_forward_sigmoid_not_doubled, named="2 * sigmoid(x) - 1"),
        _mistake("(1 - exp(-2x)) / (1 + exp(-2x))", tanh_forward_from_exp_minus_2x, named="large negative x"),
    ],
    "mlp.tanh_backward": [
        _mistake("1 - y", tanh_forward, tanh_backward_one_minus_y, named="1 - y where 1 - y**2 belongs"),
        _mistake("x for y", tanh_forward_caching_x, tanh_backward_from_x, named="x used where y = tanh(x)"),
        _mistake("no dout", tanh_forward, tanh_backward_without_dout, named="dout left out"),
        _mistake("y * (1 - y)", tanh_forward, tanh_backward_sigmoid_rule, named="the sigmoid's derivative"),
        _mistake("tanh of the cached y", tanh_forward, tanh_backward_twice, named="tanh applied again"),
        _mistake("a forward that is NaN for large |x|", tanh_forward_from_exponentials, tanh_backward_expanded,
                 named="tanh_forward fails its own check"),
    ],
    "mlp.softmax": [
        _mistake("no max subtracted", softmax_unstable, named="max not subtracted"),
        _mistake("axis=1", softmax_over_axis_one, named="axis=1 where the last axis belongs"),
        _mistake("one max for the whole array", softmax_global_max, named="one max over the whole array"),
        _mistake("keepdims missing", softmax_without_keepdims, named="keepdims=True"),
        _mistake("over the batch", softmax_over_the_batch, named="over axis 0"),
        _mistake("not normalised", softmax_not_normalised, named="not normalised"),
        _mistake("one sum", softmax_one_sum, named="one sum over the whole array"),
    ],
    "mlp.softmax_cross_entropy": [
        _mistake("summed, not averaged", cross_entropy_summed, named="summed over the batch",
                 parts={"loss", "dscores"}),
        _mistake("no -1", cross_entropy_without_minus_one, named="-1 at the true class missing", parts={"dscores"}),
        _mistake("probs[:, y]", cross_entropy_whole_columns, named="probs[:, y]", parts={"loss"}),
        _mistake("np.log(softmax(scores))", cross_entropy_log_of_softmax, named="underflowed to 0", parts={"loss"}),
        _mistake("np.log(p + 1e-12)", cross_entropy_log_with_epsilon, parts={"loss"}),
        _mistake("no max subtracted", cross_entropy_unstable, named="without subtracting the max",
                 parts={"loss", "dscores"}),
        _mistake("the mean over all entries", cross_entropy_mean_over_classes, named="all N * C entries",
                 parts={"loss"}),
    ],
    "mlp.mlp_forward": [
        _mistake("no ReLU", mlp_forward_without_relu, named="ReLU left out"),
        _mistake("ReLU on the scores", mlp_forward_relu_on_scores, named="ReLU after the last layer"),
        _mistake("no b2", mlp_forward_without_b2, named="b2 left out"),
        _mistake("probabilities returned", mlp_forward_returning_probabilities, named="softmax applied to the scores"),
        _mistake("params.values() unpacked", mlp_forward_unpacking_values),
        _mistake("built on an affine_forward without bias", mlp_forward_on_a_broken_affine,
                 named="affine_forward fails its own check",
                 namespace={**_LAYERS, "affine_forward": affine_forward_dropping_the_bias}),
    ],
    "mlp.mlp_backward": [
        _mistake("no mask", _mlp_forward_keeping, mlp_backward_without_mask, named="mask left out",
                 parts={"W1", "b1"}),
        _mistake("averaged", _mlp_forward_keeping, mlp_backward_averaged, named="averaged over the batch",
                 parts={"W1", "b1", "W2", "b2"}),
        _mistake("dW1 keys", _mlp_forward_keeping, mlp_backward_with_d_keys, named="grads has no key 'W1'",
                 parts={"W1", "b1", "W2", "b2"}),
        _mistake("mask from the gradient", _mlp_forward_keeping, mlp_backward_mask_from_gradient,
                 named="mask taken from the gradient", parts={"W1", "b1"}),
        _mistake("dW2 from h", _mlp_forward_keeping, mlp_backward_dW2_before_relu,
                 named="dW2 from the hidden layer before the ReLU", parts={"W2"}),
        _mistake("built on an affine_backward with dW transposed", mlp_forward, mlp_backward_on_a_transposed_dW,
                 named="affine_backward fails its own check",
                 namespace={**_LAYERS, "affine_backward": affine_backward_dW_transposed}),
        _mistake("built on a relu_backward returning the mask", mlp_forward, mlp_backward_on_a_relu_mask,
                 named="relu_backward fails its own check",
                 namespace={**_LAYERS, "relu_backward": relu_backward_mask_only}),
    ],
    "mlp.sgd_step": [
        _mistake("-= in place", sgd_step_in_place, named="changed its input params in place"),
        _mistake("params[k] reassigned", sgd_step_reassigning, named="now holds a different array"),
        _mistake("uphill", sgd_step_uphill, named="gradient added instead of subtracted"),
        _mistake("the four keys written out", sgd_step_four_keys, named="loop over params.items()"),
        _mistake("zip of the values", sgd_step_zipping_values, named="paired by position"),
        _mistake("lr forgotten", sgd_step_without_lr, named="learning rate left out"),
    ],
    "mlp.train_mlp": [
        _mistake("no shuffle", train_mlp_without_shuffling, named="no shuffling"),
        _mistake("y in the original order", train_mlp_labels_in_order, named="y in the original one"),
        _mistake("one loss per epoch", train_mlp_losses_per_epoch, named="one per epoch"),
        _mistake("lr unused", train_mlp_without_lr, named="lr passed on to sgd_step"),
    ],
    "backprop.numerical_gradient": [
        _mistake("one-sided", numerical_gradient_one_sided, named="one-sided difference (f(x + h) - f(x)) / h",
                 parts={"1-D x", "x of any shape"}),
        _mistake("x not restored", numerical_gradient_not_restoring, named="changed its input x in place",
                 parts={"1-D x", "x of any shape"}),
        _mistake("divided by h", numerical_gradient_over_h, named="divided by h where 2 * h belongs",
                 parts={"1-D x", "x of any shape"}),
        _mistake("1-D only", numerical_gradient_one_dimensional, parts={"x of any shape"}),
        _mistake("h ignored", numerical_gradient_fixed_step, named="h ignored", parts={"1-D x", "x of any shape"}),
        _mistake("the copy's entries not put back", numerical_gradient_copy_not_restored, named="never put back",
                 parts={"1-D x", "x of any shape"}),
        _mistake("every entry at once", numerical_gradient_all_at_once, named="every entry of x nudged at once",
                 parts={"1-D x", "x of any shape"}),
    ],
    "backprop.relative_error": [
        _mistake("mean", relative_error_mean, named="mean over elements"),
        _mistake("no floor", relative_error_unfloored, named="no floor on the denominator"),
        _mistake("max over max", relative_error_of_maxima, named="max|a - b| / max(|a| + |b|)"),
        _mistake("Python's max", relative_error_python_max, named="np.maximum(1e-8, array) floors each entry"),
        _mistake("max(|a|, |b|)", relative_error_larger_magnitude, named="max(|a|, |b|) in the denominator"),
        _mistake("no abs in the numerator", relative_error_signed, named="absolute value of a - b left out"),
    ],
    "backprop.Value": [
        _mistake("grad =", make_value(assign=True), named="gradients assigned (=) instead of accumulated (+=)",
                 parts={"a node used twice", "topological order"}),
        _mistake("tanh 1 - t", make_value(tanh_rule="1 - t"), named="tanh's derivative as 1 - t",
                 parts={"tanh and exp", "topological order"}),
        _mistake("recursive backward", make_value(topological=False), named="backward() without a topological order",
                 parts={"topological order"}),
        _mistake("no reflected operators", make_value(reflected=False), named="__radd__",
                 parts={"+ and -", "* and /"}),
        _mistake("__rsub__ = __sub__", make_value(rsub_as_sub=True), named="__rsub__ computing x - 3",
                 parts={"+ and -"}),
        _mistake("relu' (0) = 1", make_value(relu_at_zero=1.0), named="relu's derivative taken as 1 at 0",
                 parts={"relu"}),
        _mistake("output grad not seeded", make_value(seed_output=False), named="without self.grad = 1.0"),
        _mistake("_backward in topological order", make_value(reverse=False), named="not in reverse"),
    ],
    "backprop.sgd_momentum_step": [
        _mistake("dampened", momentum_dampened, named="dampened form", parts={"w", "v"}),
        _mistake("velocity form", momentum_velocity_form, named="velocity form", parts={"w", "v"}),
        _mistake("v *= in place", momentum_in_place, named="changed its input v in place", parts={"w", "v"}),
        _mistake("the old v", momentum_old_velocity, named="w stepped with the old v", parts={"w"}),
        _mistake("momentum 0.9 hard-coded", momentum_hard_coded, named="momentum argument ignored", parts={"w", "v"}),
        _mistake("lr in v", momentum_lr_in_velocity, named="lr folded into the velocity", parts={"w", "v"}),
        _mistake("no default momentum", momentum_without_default,
                 named="missing 1 required positional argument: 'momentum'", parts={"w", "v"}),
    ],
    "backprop.adam_step": [
        _mistake("no bias correction", adam_uncorrected, named="no bias correction", parts={"w"}),
        _mistake("eps inside", adam_eps_inside, named="eps inside the square root", parts={"w"}),
        _mistake("corrected state", adam_returning_corrected_state, named="bias-corrected m and v returned",
                 parts={"m", "v"}),
        _mistake("betas hard-coded", adam_hard_coded_betas, named="beta1 and beta2 ignored", parts={"w", "m", "v"}),
        _mistake("t from 0", adam_t_from_zero, named="t + 1", parts={"w"}),
        _mistake("only v corrected", adam_only_v_corrected, named="m not bias-corrected", parts={"w"}),
        _mistake("a default lr of 1e-2", adam_wrong_default_lr, parts={"w"}),
    ],
}

CORRECT_ALTERNATIVES = {
    "perceptron.perceptron_predict": [_code("a loop", predict_with_a_loop),
                                      _code("np.sign, then ties to +1", predict_from_sign_and_ties),
                                      _code("2 * mask - 1", predict_from_a_mask)],
    "perceptron.perceptron_update": [_code("NumPy scalars", update_returning_numpy_scalars),
                                     _code("the margin and the tie", update_from_the_margin),
                                     _code("through perceptron_predict", update)],
    "perceptron.perceptron_train": [_code("indices", train_with_indices), _code("zip", train),
                                    _code("counting the updates that changed b", train_counting_changes)],
    "mlp.affine_forward": [_code("loops", affine_forward_with_loops), _code("einsum", affine_forward_with_einsum)],
    "mlp.affine_backward": [_code("einsum", affine_forward, affine_backward_with_einsum),
                            _code("outer products", affine_forward, affine_backward_from_outer_products)],
    "mlp.relu_forward": [_code("x * (x > 0)", relu_forward_times_mask), _code("np.clip", relu_forward_clipped)],
    "mlp.relu_backward": [_code("the output cached", relu_forward_clipped, relu_backward_from_the_output),
                          _code("a copy zeroed", relu_forward, relu_backward_on_a_copy)],
    "mlp.sigmoid_forward": [_code("1 / (1 + exp(-x)), which overflows harmlessly", sigmoid_forward_naive),
                            _code("through tanh", sigmoid_forward_from_tanh)],
    "mlp.sigmoid_backward": [_code("s recomputed from x", sigmoid_forward_caching_x, sigmoid_backward_recomputed),
                             _code("expanded", sigmoid_forward_naive, sigmoid_backward_expanded)],
    "mlp.tanh_forward": [_code("2 * sigmoid(2x) - 1", tanh_forward_via_sigmoid),
                         _code("np.tanh, x cached", tanh_forward_caching_x)],
    "mlp.tanh_backward": [_code("1 / cosh(x)**2", tanh_forward_via_sigmoid, tanh_backward_from_cosh),
                          _code("expanded", tanh_forward, tanh_backward_expanded)],
    "mlp.softmax": [_code("row by row", softmax_row_by_row), _code("[..., None]", softmax_with_ellipsis)],
    "mlp.softmax_cross_entropy": [_code("one-hot matrices", cross_entropy_with_one_hot_matrices),
                                  _code("row by row", cross_entropy_row_by_row)],
    "mlp.mlp_forward": [_code("from the layers", mlp_forward), _code("one line", mlp_forward_in_one_line)],
    "mlp.mlp_backward": [_code("from the layers", mlp_forward, mlp_backward),
                         _code("written out", _mlp_forward_keeping, mlp_backward_written_out),
                         _code("einsum", _mlp_forward_keeping, mlp_backward_with_einsum)],
    "mlp.sgd_step": [_code("copies", sgd_step_on_copies), _code("over the grads' keys", sgd_step_over_grads)],
    "mlp.train_mlp": [_code("a loop over slices", train_mlp),
                      _code("a permuted copy per epoch", train_mlp_with_a_permuted_copy)],
    "backprop.numerical_gradient": [_code("a flat copy", numerical_gradient_on_a_flat_copy),
                                    _code("unit steps", numerical_gradient_with_unit_steps)],
    "backprop.relative_error": [_code("a loop", relative_error_with_a_loop),
                                _code("np.divide and np.clip", relative_error_with_np_divide)],
    "backprop.Value": [_code("an iterative topological order", make_value()),
                       _code("its own division", make_value(own_division=True))],
    "backprop.sgd_momentum_step": [_code("out arrays", momentum_with_out_arrays),
                                   _code("copies edited in place", momentum_on_copies)],
    "backprop.adam_step": [_code("torch's form", adam_in_torch_form), _code("lerp", adam_with_lerp)],
}
