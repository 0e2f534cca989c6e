"""Lesson 06: the transformer's layers against central differences, torch's own modules, and
hypothesis over shapes, on every backend."""
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.backend import random_normal, to_numpy
from reference_impl.gradcheck import compare_layer_gradients, layer_gradients
from reference_impl.transformer import (
    BLOCK_PARAMS, attention_backward, attention_forward, causal_mask, layernorm_backward,
    layernorm_forward, multihead_attention_backward, multihead_attention_forward, positional_encoding,
    softmax_backward, softmax_forward, transformer_block_backward, transformer_block_forward,
)

pytestmark = pytest.mark.transformer

SEEDS = (0, 1, 2)
GRAD_TOL = 1e-6
TORCH_TOL = dict(rtol=1e-9, atol=1e-10)
HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def random_mask(rng, shape):
    """A boolean mask that really masks, with at least one True in every row (the last axis)."""
    mask = rng.random(shape) < 0.5
    rows = mask.reshape(-1, shape[-1])
    rows[np.arange(rows.shape[0]), rng.integers(0, shape[-1], rows.shape[0])] = True
    return mask


def torch_leaves(backend, *arrays):
    """float64 torch tensors on the backend's device that collect gradients."""
    return [torch.tensor(np.asarray(a), device=backend.torch_device, requires_grad=True) for a in arrays]


def assert_close(backend, ours, expected, **tolerance):
    np.testing.assert_allclose(backend.to_numpy(ours), expected.detach().cpu().numpy(), **(tolerance or TORCH_TOL))


def assert_gradients_match(forward, backward, inputs, rng, atol=1e-8):
    """The backward pass against central differences under a random upstream gradient, elementwise
    with an absolute floor: for gradients that are exactly zero (the key bias of attention: softmax
    does not change when every score of a row moves by the same amount) a relative error means nothing."""
    out, cache = forward(*inputs)
    dout = random_normal(rng, tuple(out.shape), out)
    analytic = backward(dout, cache)
    for position, (ours, numeric) in enumerate(zip(analytic, layer_gradients(forward, inputs, dout))):
        np.testing.assert_allclose(to_numpy(ours), to_numpy(numeric), rtol=1e-5, atol=atol,
                                   err_msg=f"gradient of input {position}")


def block_params(rng, D, Dff):
    shapes = dict(ln1_gamma=(D,), ln1_beta=(D,), Wqkv=(D, 3 * D), bqkv=(3 * D,), Wo=(D, D), bo=(D,),
                  ln2_gamma=(D,), ln2_beta=(D,), W1=(D, Dff), b1=(Dff,), W2=(Dff, D), b2=(D,))
    params = {key: rng.standard_normal(shapes[key]) / math.sqrt(shapes[key][0]) for key in BLOCK_PARAMS}
    params["ln1_gamma"] += 1
    params["ln2_gamma"] += 1
    return params


# softmax

def test_softmax_matches_torch(backend, rng):
    x = rng.standard_normal((2, 3, 5))
    dout = rng.standard_normal(x.shape)
    out, cache = softmax_forward(backend.asarray(x))
    dx = softmax_backward(backend.asarray(dout), cache)
    (x_t,) = torch_leaves(backend, x)
    expected = torch.softmax(x_t, dim=-1)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)


def test_softmax_is_stable_and_handles_minus_infinity(backend):
    x = np.array([[1000.0, 999.0, -math.inf], [-math.inf, -math.inf, -math.inf]])
    out, cache = softmax_forward(backend.asarray(x))
    out = backend.to_numpy(out)
    np.testing.assert_allclose(out[0], [1 / (1 + math.exp(-1)), math.exp(-1) / (1 + math.exp(-1)), 0.0])
    np.testing.assert_array_equal(out[1], 0.0)
    dx = backend.to_numpy(softmax_backward(backend.asarray(np.ones_like(x)), cache))
    assert np.isfinite(dx).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_softmax_gradient(backend, seed):
    rng = np.random.default_rng(seed)
    errors = compare_layer_gradients(softmax_forward, softmax_backward,
                                     [backend.asarray(rng.standard_normal((3, 7)))], rng)
    assert max(errors) < GRAD_TOL


