"""Lesson 05: RNN and LSTM steps and sequences, and gradient clipping, against central differences, torch's
own modules (nn.RNNCell, nn.RNN, nn.LSTMCell, nn.LSTM, clip_grad_norm_) and hypothesis over shapes, on
every backend."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.gradcheck import compare_layer_gradients
from reference_impl.rnn_lstm import (
    clip_gradients, lstm_backward, lstm_forward, lstm_step_backward, lstm_step_forward, rnn_backward,
    rnn_forward, rnn_step_backward, rnn_step_forward,
)

pytestmark = pytest.mark.rnn_lstm

SEEDS = (0, 1, 2)
GRAD_TOL = 1e-6
TORCH_TOL = dict(rtol=1e-9, atol=1e-10)
HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

SHAPES = {  # (N, T, D, H)
    "H != D": (2, 3, 4, 3),
    "T = 1": (2, 1, 3, 2),
    "N = 1": (1, 4, 2, 3),
}


def torch_leaves(backend, *arrays):
    """float64 torch tensors on the backend's device that collect gradients."""
    return [torch.tensor(np.asarray(a), device=backend.torch_device, requires_grad=True) for a in arrays]


def assert_close(backend, ours, expected, **tolerance):
    assert tuple(ours.shape) == tuple(expected.shape)
    np.testing.assert_allclose(backend.to_numpy(ours), expected.detach().cpu().numpy(), **(tolerance or TORCH_TOL))


def weights(rng, D, H, gates):
    """Wx (D, G), Wh (H, G), b (G,) with G = gates * H, scaled so the units neither saturate nor vanish."""
    G = gates * H
    return rng.standard_normal((D, G)) / np.sqrt(D), rng.standard_normal((H, G)) / np.sqrt(H), rng.standard_normal(G)


def load_weights(module, Wx, Wh, b, suffix=""):
    """Put the course's (D_in, D_out) weights into a torch recurrent module: weight_ih = Wx^T,
    weight_hh = Wh^T, all of b in bias_ih and zeros in bias_hh (torch adds the two biases)."""
    with torch.no_grad():
        for name, value in (("weight_ih", Wx.T), ("weight_hh", Wh.T), ("bias_ih", b), ("bias_hh", 0 * b)):
            getattr(module, name + suffix).copy_(torch.tensor(np.ascontiguousarray(value)))


def torch_weight_grads(module, suffix=""):
    """dWx, dWh, db in the course's layout from a torch module's parameter gradients."""
    grad = {name: getattr(module, name + suffix).grad for name in ("weight_ih", "weight_hh", "bias_ih")}
    return grad["weight_ih"].T, grad["weight_hh"].T, grad["bias_ih"]


def lstm_step_both_outputs(x, h_prev, c_prev, Wx, Wh, b):
    """lstm_step_forward with h_next and c_next side by side, so one random upstream gradient reaches both."""
    h_next, c_next, cache = lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b)
    joined = torch.cat((h_next, c_next), 1) if isinstance(h_next, torch.Tensor) else np.concatenate((h_next, c_next), 1)
    return joined, (cache, h_next.shape[1])


def lstm_step_backward_both(dout, cache):
    cache, H = cache
    return lstm_step_backward(dout[:, :H], dout[:, H:], cache)


