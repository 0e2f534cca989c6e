"""Lesson 04: convolution, im2col/col2im, max pooling and flatten against central differences, torch's
own modules (nn.Conv2d, nn.MaxPool2d, F.unfold, F.fold) and hypothesis over shapes, on every backend."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_impl.gradcheck import compare_layer_gradients
from reference_impl.cnn import (
    col2im, conv2d_backward, conv2d_forward, flatten_backward, flatten_forward, im2col,
    maxpool2d_backward, maxpool2d_forward,
)

pytestmark = pytest.mark.cnn

SEEDS = (0, 1, 2)
GRAD_TOL = 1e-6
TORCH_TOL = dict(rtol=1e-9, atol=1e-10)
HYPOTHESIS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

CONV_SHAPES = {  # (N, C, H, W, F, HH, WW, stride, pad)
    "3x3 pad 1": (2, 3, 5, 5, 2, 3, 3, 1, 1),
    "stride 2 pad 1 non-square": (1, 2, 6, 5, 3, 3, 2, 2, 1),
    "stride does not tile": (2, 2, 6, 5, 2, 3, 3, 2, 0),
    "1x1 filter": (2, 3, 3, 4, 4, 1, 1, 1, 0),
    "filter as large as the input": (1, 2, 3, 4, 2, 3, 4, 1, 0),
}
POOL_SHAPES = {  # (N, C, H, W, pool, stride)
    "2x2 stride 2": (2, 3, 4, 6, 2, 2),
    "overlapping 3x3 stride 2": (1, 2, 7, 5, 3, 2),
    "overlapping 2x2 stride 1": (2, 1, 4, 5, 2, 1),
    "stride does not tile": (2, 2, 5, 7, 2, 2),
    "pool over the whole image": (3, 2, 3, 3, 3, 1),
}


def torch_leaves(backend, *arrays):
    """float64 torch tensors on the backend's device that collect gradients."""
    return [torch.tensor(np.asarray(a), device=backend.torch_device, requires_grad=True) for a in arrays]


def assert_close(backend, ours, expected, **tolerance):
    assert tuple(ours.shape) == tuple(expected.shape)
    np.testing.assert_allclose(backend.to_numpy(ours), expected.detach().cpu().numpy(), **(tolerance or TORCH_TOL))


def conv_inputs(rng, N, C, H, W, F, HH, WW):
    return rng.standard_normal((N, C, H, W)), rng.standard_normal((F, C, HH, WW)), rng.standard_normal(F)


# im2col and col2im

@pytest.mark.parametrize("shape", CONV_SHAPES.values(), ids=CONV_SHAPES.keys())
def test_im2col_and_col2im_match_unfold_and_fold(backend, rng, shape):
    N, C, H, W, _, HH, WW, stride, pad = shape
    x = rng.standard_normal((N, C, H, W))
    cols = im2col(backend.asarray(x), HH, WW, stride, pad)
    expected = F.unfold(torch.tensor(x), (HH, WW), padding=pad, stride=stride)
    assert_close(backend, cols, expected)

    y = rng.standard_normal(tuple(expected.shape))
    back = col2im(backend.asarray(y), x.shape, HH, WW, stride, pad)
    assert_close(backend, back, F.fold(torch.tensor(y), (H, W), (HH, WW), padding=pad, stride=stride))


@HYPOTHESIS
@given(N=st.integers(1, 2), C=st.integers(1, 3), H=st.integers(1, 7), W=st.integers(1, 7), HH=st.integers(1, 4),
       WW=st.integers(1, 4), stride=st.integers(1, 3), pad=st.integers(0, 2), seed=st.integers(0, 2**16))
def test_col2im_is_the_adjoint_of_im2col(backend, N, C, H, W, HH, WW, stride, pad, seed):
    """<im2col(x), y> = <x, col2im(y)> for all x, y: col2im is im2col's backward, overlaps included."""
    if HH > H + 2 * pad or WW > W + 2 * pad:
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    cols = backend.to_numpy(im2col(backend.asarray(x), HH, WW, stride, pad))
    y = rng.standard_normal(cols.shape)
    back = backend.to_numpy(col2im(backend.asarray(y), x.shape, HH, WW, stride, pad))
    assert back.shape == x.shape
    assert np.sum(cols * y) == pytest.approx(np.sum(x * back), rel=1e-10, abs=1e-10)