# scaled dot-product attention

ATTENTION_SHAPES = {  # (N, Tq, Tk, d, dv)
    "square": (2, 4, 4, 3, 5),
    "Tq != Tk": (2, 3, 5, 4, 2),
    "T = 1": (3, 1, 1, 2, 3),
}


def attention_inputs(rng, N, Tq, Tk, d, dv):
    return rng.standard_normal((N, Tq, d)), rng.standard_normal((N, Tk, d)), rng.standard_normal((N, Tk, dv))


def make_mask(kind, rng, N, Tq, Tk):
    if kind is None:
        return None
    if kind == "causal":
        return np.tril(np.ones((Tq, Tk), dtype=bool))
    return random_mask(rng, (N, Tq, Tk))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("mask_kind", [None, "random", "causal"])
@pytest.mark.parametrize("shape", ATTENTION_SHAPES.values(), ids=ATTENTION_SHAPES.keys())
def test_attention_gradients(backend, shape, mask_kind, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (backend.asarray(a) for a in attention_inputs(rng, *shape))
    mask = make_mask(mask_kind, rng, shape[0], shape[1], shape[2])
    mask = None if mask is None else backend.asarray(mask)
    errors = compare_layer_gradients(lambda q, k, v: attention_forward(q, k, v, mask), attention_backward,
                                     [q, k, v], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("mask_kind", [None, "random", "causal"])
@pytest.mark.parametrize("shape", ATTENTION_SHAPES.values(), ids=ATTENTION_SHAPES.keys())
def test_attention_matches_scaled_dot_product_attention(backend, rng, shape, mask_kind):
    q, k, v = attention_inputs(rng, *shape)
    mask = make_mask(mask_kind, rng, shape[0], shape[1], shape[2])
    dout = rng.standard_normal((shape[0], shape[1], shape[4]))
    out, cache = attention_forward(*(backend.asarray(a) for a in (q, k, v)),
                                   None if mask is None else backend.asarray(mask))
    dq, dk, dv = attention_backward(backend.asarray(dout), cache)

    q_t, k_t, v_t = torch_leaves(backend, q, k, v)
    torch_mask = None if mask is None else torch.tensor(mask, device=backend.torch_device)
    expected = F.scaled_dot_product_attention(q_t, k_t, v_t, attn_mask=torch_mask)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    for ours, theirs in ((out, expected), (dq, q_t.grad), (dk, k_t.grad), (dv, v_t.grad)):
        assert_close(backend, ours, theirs)


def test_attention_with_head_axis_and_broadcast_mask_matches_torch(backend, rng):
    q, k, v = (rng.standard_normal((2, 3, 4, 5)) for _ in range(3))  # (N, h, T, d)
    mask = random_mask(rng, (2, 1, 4, 4))  # one mask per sequence, shared by the heads
    out, _ = attention_forward(*(backend.asarray(a) for a in (q, k, v)), backend.asarray(mask))
    expected = F.scaled_dot_product_attention(*(torch.tensor(a) for a in (q, k, v)), attn_mask=torch.tensor(mask))
    np.testing.assert_allclose(backend.to_numpy(out), expected.numpy(), **TORCH_TOL)


def test_fully_masked_query_outputs_zero_and_passes_no_gradient(backend, rng):
    q, k, v = attention_inputs(rng, 2, 3, 4, 3, 2)
    mask = random_mask(rng, (2, 3, 4))
    mask[1, 2] = False  # query 2 of sequence 1 may attend to nothing
    dout = rng.standard_normal((2, 3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = attention_forward(*(backend.asarray(a) for a in (q, k, v)), backend.asarray(mask))
        dq, dk, dv = attention_backward(backend.asarray(dout), cache)
    out, dq, dk, dv = (backend.to_numpy(a) for a in (out, dq, dk, dv))
    for name, array in (("out", out), ("dq", dq), ("dk", dk), ("dv", dv)):
        assert np.isfinite(array).all(), f"{name} holds NaN or inf"
    np.testing.assert_array_equal(out[1, 2], 0.0)
    np.testing.assert_array_equal(dq[1, 2], 0.0)

    # The other rows are untouched, and the masked row's dout reaches nothing: compare with torch
    # on the same inputs with that row's upstream gradient set to zero.
    dout[1, 2] = 0.0
    mask_t = torch.tensor(mask)
    mask_t[1, 2] = True  # any finite row: its output is ignored and its gradient is zero
    q_t, k_t, v_t = torch_leaves(backend, q, k, v)
    expected = F.scaled_dot_product_attention(q_t, k_t, v_t, attn_mask=mask_t.to(backend.torch_device))
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    keep = np.ones((2, 3), dtype=bool)
    keep[1, 2] = False
    np.testing.assert_allclose(out[keep], expected.detach().cpu().numpy()[keep], **TORCH_TOL)
    for ours, theirs in ((dq, q_t.grad), (dk, k_t.grad), (dv, v_t.grad)):
        np.testing.assert_allclose(ours, theirs.cpu().numpy(), **TORCH_TOL)


@pytest.mark.parametrize("seed", SEEDS)
def test_attention_gradient_with_fully_masked_rows(backend, seed):
    rng = np.random.default_rng(seed)
    q, k, v = (backend.asarray(a) for a in attention_inputs(rng, 2, 3, 4, 2, 3))
    mask = random_mask(rng, (2, 3, 4))
    mask[0, 1] = False
    mask = backend.asarray(mask)
    errors = compare_layer_gradients(lambda q, k, v: attention_forward(q, k, v, mask), attention_backward,
                                     [q, k, v], rng)
    assert max(errors) < GRAD_TOL


@HYPOTHESIS
@given(N=st.integers(1, 3), Tq=st.integers(1, 6), Tk=st.integers(1, 6), d=st.integers(1, 5),
       dv=st.integers(1, 5), masked=st.booleans(), seed=st.integers(0, 2**16))
def test_attention_matches_torch_over_shapes(backend, N, Tq, Tk, d, dv, masked, seed):
    rng = np.random.default_rng(seed)
    q, k, v = attention_inputs(rng, N, Tq, Tk, d, dv)
    mask = random_mask(rng, (N, Tq, Tk)) if masked else None
    dout = rng.standard_normal((N, Tq, dv))
    out, cache = attention_forward(*(backend.asarray(a) for a in (q, k, v)),
                                   None if mask is None else backend.asarray(mask))
    grads = attention_backward(backend.asarray(dout), cache)
    leaves = torch_leaves(backend, q, k, v)
    expected = F.scaled_dot_product_attention(
        *leaves, attn_mask=None if mask is None else torch.tensor(mask, device=backend.torch_device))
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert tuple(out.shape) == (N, Tq, dv)
    assert_close(backend, out, expected)
    for ours, leaf in zip(grads, leaves):
        assert tuple(ours.shape) == tuple(leaf.shape)
        assert_close(backend, ours, leaf.grad)


def test_causal_mask():
    np.testing.assert_array_equal(causal_mask(5), torch.tril(torch.ones(5, 5, dtype=torch.bool)).numpy())
    like = torch.zeros(1)
    assert causal_mask(3, like=like).dtype == torch.bool


# multi-head attention

def mha_inputs(rng, N, T, D):
    return [rng.standard_normal((N, T, D)), rng.standard_normal((D, 3 * D)) / math.sqrt(D),
            rng.standard_normal(3 * D), rng.standard_normal((D, D)) / math.sqrt(D), rng.standard_normal(D)]


MHA_SHAPES = {  # (N, T, D, num_heads)
    "three heads": (2, 4, 6, 3),
    "one head": (2, 3, 4, 1),
    "T = 1": (3, 1, 4, 2),
}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("mask_kind", [None, "causal", "per sequence"])
@pytest.mark.parametrize("shape", MHA_SHAPES.values(), ids=MHA_SHAPES.keys())
def test_multihead_attention_gradients(backend, shape, mask_kind, seed):
    N, T, D, h = shape
    rng = np.random.default_rng(seed)
    inputs = [backend.asarray(a) for a in mha_inputs(rng, N, T, D)]
    mask = {None: None, "causal": causal_mask(T), "per sequence": random_mask(rng, (N, T, T))}[mask_kind]
    mask = None if mask is None else backend.asarray(mask)
    assert_gradients_match(lambda *args: multihead_attention_forward(*args, h, mask),
                           multihead_attention_backward, inputs, rng)


@pytest.mark.parametrize("mask_kind", [None, "causal", "per sequence"])
@pytest.mark.parametrize("shape", MHA_SHAPES.values(), ids=MHA_SHAPES.keys())
def test_multihead_attention_matches_nn_multiheadattention(backend, rng, shape, mask_kind):
    N, T, D, h = shape
    x, Wqkv, bqkv, Wo, bo = mha_inputs(rng, N, T, D)
    mask = {None: None, "causal": causal_mask(T), "per sequence": random_mask(rng, (N, T, T))}[mask_kind]
    dout = rng.standard_normal((N, T, D))
    out, cache = multihead_attention_forward(*(backend.asarray(a) for a in (x, Wqkv, bqkv, Wo, bo)), h,
                                             None if mask is None else backend.asarray(mask))
    dx, dWqkv, dbqkv, dWo, dbo = multihead_attention_backward(backend.asarray(dout), cache)

    module = torch.nn.MultiheadAttention(D, h, batch_first=True, dtype=torch.float64, device=backend.torch_device)
    with torch.no_grad():  # our (D_in, D_out) weights are the transposes of torch's (D_out, D_in)
        module.in_proj_weight.copy_(torch.tensor(Wqkv.T))
        module.in_proj_bias.copy_(torch.tensor(bqkv))
        module.out_proj.weight.copy_(torch.tensor(Wo.T))
        module.out_proj.bias.copy_(torch.tensor(bo))
    attn_mask = None
    if mask is not None:  # torch's boolean attn_mask marks the pairs that may NOT attend
        attn_mask = torch.tensor(~mask, device=backend.torch_device)
        if mask.ndim == 3:  # (N, T, T) -> (N*h, T, T), one copy per head
            attn_mask = attn_mask.repeat_interleave(h, dim=0)
    (x_t,) = torch_leaves(backend, x)
    expected, _ = module(x_t, x_t, x_t, attn_mask=attn_mask, need_weights=False)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)
    assert_close(backend, dWqkv, module.in_proj_weight.grad.T)
    assert_close(backend, dbqkv, module.in_proj_bias.grad)
    assert_close(backend, dWo, module.out_proj.weight.grad.T)
    assert_close(backend, dbo, module.out_proj.bias.grad)


# layer normalisation

@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 6), (1, 1, 1)], ids=str)
def test_layernorm_matches_nn_layernorm(backend, rng, shape):
    D = shape[-1]
    x, dout = rng.standard_normal(shape), rng.standard_normal(shape)
    gamma, beta = 1 + rng.standard_normal(D), rng.standard_normal(D)
    out, cache = layernorm_forward(*(backend.asarray(a) for a in (x, gamma, beta)))
    dx, dgamma, dbeta = layernorm_backward(backend.asarray(dout), cache)

    module = torch.nn.LayerNorm(D, eps=1e-5, dtype=torch.float64, device=backend.torch_device)
    with torch.no_grad():
        module.weight.copy_(torch.tensor(gamma))
        module.bias.copy_(torch.tensor(beta))
    (x_t,) = torch_leaves(backend, x)
    expected = module(x_t)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)
    assert_close(backend, dgamma, module.weight.grad)
    assert_close(backend, dbeta, module.bias.grad)


