"""The lesson 02 checks: the reference earns full marks, learners' real mistakes fail and are named,
and correct code written another way passes."""
import numpy as np
import pytest

from grader import exercises, run_check
from grader.engine import get_check
from grader_support import assert_fails, assert_passes
from reference_impl import mlp as reference

pytestmark = [pytest.mark.grader, pytest.mark.mlp]


@pytest.mark.parametrize("hidden", [False, True], ids=["visible", "hidden"])
@pytest.mark.parametrize("exercise_id", exercises("mlp"))
def test_reference_earns_full_marks(exercise_id, hidden):
    functions = [getattr(reference, name) for name in get_check(exercise_id).functions]
    result = run_check(exercise_id, *functions, hidden=hidden)
    assert result.passed and result.score == result.max_score, result.message


# A learner's own forwards, with caches the wrong backwards below can rely on.
def affine_forward(x, W, b):
    return x @ W + b, (x, W)


def relu_forward(x):
    return np.maximum(x, 0), x


def sigmoid_forward(x):
    s = 1 / (1 + np.exp(-x))  # overflows (harmlessly) for very negative x; the check must stay quiet
    return s, s


def tanh_forward(x):
    y = np.tanh(x)
    return y, y


def test_affine_forward_mistakes():
    assert_fails("mlp.affine_forward", lambda x, W, b: (x @ W, None), parts={"out"}, mentions="bias left out")
    assert_fails("mlp.affine_forward", lambda x, W, b: (x @ W.T + b, None), parts={"out"},
                 mentions="matmul")  # raises on non-square W: the exception is the report
    assert_fails("mlp.affine_forward", lambda x, W, b: x @ W + b, parts={"out"},
                 mentions="returned a single NumPy array of shape (4, 3); it must return 2 values (out, cache)")


def test_affine_forward_written_with_loops_passes():
    def loops(x, W, b):
        out = np.zeros((x.shape[0], W.shape[1]), dtype=x.dtype)
        for n in range(x.shape[0]):
            for m in range(W.shape[1]):
                out[n, m] = sum(x[n, d] * W[d, m] for d in range(x.shape[1])) + b[m]
        return out, {"x": x}

    assert_passes("mlp.affine_forward", loops)