# the tanh RNN

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_rnn_step_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    N, _, D, H = shape
    inputs = [rng.standard_normal((N, D)), rng.standard_normal((N, H)), *weights(rng, D, H, 1)]
    errors = compare_layer_gradients(rnn_step_forward, rnn_step_backward, [backend.asarray(a) for a in inputs], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_rnn_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    N, T, D, H = shape
    inputs = [rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), *weights(rng, D, H, 1)]
    errors = compare_layer_gradients(rnn_forward, rnn_backward, [backend.asarray(a) for a in inputs], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_rnn_step_matches_nn_rnn_cell(backend, rng, shape):
    N, _, D, H = shape
    x, h_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng, D, H, 1)
    h_next, cache = rnn_step_forward(*(backend.asarray(a) for a in (x, h_prev, Wx, Wh, b)))
    dh_next = rng.standard_normal((N, H))
    dx, dh_prev, *weight_grads = rnn_step_backward(backend.asarray(dh_next), cache)

    cell = torch.nn.RNNCell(D, H, dtype=torch.float64, device=backend.torch_device)
    load_weights(cell, Wx, Wh, b)
    x_t, h_t = torch_leaves(backend, x, h_prev)
    expected = cell(x_t, h_t)
    expected.backward(torch.tensor(dh_next, device=backend.torch_device))
    for ours, theirs in ((h_next, expected), (dx, x_t.grad), (dh_prev, h_t.grad),
                         *zip(weight_grads, torch_weight_grads(cell))):
        assert_close(backend, ours, theirs)


def compare_with_nn_rnn(backend, rng, N, T, D, H):
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng, D, H, 1)
    h, cache = rnn_forward(*(backend.asarray(a) for a in (x, h0, Wx, Wh, b)))
    dh = rng.standard_normal((N, T, H))
    dx, dh0, *weight_grads = rnn_backward(backend.asarray(dh), cache)

    rnn = torch.nn.RNN(D, H, nonlinearity="tanh", batch_first=True, dtype=torch.float64, device=backend.torch_device)
    load_weights(rnn, Wx, Wh, b, "_l0")
    x_t, h0_t = torch_leaves(backend, x, h0)
    expected, _ = rnn(x_t, h0_t[None])  # torch wants h0 as (layers, N, H)
    expected.backward(torch.tensor(dh, device=backend.torch_device))
    for ours, theirs in ((h, expected), (dx, x_t.grad), (dh0, h0_t.grad), *zip(weight_grads, torch_weight_grads(rnn, "_l0"))):
        assert_close(backend, ours, theirs)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_rnn_matches_nn_rnn(backend, rng, shape):
    compare_with_nn_rnn(backend, rng, *shape)


