"""Lesson 06, the transformer: softmax, scaled dot-product attention, multi-head self-attention,
layer normalisation, sinusoidal positional encoding and a pre-norm transformer block.

Dimensions used below:
    N   batch size                     T   sequence length (Tq queries, Tk keys and values)
    D   model width                    h   number of heads; each head has width d = D // h
    d   query/key width                dv  value width
    Dff hidden width of the block's feed-forward part

Masks are boolean and True means "may attend", as in torch's scaled_dot_product_attention. A query
that may attend to nothing gets output 0 and passes no gradient back.
"""
import math

from .arguments import require_array, require_same_dtype, require_shape
from .backend import device, namespace, namespace_or_numpy
from .mlp import affine_backward, affine_forward, relu_backward, relu_forward

__all__ = [
    "softmax_forward", "softmax_backward", "attention_forward", "attention_backward",
    "multihead_attention_forward", "multihead_attention_backward", "layernorm_forward",
    "layernorm_backward", "positional_encoding", "causal_mask", "transformer_block_forward",
    "transformer_block_backward",
]

BLOCK_PARAMS = ("ln1_gamma", "ln1_beta", "Wqkv", "bqkv", "Wo", "bo",
                "ln2_gamma", "ln2_beta", "W1", "b1", "W2", "b2")


def softmax_forward(x):
    """Softmax over the last axis.

    x (..., K) -> out (..., K), each row summing to 1. Entries equal to -inf get probability 0,
    which is how attention masks keys out; a row that is -inf everywhere gives all zeros, not NaN.
    cache: out itself (the backward needs nothing else).
    """
    xp = namespace(x)
    row_max = xp.max(x, axis=-1, keepdims=True)  # (..., 1)
    # A row of -inf has max -inf and -inf - (-inf) is NaN: shift such rows by 0 instead.
    row_max = xp.where(row_max == -math.inf, 0.0, row_max)
    exp = xp.exp(x - row_max)  # (..., K), largest entry exp(0) = 1 so nothing overflows
    total = xp.sum(exp, axis=-1, keepdims=True)  # (..., 1), 0 only for an all -inf row
    out = exp / xp.where(total == 0, 1.0, total)
    return out, out


def softmax_backward(dout, cache):
    """Gradient of softmax over the last axis.

    dout (..., K) upstream gradient; cache: the forward's output p (..., K).
    Returns dx (..., K) = p * (dout - sum(dout * p, last axis)), the Jacobian-vector product
    without building the (K, K) Jacobian.
    """
    xp = namespace(dout)
    probs = cache
    return probs * (dout - xp.sum(dout * probs, axis=-1, keepdims=True))


def attention_forward(q, k, v, mask=None):
    """Scaled dot-product attention: softmax(q k^T / sqrt(d), masked) v.

    q (N, Tq, d), k (N, Tk, d), v (N, Tk, dv); more leading batch axes are allowed (e.g.
    (N, h, T, d) for heads), as long as q, k and v share them.
    mask: None or boolean, broadcastable to (N, Tq, Tk); True = query may attend to key.
    Returns out (N, Tq, dv) and cache. A query row whose mask is all False outputs 0.
    """
    func = "attention_forward"
    for name, array in (("q", q), ("k", k), ("v", v)):
        require_array(func, name, array)
        if array.ndim < 3:
            raise ValueError(f"{func}: {name} must have 3 dimensions (N, T, features), got shape {tuple(array.shape)}")
    require_same_dtype(func, q=q, k=k, v=v)
    *batch, Tq, d = q.shape
    Tk = k.shape[-2]
    dv = v.shape[-1]
    require_shape(func, "k", k, (*batch, Tk, d), "(N, Tk, d) with q's N and d")
    require_shape(func, "v", v, (*batch, Tk, dv), "(N, Tk, dv) with k's N and Tk")
    xp = namespace(q, k, v)
    scale = 1.0 / math.sqrt(d)

    scores = (q @ xp.matrix_transpose(k)) * scale  # (N, Tq, d) @ (N, d, Tk) -> (N, Tq, Tk)
    if mask is not None:
        _require_mask(func, mask, (*batch, Tq, Tk))
        scores = xp.where(mask, scores, -math.inf)
    probs, _ = softmax_forward(scores)  # (N, Tq, Tk)
    out = probs @ v  # (N, Tq, Tk) @ (N, Tk, dv) -> (N, Tq, dv)
    return out, (q, k, v, probs, scale)