@pytest.mark.parametrize("seed", SEEDS)
def test_layernorm_gradients(backend, seed):
    rng = np.random.default_rng(seed)
    inputs = [backend.asarray(a) for a in (rng.standard_normal((2, 3, 5)), 1 + rng.standard_normal(5),
                                           rng.standard_normal(5))]
    errors = compare_layer_gradients(layernorm_forward, layernorm_backward, inputs, rng)
    assert max(errors) < GRAD_TOL


def test_layernorm_does_not_mutate_its_inputs(backend, rng):
    arrays = [rng.standard_normal((3, 4)), 1 + rng.standard_normal(4), rng.standard_normal(4)]
    inputs = [backend.asarray(a.copy()) for a in arrays]
    out, cache = layernorm_forward(*inputs)
    dout = backend.asarray(rng.standard_normal((3, 4)))
    layernorm_backward(dout, cache)
    for before, after in zip(arrays, inputs):
        np.testing.assert_array_equal(before, backend.to_numpy(after))


@HYPOTHESIS
@given(shape=st.lists(st.integers(1, 5), min_size=2, max_size=3), seed=st.integers(0, 2**16))
def test_layernorm_matches_torch_over_shapes(backend, shape, seed):
    rng = np.random.default_rng(seed)
    D = shape[-1]
    x, dout, gamma, beta = (rng.standard_normal(s) for s in (shape, shape, D, D))
    out, cache = layernorm_forward(*(backend.asarray(a) for a in (x, gamma, beta)))
    grads = layernorm_backward(backend.asarray(dout), cache)
    leaves = torch_leaves(backend, x, gamma, beta)
    expected = F.layer_norm(leaves[0], (D,), leaves[1], leaves[2], eps=1e-5)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected, rtol=1e-8, atol=1e-9)
    for ours, leaf in zip(grads, leaves):
        assert_close(backend, ours, leaf.grad, rtol=1e-8, atol=1e-9)


