"""Lesson 02, the multi-layer perceptron: dense (affine) layers, activations, the softmax
cross-entropy loss, a two-layer network and a plain SGD step.

Dimensions used below:
    N     batch size             D_in, D_out   a dense layer's input and output widths
    D     input width of the network, H its hidden width, C the number of classes

Layers never average over the batch: the loss alone takes the mean, and its gradient carries the 1/N.
"""
from .arguments import require_array, require_same_dtype, require_shape
from .backend import device, generator, namespace, random_permutation

__all__ = [
    "affine_forward", "affine_backward", "relu_forward", "relu_backward", "sigmoid_forward",
    "sigmoid_backward", "tanh_forward", "tanh_backward", "softmax", "softmax_cross_entropy",
    "mlp_forward", "mlp_backward", "sgd_step", "train_mlp", "MLP_PARAMS",
]

MLP_PARAMS = ("W1", "b1", "W2", "b2")


def affine_forward(x, W, b):
    """A dense layer, out = x @ W + b.

    x (N, D_in), W (D_in, D_out), b (D_out,) -> out (N, D_out), cache (x, W).
    """
    require_array("affine_forward", "x", x, ndim=2)
    require_array("affine_forward", "W", W, ndim=2)
    require_array("affine_forward", "b", b, ndim=1)
    D_in, D_out = W.shape
    require_shape("affine_forward", "x", x, (None, D_in), "(N, D_in)")
    require_shape("affine_forward", "b", b, (D_out,), "(D_out,)")
    require_same_dtype("affine_forward", x=x, W=W, b=b)
    return x @ W + b, (x, W)


def affine_backward(dout, cache):
    """dout (N, D_out) -> dx (N, D_in), dW (D_in, D_out), db (D_out,).

    dx = dout W^T; dW = x^T dout and db = sum of dout over the batch, because W and b are shared by
    every example.
    """
    xp = namespace(dout)
    x, W = cache
    require_shape("affine_backward", "dout", dout, (x.shape[0], W.shape[1]), "(N, D_out)")
    return dout @ xp.matrix_transpose(W), xp.matrix_transpose(x) @ dout, xp.sum(dout, axis=0)


def relu_forward(x):
    """max(x, 0) elementwise. x (any shape) -> out (same shape), cache out."""
    xp = namespace(require_array("relu_forward", "x", x))
    out = xp.clip(x, min=0)
    return out, out


def relu_backward(dout, cache):
    """dout passes where the input was positive (the derivative at 0 is taken as 0)."""
    xp = namespace(dout)
    require_shape("relu_backward", "dout", dout, tuple(cache.shape), "the forward's output shape")
    # A 0/1 factor in dout's dtype: several times faster than a `where` on both libraries.
    return dout * xp.astype(cache > 0, dout.dtype)


def sigmoid_forward(x):
    """1 / (1 + exp(-x)) elementwise, without overflow for large |x|. Returns out, cache out."""
    xp = namespace(require_array("sigmoid_forward", "x", x))
    # exp(-|x|) never overflows; the two branches are the same function rearranged.
    e = xp.exp(-xp.abs(x))
    out = xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
    return out, out


def sigmoid_backward(dout, cache):
    """d sigmoid / dx = s (1 - s), from the forward's output s."""
    require_shape("sigmoid_backward", "dout", dout, tuple(cache.shape), "the forward's output shape")
    return dout * cache * (1 - cache)


def tanh_forward(x):
    """tanh elementwise. Returns out, cache out."""
    xp = namespace(require_array("tanh_forward", "x", x))
    out = xp.tanh(x)
    return out, out


def tanh_backward(dout, cache):
    """d tanh / dx = 1 - tanh(x)^2, from the forward's output."""
    require_shape("tanh_backward", "dout", dout, tuple(cache.shape), "the forward's output shape")
    return dout * (1 - cache * cache)


def softmax(scores):
    """exp(scores) normalised over the last axis, finite for scores of any size.

    scores (..., C) -> probs (..., C), each row summing to 1. Subtracting the row's maximum first
    changes nothing mathematically and keeps exp from overflowing.
    """
    xp = namespace(require_array("softmax", "scores", scores, ndim=None))
    shifted = scores - xp.max(scores, axis=-1, keepdims=True)
    e = xp.exp(shifted)
    return e / xp.sum(e, axis=-1, keepdims=True)