@HYPOTHESIS
@given(N=st.integers(1, 3), T=st.integers(1, 6), D=st.integers(1, 5), H=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_rnn_matches_nn_rnn_over_shapes(backend, N, T, D, H, seed):
    compare_with_nn_rnn(backend, np.random.default_rng(seed), N, T, D, H)


# the LSTM

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_lstm_step_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    N, _, D, H = shape
    inputs = [rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)), *weights(rng, D, H, 4)]
    errors = compare_layer_gradients(lstm_step_both_outputs, lstm_step_backward_both,
                                     [backend.asarray(a) for a in inputs], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_lstm_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    N, T, D, H = shape
    inputs = [rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H)),
              *weights(rng, D, H, 4)]
    errors = compare_layer_gradients(lstm_forward, lstm_backward, [backend.asarray(a) for a in inputs], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_lstm_step_matches_nn_lstm_cell(backend, rng, shape):
    N, _, D, H = shape
    x, h_prev, c_prev = rng.standard_normal((N, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng, D, H, 4)
    h_next, c_next, cache = lstm_step_forward(*(backend.asarray(a) for a in (x, h_prev, c_prev, Wx, Wh, b)))
    dh_next, dc_next = rng.standard_normal((N, H)), rng.standard_normal((N, H))
    dx, dh_prev, dc_prev, *weight_grads = lstm_step_backward(backend.asarray(dh_next), backend.asarray(dc_next), cache)

    cell = torch.nn.LSTMCell(D, H, dtype=torch.float64, device=backend.torch_device)
    load_weights(cell, Wx, Wh, b)
    x_t, h_t, c_t = torch_leaves(backend, x, h_prev, c_prev)
    expected_h, expected_c = cell(x_t, (h_t, c_t))
    torch.autograd.backward((expected_h, expected_c), (torch.tensor(dh_next, device=backend.torch_device),
                                                       torch.tensor(dc_next, device=backend.torch_device)))
    for ours, theirs in ((h_next, expected_h), (c_next, expected_c), (dx, x_t.grad), (dh_prev, h_t.grad),
                         (dc_prev, c_t.grad), *zip(weight_grads, torch_weight_grads(cell))):
        assert_close(backend, ours, theirs)


def compare_with_nn_lstm(backend, rng, N, T, D, H):
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx, Wh, b = weights(rng, D, H, 4)
    h, cache = lstm_forward(*(backend.asarray(a) for a in (x, h0, c0, Wx, Wh, b)))
    dh = rng.standard_normal((N, T, H))
    dx, dh0, dc0, *weight_grads = lstm_backward(backend.asarray(dh), cache)

    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64, device=backend.torch_device)
    load_weights(lstm, Wx, Wh, b, "_l0")
    x_t, h0_t, c0_t = torch_leaves(backend, x, h0, c0)
    expected, _ = lstm(x_t, (h0_t[None], c0_t[None]))  # the final (h, c) gets no upstream gradient
    expected.backward(torch.tensor(dh, device=backend.torch_device))
    for ours, theirs in ((h, expected), (dx, x_t.grad), (dh0, h0_t.grad), (dc0, c0_t.grad),
                         *zip(weight_grads, torch_weight_grads(lstm, "_l0"))):
        assert_close(backend, ours, theirs)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_lstm_matches_nn_lstm(backend, rng, shape):
    compare_with_nn_lstm(backend, rng, *shape)


@HYPOTHESIS
@given(N=st.integers(1, 3), T=st.integers(1, 6), D=st.integers(1, 5), H=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_lstm_matches_nn_lstm_over_shapes(backend, N, T, D, H, seed):
    compare_with_nn_lstm(backend, np.random.default_rng(seed), N, T, D, H)


def test_lstm_saturates_without_overflow(backend, rng):
    """Pre-activations far beyond exp's range (float32 overflows past about 88) give gates of exactly
    0 or 1 and finite gradients, with no overflow warning."""
    N, T, D, H = 2, 3, 4, 2
    x = (1e4 * rng.standard_normal((N, T, D))).astype(np.float32)
    h0, c0 = np.zeros((N, H), np.float32), np.zeros((N, H), np.float32)
    Wx, Wh, b = (w.astype(np.float32) for w in weights(rng, D, H, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        h, cache = lstm_forward(*(backend.asarray(a) for a in (x, h0, c0, Wx, Wh, b)))
        grads = lstm_backward(backend.asarray(np.ones((N, T, H), np.float32)), cache)
    for array in (h, *grads):
        assert np.isfinite(backend.to_numpy(array)).all()


@pytest.mark.parametrize("layer", ["rnn", "lstm"])
def test_sequences_keep_dtype_and_device(backend, rng, layer):
    N, T, D, H = 2, 3, 4, 5
    gates = 4 if layer == "lstm" else 1
    arrays = [rng.standard_normal((N, T, D)), rng.standard_normal((N, H))]
    arrays += [rng.standard_normal((N, H))] * (layer == "lstm") + list(weights(rng, D, H, gates))
    inputs = [backend.asarray(a.astype(np.float32)) for a in arrays]
    forward, backward = (lstm_forward, lstm_backward) if layer == "lstm" else (rnn_forward, rnn_backward)
    h, cache = forward(*inputs)
    grads = backward(h, cache)
    for array, like in ((h, inputs[0]), *zip(grads, inputs)):
        assert type(array) is type(like) and array.dtype == like.dtype
        assert tuple(array.shape) == (tuple(like.shape) if array is not h else (N, T, H))
        if backend.is_torch:
            assert array.device == like.device


def test_recurrent_layers_reject_bad_arguments():
    rng = np.random.default_rng(0)
    x, h0, c0 = rng.standard_normal((2, 3, 4)), np.zeros((2, 5)), np.zeros((2, 5))
    Wx, Wh, b = weights(rng, 4, 5, 4)
    with pytest.raises(ValueError, match=r"lstm_forward: Wx must have shape \(D, 4H\) = \(4, 20\), got \(4, 15\)"):
        lstm_forward(x, h0, c0, Wx[:, :15], Wh, b)
    with pytest.raises(ValueError, match=r"lstm_forward: Wh must have shape \(H, 4H\) = \(5, 20\), got \(4, 20\)"):
        lstm_forward(x, h0, c0, Wx, Wh[:4], b)
    with pytest.raises(ValueError, match=r"lstm_forward: c0 must have shape \(N, H\) as h0 = \(2, 5\), got \(2, 4\)"):
        lstm_forward(x, h0, c0[:, :4], Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_forward: h0 must have shape \(N, H\) with x's N = \(2, 5\), got \(1, 5\)"):
        lstm_forward(x, h0[:1], c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"lstm_forward: x must have 3 dimensions, got shape \(3, 4\)"):
        lstm_forward(x[0], h0, c0, Wx, Wh, b)
    with pytest.raises(ValueError, match=r"x must hold at least one time step, got shape \(2, 0, 4\)"):
        lstm_forward(x[:, :0], h0, c0, Wx, Wh, b)
    with pytest.raises(TypeError, match=r"lstm_forward: arrays must share one dtype, got x float32, h0 float64"):
        lstm_forward(x.astype(np.float32), h0, c0, Wx, Wh, b)
    with pytest.raises(TypeError, match=r"lstm_step_forward: c_prev must hold real floating numbers"):
        lstm_step_forward(x[:, 0], h0, c0.astype(int), Wx, Wh, b)
    Wx, Wh, b = weights(rng, 4, 5, 1)
    with pytest.raises(ValueError, match=r"rnn_step_forward: b must have shape \(H,\) = \(5,\), got \(4,\)"):
        rnn_step_forward(x[:, 0], h0, Wx, Wh, b[:4])
    with pytest.raises(ValueError, match=r"rnn_forward: Wx must have shape \(D, H\) = \(4, 5\), got \(3, 5\)"):
        rnn_forward(x, h0, Wx[:3], Wh, b)


# gradient clipping

@pytest.mark.parametrize("max_norm", [0.0, 0.5, 3.0, 1e3])
def test_clip_gradients_matches_clip_grad_norm(backend, rng, max_norm):
    grads = {"Wx": rng.standard_normal((3, 4)), "b": rng.standard_normal(4), "h0": rng.standard_normal((2, 1, 3))}
    inputs = {name: backend.asarray(g.copy()) for name, g in grads.items()}  # unshared, to see mutation
    clipped, total_norm = clip_gradients(inputs, max_norm)

    params = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads.values()]
    for param, g in zip(params, grads.values()):
        param.grad = torch.tensor(g)
    expected_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert isinstance(total_norm, float)
    assert total_norm == pytest.approx(float(expected_norm), rel=1e-12)
    assert list(clipped) == list(grads)
    for name, param in zip(grads, params):
        assert type(clipped[name]) is type(inputs[name])
        assert_close(backend, clipped[name], param.grad, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(backend.to_numpy(inputs[name]), grads[name])  # inputs untouched
        assert clipped[name] is not inputs[name]


def test_clip_gradients_edge_cases_and_errors(backend):
    grads = {"W": backend.asarray(np.array([[3.0, 0.0], [0.0, 4.0]], dtype=np.float32))}
    clipped, total_norm = clip_gradients(grads, 1.0)
    assert total_norm == pytest.approx(5.0)
    assert clipped["W"].dtype == grads["W"].dtype
    np.testing.assert_allclose(backend.to_numpy(clipped["W"]), [[0.6, 0.0], [0.0, 0.8]], rtol=1e-6)
    assert clip_gradients({}, 1.0) == ({}, 0.0)
    with pytest.raises(ValueError, match=r"max_norm must be a number >= 0, got -1"):
        clip_gradients(grads, -1)
    with pytest.raises(TypeError, match=r"grads must be a dict of arrays, got list"):
        clip_gradients([grads["W"]], 1.0)
    with pytest.raises(TypeError, match=r"grads\['b'\] must be a NumPy array or torch tensor, got list"):
        clip_gradients({"b": [1.0, 2.0]}, 1.0)
