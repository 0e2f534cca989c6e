"""The backward mistakes learners make most: the bias gradient averaged, sigmoid's derivative missing a
factor, a stray 1/N in the loss gradient, and the ReLU's mask left out of the network's backward."""
import numpy as np


def affine_backward(dout, cache):
    x, W = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


def sigmoid_backward(dout, cache):
    return dout * (1 - cache)


def softmax_cross_entropy(scores, y):
    N = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return -log_probs[np.arange(N), y].mean(), dscores / N**2


def mlp_backward(dscores, cache):
    cache1, cache_relu, cache2 = cache
    dactivated, dW2, db2 = affine_backward(dscores, cache2)
    _, dW1, db1 = affine_backward(dactivated, cache1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