# convolution

@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", CONV_SHAPES.values(), ids=CONV_SHAPES.keys())
def test_conv2d_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    *sizes, stride, pad = shape
    x, w, b = (backend.asarray(a) for a in conv_inputs(rng, *sizes))
    errors = compare_layer_gradients(lambda x, w, b: conv2d_forward(x, w, b, stride, pad), conv2d_backward,
                                     [x, w, b], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("shape", CONV_SHAPES.values(), ids=CONV_SHAPES.keys())
def test_conv2d_matches_nn_conv2d(backend, rng, shape):
    N, C, H, W, F_, HH, WW, stride, pad = shape
    x, w, b = conv_inputs(rng, N, C, H, W, F_, HH, WW)
    out, cache = conv2d_forward(*(backend.asarray(a) for a in (x, w, b)), stride=stride, pad=pad)
    dout = rng.standard_normal(tuple(out.shape))
    dx, dw, db = conv2d_backward(backend.asarray(dout), cache)

    conv = torch.nn.Conv2d(C, F_, (HH, WW), stride=stride, padding=pad, dtype=torch.float64, device=backend.torch_device)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor(w))
        conv.bias.copy_(torch.tensor(b))
    (x_t,) = torch_leaves(backend, x)
    expected = conv(x_t)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    for ours, theirs in ((out, expected), (dx, x_t.grad), (dw, conv.weight.grad), (db, conv.bias.grad)):
        assert_close(backend, ours, theirs)


@HYPOTHESIS
@given(N=st.integers(1, 3), C=st.integers(1, 3), H=st.integers(1, 8), W=st.integers(1, 8), F_=st.integers(1, 3),
       HH=st.integers(1, 4), WW=st.integers(1, 4), stride=st.integers(1, 3), pad=st.integers(0, 2),
       seed=st.integers(0, 2**16))
def test_conv2d_matches_torch_over_shapes(backend, N, C, H, W, F_, HH, WW, stride, pad, seed):
    if HH > H + 2 * pad or WW > W + 2 * pad:
        return
    rng = np.random.default_rng(seed)
    x, w, b = conv_inputs(rng, N, C, H, W, F_, HH, WW)
    out, cache = conv2d_forward(*(backend.asarray(a) for a in (x, w, b)), stride=stride, pad=pad)
    assert tuple(out.shape) == (N, F_, 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride)
    dout = rng.standard_normal(tuple(out.shape))
    grads = conv2d_backward(backend.asarray(dout), cache)
    leaves = torch_leaves(backend, x, w, b)
    expected = F.conv2d(*leaves, stride=stride, padding=pad)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    for ours, leaf in zip(grads, leaves):
        assert_close(backend, ours, leaf.grad)


def test_conv2d_keeps_dtype_and_device(backend, rng):
    x, w, b = (backend.asarray(a.astype(np.float32)) for a in conv_inputs(rng, 2, 3, 6, 6, 4, 3, 3))
    out, cache = conv2d_forward(x, w, b, stride=2, pad=1)
    grads = conv2d_backward(out, cache)
    for array, like in ((out, x), *zip(grads, (x, w, b))):
        assert type(array) is type(like) and array.dtype == like.dtype
        if backend.is_torch:
            assert array.device == like.device


