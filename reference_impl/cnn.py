"""Lesson 04, convolutional networks: 2-D convolution through im2col, max pooling and flattening.

Dimensions used below:
    N   batch size                      C   input channels          H, W   input height and width
    F   number of filters (output channels)                         HH, WW filter (window) height and width
    out_H, out_W  output height and width: 1 + (H + 2*pad - HH) // stride, likewise for W
    L   number of window positions, out_H * out_W
    K   numbers in one window across all channels, C * HH * WW

Images are NCHW and conv weights (F, C, HH, WW), as in torch. A window whose stride does not tile the
(padded) input exactly leaves the last rows or columns out, as torch does: they get gradient 0.

im2col turns every window into one column, so a convolution becomes one matrix product:
    out[n, f, l] = sum_k w[f, k] * cols[n, k, l] + b[f].
"""
import numbers

from .arguments import require_array, require_same_dtype, require_shape
from .backend import device, namespace, pad_spatial, sliding_windows

__all__ = [
    "im2col", "col2im", "conv2d_forward", "conv2d_backward", "maxpool2d_forward", "maxpool2d_backward",
    "flatten_forward", "flatten_backward",
]


def im2col(x, HH, WW, stride=1, pad=0):
    """Every HH x WW window of the zero-padded images as one column, in torch's F.unfold layout.

    x (N, C, H, W) -> cols (N, C*HH*WW, out_H*out_W). Row c*HH*WW + i*WW + j of a column holds
    channel c at offset (i, j) inside the window; column r*out_W + s is the window whose top-left
    corner is at (r*stride, s*stride) of the padded image.
    """
    func = "im2col"
    require_array(func, "x", x, ndim=4)
    N, C, H, W = x.shape
    out_H, out_W = _output_size(func, (H, W), HH, WW, stride, pad)
    xp = namespace(x)
    windows = sliding_windows(pad_spatial(x, pad), HH, WW, stride)  # (N, C, out_H, out_W, HH, WW), a view
    windows = xp.permute_dims(windows, (0, 1, 4, 5, 2, 3))  # (N, C, HH, WW, out_H, out_W)
    return xp.reshape(windows, (N, C * HH * WW, out_H * out_W))  # the one copy of the input


def col2im(cols, x_shape, HH, WW, stride=1, pad=0):
    """The adjoint of im2col: put every column back at its window, adding up where windows overlap.

    cols (N, C*HH*WW, out_H*out_W); x_shape (N, C, H, W), the shape of im2col's input.
    Returns x (N, C, H, W): entry x[n, c, y, z] is the sum of every cols entry that im2col read from
    (n, c, y, z); what fell on the padding is dropped. This is torch's F.fold, and the backward of im2col.
    """
    func = "col2im"
    require_array(func, "cols", cols, ndim=3)
    if len(x_shape) != 4:
        raise ValueError(f"{func}: x_shape must be (N, C, H, W), got {tuple(x_shape)}")
    N, C, H, W = (int(size) for size in x_shape)
    out_H, out_W = _output_size(func, (H, W), HH, WW, stride, pad)
    require_shape(func, "cols", cols, (N, C * HH * WW, out_H * out_W), "(N, C*HH*WW, out_H*out_W)")
    xp = namespace(cols)
    windows = xp.reshape(cols, (N, C, HH, WW, out_H, out_W))  # (N, C, HH, WW, out_H, out_W)
    padded = xp.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype, device=device(cols))
    # Offset (i, j) of every window lands on the strided grid of pixels starting at (i, j): one
    # vectorized add per offset, HH*WW in all, and overlapping windows accumulate.
    for i in range(HH):
        for j in range(WW):
            padded[:, :, i:i + stride * out_H:stride, j:j + stride * out_W:stride] += windows[:, :, i, j]
    return padded[:, :, pad:pad + H, pad:pad + W]  # (N, C, H, W)


def conv2d_forward(x, w, b, stride=1, pad=0):
    """2-D convolution (cross-correlation, as torch's conv2d) of a batch of images with F filters.

    x (N, C, H, W); w (F, C, HH, WW); b (F,); stride >= 1 and pad >= 0 (zeros on every side) are ints.
    out[n, f, r, s] = b[f] + sum_{c,i,j} w[f, c, i, j] * x_padded[n, c, r*stride + i, s*stride + j].
    Returns out (N, F, out_H, out_W) and cache.
    """
    func = "conv2d_forward"
    require_array(func, "x", x, ndim=4)
    require_array(func, "w", w, ndim=4)
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    require_shape(func, "w", w, (F, C, HH, WW), "(F, C, HH, WW) with x's C")
    require_shape(func, "b", require_array(func, "b", b), (F,), "(F,)")
    require_same_dtype(func, x=x, w=w, b=b)
    out_H, out_W = _output_size(func, (H, W), HH, WW, stride, pad)
    xp = namespace(x, w, b)

    cols = im2col(x, HH, WW, stride, pad)  # (N, K, L)
    w_rows = xp.reshape(w, (F, C * HH * WW))  # (F, K)
    out = w_rows @ cols  # (F, K) @ (N, K, L) -> (N, F, L)
    out += b[:, None]  # out is fresh: add the bias in place
    out = xp.reshape(out, (N, F, out_H, out_W))  # (N, F, out_H, out_W)
    return out, (cols, w, (N, C, H, W), stride, pad)