def test_affine_backward_mistakes():
    def transposed(dout, cache):
        x, W = cache
        return dout @ W.T, dout.T @ x, dout.sum(axis=0)

    def averaged_bias(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout.mean(axis=0)

    def unsummed_bias(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout, dout

    def two_grads(dout, cache):
        x, W = cache
        return dout @ W.T, x.T @ dout

    assert_fails("mlp.affine_backward", affine_forward, transposed, parts={"dW"}, mentions="dW transposed")
    assert_fails("mlp.affine_backward", affine_forward, averaged_bias, parts={"db"}, mentions="averaged over the batch")
    assert_fails("mlp.affine_backward", affine_forward, unsummed_bias, parts={"db"}, mentions="not summed over the batch")
    assert_fails("mlp.affine_backward", affine_forward, two_grads, parts={"dx", "dW", "db"},
                 mentions="returned 2 values; it must return 3: (dx, dW, db)")


def test_affine_backward_with_einsum_and_float32_passes():
    def backward(dout, cache):
        x, W = cache
        return np.einsum("nm,dm->nd", dout, W), np.einsum("nd,nm->dm", x, dout), np.einsum("nm->m", dout)

    assert_passes("mlp.affine_backward", affine_forward, backward)


def test_relu_mistakes():
    def in_place(x):
        x[x < 0] = 0
        return x, x

    assert_fails("mlp.relu_forward", in_place, parts={"out"}, mentions="changed its input x in place")
    assert_fails("mlp.relu_forward", lambda x: ((x > 0).astype(float), x), parts={"out"}, mentions="mask returned")
    assert_fails("mlp.relu_forward", lambda x: (np.abs(x), x), parts={"out"}, mentions="np.abs")
    assert_fails("mlp.relu_backward", relu_forward, lambda dout, x: dout * (x >= 0), parts={"dx"},
                 mentions="gradient passed at x == 0")
    assert_fails("mlp.relu_backward", relu_forward, lambda dout, x: dout * (dout > 0), parts={"dx"},
                 mentions="mask taken from dout")
    assert_fails("mlp.relu_backward", relu_forward, lambda dout, x: dout, parts={"dx"},
                 mentions="gradient passed where x <= 0")


def test_relu_written_differently_passes():
    assert_passes("mlp.relu_forward", lambda x: (x * (x > 0), None))
    out_cache = lambda x: (np.where(x > 0, x, 0).astype(x.dtype), np.where(x > 0, x, 0))  # noqa: E731
    assert_passes("mlp.relu_backward", out_cache, lambda dout, out: np.where(out > 0, dout, 0).astype(dout.dtype))


def test_sigmoid_mistakes():
    assert_fails("mlp.sigmoid_forward", lambda x: (1 / (1 + np.exp(x)), None), parts={"out"},
                 mentions="exp(x) where exp(-x) belongs")
    assert_fails("mlp.sigmoid_forward", lambda x: (np.tanh(x), None), parts={"out"}, mentions="tanh instead of sigmoid")
    assert_fails("mlp.sigmoid_forward", lambda x: 1 / (1 + np.exp(-x)), parts={"out"}, mentions="returned a single")
    assert_fails("mlp.sigmoid_backward", sigmoid_forward, lambda dout, s: dout * s, parts={"dx"},
                 mentions="the (1 - s) term missing")
    x_cache = lambda x: (1 / (1 + np.exp(-x)), x)  # noqa: E731
    assert_fails("mlp.sigmoid_backward", x_cache, lambda dout, x: dout * x * (1 - x), parts={"dx"},
                 mentions="x used where s = sigmoid(x) belongs")
    assert_fails("mlp.sigmoid_backward", sigmoid_forward, lambda dout, s: s * (1 - s), parts={"dx"},
                 mentions="dout left out")


def test_sigmoid_that_overflows_harmlessly_passes_quietly(capfd):
    assert_passes("mlp.sigmoid_forward", sigmoid_forward)
    x_cache = lambda x: (1 / (1 + np.exp(-x)), x)  # noqa: E731
    assert_passes("mlp.sigmoid_backward", x_cache, lambda dout, x: dout / (1 + np.exp(-x)) * (1 - 1 / (1 + np.exp(-x))))
    assert capfd.readouterr().err == ""


def test_tanh_mistakes():
    def from_exponentials(x):
        y = (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))
        return y, y

    assert_fails("mlp.tanh_forward", from_exponentials, parts={"out"}, mentions="overflows for large |x|")
    sig = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    assert_fails("mlp.tanh_forward", lambda x: (sig(x), None), parts={"out"}, mentions="sigmoid instead of tanh")
    assert_fails("mlp.tanh_forward", lambda x: (2 * sig(x) - 1, None), parts={"out"}, mentions="2 * sigmoid(x) - 1")
    assert_fails("mlp.tanh_backward", tanh_forward, lambda dout, y: dout * (1 - y), parts={"dx"},
                 mentions="1 - y where 1 - y**2 belongs")
    assert_fails("mlp.tanh_backward", lambda x: (np.tanh(x), x), lambda dout, x: dout * (1 - x**2), parts={"dx"},
                 mentions="x used where y = tanh(x) belongs")
    assert_fails("mlp.tanh_backward", tanh_forward, lambda dout, y: 1 - y**2, parts={"dx"}, mentions="dout left out")


def test_tanh_written_differently_passes():
    def via_sigmoid(x):
        with np.errstate(over="ignore"):
            y = 2 / (1 + np.exp(-2 * x)) - 1
        return y.astype(x.dtype), x

    assert_passes("mlp.tanh_forward", via_sigmoid)
    assert_passes("mlp.tanh_backward", via_sigmoid, lambda dout, x: dout / np.cosh(np.clip(x, -300, 300)) ** 2)


def test_softmax_mistakes():
    def unstable(s):
        e = np.exp(s)
        return e / e.sum(axis=-1, keepdims=True)

    def axis_one(s):
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def global_max(s):
        e = np.exp(s - s.max())
        return e / e.sum(axis=-1, keepdims=True)

    assert_fails("mlp.softmax", unstable, parts={"probs"}, mentions="max not subtracted", hidden=False)
    assert_fails("mlp.softmax", axis_one, parts={"probs"}, mentions="axis=1 where the last axis belongs")
    assert_fails("mlp.softmax", global_max, parts={"probs"}, mentions="one max over the whole array")


def test_softmax_row_by_row_passes():
    def rows(s):
        flat = s.reshape(-1, s.shape[-1])
        out = np.empty_like(flat)
        for i, row in enumerate(flat):
            log_norm = row.max() + np.log(np.sum(np.exp(row - row.max())))
            out[i] = np.exp(row - log_norm)
        return out.reshape(s.shape)

    assert_passes("mlp.softmax", rows)


def test_softmax_cross_entropy_mistakes():
    def softmax(s):
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)

    def summed(s, y):
        N = len(y)
        p = softmax(s)
        d = p.copy()
        d[np.arange(N), y] -= 1
        return -np.log(p[np.arange(N), y]).sum(), d

    def no_minus_one(s, y):
        p = softmax(s)
        shifted = s - s.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return -log_p[np.arange(len(y)), y].mean(), p / len(y)

    def wrong_indexing(s, y):
        N = len(y)
        p = softmax(s)
        d = p.copy()
        d[np.arange(N), y] -= 1
        return -np.log(p[:, y]).mean(), d / N

    assert_fails("mlp.softmax_cross_entropy", summed, parts={"loss", "dscores"}, mentions="times N (the batch size)")
    assert_fails("mlp.softmax_cross_entropy", no_minus_one, parts={"dscores"}, mentions="-1 at the true class missing")
    assert_fails("mlp.softmax_cross_entropy", wrong_indexing, parts={"loss"}, mentions="probs[:, y]")