def attention_backward(dout, cache):
    """Gradients of attention_forward.

    dout (N, Tq, dv); cache from attention_forward. Returns dq (N, Tq, d), dk (N, Tk, d), dv (N, Tk, dv).
    Masked-out keys got probability 0, so the softmax backward gives their scores no gradient.
    """
    xp = namespace(dout)
    q, k, v, probs, scale = cache
    dprobs = dout @ xp.matrix_transpose(v)  # (N, Tq, dv) @ (N, dv, Tk) -> (N, Tq, Tk)
    dv = xp.matrix_transpose(probs) @ dout  # (N, Tk, Tq) @ (N, Tq, dv) -> (N, Tk, dv)
    dscores = softmax_backward(dprobs, probs) * scale  # (N, Tq, Tk)
    dq = dscores @ k  # (N, Tq, Tk) @ (N, Tk, d) -> (N, Tq, d)
    dk = xp.matrix_transpose(dscores) @ q  # (N, Tk, Tq) @ (N, Tq, d) -> (N, Tk, d)
    return dq, dk, dv


def multihead_attention_forward(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    """Multi-head self-attention with one packed input projection.

    x (N, T, D); Wqkv (D, 3D) and bqkv (3D,) project x to q, k, v (in that order along the last
    axis); head j uses columns j*d ... (j+1)*d of each, d = D // num_heads, with scale 1/sqrt(d);
    Wo (D, D), bo (D,) mix the concatenated heads. mask: None, (T, T) or (N, T, T) boolean, shared
    by all heads, True = may attend.
    Returns out (N, T, D) and cache. The heads run as one extra batch axis, not in a loop.
    """
    func = "multihead_attention_forward"
    require_array(func, "x", x, ndim=3)
    N, T, D = x.shape
    if not isinstance(num_heads, int) or num_heads < 1 or D % num_heads:
        raise ValueError(f"{func}: num_heads must be a positive int dividing D = {D}, got {num_heads!r}")
    h, d = num_heads, D // num_heads
    for name, array, shape, names in (("Wqkv", Wqkv, (D, 3 * D), "(D, 3D)"), ("bqkv", bqkv, (3 * D,), "(3D,)"),
                                      ("Wo", Wo, (D, D), "(D, D)"), ("bo", bo, (D,), "(D,)")):
        require_array(func, name, array)
        require_shape(func, name, array, shape, names)
    require_same_dtype(func, x=x, Wqkv=Wqkv, bqkv=bqkv, Wo=Wo, bo=bo)
    xp = namespace(x)
    if mask is not None:
        require_array(func, "mask", mask, ndim=(2, 3), kind="bool")
        require_shape(func, "mask", mask, (T, T) if mask.ndim == 2 else (N, T, T),
                      "(T, T)" if mask.ndim == 2 else "(N, T, T)")
        if mask.ndim == 3:
            mask = mask[:, None]  # (N, 1, T, T): the same mask for every head

    qkv, in_cache = affine_forward(xp.reshape(x, (N * T, D)), Wqkv, bqkv)  # (N*T, 3D)
    qkv = xp.reshape(qkv, (N, T, 3, h, d))  # (N, T, 3, h, d)
    qkv = xp.permute_dims(qkv, (2, 0, 3, 1, 4))  # (3, N, h, T, d)
    heads, attention_cache = attention_forward(qkv[0], qkv[1], qkv[2], mask)  # (N, h, T, d)
    heads = xp.reshape(xp.permute_dims(heads, (0, 2, 1, 3)), (N * T, D))  # (N, T, h, d) -> (N*T, D)
    out, out_cache = affine_forward(heads, Wo, bo)  # (N*T, D)
    return xp.reshape(out, (N, T, D)), (in_cache, attention_cache, out_cache, (N, T, D, h, d))


def multihead_attention_backward(dout, cache):
    """Gradients of multihead_attention_forward.

    dout (N, T, D); cache from the forward.
    Returns dx (N, T, D), dWqkv (D, 3D), dbqkv (3D,), dWo (D, D), dbo (D,).
    """
    xp = namespace(dout)
    in_cache, attention_cache, out_cache, (N, T, D, h, d) = cache
    dheads, dWo, dbo = affine_backward(xp.reshape(dout, (N * T, D)), out_cache)  # (N*T, D)
    dheads = xp.permute_dims(xp.reshape(dheads, (N, T, h, d)), (0, 2, 1, 3))  # (N, h, T, d)
    dq, dk, dv = attention_backward(dheads, attention_cache)  # each (N, h, T, d)
    dqkv = xp.stack((dq, dk, dv), axis=0)  # (3, N, h, T, d)
    dqkv = xp.reshape(xp.permute_dims(dqkv, (1, 3, 0, 2, 4)), (N * T, 3 * D))  # (N, T, 3, h, d) -> (N*T, 3D)
    dx, dWqkv, dbqkv = affine_backward(dqkv, in_cache)  # (N*T, D)
    return xp.reshape(dx, (N, T, D)), dWqkv, dbqkv, dWo, dbo


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalisation over the last axis, as torch.nn.LayerNorm (biased variance).

    x (..., D); gamma, beta (D,). out = (x - mean) / sqrt(var + eps) * gamma + beta, with mean and
    var taken over the last axis of each row. Returns out (..., D) and cache.
    """
    func = "layernorm_forward"
    require_array(func, "x", x)
    D = x.shape[-1]
    require_shape(func, "gamma", require_array(func, "gamma", gamma), (D,), "(D,)")
    require_shape(func, "beta", require_array(func, "beta", beta), (D,), "(D,)")
    require_same_dtype(func, x=x, gamma=gamma, beta=beta)
    xp = namespace(x)
    # x_hat and out are fresh arrays, so updating them in place mutates no input and spares a
    # large temporary per step (the layer is memory-bound).
    x_hat = x - xp.mean(x, axis=-1, keepdims=True)  # (..., D) centred rows
    inv_std = 1.0 / xp.sqrt(xp.mean(x_hat * x_hat, axis=-1, keepdims=True) + eps)  # (..., 1)
    x_hat *= inv_std  # zero mean and unit variance per row
    out = x_hat * gamma
    out += beta
    return out, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    """Gradients of layernorm_forward.

    dout (..., D); cache from the forward. Returns dx (..., D), dgamma (D,), dbeta (D,).
    """
    xp = namespace(dout)
    x_hat, inv_std, gamma = cache
    D = dout.shape[-1]
    batch_axes = tuple(range(dout.ndim - 1))
    dout_x_hat = dout * x_hat  # (..., D)
    dgamma = xp.sum(dout_x_hat, axis=batch_axes)  # (D,)
    dbeta = xp.sum(dout, axis=batch_axes)  # (D,)
    # x_hat depends on its whole row through the mean and the variance, so the gradient
    # dx_hat = dout * gamma loses its row mean and its component along x_hat:
    #     dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)).
    # Both row means contract with gamma, so they are matrix-vector products.
    mean_dx_hat = (dout @ gamma)[..., None] / D  # (..., D) @ (D,) -> (...,) -> (..., 1)
    mean_dx_hat_x_hat = (dout_x_hat @ gamma)[..., None] / D  # (..., 1)
    dx = dout * gamma  # (..., D), a fresh array: the updates below mutate no input
    dx -= mean_dx_hat
    dx -= x_hat * mean_dx_hat_x_hat
    dx *= inv_std
    return dx, dgamma, dbeta


def positional_encoding(T, D, like=None):
    """Sinusoidal positional encoding of "Attention Is All You Need".

    pe[p, 2i] = sin(p / 10000**(2i/D)), pe[p, 2i+1] = cos(p / 10000**(2i/D)) for positions
    p = 0 ... T-1; an odd D ends with a sine column. Returns pe (T, D): float64 NumPy, or with
    `like`'s library, device and dtype when an array is given.
    """
    for name, value in (("T", T), ("D", D)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"positional_encoding: {name} must be a positive int, got {value!r}")
    xp = namespace_or_numpy(like)
    dtype = xp.float64 if like is None else like.dtype
    where = None if like is None else device(like)
    position = xp.arange(T, dtype=dtype, device=where)  # (T,)
    two_i = xp.arange(0, D, 2, dtype=dtype, device=where)  # (ceil(D/2),) the even column indices
    angle = position[:, None] / 10000.0 ** (two_i / D)  # (T, ceil(D/2))
    pe = xp.stack((xp.sin(angle), xp.cos(angle)), axis=-1)  # (T, ceil(D/2), 2): sine, cosine pairs
    return xp.reshape(pe, (T, 2 * two_i.shape[0]))[:, :D]  # (T, D), the last cosine dropped for odd D


def causal_mask(T, like=None):
    """The mask that lets position t attend to positions 0 ... t only.

    Returns (T, T) boolean, True on and below the diagonal: NumPy, or on `like`'s library and device.
    """
    xp = namespace_or_numpy(like)
    position = xp.arange(T, device=None if like is None else device(like))  # (T,)
    return position[:, None] >= position[None, :]  # (T, T): query row t, key column s <= t


def transformer_block_forward(x, params, num_heads, mask=None):
    """A pre-norm transformer block: attention then a ReLU feed-forward part, each with a residual.

    y = x + MHA(LN1(x)); out = y + relu(LN2(y) @ W1 + b1) @ W2 + b2.
    x (N, T, D); params: ln1_gamma, ln1_beta, ln2_gamma, ln2_beta, bo, b2 (D,), Wqkv (D, 3D),
    bqkv (3D,), Wo (D, D), W1 (D, Dff), b1 (Dff,), W2 (Dff, D). mask as multihead_attention_forward.
    Returns out (N, T, D) and cache.
    """
    func = "transformer_block_forward"
    require_array(func, "x", x, ndim=3)
    missing = [key for key in BLOCK_PARAMS if key not in params]
    if missing:
        raise KeyError(f"{func}: params lacks {', '.join(missing)}; it needs {', '.join(BLOCK_PARAMS)}")
    N, T, D = x.shape
    Dff = params["W1"].shape[-1]
    for key, shape, names in (("W1", (D, Dff), "(D, Dff)"), ("b1", (Dff,), "(Dff,)"),
                              ("W2", (Dff, D), "(Dff, D)"), ("b2", (D,), "(D,)")):
        require_shape(func, f"params['{key}']", require_array(func, f"params['{key}']", params[key]), shape, names)
    xp = namespace(x)
    p = params

    normed1, ln1_cache = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])  # (N, T, D)
    attended, mha_cache = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"],
                                                      num_heads, mask)  # (N, T, D)
    y = x + attended
    normed2, ln2_cache = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])  # (N, T, D)
    hidden, fc1_cache = affine_forward(xp.reshape(normed2, (N * T, D)), p["W1"], p["b1"])  # (N*T, Dff)
    hidden, relu_cache = relu_forward(hidden)
    ffn, fc2_cache = affine_forward(hidden, p["W2"], p["b2"])  # (N*T, D)
    out = y + xp.reshape(ffn, (N, T, D))
    return out, (ln1_cache, mha_cache, ln2_cache, fc1_cache, relu_cache, fc2_cache, (N, T, D))


def transformer_block_backward(dout, cache):
    """Gradients of transformer_block_forward.

    dout (N, T, D); cache from the forward. Returns dx (N, T, D) and grads, a dict with the keys of
    params and each gradient shaped as its parameter.
    """
    xp = namespace(dout)
    ln1_cache, mha_cache, ln2_cache, fc1_cache, relu_cache, fc2_cache, (N, T, D) = cache
    grads = {}
    # out = y + ffn(y): dout reaches y directly and through the feed-forward branch.
    dhidden, grads["W2"], grads["b2"] = affine_backward(xp.reshape(dout, (N * T, D)), fc2_cache)  # (N*T, Dff)
    dhidden = relu_backward(dhidden, relu_cache)
    dnormed2, grads["W1"], grads["b1"] = affine_backward(dhidden, fc1_cache)  # (N*T, D)
    dy_branch, grads["ln2_gamma"], grads["ln2_beta"] = layernorm_backward(xp.reshape(dnormed2, (N, T, D)), ln2_cache)
    dy = dout + dy_branch
    # y = x + MHA(LN1(x)): likewise.
    dnormed1, grads["Wqkv"], grads["bqkv"], grads["Wo"], grads["bo"] = multihead_attention_backward(dy, mha_cache)
    dx_branch, grads["ln1_gamma"], grads["ln1_beta"] = layernorm_backward(dnormed1, ln1_cache)
    return dy + dx_branch, {key: grads[key] for key in BLOCK_PARAMS}


def _require_mask(func, mask, scores_shape):
    """Check that mask is boolean and broadcasts to the scores' shape (N, Tq, Tk)."""
    require_array(func, "mask", mask, kind="bool")
    shape = tuple(mask.shape)
    fits = len(shape) <= len(scores_shape) and all(
        m in (1, s) for m, s in zip(reversed(shape), reversed(scores_shape)))
    if not fits:
        raise ValueError(f"{func}: mask of shape {shape} does not broadcast to the scores' shape "
                         f"(N, Tq, Tk) = {tuple(scores_shape)}; give it shape (Tq, Tk) or (N, Tq, Tk)")