def test_conv2d_rejects_bad_arguments():
    rng = np.random.default_rng(0)
    x, w, b = conv_inputs(rng, 2, 3, 5, 5, 4, 3, 3)
    with pytest.raises(ValueError, match=r"w must have shape \(F, C, HH, WW\) with x's C = \(4, 3, 3, 3\), got \(4, 2, 3, 3\)"):
        conv2d_forward(x, w[:, :2], b)
    with pytest.raises(ValueError, match=r"b must have shape \(F,\) = \(4,\), got \(3,\)"):
        conv2d_forward(x, w, b[:3])
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got shape \(3, 5, 5\)"):
        conv2d_forward(x[0], w, b)
    with pytest.raises(TypeError, match=r"arrays must share one dtype, got x float32, w float64"):
        conv2d_forward(x.astype(np.float32), w, b)
    with pytest.raises(TypeError, match=r"x must hold real floating numbers, got dtype int64"):
        conv2d_forward(x.astype(np.int64), w, b)
    with pytest.raises(ValueError, match=r"the 3x3 filter window does not fit in the 2x2 input; use a smaller filter"):
        conv2d_forward(x[:, :, :2, :2], w, b)
    with pytest.raises(ValueError, match=r"the 4x3 filter window does not fit in the 1x5 input padded by 1 to 3x7"):
        conv2d_forward(x[:, :, :1], np.zeros((4, 3, 4, 3)), b, pad=1)
    with pytest.raises(ValueError, match=r"stride must be an int >= 1, got 0"):
        conv2d_forward(x, w, b, stride=0)
    with pytest.raises(ValueError, match=r"pad must be an int >= 0, got 1.5"):
        conv2d_forward(x, w, b, pad=1.5)
    with pytest.raises(ValueError, match=r"cols must have shape \(N, C\*HH\*WW, out_H\*out_W\) = \(2, 27, 9\), got \(2, 27, 8\)"):
        col2im(np.zeros((2, 27, 8)), x.shape, 3, 3)


# max pooling

def first_maximum_pool_reference(x, dout, pool, stride):
    """Max pooling by plain loops: each window's gradient goes to its first maximum in row-major order."""
    N, C, H, W = x.shape
    out_H, out_W = 1 + (H - pool) // stride, 1 + (W - pool) // stride
    out, dx = np.zeros((N, C, out_H, out_W)), np.zeros_like(x)
    for n, c, r, s in np.ndindex(N, C, out_H, out_W):
        window = x[n, c, r * stride:r * stride + pool, s * stride:s * stride + pool]
        i, j = divmod(int(np.argmax(window)), pool)
        out[n, c, r, s] = window[i, j]
        dx[n, c, r * stride + i, s * stride + j] += dout[n, c, r, s]
    return out, dx


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", POOL_SHAPES.values(), ids=POOL_SHAPES.keys())
def test_maxpool2d_gradients(backend, shape, seed):
    rng = np.random.default_rng(seed)
    N, C, H, W, pool, stride = shape
    x = backend.asarray(rng.standard_normal((N, C, H, W)))
    errors = compare_layer_gradients(lambda x: maxpool2d_forward(x, pool, stride), maxpool2d_backward, [x], rng)
    assert max(errors) < GRAD_TOL


@pytest.mark.parametrize("shape", POOL_SHAPES.values(), ids=POOL_SHAPES.keys())
def test_maxpool2d_matches_nn_maxpool2d(backend, rng, shape):
    N, C, H, W, pool, stride = shape
    x = rng.standard_normal((N, C, H, W))
    out, cache = maxpool2d_forward(backend.asarray(x), pool, stride)
    dout = rng.standard_normal(tuple(out.shape))
    dx = maxpool2d_backward(backend.asarray(dout), cache)
    (x_t,) = torch_leaves(backend, x)
    expected = torch.nn.MaxPool2d(pool, stride)(x_t)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)