def test_softmax_cross_entropy_with_one_hot_matrices_passes():
    def one_hot(s, y):
        N, C = s.shape
        Y = np.eye(C)[y]
        shifted = s - s.max(axis=1, keepdims=True)
        log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        return float(-(Y * log_p).sum() / N), (np.exp(log_p) - Y) / N

    assert_passes("mlp.softmax_cross_entropy", one_hot)


def _mlp_forward(X, params):
    h = X @ params["W1"] + params["b1"]
    a = np.maximum(h, 0)
    return a @ params["W2"] + params["b2"], (X, h, a, params)


def test_mlp_forward_mistakes():
    def no_relu(X, p):
        return (X @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"], None

    def relu_on_scores(X, p):
        scores, cache = _mlp_forward(X, p)
        return np.maximum(scores, 0), cache

    def no_b2(X, p):
        scores, cache = _mlp_forward(X, p)
        return scores - p["b2"], cache

    assert_fails("mlp.mlp_forward", no_relu, parts={"scores"}, mentions="ReLU left out")
    assert_fails("mlp.mlp_forward", relu_on_scores, parts={"scores"}, mentions="ReLU after the last layer")
    assert_fails("mlp.mlp_forward", no_b2, parts={"scores"}, mentions="b2 left out")


def test_mlp_backward_mistakes():
    def grads(dscores, cache, mask=True, scale=1.0, keys=("W1", "b1", "W2", "b2")):
        X, h, a, p = cache
        da = dscores @ p["W2"].T
        dh = da * (h > 0) if mask else da
        values = (X.T @ dh, dh.sum(axis=0), a.T @ dscores, dscores.sum(axis=0))
        return {k: scale * v for k, v in zip(keys, values)}

    N = 4  # the first visible case's batch size
    assert_fails("mlp.mlp_backward", _mlp_forward, lambda d, c: grads(d, c, mask=False), parts={"W1", "b1"},
                 mentions="mask left out")
    assert_fails("mlp.mlp_backward", _mlp_forward, lambda d, c: grads(d, c, scale=1 / N),
                 parts={"W1", "b1", "W2", "b2"}, mentions="averaged over the batch")
    assert_fails("mlp.mlp_backward", _mlp_forward, lambda d, c: grads(d, c, keys=("dW1", "db1", "dW2", "db2")),
                 parts={"W1", "b1", "W2", "b2"}, mentions="grads has no key 'W1'")
    assert_passes("mlp.mlp_backward", _mlp_forward, grads)


def test_sgd_step_mistakes():
    def in_place(params, grads, lr):
        for k in params:
            params[k] -= lr * grads[k]
        return params

    def reassigned(params, grads, lr):
        for k in params:
            params[k] = params[k] - lr * grads[k]
        return params

    assert_fails("mlp.sgd_step", in_place, parts={"params"}, mentions="changed its input params in place")
    assert_fails("mlp.sgd_step", reassigned, parts={"params"}, mentions="now holds a different array")
    assert_fails("mlp.sgd_step", lambda p, g, lr: {k: p[k] + lr * g[k] for k in p}, parts={"params"},
                 mentions="gradient added instead of subtracted")


def test_sgd_step_with_copies_passes():
    def copies(params, grads, lr):
        new = {}
        for key, value in params.items():
            new[key] = value.copy()
            new[key] -= lr * grads[key]
        return new

    assert_passes("mlp.sgd_step", copies)
