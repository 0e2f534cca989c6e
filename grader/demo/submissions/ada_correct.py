"""A complete, correct lesson 02 submission."""
import numpy as np


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


def sigmoid_backward(dout, cache):
    return dout * cache * (1 - cache)


def tanh_forward(x):
    t = np.tanh(x)
    return t, t


def tanh_backward(dout, cache):
    return dout * (1 - cache**2)


def softmax(scores):
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].mean()
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return loss, dscores / N


def mlp_forward(X, params):
    hidden, cache1 = affine_forward(X, params["W1"], params["b1"])
    activated, cache_relu = relu_forward(hidden)
    scores, cache2 = affine_forward(activated, params["W2"], params["b2"])
    return scores, (cache1, cache_relu, cache2)


def mlp_backward(dscores, cache):
    cache1, cache_relu, cache2 = cache
    dactivated, dW2, db2 = affine_backward(dscores, cache2)
    dhidden = relu_backward(dactivated, cache_relu)
    _, dW1, db1 = affine_backward(dhidden, cache1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(params, grads, lr):
    return {key: value - lr * grads[key] for key, value in params.items()}


def train_mlp(X, y, params, lr, epochs, batch_size, seed):
    rng = np.random.default_rng(seed)
    losses = []
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            batch = order[start:start + batch_size]
            scores, cache = mlp_forward(X[batch], params)
            loss, dscores = softmax_cross_entropy(scores, y[batch])
            params = sgd_step(params, mlp_backward(dscores, cache), lr)
            losses.append(loss)
    return params, losses