# positional encoding

@pytest.mark.parametrize("T, D", [(1, 1), (4, 6), (5, 7), (50, 16)])
def test_positional_encoding_follows_the_formula(T, D):
    pe = positional_encoding(T, D)
    assert pe.shape == (T, D) and pe.dtype == np.float64
    for p in range(T):
        for column in range(D):
            angle = p / 10000 ** ((column - column % 2) / D)
            expected = math.sin(angle) if column % 2 == 0 else math.cos(angle)
            assert pe[p, column] == pytest.approx(expected, abs=1e-12)


def test_positional_encoding_takes_backend_and_dtype_from_like(backend):
    like = backend.asarray(np.zeros(1, dtype=np.float32))
    pe = positional_encoding(6, 5, like=like)
    assert pe.dtype == like.dtype and tuple(pe.shape) == (6, 5)
    if backend.is_torch:
        assert pe.device.type == backend.torch_device
    np.testing.assert_allclose(backend.to_numpy(pe), positional_encoding(6, 5), rtol=1e-6, atol=1e-6)


# pre-norm transformer block

def torch_block(x, p, num_heads, mask=None):
    """The pre-norm block written with torch autograd, independently of the reference."""
    N, T, D = x.shape
    d = D // num_heads

    def heads(z):  # (N, T, D) -> (N, h, T, d)
        return z.reshape(N, T, num_heads, d).transpose(1, 2)

    normed = F.layer_norm(x, (D,), p["ln1_gamma"], p["ln1_beta"], eps=1e-5)
    q, k, v = (normed @ p["Wqkv"] + p["bqkv"]).split(D, dim=-1)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    attended = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), attn_mask=mask)
    y = x + attended.transpose(1, 2).reshape(N, T, D) @ p["Wo"] + p["bo"]
    normed = F.layer_norm(y, (D,), p["ln2_gamma"], p["ln2_beta"], eps=1e-5)
    return y + torch.relu(normed @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


BLOCK_SHAPES = {  # (N, T, D, num_heads, Dff)
    "two heads": (2, 3, 4, 2, 5),
    "one head, T = 1": (2, 1, 3, 1, 4),
}


@pytest.mark.parametrize("seed", SEEDS[:2])
@pytest.mark.parametrize("masked", [False, True], ids=["no mask", "causal"])
@pytest.mark.parametrize("shape", BLOCK_SHAPES.values(), ids=BLOCK_SHAPES.keys())
def test_transformer_block_gradients(backend, shape, masked, seed):
    N, T, D, h, Dff = shape
    rng = np.random.default_rng(seed)
    x = backend.asarray(rng.standard_normal((N, T, D)))
    params = {key: backend.asarray(value) for key, value in block_params(rng, D, Dff).items()}
    mask = backend.asarray(causal_mask(T)) if masked else None

    def forward(x, *values):
        return transformer_block_forward(x, dict(zip(BLOCK_PARAMS, values)), h, mask)

    def backward(dout, cache):
        dx, grads = transformer_block_backward(dout, cache)
        return (dx, *(grads[key] for key in BLOCK_PARAMS))

    assert_gradients_match(forward, backward, [x, *params.values()], rng)


@pytest.mark.parametrize("mask_kind", [None, "causal", "per sequence"])
def test_transformer_block_matches_torch_autograd(backend, rng, mask_kind):
    N, T, D, h, Dff = 2, 5, 8, 2, 12
    x, dout = rng.standard_normal((N, T, D)), rng.standard_normal((N, T, D))
    params = block_params(rng, D, Dff)
    mask = {None: None, "causal": causal_mask(T), "per sequence": random_mask(rng, (N, T, T))}[mask_kind]
    out, cache = transformer_block_forward(backend.asarray(x), {k: backend.asarray(v) for k, v in params.items()},
                                           h, None if mask is None else backend.asarray(mask))
    dx, grads = transformer_block_backward(backend.asarray(dout), cache)
    assert list(grads) == list(BLOCK_PARAMS)

    (x_t,) = torch_leaves(backend, x)
    params_t = dict(zip(BLOCK_PARAMS, torch_leaves(backend, *params.values())))
    expected = torch_block(x_t, params_t, h, None if mask is None else torch.tensor(mask, device=backend.torch_device))
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)
    for key in BLOCK_PARAMS:
        assert_close(backend, grads[key], params_t[key].grad)


