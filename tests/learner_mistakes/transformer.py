"""Learner mistakes and correct alternatives for lesson 06, the transformer."""
import numpy as np

from .entries import alternative, mistake


# -- softmax --------------------------------------------------------------------------------------
def softmax_forward(x):
    row_max = np.max(x, axis=-1, keepdims=True)
    row_max = np.where(np.isneginf(row_max), 0.0, row_max)  # a row of -inf: shift by 0, not by -inf
    e = np.exp(x - row_max)
    total = np.sum(e, axis=-1, keepdims=True)
    out = e / np.where(total == 0, 1.0, total)
    return out, out


def softmax_backward(dout, cache):
    s = cache
    return s * (dout - np.sum(dout * s, axis=-1, keepdims=True))


def softmax_forward_unshifted(x):
    e = np.exp(x)
    out = e / e.sum(axis=-1, keepdims=True)
    return out, out


def softmax_forward_plain_shift(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    out = e / e.sum(axis=-1, keepdims=True)
    return out, out


def softmax_forward_over_axis_0(x):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    out = e / e.sum(axis=0, keepdims=True)
    return out, out


def softmax_forward_global_max(x):
    e = np.exp(x - np.max(x[np.isfinite(x)]))
    out = e / e.sum(axis=-1, keepdims=True)
    return out, out


def softmax_forward_row_by_row(x):
    out = np.zeros_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        if np.all(np.isneginf(row)):
            continue  # a query that may attend to nothing: all zeros
        e = np.exp(row - row.max())
        out[index] = e / e.sum()
    return out, out


def softmax_forward_nan_to_num(x):
    with np.errstate(invalid="ignore"):
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        out = np.nan_to_num(e / e.sum(axis=-1, keepdims=True))
    return out, out


def softmax_backward_s_times_dout(dout, cache):
    return cache * dout


def softmax_backward_diagonal(dout, cache):
    return cache * (1 - cache) * dout


def softmax_backward_sum_of_dout(dout, cache):
    s = cache
    return s * (dout - dout.sum(axis=-1, keepdims=True))


def softmax_backward_jacobian(dout, cache):
    s = cache
    dx = np.zeros_like(dout)
    for index in np.ndindex(s.shape[:-1]):
        row = s[index]
        jacobian = np.diag(row) - np.outer(row, row)  # (K, K): d s_i / d x_j
        dx[index] = jacobian.T @ dout[index]
    return dx


def softmax_backward_einsum(dout, cache):
    s = cache
    return s * dout - s * np.einsum("...k,...k->...", dout, s)[..., None]


# -- attention ------------------------------------------------------------------------------------
def attention_forward(q, k, v, mask=None):
    d = q.shape[-1]
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(d)  # (N, Tq, Tk)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_backward(dout, cache):
    q, k, v, probs = cache
    d = q.shape[-1]
    dprobs = dout @ np.swapaxes(v, -1, -2)  # (N, Tq, Tk)
    dv = np.swapaxes(probs, -1, -2) @ dout
    dscores = softmax_backward(dprobs, probs) / np.sqrt(d)
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, dv


def attention_forward_mask_inverted(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, -np.inf, scores)  # "mask" read as the positions to hide
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_mask_multiplied(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = scores * mask
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_large_negative(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_unscaled(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_over_d(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / q.shape[-1]
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_over_queries(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(np.swapaxes(scores, -1, -2))
    probs = np.swapaxes(probs, -1, -2)
    return probs @ v, (q, k, v, probs)


def attention_forward_on_a_nan_softmax(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward_plain_shift(scores)
    return probs @ v, (q, k, v, probs)


def attention_forward_einsum(q, k, v, mask=None):
    scores = np.einsum("nqd,nkd->nqk", q, k) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(scores)
    return np.einsum("nqk,nkv->nqv", probs, v), {"q": q, "k": k, "v": v, "probs": probs}


def attention_forward_per_sample(q, k, v, mask=None):
    N, Tq, _ = q.shape
    mask = np.ones((N, Tq, k.shape[1]), dtype=bool) if mask is None else np.broadcast_to(mask, (N, Tq, k.shape[1]))
    out = np.zeros((N, Tq, v.shape[-1]))
    probs = np.zeros((N, Tq, k.shape[1]))
    for n in range(N):
        for t in range(Tq):
            allowed = mask[n, t]
            if not allowed.any():
                continue  # nothing to attend to: output 0
            scores = k[n][allowed] @ q[n, t] / np.sqrt(q.shape[-1])
            weights = np.exp(scores - scores.max())
            probs[n, t, allowed] = weights / weights.sum()
            out[n, t] = probs[n, t] @ v[n]
    return out, (q, k, v, probs)


def attention_backward_unscaled(dout, cache):
    q, k, v, probs = cache
    dprobs = dout @ np.swapaxes(v, -1, -2)
    dscores = softmax_backward(dprobs, probs)  # the 1/sqrt(d) of the forward forgotten here
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, np.swapaxes(probs, -1, -2) @ dout


def attention_backward_s_times_dout(dout, cache):
    q, k, v, probs = cache
    dscores = probs * (dout @ np.swapaxes(v, -1, -2)) / np.sqrt(q.shape[-1])
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, np.swapaxes(probs, -1, -2) @ dout


def attention_forward_keeping_scores(q, k, v, mask=None):
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    masked = scores if mask is None else np.where(mask, scores, -np.inf)
    probs, _ = softmax_forward(masked)
    return probs @ v, (q, k, v, scores, probs)


def attention_backward_dv_from_scores(dout, cache):
    q, k, v, scores, probs = cache
    dscores = softmax_backward(dout @ np.swapaxes(v, -1, -2), probs) / np.sqrt(q.shape[-1])
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, np.swapaxes(scores, -1, -2) @ dout


def attention_backward_dk_untransposed(dout, cache):
    q, k, v, probs = cache
    dscores = softmax_backward(dout @ np.swapaxes(v, -1, -2), probs) / np.sqrt(q.shape[-1])
    return dscores @ k, dscores @ q, np.swapaxes(probs, -1, -2) @ dout


def attention_backward_on_a_broken_softmax(dout, cache):
    q, k, v, probs = cache
    dscores = softmax_backward_s_times_dout(dout @ np.swapaxes(v, -1, -2), probs) / np.sqrt(q.shape[-1])
    return dscores @ k, np.swapaxes(dscores, -1, -2) @ q, np.swapaxes(probs, -1, -2) @ dout


def attention_backward_einsum(dout, cache):
    q, k, v, probs = cache["q"], cache["k"], cache["v"], cache["probs"]
    dprobs = np.einsum("nqv,nkv->nqk", dout, v)
    dscores = probs * (dprobs - np.einsum("nqk,nqk->nq", dprobs, probs)[..., None]) / np.sqrt(q.shape[-1])
    return (np.einsum("nqk,nkd->nqd", dscores, k), np.einsum("nqk,nqd->nkd", dscores, q),
            np.einsum("nqk,nqv->nkv", probs, dout))


# -- multi-head attention -------------------------------------------------------------------------
def _split_heads(t, h):
    N, T, D = t.shape
    return t.reshape(N, T, h, D // h).transpose(0, 2, 1, 3)  # (N, h, T, d)


def _merge_heads(t):
    N, h, T, d = t.shape
    return t.transpose(0, 2, 1, 3).reshape(N, T, h * d)  # (N, T, D)


def multihead_attention_forward(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    qkv = x @ Wqkv + bqkv  # (N, T, 3D)
    q, k, v = np.split(qkv, 3, axis=-1)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]  # (N, 1, T, T): one mask for every head
    heads, attention_cache = attention_forward(_split_heads(q, num_heads), _split_heads(k, num_heads),
                                               _split_heads(v, num_heads), mask)
    merged = _merge_heads(heads)
    return merged @ Wo + bo, (x, Wqkv, Wo, merged, attention_cache, num_heads)


def multihead_attention_backward(dout, cache):
    x, Wqkv, Wo, merged, attention_cache, h = cache
    D = x.shape[-1]
    dWo = merged.reshape(-1, D).T @ dout.reshape(-1, D)
    dbo = dout.sum(axis=(0, 1))
    dq, dk, dv = attention_backward(_split_heads(dout @ Wo.T, h), attention_cache)
    dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=-1)  # (N, T, 3D)
    dWqkv = x.reshape(-1, D).T @ dqkv.reshape(-1, 3 * D)
    return dqkv @ Wqkv.T, dWqkv, dqkv.sum(axis=(0, 1)), dWo, dbo


def multihead_attention_forward_reshaped(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    N, T, D = x.shape
    q, k, v = np.split(x @ Wqkv + bqkv, 3, axis=-1)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    split = lambda t: t.reshape(N, num_heads, T, D // num_heads)  # noqa: E731
    heads, _ = attention_forward(split(q), split(k), split(v), mask)
    return _merge_heads(heads) @ Wo + bo, None


def multihead_attention_forward_model_scale(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    N, T, D = x.shape
    q, k, v = (_split_heads(t, num_heads) for t in np.split(x @ Wqkv + bqkv, 3, axis=-1))
    scores = q @ np.swapaxes(k, -1, -2) / np.sqrt(D)
    if mask is not None:
        scores = np.where(mask if mask.ndim == 2 else mask[:, None], scores, -np.inf)
    probs, _ = softmax_forward(scores)
    return _merge_heads(probs @ v) @ Wo + bo, None


def multihead_attention_forward_k_first(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    k, q, v = np.split(x @ Wqkv + bqkv, 3, axis=-1)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    heads, _ = attention_forward(_split_heads(q, num_heads), _split_heads(k, num_heads), _split_heads(v, num_heads),
                                 mask)
    return _merge_heads(heads) @ Wo + bo, None


def multihead_attention_forward_mask_as_given(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    q, k, v = np.split(x @ Wqkv + bqkv, 3, axis=-1)
    heads, _ = attention_forward(_split_heads(q, num_heads), _split_heads(k, num_heads), _split_heads(v, num_heads),
                                 mask)
    return _merge_heads(heads) @ Wo + bo, None


def multihead_attention_forward_merged_by_reshape(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    N, T, D = x.shape
    q, k, v = np.split(x @ Wqkv + bqkv, 3, axis=-1)
    if mask is not None and mask.ndim == 3:
        mask = mask[:, None]
    heads, _ = attention_forward(_split_heads(q, num_heads), _split_heads(k, num_heads), _split_heads(v, num_heads),
                                 mask)
    return heads.reshape(N, T, D) @ Wo + bo, None


def multihead_attention_forward_on_an_unscaled_attention(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    q, k, v = (_split_heads(t, num_heads) for t in np.split(x @ Wqkv + bqkv, 3, axis=-1))
    heads, _ = attention_forward_unscaled(q, k, v, mask if mask is None or mask.ndim == 2 else mask[:, None])
    return _merge_heads(heads) @ Wo + bo, None


def multihead_attention_forward_head_by_head(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    D = x.shape[-1]
    d = D // num_heads
    qkv = x @ Wqkv + bqkv
    heads, caches = [], []
    for j in range(num_heads):
        columns = slice(j * d, (j + 1) * d)
        q, k, v = qkv[..., :D][..., columns], qkv[..., D:2 * D][..., columns], qkv[..., 2 * D:][..., columns]
        head, head_cache = attention_forward(q, k, v, mask)  # a (T, T) or (N, T, T) mask fits (N, T, T) scores
        heads.append(head)
        caches.append(head_cache)
    merged = np.concatenate(heads, axis=-1)  # (N, T, D)
    return merged @ Wo + bo, (x, Wqkv, Wo, merged, caches)


def multihead_attention_backward_head_by_head(dout, cache):
    x, Wqkv, Wo, merged, caches = cache
    D = x.shape[-1]
    d = D // len(caches)
    dmerged = dout @ Wo.T
    dqkv = np.zeros(x.shape[:-1] + (3 * D,))
    for j, head_cache in enumerate(caches):
        dq, dk, dv = attention_backward(dmerged[..., j * d:(j + 1) * d], head_cache)
        for part, grad in enumerate((dq, dk, dv)):
            dqkv[..., part * D + j * d:part * D + (j + 1) * d] = grad
    dWqkv = np.einsum("ntd,nte->de", x, dqkv)
    return dqkv @ Wqkv.T, dWqkv, dqkv.sum(axis=(0, 1)), np.einsum("ntd,nte->de", merged, dout), dout.sum(axis=(0, 1))


def multihead_attention_forward_einsum(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    N, T, D = x.shape
    qkv = np.einsum("ntd,de->nte", x, Wqkv) + bqkv
    q, k, v = qkv.reshape(N, T, 3, num_heads, D // num_heads).transpose(2, 0, 3, 1, 4)  # each (N, h, T, d)
    scores = np.einsum("nhqd,nhkd->nhqk", q, k) / np.sqrt(D // num_heads)
    if mask is not None:
        scores = np.where(mask if mask.ndim == 2 else mask[:, None], scores, -np.inf)
    probs, _ = softmax_forward(scores)
    merged = np.einsum("nhqk,nhkd->nqhd", probs, v).reshape(N, T, D)
    return np.einsum("ntd,de->nte", merged, Wo) + bo, None


def multihead_attention_backward_packed_k_first(dout, cache):
    x, Wqkv, Wo, merged, attention_cache, h = cache
    D = x.shape[-1]
    dq, dk, dv = attention_backward(_split_heads(dout @ Wo.T, h), attention_cache)
    dqkv = np.concatenate([_merge_heads(dk), _merge_heads(dq), _merge_heads(dv)], axis=-1)
    return (dqkv @ Wqkv.T, x.reshape(-1, D).T @ dqkv.reshape(-1, 3 * D), dqkv.sum(axis=(0, 1)),
            merged.reshape(-1, D).T @ dout.reshape(-1, D), dout.sum(axis=(0, 1)))


def multihead_attention_backward_query_path_only(dout, cache):
    x, Wqkv, Wo, merged, attention_cache, h = cache
    D = x.shape[-1]
    dq, dk, dv = attention_backward(_split_heads(dout @ Wo.T, h), attention_cache)
    dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=-1)
    dx = _merge_heads(dq) @ Wqkv[:, :D].T  # x only through the queries
    return (dx, x.reshape(-1, D).T @ dqkv.reshape(-1, 3 * D), dqkv.sum(axis=(0, 1)),
            merged.reshape(-1, D).T @ dout.reshape(-1, D), dout.sum(axis=(0, 1)))


def multihead_attention_backward_dWo_transposed(dout, cache):
    dx, dWqkv, dbqkv, dWo, dbo = multihead_attention_backward(dout, cache)
    x, Wqkv, Wo, merged, attention_cache, h = cache
    D = x.shape[-1]
    return dx, dWqkv, dbqkv, dout.reshape(-1, D).T @ merged.reshape(-1, D), dbo


def multihead_attention_backward_split_by_reshape(dout, cache):
    x, Wqkv, Wo, merged, attention_cache, h = cache
    N, T, D = x.shape
    dheads = (dout @ Wo.T).reshape(N, h, T, D // h)
    dq, dk, dv = attention_backward(dheads, attention_cache)
    dqkv = np.concatenate([_merge_heads(dq), _merge_heads(dk), _merge_heads(dv)], axis=-1)
    return (dqkv @ Wqkv.T, x.reshape(-1, D).T @ dqkv.reshape(-1, 3 * D), dqkv.sum(axis=(0, 1)),
            merged.reshape(-1, D).T @ dout.reshape(-1, D), dout.sum(axis=(0, 1)))


# -- layer norm -----------------------------------------------------------------------------------
def layernorm_forward(x, gamma, beta, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    inv_std = 1.0 / np.sqrt(x.var(axis=-1, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    return x_hat * gamma + beta, (x_hat, inv_std, gamma)


def layernorm_backward(dout, cache):
    x_hat, inv_std, gamma = cache
    batch_axes = tuple(range(dout.ndim - 1))
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=-1, keepdims=True)
                    - x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=batch_axes), dout.sum(axis=batch_axes)


def layernorm_forward_unbiased(x, gamma, beta, eps=1e-5):
    x_hat = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, ddof=1, keepdims=True) + eps)
    return x_hat * gamma + beta, None


def layernorm_forward_eps_outside(x, gamma, beta, eps=1e-5):
    x_hat = (x - x.mean(axis=-1, keepdims=True)) / (x.std(axis=-1, keepdims=True) + eps)
    return x_hat * gamma + beta, None


def layernorm_forward_over_the_batch(x, gamma, beta, eps=1e-5):
    x_hat = (x - x.mean(axis=0, keepdims=True)) / np.sqrt(x.var(axis=0, keepdims=True) + eps)
    return x_hat * gamma + beta, None


def layernorm_forward_fixed_eps(x, gamma, beta, eps=1e-5):
    x_hat = (x - x.mean(axis=-1, keepdims=True)) / np.sqrt(x.var(axis=-1, keepdims=True) + 1e-5)
    return x_hat * gamma + beta, None


def layernorm_forward_without_eps(x, gamma, beta, eps=1e-5):
    x_hat = (x - x.mean(axis=-1, keepdims=True)) / x.std(axis=-1, keepdims=True)
    return x_hat * gamma + beta, None


def layernorm_forward_row_by_row(x, gamma, beta, eps=1e-5):
    out = np.empty_like(x)
    for index in np.ndindex(x.shape[:-1]):
        row = x[index]
        mean = sum(row) / len(row)
        var = sum((value - mean) ** 2 for value in row) / len(row)
        out[index] = (row - mean) / np.sqrt(var + eps) * gamma + beta
    return out, None


def layernorm_forward_keeping_x(x, gamma, beta, eps=1e-5):
    out, _ = layernorm_forward(x, gamma, beta, eps)
    return out, (x, gamma, eps)


def layernorm_backward_without_mean_term(dout, cache):
    x_hat, inv_std, gamma = cache
    batch_axes = tuple(range(dout.ndim - 1))
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=batch_axes), dout.sum(axis=batch_axes)


def layernorm_backward_without_variance_term(dout, cache):
    x_hat, inv_std, gamma = cache
    batch_axes = tuple(range(dout.ndim - 1))
    dx_hat = dout * gamma
    dx = inv_std * (dx_hat - dx_hat.mean(axis=-1, keepdims=True))
    return dx, (dout * x_hat).sum(axis=batch_axes), dout.sum(axis=batch_axes)


def layernorm_backward_summed_over_axis_0(dout, cache):
    x_hat, inv_std, gamma = cache
    dx, _, _ = layernorm_backward(dout, cache)
    return dx, (dout * x_hat).sum(axis=0), dout.sum(axis=0)


def layernorm_backward_dgamma_without_x_hat(dout, cache):
    dx, _, dbeta = layernorm_backward(dout, cache)
    return dx, dbeta, dbeta


def layernorm_backward_three_terms(dout, cache):
    """CS231n's form: dx = (1/D) inv_std (D dx_hat - sum dx_hat - x_hat sum(dx_hat x_hat))."""
    x_hat, inv_std, gamma = cache
    D = dout.shape[-1]
    dx_hat = dout * gamma
    dx = inv_std / D * (D * dx_hat - dx_hat.sum(axis=-1, keepdims=True)
                        - x_hat * (dx_hat * x_hat).sum(axis=-1, keepdims=True))
    rows = dout.reshape(-1, D)
    return dx, (rows * x_hat.reshape(-1, D)).sum(axis=0), rows.sum(axis=0)


def layernorm_backward_through_the_graph(dout, cache):
    """Step by step back through mean, centring, variance and the division."""
    x, gamma, eps = cache
    D = x.shape[-1]
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = (centred**2).mean(axis=-1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = centred / std
    dx_hat = dout * gamma
    dstd = -(dx_hat * centred).sum(axis=-1, keepdims=True) / std**2
    dvar = dstd / (2 * std)
    dcentred = dx_hat / std + dvar * 2 * centred / D
    dx = dcentred - dcentred.mean(axis=-1, keepdims=True)
    batch_axes = tuple(range(x.ndim - 1))
    return dx, (dout * x_hat).sum(axis=batch_axes), dout.sum(axis=batch_axes)


# -- positional encoding --------------------------------------------------------------------------
def positional_encoding(T, D):
    position = np.arange(T)[:, None]  # (T, 1)
    frequency = 1.0 / 10000.0 ** (np.arange(0, D, 2) / D)  # (ceil(D/2),)
    pe = np.zeros((T, D))
    pe[:, 0::2] = np.sin(position * frequency)
    pe[:, 1::2] = np.cos(position * frequency[:D // 2])
    return pe


def positional_encoding_with_loops(T, D):
    pe = np.zeros((T, D))
    for p in range(T):
        for i in range(0, D, 2):
            angle = p / 10000 ** (i / D)  # i runs over the even columns, so i here is the formula's 2i
            pe[p, i] = np.sin(angle)
            if i + 1 < D:
                pe[p, i + 1] = np.cos(angle)
    return pe


def positional_encoding_from_logs(T, D):
    angle = np.arange(T)[:, None] * np.exp(-np.log(10000.0) * (np.arange(D) // 2 * 2) / D)  # (T, D)
    return np.where(np.arange(D) % 2 == 0, np.sin(angle), np.cos(angle))


def positional_encoding_pair_index(T, D):
    pe = np.zeros((T, D))
    for p in range(T):
        for i in range(D // 2 + D % 2):
            angle = p / 10000 ** (i / D)
            pe[p, 2 * i] = np.sin(angle)
            if 2 * i + 1 < D:
                pe[p, 2 * i + 1] = np.cos(angle)
    return pe


def positional_encoding_column_index(T, D):
    pe = np.zeros((T, D))
    for p in range(T):
        for j in range(D):
            angle = p / 10000 ** (j / D)
            pe[p, j] = np.sin(angle) if j % 2 == 0 else np.cos(angle)
    return pe


def positional_encoding_swapped(T, D):
    position = np.arange(T)[:, None]
    frequency = 1.0 / 10000.0 ** (np.arange(0, D, 2) / D)
    pe = np.zeros((T, D))
    pe[:, 0::2] = np.cos(position * frequency)
    pe[:, 1::2] = np.sin(position * frequency[:D // 2])
    return pe


def positional_encoding_odd_cosine(T, D):
    position = np.arange(T)[:, None]
    frequency = 1.0 / 10000.0 ** (np.arange(0, D - D % 2, 2) / D)  # the pairs, then the odd column apart
    pe = np.zeros((T, D))
    pe[:, 0:D - D % 2:2] = np.sin(position * frequency)
    pe[:, 1::2] = np.cos(position * frequency)
    if D % 2:
        pe[:, -1] = np.cos(position[:, 0] / 10000.0 ** ((D - 1) / D))
    return pe


# -- the transformer block ------------------------------------------------------------------------
def transformer_block_forward(x, params, num_heads, mask=None):
    p = params
    normed1, ln1_cache = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    attended, mha_cache = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    y = x + attended
    normed2, ln2_cache = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    hidden = normed2 @ p["W1"] + p["b1"]  # (N, T, Dff)
    relu = np.maximum(hidden, 0)
    out = y + relu @ p["W2"] + p["b2"]
    return out, (ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, p["W1"], p["W2"])


def transformer_block_backward(dout, cache):
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    D, Dff = W1.shape
    grads = {}
    grads["W2"] = relu.reshape(-1, Dff).T @ dout.reshape(-1, D)
    grads["b2"] = dout.sum(axis=(0, 1))
    dhidden = (dout @ W2.T) * (hidden > 0)
    grads["W1"] = normed2.reshape(-1, D).T @ dhidden.reshape(-1, Dff)
    grads["b1"] = dhidden.sum(axis=(0, 1))
    dy_branch, grads["ln2_gamma"], grads["ln2_beta"] = layernorm_backward(dhidden @ W1.T, ln2_cache)
    dy = dout + dy_branch
    dnormed1, grads["Wqkv"], grads["bqkv"], grads["Wo"], grads["bo"] = multihead_attention_backward(dy, mha_cache)
    dx_branch, grads["ln1_gamma"], grads["ln1_beta"] = layernorm_backward(dnormed1, ln1_cache)
    return dy + dx_branch, grads


def transformer_block_forward_post_norm(x, params, num_heads, mask=None):
    p = params
    attended, _ = multihead_attention_forward(x, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    y, _ = layernorm_forward(x + attended, p["ln1_gamma"], p["ln1_beta"])
    ffn = np.maximum(y @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    out, _ = layernorm_forward(y + ffn, p["ln2_gamma"], p["ln2_beta"])
    return out, None


def transformer_block_forward_without_attention_residual(x, params, num_heads, mask=None):
    p = params
    normed1, _ = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    y, _ = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    normed2, _ = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    return y + np.maximum(normed2 @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"], None


def transformer_block_forward_relu_last(x, params, num_heads, mask=None):
    p = params
    normed1, _ = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    attended, _ = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    y = x + attended
    normed2, _ = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    return y + np.maximum(np.maximum(normed2 @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"], 0), None


def transformer_block_forward_without_mask(x, params, num_heads, mask=None):
    p = params
    normed1, _ = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    attended, _ = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads)
    y = x + attended
    normed2, _ = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    return y + np.maximum(normed2 @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"], None


def transformer_block_forward_on_unbiased_layernorm(x, params, num_heads, mask=None):
    p = params
    normed1, _ = layernorm_forward_unbiased(x, p["ln1_gamma"], p["ln1_beta"])
    attended, _ = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    y = x + attended
    normed2, _ = layernorm_forward_unbiased(y, p["ln2_gamma"], p["ln2_beta"])
    return y + np.maximum(normed2 @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"], None


def transformer_block_forward_flattened(x, params, num_heads, mask=None):
    p = params
    N, T, D = x.shape
    normed1, _ = layernorm_forward(x.reshape(N * T, D), p["ln1_gamma"], p["ln1_beta"])  # rows are rows
    attended, _ = multihead_attention_forward_head_by_head(normed1.reshape(N, T, D), p["Wqkv"], p["bqkv"], p["Wo"],
                                                           p["bo"], num_heads, mask)
    y = (x + attended).reshape(N * T, D)
    normed2, _ = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    out = y + np.maximum(normed2 @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]
    return out.reshape(N, T, D), None


def transformer_block_backward_without_attention_skip(dout, cache):
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    dx, grads = transformer_block_backward(dout, cache)
    dnormed1 = multihead_attention_backward(_dy(dout, cache), mha_cache)[0]
    return layernorm_backward(dnormed1, ln1_cache)[0], grads  # the branch alone: dy's skip path left out


def _dy(dout, cache):
    """The gradient reaching y = x + MHA(LN1(x)), as the right backward computes it."""
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    dhidden = (dout @ W2.T) * (hidden > 0)
    return dout + layernorm_backward(dhidden @ W1.T, ln2_cache)[0]


def transformer_block_backward_without_ffn_skip(dout, cache):
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    _, grads = transformer_block_backward(dout, cache)
    dhidden = (dout @ W2.T) * (hidden > 0)
    dy, _, _ = layernorm_backward(dhidden @ W1.T, ln2_cache)  # dout's own path to y forgotten
    dnormed1, grads["Wqkv"], grads["bqkv"], grads["Wo"], grads["bo"] = multihead_attention_backward(dy, mha_cache)
    dx_branch, grads["ln1_gamma"], grads["ln1_beta"] = layernorm_backward(dnormed1, ln1_cache)
    return dy + dx_branch, grads


def transformer_block_backward_without_relu_mask(dout, cache):
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    D, Dff = W1.shape
    grads = {"W2": relu.reshape(-1, Dff).T @ dout.reshape(-1, D), "b2": dout.sum(axis=(0, 1))}
    dhidden = dout @ W2.T
    grads["W1"] = normed2.reshape(-1, D).T @ dhidden.reshape(-1, Dff)
    grads["b1"] = dhidden.sum(axis=(0, 1))
    dy_branch, grads["ln2_gamma"], grads["ln2_beta"] = layernorm_backward(dhidden @ W1.T, ln2_cache)
    dy = dout + dy_branch
    dnormed1, grads["Wqkv"], grads["bqkv"], grads["Wo"], grads["bo"] = multihead_attention_backward(dy, mha_cache)
    dx_branch, grads["ln1_gamma"], grads["ln1_beta"] = layernorm_backward(dnormed1, ln1_cache)
    return dy + dx_branch, grads


def transformer_block_backward_d_keys(dout, cache):
    dx, grads = transformer_block_backward(dout, cache)
    return dx, {"d" + key: value for key, value in grads.items()}


def transformer_block_backward_on_a_broken_layernorm(dout, cache):
    ln1_cache, mha_cache, ln2_cache, normed2, hidden, relu, W1, W2 = cache
    dx, grads = transformer_block_backward(dout, cache)
    dy = _dy(dout, cache)
    dnormed1 = multihead_attention_backward(dy, mha_cache)[0]
    return dy + layernorm_backward_without_mean_term(dnormed1, ln1_cache)[0], grads


def transformer_block_forward_einsum(x, params, num_heads, mask=None):
    p = params
    normed1, ln1_cache = layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    attended, mha_cache = multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads, mask)
    y = x + attended
    normed2, ln2_cache = layernorm_forward(y, p["ln2_gamma"], p["ln2_beta"])
    hidden = np.einsum("ntd,df->ntf", normed2, p["W1"]) + p["b1"]
    out = y + np.einsum("ntf,fd->ntd", np.maximum(hidden, 0), p["W2"]) + p["b2"]
    return out, {"ln1": ln1_cache, "mha": mha_cache, "ln2": ln2_cache, "normed2": normed2, "hidden": hidden, "p": p}


def transformer_block_backward_einsum(dout, cache):
    p, hidden, normed2 = cache["p"], cache["hidden"], cache["normed2"]
    grads = {"W2": np.einsum("ntf,ntd->fd", np.maximum(hidden, 0), dout), "b2": dout.sum(axis=(0, 1))}
    dhidden = np.einsum("ntd,fd->ntf", dout, p["W2"]) * (hidden > 0)
    grads["W1"] = np.einsum("ntd,ntf->df", normed2, dhidden)
    grads["b1"] = dhidden.sum(axis=(0, 1))
    dnormed2 = np.einsum("ntf,df->ntd", dhidden, p["W1"])
    dy_branch, grads["ln2_gamma"], grads["ln2_beta"] = layernorm_backward(dnormed2, cache["ln2"])
    dy = dout + dy_branch
    dnormed1, grads["Wqkv"], grads["bqkv"], grads["Wo"], grads["bo"] = multihead_attention_backward(dy, cache["mha"])
    dx_branch, grads["ln1_gamma"], grads["ln1_beta"] = layernorm_backward(dnormed1, cache["ln1"])
    return dx_branch + dy, grads


_LESSON = {"softmax_forward": softmax_forward, "softmax_backward": softmax_backward,
           "attention_forward": attention_forward, "attention_backward": attention_backward,
           "multihead_attention_forward": multihead_attention_forward,
           "multihead_attention_backward": multihead_attention_backward,
           "layernorm_forward": layernorm_forward, "layernorm_backward": layernorm_backward,
           "transformer_block_forward": transformer_block_forward}

_ALL_QKV = {"dx", "dWqkv", "dbqkv"}
_BLOCK_PARTS = {"dx", "ln1 grads", "attention grads", "ln2 grads", "feed-forward grads"}

MISTAKES = {
    "transformer.softmax_forward": [
        mistake("np.exp(x) unshifted", softmax_forward_unshifted, named="max not subtracted"),
        mistake("the plain max shift", softmax_forward_plain_shift, named="giving NaN: -inf - (-inf) is NaN"),
        mistake("over axis 0", softmax_forward_over_axis_0, named="softmax over axis 0"),
        mistake("one max for the whole array", softmax_forward_global_max, named="one max over the whole array"),
    ],
    "transformer.softmax_backward": [
        mistake("s * dout", softmax_forward, softmax_backward_s_times_dout, named="s * dout only"),
        mistake("s * (1 - s) * dout", softmax_forward, softmax_backward_diagonal, named="diagonal s * (1 - s) only"),
        mistake("sum(dout)", softmax_forward, softmax_backward_sum_of_dout, named="sum(dout) where sum(dout * s)"),
        mistake("on a forward that is NaN for a row of -inf", softmax_forward_plain_shift, softmax_backward,
                 named="softmax_forward fails its own check"),
    ],
    "transformer.attention_forward": [
        mistake("mask inverted", attention_forward_mask_inverted, named="polarity inverted"),
        mistake("scores * mask", attention_forward_mask_multiplied, named="multiplying the scores by the mask"),
        mistake("-1e9", attention_forward_large_negative, named="giving the mean of v"),
        mistake("no scale", attention_forward_unscaled, named="1/sqrt(d) scale forgotten"),
        mistake("1/d", attention_forward_over_d, named="1/d instead of 1/sqrt(d)"),
        mistake("softmax over the queries", attention_forward_over_queries, named="softmax over the queries"),
        mistake("on a softmax that is NaN for an empty row", attention_forward_on_a_nan_softmax,
                 named="softmax_forward fails its own check",
                 namespace={**_LESSON, "softmax_forward": softmax_forward_plain_shift}),
    ],
    "transformer.attention_backward": [
        mistake("no 1/sqrt(d) in the backward", attention_forward, attention_backward_unscaled,
                 named="scale forgotten in the backward", parts={"dq", "dk"}),
        mistake("softmax backward as s * dout", attention_forward, attention_backward_s_times_dout,
                 named="s * dout only", parts={"dq", "dk"}),
        mistake("dv from the scores", attention_forward_keeping_scores, attention_backward_dv_from_scores,
                 named="dv from the unnormalised scores", parts={"dv"}),
        mistake("dk = dscores @ q", attention_forward, attention_backward_dk_untransposed,
                 named="attention_backward raised ValueError", parts={"dq", "dk", "dv"}),
        mistake("on a softmax_backward of s * dout", attention_forward, attention_backward_on_a_broken_softmax,
                 named="softmax_backward fails its own check", parts={"dq", "dk"},
                 namespace={**_LESSON, "softmax_backward": softmax_backward_s_times_dout}),
    ],
    "transformer.multihead_attention_forward": [
        mistake("reshape without transpose", multihead_attention_forward_reshaped,
                 named="heads split by reshape without the transpose"),
        mistake("1/sqrt(D)", multihead_attention_forward_model_scale, named="1/sqrt(D) instead of 1/sqrt(D/h)"),
        mistake("k, q, v", multihead_attention_forward_k_first, named="(k, q, v)"),
        mistake("mask (N, T, T) as given", multihead_attention_forward_mask_as_given,
                 named="broadcast with N along the heads' axis"),
        mistake("merged by reshape", multihead_attention_forward_merged_by_reshape,
                 named="merged back by reshape without the transpose"),
        mistake("on an attention_forward without the scale", multihead_attention_forward_on_an_unscaled_attention,
                 named="attention_forward fails its own check",
                 namespace={**_LESSON, "attention_forward": attention_forward_unscaled}),
    ],
    "transformer.multihead_attention_backward": [
        mistake("dk, dq, dv", multihead_attention_forward, multihead_attention_backward_packed_k_first,
                 named="(dk, dq, dv)", parts=_ALL_QKV),
        mistake("dx from q alone", multihead_attention_forward, multihead_attention_backward_query_path_only,
                 named="dx from q's path alone", parts={"dx"}),
        mistake("dWo transposed", multihead_attention_forward, multihead_attention_backward_dWo_transposed,
                 named="dWo transposed", parts={"dWo"}),
        mistake("dheads by reshape", multihead_attention_forward, multihead_attention_backward_split_by_reshape,
                 named="split by reshape without the transpose", parts=_ALL_QKV),
    ],
    "transformer.layernorm_forward": [
        mistake("ddof=1", layernorm_forward_unbiased, named="unbiased variance"),
        mistake("std + eps", layernorm_forward_eps_outside, named="eps outside the square root"),
        mistake("over the batch", layernorm_forward_over_the_batch, named="over axis 0"),
        mistake("eps hard-coded", layernorm_forward_fixed_eps, named="eps ignored"),
        mistake("no eps", layernorm_forward_without_eps, named="eps left out"),
    ],
    "transformer.layernorm_backward": [
        mistake("no mean term", layernorm_forward, layernorm_backward_without_mean_term, named="missing the mean term",
                 parts={"dx"}),
        mistake("no variance term", layernorm_forward, layernorm_backward_without_variance_term,
                 named="missing the variance term", parts={"dx"}),
        mistake("summed over axis 0 only", layernorm_forward, layernorm_backward_summed_over_axis_0,
                 named="not summed over axis 0", parts={"dgamma", "dbeta"}),
        mistake("dgamma = sum(dout)", layernorm_forward, layernorm_backward_dgamma_without_x_hat,
                 named="dgamma without x_hat", parts={"dgamma"}),
    ],
    "transformer.positional_encoding": [
        mistake("i for 2i", positional_encoding_pair_index, named="i where 2i belongs"),
        mistake("the column index", positional_encoding_column_index, named="each column's own index"),
        mistake("sin and cos swapped", positional_encoding_swapped, named="sin and cos swapped"),
        mistake("odd D ending with a cosine", positional_encoding_odd_cosine, named="odd D ending with a cosine"),
    ],
    "transformer.transformer_block_forward": [
        mistake("post-norm", transformer_block_forward_post_norm, named="post-norm"),
        mistake("no attention residual", transformer_block_forward_without_attention_residual,
                 named="attention's residual forgotten"),
        mistake("ReLU after W2", transformer_block_forward_relu_last, named="ReLU after the second linear layer"),
        mistake("mask dropped", transformer_block_forward_without_mask, named="mask not passed on"),
        mistake("on a layer norm with ddof=1", transformer_block_forward_on_unbiased_layernorm,
                 named="layernorm_forward fails its own check",
                 namespace={**_LESSON, "layernorm_forward": layernorm_forward_unbiased}),
    ],
    "transformer.transformer_block_backward": [
        mistake("dx without the skip", transformer_block_forward, transformer_block_backward_without_attention_skip,
                 named="dx missing the skip gradient", parts={"dx"}),
        mistake("dy without the skip", transformer_block_forward, transformer_block_backward_without_ffn_skip,
                 named="dy missing the skip gradient", parts={"dx", "ln1 grads", "attention grads"}),
        mistake("no ReLU mask", transformer_block_forward, transformer_block_backward_without_relu_mask,
                 named="ReLU's mask left out", parts=_BLOCK_PARTS),
        mistake("dW1 keys", transformer_block_forward, transformer_block_backward_d_keys,
                 named="grads has no key 'ln1_gamma'", parts=_BLOCK_PARTS - {"dx"}),
        mistake("on a layernorm_backward without the mean term", transformer_block_forward,
                 transformer_block_backward_on_a_broken_layernorm, named="layernorm_backward fails its own check",
                 parts={"dx"}, namespace={**_LESSON, "layernorm_backward": layernorm_backward_without_mean_term}),
    ],
}

CORRECT_ALTERNATIVES = {
    "transformer.softmax_forward": [alternative("row by row", softmax_forward_row_by_row),
                                    alternative("NaN rows set to 0", softmax_forward_nan_to_num)],
    "transformer.softmax_backward": [alternative("the explicit Jacobian", softmax_forward, softmax_backward_jacobian),
                                     alternative("einsum", softmax_forward_row_by_row, softmax_backward_einsum)],
    "transformer.attention_forward": [alternative("einsum", attention_forward_einsum),
                                      alternative("loops over samples and queries", attention_forward_per_sample)],
    "transformer.attention_backward": [alternative("einsum", attention_forward_einsum, attention_backward_einsum),
                                       alternative("loops in the forward", attention_forward_per_sample,
                                                   attention_backward)],
    "transformer.multihead_attention_forward": [
        alternative("a loop over heads", multihead_attention_forward_head_by_head),
        alternative("einsum", multihead_attention_forward_einsum)],
    "transformer.multihead_attention_backward": [
        alternative("a loop over heads", multihead_attention_forward_head_by_head,
                    multihead_attention_backward_head_by_head),
        alternative("heads as a batch axis", multihead_attention_forward, multihead_attention_backward)],
    "transformer.layernorm_forward": [alternative("row by row", layernorm_forward_row_by_row)],
    "transformer.layernorm_backward": [
        alternative("the three-term formula", layernorm_forward, layernorm_backward_three_terms),
        alternative("back through the graph", layernorm_forward_keeping_x, layernorm_backward_through_the_graph)],
    "transformer.positional_encoding": [alternative("loops", positional_encoding_with_loops),
                                        alternative("slices", positional_encoding),
                                        alternative("exp and log", positional_encoding_from_logs)],
    "transformer.transformer_block_forward": [alternative("on its own layers", transformer_block_forward),
                                              alternative("rows flattened, heads in a loop",
                                                          transformer_block_forward_flattened)],
    "transformer.transformer_block_backward": [
        alternative("on its own layers", transformer_block_forward, transformer_block_backward),
        alternative("einsum", transformer_block_forward_einsum, transformer_block_backward_einsum)],
}
