"""Learner mistakes and correct alternatives for lesson 02, the multi-layer perceptron."""
import numpy as np

from .entries import alternative, mistake


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


_LAYERS = {"affine_forward": affine_forward, "affine_backward": affine_backward, "relu_forward": relu_forward,
           "relu_backward": relu_backward}

MISTAKES = {
    "mlp.affine_forward": [
        mistake("the bias forgotten", affine_forward_without_bias, named="bias left out"),
        mistake("W transposed", affine_forward_transposed, named="matmul"),
        mistake("no cache returned", affine_forward_without_cache,
                 named="returned a single NumPy array of shape (4, 3); it must return 2 values (out, cache)"),
        mistake("b[:, None]", affine_forward_bias_per_row, named="could not be broadcast"),
        mistake("float32 output", affine_forward_in_float32, named="less precise"),
    ],
    "mlp.affine_backward": [
        mistake("dW transposed", affine_forward, affine_backward_dW_transposed, named="dW transposed",
                 parts={"dW"}),
        mistake("db averaged", affine_forward, affine_backward_mean_bias, named="averaged over the batch",
                 parts={"db"}),
        mistake("db not summed", affine_forward, affine_backward_unsummed_bias, named="not summed over the batch",
                 parts={"db"}),
        mistake("db left out", affine_forward, affine_backward_two_grads,
                 named="returned 2 values; it must return 3: (dx, dW, db)", parts={"dx", "dW", "db"}),
        mistake("dx divided by N", affine_forward, affine_backward_dx_over_N, named="averaged over the batch "
                 "(divided by N)", parts={"dx"}),
        mistake("everything divided by N", affine_forward, affine_backward_averaged,
                 named="averaged over the batch (divided by N)", parts={"dx", "dW", "db"}),
        mistake("(dW, dx, db)", affine_forward, affine_backward_in_weight_order, named="in the order (dW, dx, db)",
                 parts={"dx", "dW"}),
        mistake("db summed over everything", affine_forward, affine_backward_bias_summed_everywhere,
                 named="summed over every axis", parts={"db"}),
    ],
    "mlp.relu_forward": [
        mistake("x[x < 0] = 0", relu_forward_in_place, named="changed its input x in place"),
        mistake("the mask", relu_forward_mask, named="mask returned"),
        mistake("np.abs", relu_forward_abs, named="np.abs"),
        mistake("two loops, for 2-D inputs only", relu_forward_with_two_loops),
    ],
    "mlp.relu_backward": [
        mistake("x >= 0", relu_forward, relu_backward_at_zero, named="gradient passed at x == 0"),
        mistake("mask from dout", relu_forward, relu_backward_mask_from_dout, named="mask taken from dout"),
        mistake("no mask", relu_forward, relu_backward_everywhere, named="gradient passed where x <= 0"),
        mistake("the mask alone", relu_forward, relu_backward_mask_only, named="mask returned without dout"),
        mistake("dout * x", relu_forward, relu_backward_times_x, named="dout multiplied by x"),
        mistake("dout edited in place", relu_forward, relu_backward_in_place, named="changed its input dout in place"),
    ],
    "mlp.sigmoid_forward": [
        mistake("exp(x)", sigmoid_forward_of_minus_x, named="exp(x) where exp(-x) belongs"),
        mistake("tanh", sigmoid_forward_tanh, named="tanh instead of sigmoid"),
        mistake("no cache", sigmoid_forward_without_cache, named="returned a single"),
        mistake("exp(x) / (1 + exp(x))", sigmoid_forward_exp_ratio, named="inf / inf = NaN for large x"),
        mistake("the stable form's x < 0 branch missing", sigmoid_forward_one_branch, named="x < 0 branch missing"),
    ],
    "mlp.sigmoid_backward": [
        mistake("dout * s", sigmoid_forward, sigmoid_backward_without_one_minus_s, named="the (1 - s) term missing"),
        mistake("x for s", sigmoid_forward_caching_x, sigmoid_backward_from_x, named="x used where s = sigmoid(x)"),
        mistake("no dout", sigmoid_forward, sigmoid_backward_without_dout, named="dout left out"),
        mistake("1 - s**2", sigmoid_forward, sigmoid_backward_tanh_rule, named="1 - s**2 (tanh's derivative)"),
        mistake("sigmoid of the cached s", sigmoid_forward, sigmoid_backward_twice, named="sigmoid applied again"),
    ],
    "mlp.tanh_forward": [
        mistake("exponentials", tanh_forward_from_exponentials, named="quotient of exponentials"),
        mistake("sinh / cosh", tanh_forward_sinh_over_cosh, named="quotient of exponentials"),
        mistake("sigmoid", tanh_forward_sigmoid, named="sigmoid instead of tanh"),
        mistake("2 * sigmoid(x) - 1", tanh_forward_sigmoid_not_doubled, named="2 * sigmoid(x) - 1"),
        mistake("(1 - exp(-2x)) / (1 + exp(-2x))", tanh_forward_from_exp_minus_2x, named="large negative x"),
    ],
    "mlp.tanh_backward": [
        mistake("1 - y", tanh_forward, tanh_backward_one_minus_y, named="1 - y where 1 - y**2 belongs"),
        mistake("x for y", tanh_forward_caching_x, tanh_backward_from_x, named="x used where y = tanh(x)"),
        mistake("no dout", tanh_forward, tanh_backward_without_dout, named="dout left out"),
        mistake("y * (1 - y)", tanh_forward, tanh_backward_sigmoid_rule, named="the sigmoid's derivative"),
        mistake("tanh of the cached y", tanh_forward, tanh_backward_twice, named="tanh applied again"),
        mistake("a forward that is NaN for large |x|", tanh_forward_from_exponentials, tanh_backward_expanded,
                 named="tanh_forward fails its own check"),
    ],
    "mlp.softmax": [
        mistake("no max subtracted", softmax_unstable, named="max not subtracted"),
        mistake("axis=1", softmax_over_axis_one, named="axis=1 where the last axis belongs"),
        mistake("one max for the whole array", softmax_global_max, named="one max over the whole array"),
        mistake("keepdims missing", softmax_without_keepdims, named="keepdims=True"),
        mistake("over the batch", softmax_over_the_batch, named="over axis 0"),
        mistake("not normalised", softmax_not_normalised, named="not normalised"),
        mistake("one sum", softmax_one_sum, named="one sum over the whole array"),
    ],
    "mlp.softmax_cross_entropy": [
        mistake("summed, not averaged", cross_entropy_summed, named="summed over the batch",
                 parts={"loss", "dscores"}),
        mistake("no -1", cross_entropy_without_minus_one, named="-1 at the true class missing", parts={"dscores"}),
        mistake("probs[:, y]", cross_entropy_whole_columns, named="probs[:, y]", parts={"loss"}),
        mistake("np.log(softmax(scores))", cross_entropy_log_of_softmax, named="underflowed to 0", parts={"loss"}),
        mistake("np.log(p + 1e-12)", cross_entropy_log_with_epsilon, parts={"loss"}),
        mistake("no max subtracted", cross_entropy_unstable, named="without subtracting the max",
                 parts={"loss", "dscores"}),
        mistake("the mean over all entries", cross_entropy_mean_over_classes, named="all N * C entries",
                 parts={"loss"}),
    ],
    "mlp.mlp_forward": [
        mistake("no ReLU", mlp_forward_without_relu, named="ReLU left out"),
        mistake("ReLU on the scores", mlp_forward_relu_on_scores, named="ReLU after the last layer"),
        mistake("no b2", mlp_forward_without_b2, named="b2 left out"),
        mistake("probabilities returned", mlp_forward_returning_probabilities, named="softmax applied to the scores"),
        mistake("params.values() unpacked", mlp_forward_unpacking_values),
        mistake("built on an affine_forward without bias", mlp_forward_on_a_broken_affine,
                 named="affine_forward fails its own check",
                 namespace={**_LAYERS, "affine_forward": affine_forward_dropping_the_bias}),
    ],
    "mlp.mlp_backward": [
        mistake("no mask", _mlp_forward_keeping, mlp_backward_without_mask, named="mask left out",
                 parts={"W1", "b1"}),
        mistake("averaged", _mlp_forward_keeping, mlp_backward_averaged, named="averaged over the batch",
                 parts={"W1", "b1", "W2", "b2"}),
        mistake("dW1 keys", _mlp_forward_keeping, mlp_backward_with_d_keys, named="grads has no key 'W1'",
                 parts={"W1", "b1", "W2", "b2"}),
        mistake("mask from the gradient", _mlp_forward_keeping, mlp_backward_mask_from_gradient,
                 named="mask taken from the gradient", parts={"W1", "b1"}),
        mistake("dW2 from h", _mlp_forward_keeping, mlp_backward_dW2_before_relu,
                 named="dW2 from the hidden layer before the ReLU", parts={"W2"}),
        mistake("built on an affine_backward with dW transposed", mlp_forward, mlp_backward_on_a_transposed_dW,
                 named="affine_backward fails its own check",
                 namespace={**_LAYERS, "affine_backward": affine_backward_dW_transposed}),
        mistake("built on a relu_backward returning the mask", mlp_forward, mlp_backward_on_a_relu_mask,
                 named="relu_backward fails its own check",
                 namespace={**_LAYERS, "relu_backward": relu_backward_mask_only}),
    ],
    "mlp.sgd_step": [
        mistake("-= in place", sgd_step_in_place, named="changed its input params in place"),
        mistake("params[k] reassigned", sgd_step_reassigning, named="now holds a different array"),
        mistake("uphill", sgd_step_uphill, named="gradient added instead of subtracted"),
        mistake("the four keys written out", sgd_step_four_keys, named="loop over params.items()"),
        mistake("zip of the values", sgd_step_zipping_values, named="paired by position"),
        mistake("lr forgotten", sgd_step_without_lr, named="learning rate left out"),
    ],
    "mlp.train_mlp": [
        mistake("no shuffle", train_mlp_without_shuffling, named="no shuffling"),
        mistake("y in the original order", train_mlp_labels_in_order, named="y in the original one"),
        mistake("one loss per epoch", train_mlp_losses_per_epoch, named="one per epoch"),
        mistake("lr unused", train_mlp_without_lr, named="lr passed on to sgd_step"),
    ],
}