@pytest.mark.parametrize("shape", POOL_SHAPES.values(), ids=POOL_SHAPES.keys())
def test_maxpool2d_ties_send_the_gradient_to_the_first_maximum(backend, rng, shape):
    N, C, H, W, pool, stride = shape
    # Values from {0, 1} tie in almost every window, in every arrangement; a constant image ties everywhere.
    for x in (rng.integers(0, 2, (N, C, H, W)).astype(np.float64), np.zeros((N, C, H, W))):
        out, cache = maxpool2d_forward(backend.asarray(x), pool, stride)
        dout = rng.standard_normal(tuple(out.shape))
        dx = maxpool2d_backward(backend.asarray(dout), cache)
        expected_out, expected_dx = first_maximum_pool_reference(x, dout, pool, stride)
        np.testing.assert_array_equal(backend.to_numpy(out), expected_out)
        np.testing.assert_allclose(backend.to_numpy(dx), expected_dx, **TORCH_TOL)
        x_t = torch.tensor(x, requires_grad=True)  # torch's CPU kernel also keeps the first maximum
        F.max_pool2d(x_t, pool, stride).backward(torch.tensor(dout))
        np.testing.assert_allclose(x_t.grad.numpy(), expected_dx, **TORCH_TOL)


@HYPOTHESIS
@given(N=st.integers(1, 3), C=st.integers(1, 3), H=st.integers(1, 8), W=st.integers(1, 8), pool=st.integers(1, 4),
       stride=st.integers(1, 4), seed=st.integers(0, 2**16))
def test_maxpool2d_matches_torch_over_shapes(backend, N, C, H, W, pool, stride, seed):
    if pool > min(H, W):
        return
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((N, C, H, W))
    out, cache = maxpool2d_forward(backend.asarray(x), pool, stride)
    dout = rng.standard_normal(tuple(out.shape))
    dx = maxpool2d_backward(backend.asarray(dout), cache)
    (x_t,) = torch_leaves(backend, x)
    expected = F.max_pool2d(x_t, pool, stride)
    expected.backward(torch.tensor(dout, device=backend.torch_device))
    assert_close(backend, out, expected)
    assert_close(backend, dx, x_t.grad)


def test_maxpool2d_keeps_dtype_and_device(backend, rng):
    x = backend.asarray(rng.standard_normal((2, 3, 4, 4)).astype(np.float32))
    out, cache = maxpool2d_forward(x)
    dx = maxpool2d_backward(out, cache)
    for array in (out, dx):
        assert type(array) is type(x) and array.dtype == x.dtype
        if backend.is_torch:
            assert array.device == x.device


@pytest.mark.parametrize("pool, stride", [(1, 1), (2, 2)])
def test_maxpool2d_output_is_not_a_view_of_the_input(backend, rng, pool, stride):
    x = rng.standard_normal((1, 2, 4, 4))
    x_in = backend.asarray(x.copy())
    out, _ = maxpool2d_forward(x_in, pool, stride)
    out[...] = 0  # a caller may update the output in place; x must not change
    np.testing.assert_array_equal(backend.to_numpy(x_in), x)


def test_maxpool2d_rejects_bad_arguments():
    x = np.zeros((2, 3, 5, 4))
    with pytest.raises(ValueError, match=r"the 5x5 pool window does not fit in the 5x4 input; use a smaller pool"):
        maxpool2d_forward(x, pool=5, stride=1)
    with pytest.raises(ValueError, match=r"pool must be an int >= 1, got 0"):
        maxpool2d_forward(x, pool=0)
    with pytest.raises(ValueError, match=r"stride must be an int >= 1, got 2.0"):
        maxpool2d_forward(x, stride=2.0)
    with pytest.raises(ValueError, match=r"x must have 4 dimensions, got shape \(5, 4\)"):
        maxpool2d_forward(x[0, 0])


# flatten

@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (1, 7), (3, 1, 1, 1)], ids=str)
def test_flatten_round_trip_and_gradient(backend, rng, shape):
    x = rng.standard_normal(shape)
    out, cache = flatten_forward(backend.asarray(x))
    np.testing.assert_array_equal(backend.to_numpy(out), x.reshape(shape[0], -1))
    dout = rng.standard_normal(tuple(out.shape))
    np.testing.assert_array_equal(backend.to_numpy(flatten_backward(backend.asarray(dout), cache)), dout.reshape(shape))
    assert max(compare_layer_gradients(flatten_forward, flatten_backward, [backend.asarray(x)], rng)) < GRAD_TOL