# argument errors

def test_attention_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    q, k, v = attention_inputs(rng, 2, 3, 4, 5, 6)
    with pytest.raises(ValueError, match=r"k must have shape .*got \(2, 4, 3\)"):
        attention_forward(q, k[..., :3], v)
    with pytest.raises(ValueError, match=r"v must have shape"):
        attention_forward(q, k, v[:, :2])
    with pytest.raises(TypeError, match=r"mask must hold bool"):
        attention_forward(q, k, v, mask=np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"mask of shape \(4, 3\) does not broadcast .*\(2, 3, 4\)"):
        attention_forward(q, k, v, mask=np.ones((4, 3), dtype=bool))
    with pytest.raises(ValueError, match=r"q must have 3 dimensions"):
        attention_forward(q[0], k[0], v[0])


def test_multihead_attention_and_block_reject_bad_arguments():
    rng = np.random.default_rng(0)
    x, Wqkv, bqkv, Wo, bo = mha_inputs(rng, 2, 3, 6)
    with pytest.raises(ValueError, match=r"num_heads must be a positive int dividing D = 6, got 4"):
        multihead_attention_forward(x, Wqkv, bqkv, Wo, bo, 4)
    with pytest.raises(ValueError, match=r"Wqkv must have shape \(D, 3D\) = \(6, 18\), got \(6, 12\)"):
        multihead_attention_forward(x, Wqkv[:, :12], bqkv, Wo, bo, 2)
    with pytest.raises(ValueError, match=r"mask must have shape \(T, T\) = \(3, 3\), got \(3, 4\)"):
        multihead_attention_forward(x, Wqkv, bqkv, Wo, bo, 2, np.ones((3, 4), dtype=bool))
    with pytest.raises(TypeError, match=r"arrays must share one dtype"):
        multihead_attention_forward(x.astype(np.float32), Wqkv, bqkv, Wo, bo, 2)
    params = block_params(rng, 6, 8)
    del params["W2"]
    with pytest.raises(KeyError, match=r"params lacks W2"):
        transformer_block_forward(x, params, 2)
    with pytest.raises(ValueError, match=r"gamma must have shape \(D,\) = \(6,\), got \(5,\)"):
        layernorm_forward(x, np.ones(5), np.zeros(6))