def conv2d_backward(dout, cache):
    """Gradients of conv2d_forward.

    dout (N, F, out_H, out_W); cache from the forward.
    Returns dx (N, C, H, W), dw (F, C, HH, WW), db (F,).
    """
    xp = namespace(dout)
    cols, w, x_shape, stride, pad = cache
    N, F, out_H, out_W = dout.shape
    _, C, HH, WW = w.shape
    dout_rows = xp.reshape(dout, (N, F, out_H * out_W))  # (N, F, L)
    db = xp.sum(dout_rows, axis=(0, 2))  # (F,)
    # One product per image, summed: for these shapes it is faster than a single product over
    # (F, N*L) x (N*L, K), which would first need a transposed copy of cols.
    dw = xp.sum(dout_rows @ xp.matrix_transpose(cols), axis=0)  # (N, F, L) @ (N, L, K) -> (N, F, K) -> (F, K)
    w_rows = xp.reshape(w, (F, C * HH * WW))  # (F, K)
    dcols = xp.matrix_transpose(w_rows) @ dout_rows  # (K, F) @ (N, F, L) -> (N, K, L)
    dx = col2im(dcols, x_shape, HH, WW, stride, pad)  # (N, C, H, W)
    return dx, xp.reshape(dw, (F, C, HH, WW)), db


def maxpool2d_forward(x, pool=2, stride=2):
    """Max pooling over pool x pool windows taken `stride` apart, without padding.

    x (N, C, H, W) -> out (N, C, out_H, out_W), out_H = 1 + (H - pool) // stride, and cache.
    Windows may overlap (stride < pool). Ties: the window's FIRST maximum in row-major order (smallest
    row offset, then smallest column offset) is the one that receives the gradient in
    maxpool2d_backward, as in torch's max_pool2d on CPU.
    """
    func = "maxpool2d_forward"
    require_array(func, "x", x, ndim=4)
    N, C, H, W = x.shape
    _output_size(func, (H, W), pool, pool, stride, 0, window="pool")
    xp = namespace(x)
    windows = sliding_windows(x, pool, pool, stride)  # (N, C, out_H, out_W, pool, pool), a view
    # Visit the pool*pool offsets in row-major order; a later offset wins only when strictly
    # greater, so ties keep the first maximum. winner holds the offset's index k = i*pool + j.
    out = windows[..., 0, 0]  # (N, C, out_H, out_W)
    winner = xp.zeros(out.shape, dtype=xp.int32, device=device(x))
    for k in range(1, pool * pool):
        value = windows[..., k // pool, k % pool]  # (N, C, out_H, out_W)
        # k exceeds every index seen so far, so max(winner, k * improved) takes k exactly where
        # value improves on the best (and is several times faster than where() on NumPy).
        winner = xp.maximum(winner, xp.astype(value > out, xp.int32) * k)
        out = xp.maximum(out, value)
    if pool == 1:  # no maximum() ran, so out is still a view of x: hand out a copy
        out = xp.asarray(out, copy=True)
    return out, (winner, (N, C, H, W), pool, stride)


def maxpool2d_backward(dout, cache):
    """Gradient of maxpool2d_forward: each window's upstream gradient goes to its (first) maximum.

    dout (N, C, out_H, out_W); cache from the forward. Returns dx (N, C, H, W); where windows
    overlap, a pixel that is the maximum of several windows collects all their gradients.
    """
    xp = namespace(dout)
    winner, x_shape, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    dx = xp.zeros(x_shape, dtype=dout.dtype, device=device(dout))
    for k in range(pool * pool):
        i, j = divmod(k, pool)
        # Offset (i, j) of every window sits on a strided grid of pixels starting at (i, j).
        dx[:, :, i:i + stride * out_H:stride, j:j + stride * out_W:stride] += xp.where(winner == k, dout, 0.0)
    return dx


def flatten_forward(x):
    """Flatten every axis after the first: x (N, d1, d2, ...) -> out (N, d1*d2*...), cache (x's shape)."""
    require_array("flatten_forward", "x", x, kind=None)
    if x.ndim < 1:
        raise ValueError("flatten_forward: x must have a batch axis first, got a 0-dimensional array")
    xp = namespace(x)
    N = x.shape[0]
    rest = 1
    for size in x.shape[1:]:
        rest *= size
    return xp.reshape(x, (N, rest)), tuple(x.shape)  # (N, d1*d2*...)


def flatten_backward(dout, cache):
    """Gradient of flatten_forward: dout (N, d1*d2*...) reshaped back to x's shape (N, d1, d2, ...)."""
    return namespace(dout).reshape(dout, cache)


def _output_size(func, spatial, HH, WW, stride, pad, window="filter"):
    """(out_H, out_W) for an HH x WW window over spatial = (H, W), or a ValueError naming what is wrong."""
    limits = [("pool", HH, 1)] if window == "pool" else [("HH", HH, 1), ("WW", WW, 1), ("pad", pad, 0)]
    for name, value, least in limits + [("stride", stride, 1)]:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < least:
            raise ValueError(f"{func}: {name} must be an int >= {least}, got {value!r}")
    H, W = spatial
    padded_H, padded_W = H + 2 * pad, W + 2 * pad
    if HH > padded_H or WW > padded_W:
        where = f"the {H}x{W} input" + (f" padded by {pad} to {padded_H}x{padded_W}" if pad else "")
        fix = "a smaller filter or more padding" if window == "filter" else "a smaller pool"
        raise ValueError(f"{func}: the {HH}x{WW} {window} window does not fit in {where}; use {fix}")
    return 1 + (padded_H - HH) // stride, 1 + (padded_W - WW) // stride