def softmax_cross_entropy(scores, y):
    """Mean cross-entropy of the softmax of `scores` against integer labels, and its gradient.

    scores (N, C) floats, y (N,) ints in [0, C) -> loss (a 0-d array), dscores (N, C).
    loss = -mean_n log softmax(scores)[n, y[n]];  dscores = (softmax(scores) - onehot(y)) / N.
    """
    xp = namespace(require_array("softmax_cross_entropy", "scores", scores, ndim=2))
    require_array("softmax_cross_entropy", "y", y, ndim=1, kind="int")
    N, C = scores.shape
    require_shape("softmax_cross_entropy", "y", y, (N,), "(N,)")
    if N and (int(xp.min(y)) < 0 or int(xp.max(y)) >= C):
        raise ValueError(f"softmax_cross_entropy: labels y must lie in [0, C) = [0, {C}), "
                         f"got values from {int(xp.min(y))} to {int(xp.max(y))}")
    shifted = scores - xp.max(scores, axis=-1, keepdims=True)  # (N, C), every entry <= 0
    log_norm = xp.log(xp.sum(xp.exp(shifted), axis=-1, keepdims=True))  # (N, 1), >= 0
    log_probs = shifted - log_norm  # (N, C), finite
    rows = xp.arange(N, device=device(scores))
    loss = -xp.sum(log_probs[rows, y]) / N  # log_probs[n, y[n]] for every n
    dscores = xp.exp(log_probs)  # (N, C), the probabilities
    dscores[rows, y] -= 1  # minus the one-hot of the labels
    return loss, dscores / N


def mlp_forward(X, params):
    """A two-layer network, affine - ReLU - affine.

    X (N, D); params {"W1" (D, H), "b1" (H,), "W2" (H, C), "b2" (C,)} -> scores (N, C), cache.
    """
    _require_params("mlp_forward", params)
    hidden, fc1_cache = affine_forward(X, params["W1"], params["b1"])  # (N, H)
    activated, relu_cache = relu_forward(hidden)  # (N, H)
    scores, fc2_cache = affine_forward(activated, params["W2"], params["b2"])  # (N, C)
    return scores, (fc1_cache, relu_cache, fc2_cache)


def mlp_backward(dscores, cache):
    """dscores (N, C) -> grads {"W1", "b1", "W2", "b2"}, each shaped like its parameter."""
    fc1_cache, relu_cache, fc2_cache = cache
    grads = {}
    dactivated, grads["W2"], grads["b2"] = affine_backward(dscores, fc2_cache)  # (N, H)
    dhidden = relu_backward(dactivated, relu_cache)  # (N, H)
    _, grads["W1"], grads["b1"] = affine_backward(dhidden, fc1_cache)
    return {key: grads[key] for key in MLP_PARAMS}


def sgd_step(params, grads, lr):
    """One step of gradient descent: a NEW dict {key: params[key] - lr * grads[key]}; nothing mutated."""
    missing = [key for key in params if key not in grads]
    if missing:
        raise ValueError(f"sgd_step: grads lacks {missing}; it needs one gradient per parameter "
                         f"(keys {sorted(params)})")
    for key, value in params.items():
        require_shape("sgd_step", f"grads[{key!r}]", grads[key], tuple(value.shape), f"params[{key!r}].shape")
    return {key: value - lr * grads[key] for key, value in params.items()}


def train_mlp(X, y, params, lr, epochs, batch_size, seed):
    """Minibatch SGD on the two-layer network: each epoch visits the examples in a new random order.

    Inputs:
        X: (N, D) examples; y: (N,) integer labels; params: {"W1", "b1", "W2", "b2"} to start from.
        lr: the learning rate; epochs: passes over the data; batch_size: examples per step (the last
        minibatch of an epoch holds the N % batch_size left over); seed: the shuffles' generator seed.
    Returns:
        params: a NEW dict, the params after the last step (the inputs are not mutated).
        losses: list of epochs * ceil(N / batch_size) floats, each step's mean minibatch loss before its step.
    """
    N = X.shape[0]
    rng = generator(seed)
    losses = []
    for _ in range(epochs):
        order = random_permutation(rng, N, y)  # (N,) indices
        for start in range(0, N, batch_size):
            batch = order[start:start + batch_size]  # (B,), B = batch_size except at the end
            scores, cache = mlp_forward(X[batch], params)  # (B, C)
            loss, dscores = softmax_cross_entropy(scores, y[batch])
            params = sgd_step(params, mlp_backward(dscores, cache), lr)
            losses.append(float(loss))
    return params, losses


def _require_params(func, params):
    if not isinstance(params, dict):
        raise TypeError(f"{func}: params must be a dict with keys {MLP_PARAMS}, got {type(params).__name__}")
    missing = [key for key in MLP_PARAMS if key not in params]
    if missing:
        raise ValueError(f"{func}: params lacks {missing}; it needs {MLP_PARAMS}")
