"""Learner mistakes and correct alternatives for lesson 04, convolutional networks."""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .entries import alternative, mistake


def _out_size(size, window, stride, pad):
    return 1 + (size + 2 * pad - window) // stride


def _pad(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


# -- im2col ---------------------------------------------------------------------------------------
def im2col(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    windows = sliding_window_view(_pad(x, pad), (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    out_H, out_W = windows.shape[2:4]
    return windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * HH * WW, out_H * out_W)


def im2col_with_loops(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    xp = _pad(x, pad)
    cols = np.zeros((N, C * HH * WW, out_H * out_W), dtype=x.dtype)
    for r in range(out_H):
        for s in range(out_W):
            for c in range(C):
                for i in range(HH):
                    for j in range(WW):
                        cols[:, c * HH * WW + i * WW + j, r * out_W + s] = xp[:, c, r * stride + i, s * stride + j]
    return cols


def im2col_from_patches(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    xp = _pad(x, pad)
    columns = []
    for r in range(out_H):
        for s in range(out_W):
            patch = xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW]  # (N, C, HH, WW)
            columns.append(patch.reshape(N, -1))
    return np.stack(columns, axis=2)


def im2col_channels_last(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    xp = _pad(x, pad)
    cols = np.zeros((N, C * HH * WW, out_H * out_W), dtype=x.dtype)
    for r in range(out_H):
        for s in range(out_W):
            patch = xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW]
            cols[:, :, r * out_W + s] = patch.transpose(0, 2, 3, 1).reshape(N, -1)
    return cols


def im2col_column_major(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    xp = _pad(x, pad)
    cols = np.zeros((N, C * HH * WW, out_H * out_W), dtype=x.dtype)
    for r in range(out_H):
        for s in range(out_W):
            patch = xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW]
            cols[:, :, s * out_H + r] = patch.reshape(N, -1)
    return cols


def im2col_without_padding(x, HH, WW, stride=1, pad=0):
    return im2col(x, HH, WW, stride, 0)


def im2col_padding_after(x, HH, WW, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
    return im2col(xp, HH, WW, stride, 0)


def im2col_without_stride(x, HH, WW, stride=1, pad=0):
    return im2col(x, HH, WW, 1, pad)


def im2col_one_window_short(x, HH, WW, stride=1, pad=0):
    N, C, H, W = x.shape
    out_H, out_W = (H + 2 * pad - HH) // stride, (W + 2 * pad - WW) // stride
    xp = _pad(x, pad)
    columns = [xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW].reshape(N, -1)
               for r in range(out_H) for s in range(out_W)]
    return np.stack(columns, axis=2)


# -- col2im ---------------------------------------------------------------------------------------
def col2im(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for r in range(out_H):
        for s in range(out_W):
            xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW] += windows[..., r, s]
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_with_add_at(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    c, i, j, r, s = np.meshgrid(np.arange(C), np.arange(HH), np.arange(WW), np.arange(out_H), np.arange(out_W),
                                indexing="ij")
    rows, columns = (r * stride + i).reshape(-1), (s * stride + j).reshape(-1)  # in cols' (K, L) order
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for n in range(N):
        np.add.at(xp[n], (c.reshape(-1), rows, columns), cols[n].reshape(-1))
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_overwriting(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for r in range(out_H):
        for s in range(out_W):
            xp[:, :, r * stride:r * stride + HH, s * stride:s * stride + WW] = windows[..., r, s]
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_fancy_index(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    c, i, j, r, s = np.meshgrid(np.arange(C), np.arange(HH), np.arange(WW), np.arange(out_H), np.arange(out_W),
                                indexing="ij")
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    xp[:, c.reshape(-1), (r * stride + i).reshape(-1), (s * stride + j).reshape(-1)] += cols.reshape(N, -1)
    return xp[:, :, pad:pad + H, pad:pad + W]


def col2im_uncropped(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    return col2im(cols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride, 0)


def col2im_cropped_at_the_start(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    return col2im_uncropped(cols, x_shape, HH, WW, stride, pad)[:, :, :H, :W]


def col2im_without_stride(cols, x_shape, HH, WW, stride=1, pad=0):
    N, C, H, W = x_shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    for r in range(out_H):
        for s in range(out_W):
            xp[:, :, r:r + HH, s:s + WW] += windows[..., r, s]
    return xp[:, :, pad:pad + H, pad:pad + W]


# -- conv2d_forward -------------------------------------------------------------------------------
def conv2d_forward(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    cols = im2col(x, HH, WW, stride, pad)  # (N, K, L)
    out = w.reshape(F, -1) @ cols + b[:, None]  # (N, F, L)
    return out.reshape(N, F, out_H, out_W), (x, w, b, stride, pad)


def conv2d_forward_with_loops(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    xp = _pad(x, pad)
    out = np.zeros((N, F, out_H, out_W), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for r in range(out_H):
                for s in range(out_W):
                    patch = xp[n, :, r * stride:r * stride + HH, s * stride:s * stride + WW]
                    out[n, f, r, s] = np.sum(patch * w[f]) + b[f]
    return out, (x, w, b, stride, pad)


def conv2d_forward_with_einsum(x, w, b, stride=1, pad=0):
    F, _, HH, WW = w.shape
    windows = sliding_window_view(_pad(x, pad), (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    out = np.einsum("ncrsij,fcij->nfrs", windows, w) + b[None, :, None, None]
    return out, (x, w, b, stride, pad)


def conv2d_forward_flipped(x, w, b, stride=1, pad=0):
    return conv2d_forward(x, w[:, :, ::-1, ::-1], b, stride, pad)


def conv2d_forward_without_padding(x, w, b, stride=1, pad=0):
    out, _ = conv2d_forward(x, w, b, stride, 0)
    return out, (x, w, b, stride, pad)


def conv2d_forward_padding_after(x, w, b, stride=1, pad=0):
    xp = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
    out, _ = conv2d_forward(xp, w, b, stride, 0)
    return out, (x, w, b, stride, pad)


def conv2d_forward_without_bias(x, w, b, stride=1, pad=0):
    out, cache = conv2d_forward(x, w, b, stride, pad)
    return out - b[None, :, None, None], cache


def conv2d_forward_batch_in_columns(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    cols = im2col(x, HH, WW, stride, pad).transpose(1, 0, 2).reshape(C * HH * WW, -1)  # (K, N*L)
    out = w.reshape(F, -1) @ cols + b[:, None]  # (F, N*L)
    return out.reshape(N, F, out_H, out_W), (x, w, b, stride, pad)


def conv2d_forward_without_stride(x, w, b, stride=1, pad=0):
    out, _ = conv2d_forward(x, w, b, 1, pad)
    return out, (x, w, b, stride, pad)


def conv2d_forward_on_channels_last_im2col(x, w, b, stride=1, pad=0):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    out_H, out_W = _out_size(H, HH, stride, pad), _out_size(W, WW, stride, pad)
    out = w.reshape(F, -1) @ im2col_channels_last(x, HH, WW, stride, pad) + b[:, None]
    return out.reshape(N, F, out_H, out_W), (x, w, b, stride, pad)


# -- conv2d_backward ------------------------------------------------------------------------------
def conv2d_backward(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    cols = im2col(x, HH, WW, stride, pad)  # (N, K, L)
    dout_rows = dout.reshape(N, F, -1)  # (N, F, L)
    dw = np.einsum("nfl,nkl->fk", dout_rows, cols).reshape(w.shape)
    dcols = w.reshape(F, -1).T @ dout_rows  # (N, K, L)
    return col2im(dcols, x.shape, HH, WW, stride, pad), dw, dout.sum(axis=(0, 2, 3))


def conv2d_backward_as_full_convolution(dout, cache):
    """dx as the full convolution of dout with the flipped kernel, dw as the correlation of x with dout."""
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, out_H, out_W = dout.shape
    # Spread dout onto the stride-1 grid (zeros between), then pad by the kernel size minus 1: every
    # input pixel of the padded image is then a correlation of this with the flipped kernel.
    spread = np.zeros((N, F, stride * (out_H - 1) + 1, stride * (out_W - 1) + 1), dtype=dout.dtype)
    spread[:, :, ::stride, ::stride] = dout
    full = np.pad(spread, ((0, 0), (0, 0), (HH - 1, HH - 1), (WW - 1, WW - 1)))
    flipped = w[:, :, ::-1, ::-1]
    windows = sliding_window_view(full, (HH, WW), axis=(2, 3))  # (N, F, rows, columns, HH, WW)
    dx_padded_part = np.einsum("nfrsij,fcij->ncrs", windows, flipped)
    dx_padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=dout.dtype)
    rows, columns = min(dx_padded_part.shape[2], H + 2 * pad), min(dx_padded_part.shape[3], W + 2 * pad)
    dx_padded[:, :, :rows, :columns] = dx_padded_part[:, :, :rows, :columns]
    x_windows = sliding_window_view(_pad(x, pad), (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]
    dw = np.einsum("ncrsij,nfrs->fcij", x_windows[:, :, :out_H, :out_W], dout)
    return dx_padded[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def conv2d_backward_with_loops(dout, cache):
    x, w, b, stride, pad = cache
    F, _, HH, WW = w.shape
    N, _, out_H, out_W = dout.shape
    xp = _pad(x, pad)
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros_like(b)
    for n in range(N):
        for f in range(F):
            for r in range(out_H):
                for s in range(out_W):
                    rows, columns = slice(r * stride, r * stride + HH), slice(s * stride, s * stride + WW)
                    dxp[n, :, rows, columns] += w[f] * dout[n, f, r, s]
                    dw[f] += xp[n, :, rows, columns] * dout[n, f, r, s]
                    db[f] += dout[n, f, r, s]
    H, W = x.shape[2:]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def conv2d_backward_mean_bias(dout, cache):
    dx, dw, _ = conv2d_backward(dout, cache)
    return dx, dw, dout.sum(axis=(0, 2, 3)) / dout.shape[0]


def conv2d_backward_bias_over_batch_only(dout, cache):
    dx, dw, _ = conv2d_backward(dout, cache)
    return dx, dw, dout.sum(axis=0)


def conv2d_backward_padded_dx(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    dcols = w.reshape(F, -1).T @ dout.reshape(N, F, -1)
    _, dw, db = conv2d_backward(dout, cache)
    return col2im(dcols, (N, C, H + 2 * pad, W + 2 * pad), HH, WW, stride, 0), dw, db


def conv2d_backward_dw_overwritten(dout, cache):
    x, w, b, stride, pad = cache
    N = x.shape[0]
    F, _, HH, WW = w.shape
    cols = im2col(x, HH, WW, stride, pad)
    dx, _, db = conv2d_backward(dout, cache)
    for n in range(N):
        dw = (dout[n].reshape(F, -1) @ cols[n].T).reshape(w.shape)
    return dx, dw, db


def conv2d_backward_dw_transposed(dout, cache):
    x, w, b, stride, pad = cache
    N = x.shape[0]
    F, _, HH, WW = w.shape
    cols = im2col(x, HH, WW, stride, pad)
    dx, _, db = conv2d_backward(dout, cache)
    dw = sum(cols[n] @ dout[n].reshape(F, -1).T for n in range(N))  # (K, F)
    return dx, dw.reshape(w.shape), db


def conv2d_backward_unflipped(dout, cache):
    x, w, b, stride, pad = cache
    _, dw, db = conv2d_backward(dout, cache)
    dx, _, _ = conv2d_backward(dout, (x, w[:, :, ::-1, ::-1], b, stride, pad))
    return dx, dw, db


def conv2d_backward_without_stride(dout, cache):
    x, w, b, stride, pad = cache
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, out_H, out_W = dout.shape
    xp = _pad(x, pad)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for r in range(out_H):
        for s in range(out_W):
            g = dout[:, :, r, s]  # (N, F)
            dxp[:, :, r:r + HH, s:s + WW] += np.einsum("nf,fcij->ncij", g, w)
            dw += np.einsum("nf,ncij->fcij", g, xp[:, :, r:r + HH, s:s + WW])
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


# -- max pooling ----------------------------------------------------------------------------------
def maxpool2d_forward(x, pool=2, stride=2):
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.max(axis=(4, 5)), (x, pool, stride)


def maxpool2d_forward_with_loops(x, pool=2, stride=2):
    N, C, H, W = x.shape
    out_H, out_W = 1 + (H - pool) // stride, 1 + (W - pool) // stride
    out = np.empty((N, C, out_H, out_W), dtype=x.dtype)
    for r in range(out_H):
        for s in range(out_W):
            out[:, :, r, s] = x[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool].max(axis=(2, 3))
    return out, {"x": x, "pool": pool, "stride": stride}


def maxpool2d_forward_average(x, pool=2, stride=2):
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    return windows.mean(axis=(4, 5)), (x, pool, stride)


def maxpool2d_forward_reshaped(x, pool=2, stride=2):
    N, C, H, W = x.shape
    blocks = x.reshape(N, C, H // pool, pool, W // pool, pool)
    return blocks.max(axis=(3, 5)), (x, pool, stride)


def maxpool2d_forward_one_short(x, pool=2, stride=2):
    N, C, H, W = x.shape
    out_H, out_W = (H - pool) // stride, (W - pool) // stride
    out = np.empty((N, C, out_H, out_W), dtype=x.dtype)
    for r in range(out_H):
        for s in range(out_W):
            out[:, :, r, s] = x[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool].max(axis=(2, 3))
    return out, (x, pool, stride)


def maxpool2d_forward_stride_is_pool(x, pool=2, stride=2):
    return maxpool2d_forward(x, pool, pool)[0], (x, pool, stride)


def maxpool2d_backward(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    dx = np.zeros_like(x)
    for r in range(out_H):
        for s in range(out_W):
            window = x[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool].reshape(N, C, -1)
            first = window.argmax(axis=2)  # np.argmax keeps the first of equal maxima
            i, j = np.divmod(first, pool)
            n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
            dx[n, c, r * stride + i, s * stride + j] += dout[:, :, r, s]
    return dx


def maxpool2d_backward_with_add_at(dout, cache):
    x = cache["x"]
    pool, stride = cache["pool"], cache["stride"]
    N, C, out_H, out_W = dout.shape
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    first = windows.reshape(N, C, out_H, out_W, -1).argmax(axis=-1)  # (N, C, out_H, out_W)
    rows = np.arange(out_H)[:, None] * stride + first // pool
    columns = np.arange(out_W)[None, :] * stride + first % pool
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    dx = np.zeros_like(x)
    np.add.at(dx, (n[:, :, None, None], c[:, :, None, None], rows, columns), dout)
    return dx


def maxpool2d_backward_every_tie(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    dx = np.zeros_like(x)
    for r in range(out_H):
        for s in range(out_W):
            window = x[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool] += mask * dout[:, :, r, s, None, None]
    return dx


def maxpool2d_backward_last_tie(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for r in range(out_H):
                for s in range(out_W):
                    best, where = -np.inf, None
                    for i in range(pool):
                        for j in range(pool):
                            value = x[n, c, r * stride + i, s * stride + j]
                            if value >= best:
                                best, where = value, (r * stride + i, s * stride + j)
                    dx[n, c, where[0], where[1]] += dout[n, c, r, s]
    return dx


def maxpool2d_backward_even(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    dx = np.zeros_like(x)
    for r in range(out_H):
        for s in range(out_W):
            dx[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool] += dout[:, :, r, s, None, None] / pool**2
    return dx


def maxpool2d_backward_fancy_index(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    windows = sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
    first = windows.reshape(N, C, out_H, out_W, -1).argmax(axis=-1)
    rows = np.arange(out_H)[:, None] * stride + first // pool
    columns = np.arange(out_W)[None, :] * stride + first % pool
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    dx = np.zeros_like(x)
    dx[n[:, :, None, None], c[:, :, None, None], rows, columns] += dout  # repeated positions keep one value
    return dx


def maxpool2d_backward_shared_mask(dout, cache):
    x, pool, stride = cache
    N, C, out_H, out_W = dout.shape
    out, _ = maxpool2d_forward(x, pool, stride)
    is_max = np.zeros(x.shape, dtype=bool)
    for r in range(out_H):
        for s in range(out_W):
            window = x[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool].reshape(N, C, -1)
            first = np.arange(pool * pool) == window.argmax(axis=2)[..., None]
            is_max[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool] |= first.reshape(N, C, pool, pool)
    dx = np.zeros_like(x)
    for r in range(out_H):
        for s in range(out_W):
            region = is_max[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool]
            dx[:, :, r * stride:r * stride + pool, s * stride:s * stride + pool] += region * dout[:, :, r, s, None, None]
    return dx


# -- flatten --------------------------------------------------------------------------------------
def flatten_forward(x):
    return x.reshape(x.shape[0], -1), x.shape


def flatten_forward_with_prod(x):
    return np.reshape(x, (len(x), int(np.prod(x.shape[1:])))), {"shape": x.shape}


def flatten_forward_fortran(x):
    return x.reshape(x.shape[0], -1, order="F"), x.shape


def flatten_forward_everything(x):
    return x.flatten(), x.shape


def flatten_forward_channels_last(x):
    return np.moveaxis(x, 1, -1).reshape(x.shape[0], -1), x.shape


def flatten_forward_four_axes(x):
    N, C, H, W = x.shape
    return x.reshape(N, C * H * W), (N, C, H, W)


def flatten_backward(dout, cache):
    return dout.reshape(cache)


def flatten_backward_from_dict(dout, cache):
    return np.reshape(dout, cache["shape"])


def flatten_backward_flat(dout, cache):
    return dout


def flatten_backward_fortran(dout, cache):
    return dout.reshape(cache, order="F")


def flatten_forward_caching_sizes(x):
    return x.reshape(x.shape[0], -1), x.shape[1:]


def flatten_backward_four_axes(dout, cache):
    C, *rest = cache
    return dout.reshape(dout.shape[0], C, rest[0], rest[1])


def flatten_backward_channels_last(dout, cache):
    N, C = cache[0], cache[1]
    return np.moveaxis(dout.reshape((N,) + tuple(cache[2:]) + (C,)), -1, 1)


MISTAKES = {
    "cnn.im2col": [
        mistake("rows channels-last", im2col_channels_last, named="channels-last order", parts={"cols"}),
        mistake("columns column-major", im2col_column_major, named="columns in column-major order"),
        mistake("no padding", im2col_without_padding, named="padding forgotten"),
        mistake("2*pad after the image", im2col_padding_after, named="padding applied on one side only"),
        mistake("stride ignored", im2col_without_stride, named="stride ignored"),
        mistake("one window short", im2col_one_window_short, named="output size off by one"),
    ],
    "cnn.col2im": [
        mistake("overlaps overwritten", col2im_overwriting, named="overwritten instead of added", parts={"x"}),
        mistake("a fancy-index +=", col2im_fancy_index, named="overwritten instead of added"),
        mistake("padding left on", col2im_uncropped, named="padding not cropped off"),
        mistake("cropped at the start", col2im_cropped_at_the_start, named="cropped from one side only"),
        mistake("stride ignored", col2im_without_stride, named="stride ignored"),
    ],
    "cnn.conv2d_forward": [
        mistake("kernel flipped", conv2d_forward_flipped, named="kernel flipped (true convolution)"),
        mistake("no padding", conv2d_forward_without_padding, named="padding forgotten"),
        mistake("2*pad after", conv2d_forward_padding_after, named="padding applied on one side only"),
        mistake("no bias", conv2d_forward_without_bias, named="bias left out"),
        mistake("(F, N*L) reshaped to (N, F, ...)", conv2d_forward_batch_in_columns, named="without moving the axes"),
        mistake("stride ignored", conv2d_forward_without_stride, named="stride ignored"),
        mistake("its im2col channels-last", conv2d_forward_on_channels_last_im2col,
                named="Your im2col fails its own check", namespace={"im2col": im2col_channels_last}),
    ],
    "cnn.conv2d_backward": [
        mistake("db averaged", conv2d_forward, conv2d_backward_mean_bias, named="db averaged over the batch",
                parts={"db"}),
        mistake("db over the batch only", conv2d_forward, conv2d_backward_bias_over_batch_only,
                named="db summed over the batch only", parts={"db"}),
        mistake("dx with the padding", conv2d_forward, conv2d_backward_padded_dx, named="padding still on",
                parts={"dx"}),
        mistake("dw overwritten per image", conv2d_forward, conv2d_backward_dw_overwritten,
                named="dw from the last image only", parts={"dw"}),
        mistake("dw from cols @ dout.T", conv2d_forward, conv2d_backward_dw_transposed,
                named="transposed product (K, F)", parts={"dw"}),
        mistake("dx with the kernel unflipped", conv2d_forward, conv2d_backward_unflipped,
                named="kernel unflipped", parts={"dx"}),
        mistake("stride ignored", conv2d_forward, conv2d_backward_without_stride,
                named="stride ignored in the backward", parts={"dx", "dw"}),
        mistake("a flipped forward", conv2d_forward_flipped, conv2d_backward, parts={"dx"},
                named="Your conv2d_forward fails its own check", namespace={"conv2d_forward": conv2d_forward_flipped}),
    ],
    "cnn.maxpool2d_forward": [
        mistake("average pooling", maxpool2d_forward_average, named="average pooling instead of max pooling"),
        mistake("reshaped into blocks", maxpool2d_forward_reshaped, named="cannot reshape"),
        mistake("one window short", maxpool2d_forward_one_short, named="output size off by one"),
        mistake("stride = pool", maxpool2d_forward_stride_is_pool, named="stride taken to be the pool size"),
    ],
    "cnn.maxpool2d_backward": [
        mistake("every tied maximum", maxpool2d_forward, maxpool2d_backward_every_tie, named="every tied maximum"),
        mistake("the last tied maximum", maxpool2d_forward, maxpool2d_backward_last_tie, named="last of tied maxima"),
        mistake("spread evenly", maxpool2d_forward, maxpool2d_backward_even, named="spread evenly"),
        mistake("a fancy-index +=", maxpool2d_forward, maxpool2d_backward_fancy_index,
                named="overwritten instead of added"),
        mistake("one switch mask", maxpool2d_forward, maxpool2d_backward_shared_mask, named="one switch mask"),
    ],
    "cnn.flatten_forward": [
        mistake("Fortran order", flatten_forward_fortran, named="Fortran (column-major) order"),
        mistake("x.flatten()", flatten_forward_everything, named="batch axis flattened too"),
        mistake("channels-last", flatten_forward_channels_last, named="channels-last"),
        mistake("four axes assumed", flatten_forward_four_axes, named="not enough values to unpack"),
    ],
    "cnn.flatten_backward": [
        mistake("the flat gradient", flatten_forward, flatten_backward_flat, named="flat gradient returned"),
        mistake("Fortran order", flatten_forward, flatten_backward_fortran, named="Fortran (column-major) order"),
        mistake("four axes assumed", flatten_forward_caching_sizes, flatten_backward_four_axes, named="IndexError"),
        mistake("channels-last", flatten_forward, flatten_backward_channels_last, named="reshaped back channels-last"),
    ],
}

CORRECT_ALTERNATIVES = {
    "cnn.im2col": [
        alternative("sliding_window_view", im2col),
        alternative("loops over every entry", im2col_with_loops),
        alternative("one patch per column, stacked", im2col_from_patches),
    ],
    "cnn.col2im": [
        alternative("a loop over windows", col2im),
        alternative("np.add.at", col2im_with_add_at),
    ],
    "cnn.conv2d_forward": [
        alternative("im2col and one matrix product", conv2d_forward),
        alternative("plain loops", conv2d_forward_with_loops),
        alternative("einsum over sliding_window_view", conv2d_forward_with_einsum),
    ],
    "cnn.conv2d_backward": [
        alternative("im2col, einsum and col2im", conv2d_forward, conv2d_backward),
        alternative("dx as a full convolution with the flipped kernel", conv2d_forward_with_einsum,
                    conv2d_backward_as_full_convolution),
        alternative("plain loops", conv2d_forward_with_loops, conv2d_backward_with_loops),
    ],
    "cnn.maxpool2d_forward": [
        alternative("sliding_window_view", maxpool2d_forward),
        alternative("a loop over windows", maxpool2d_forward_with_loops),
    ],
    "cnn.maxpool2d_backward": [
        alternative("np.argmax in a loop over windows", maxpool2d_forward, maxpool2d_backward),
        alternative("np.add.at", maxpool2d_forward_with_loops, maxpool2d_backward_with_add_at),
    ],
    "cnn.flatten_forward": [
        alternative("reshape(N, -1)", flatten_forward),
        alternative("np.prod of the other sizes", flatten_forward_with_prod),
    ],
    "cnn.flatten_backward": [
        alternative("reshape to the cached shape", flatten_forward, flatten_backward),
        alternative("the shape kept in a dict", flatten_forward_with_prod, flatten_backward_from_dict),
    ],
}