CORRECT_ALTERNATIVES = {
    "mlp.affine_forward": [alternative("loops", affine_forward_with_loops), alternative("einsum", affine_forward_with_einsum)],
    "mlp.affine_backward": [alternative("einsum", affine_forward, affine_backward_with_einsum),
                            alternative("outer products", affine_forward, affine_backward_from_outer_products)],
    "mlp.relu_forward": [alternative("x * (x > 0)", relu_forward_times_mask), alternative("np.clip", relu_forward_clipped)],
    "mlp.relu_backward": [alternative("the output cached", relu_forward_clipped, relu_backward_from_the_output),
                          alternative("a copy zeroed", relu_forward, relu_backward_on_a_copy)],
    "mlp.sigmoid_forward": [alternative("1 / (1 + exp(-x)), which overflows harmlessly", sigmoid_forward_naive),
                            alternative("through tanh", sigmoid_forward_from_tanh)],
    "mlp.sigmoid_backward": [alternative("s recomputed from x", sigmoid_forward_caching_x, sigmoid_backward_recomputed),
                             alternative("expanded", sigmoid_forward_naive, sigmoid_backward_expanded)],
    "mlp.tanh_forward": [alternative("2 * sigmoid(2x) - 1", tanh_forward_via_sigmoid),
                         alternative("np.tanh, x cached", tanh_forward_caching_x)],
    "mlp.tanh_backward": [alternative("1 / cosh(x)**2", tanh_forward_via_sigmoid, tanh_backward_from_cosh),
                          alternative("expanded", tanh_forward, tanh_backward_expanded)],
    "mlp.softmax": [alternative("row by row", softmax_row_by_row), alternative("[..., None]", softmax_with_ellipsis)],
    "mlp.softmax_cross_entropy": [alternative("one-hot matrices", cross_entropy_with_one_hot_matrices),
                                  alternative("row by row", cross_entropy_row_by_row)],
    "mlp.mlp_forward": [alternative("from the layers", mlp_forward), alternative("one line", mlp_forward_in_one_line)],
    "mlp.mlp_backward": [alternative("from the layers", mlp_forward, mlp_backward),
                         alternative("written out", _mlp_forward_keeping, mlp_backward_written_out),
                         alternative("einsum", _mlp_forward_keeping, mlp_backward_with_einsum)],
    "mlp.sgd_step": [alternative("copies", sgd_step_on_copies), alternative("over the grads' keys", sgd_step_over_grads)],
    "mlp.train_mlp": [alternative("a loop over slices", train_mlp),
                      alternative("a permuted copy per epoch", train_mlp_with_a_permuted_copy)],
}
