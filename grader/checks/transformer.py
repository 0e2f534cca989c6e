"""Lesson 06 (transformer): softmax, attention, multi-head attention, layer norm, positional encoding, the block.

Dimensions: N batch, T sequence length (Tq queries, Tk keys), D model width, h heads of width d = D // h,
dv value width, Dff the feed-forward width. Masks are boolean, True = may attend (COURSE.md).

The mistake variants below are small NumPy re-implementations with one knob per known mistake, so each
variant is the reference computation with exactly one thing done the way a learner gets it wrong.
"""
import numpy as np

from reference_impl import mlp as dense
from reference_impl import transformer as reference
from reference_impl.backend import to_numpy

from ..calling import LearnerError
from ..compare import Comparison, compare_arrays, tolerance_for
from ..engine import Case, describe_case, register
from ..inputs import generator, normal
from ..mistakes import Mistake
from .layers import CaseSpec, LayerBackwardCheck, LayerForwardCheck

BLOCK_PARAMS = reference.BLOCK_PARAMS


# -- NumPy building blocks with a knob per mistake ------------------------------------------------
def _swap(t):
    return np.swapaxes(t, -1, -2)


def _softmax(x, axis=-1, empty="zeros"):
    """Softmax along `axis`; -inf entries get 0. empty: what a row of -inf everywhere gives, "zeros" (the
    contract) or "nan" (a plain max shift: -inf - (-inf))."""
    top = x.max(axis=axis, keepdims=True)
    if empty == "zeros":
        top = np.where(np.isneginf(top), 0.0, top)
    e = np.exp(x - top)
    total = e.sum(axis=axis, keepdims=True)
    if empty == "zeros":
        total = np.where(total == 0, 1.0, total)
    return e / total


def _masked_scores(q, k, mask, scale, masking):
    scores = (q @ _swap(k)) * scale  # (N, Tq, d) @ (N, d, Tk) -> (N, Tq, Tk)
    if mask is None or masking == "ignored":
        return scores
    if masking == "inverted":
        return np.where(mask, -np.inf, scores)
    if masking == "multiplied":
        return scores * mask
    if masking == "-1e9":
        return np.where(mask, scores, -1e9)
    return np.where(mask, scores, -np.inf)


def _attention(q, k, v, mask=None, scale=None, masking="-inf", axis=-1, empty="zeros"):
    """(out, probs) of scaled dot-product attention."""
    scale = 1.0 / np.sqrt(q.shape[-1]) if scale is None else scale
    probs = _softmax(_masked_scores(q, k, mask, scale, masking), axis, empty)  # (N, Tq, Tk)
    return probs @ v, probs  # (N, Tq, Tk) @ (N, Tk, dv) -> (N, Tq, dv)


def _attention_backward(dout, q, k, v, probs, scale, rule="jvp", dk_transposed=True, scaled=True):
    """(dq, dk, dv); rule: the softmax backward, "jvp" (right), "s*dout" or "diagonal" (s(1 - s) only)."""
    dprobs = dout @ _swap(v)  # (N, Tq, dv) @ (N, dv, Tk) -> (N, Tq, Tk)
    dv = _swap(probs) @ dout  # (N, Tk, Tq) @ (N, Tq, dv) -> (N, Tk, dv)
    if rule == "jvp":
        dscores = probs * (dprobs - (dprobs * probs).sum(axis=-1, keepdims=True))
    elif rule == "s*dout":
        dscores = probs * dprobs
    else:
        dscores = probs * (1 - probs) * dprobs
    if scaled:
        dscores = dscores * scale
    dk = _swap(dscores) @ q if dk_transposed else dscores @ q  # (N, Tk, Tq) @ (N, Tq, d) -> (N, Tk, d)
    return dscores @ k, dk, dv


def _split(t, h, how="right"):
    """(N, T, D) -> (N, h, T, d): head j takes columns j*d ... (j+1)*d ("right"), or a learner's reshape."""
    N, T, D = t.shape
    d = D // h
    if how == "no transpose":
        return t.reshape(N, h, T, d)  # positions and heads mixed up
    if how == "interleaved":
        return t.reshape(N, T, d, h).transpose(0, 3, 1, 2)  # head j takes columns j, j + h, ...
    return t.reshape(N, T, h, d).transpose(0, 2, 1, 3)


def _merge(heads, how="right"):
    """(N, h, T, d) -> (N, T, D), the inverse (and the adjoint) of _split with the same `how`."""
    N, h, T, d = heads.shape
    if how == "no transpose":
        return heads.reshape(N, T, h * d)
    if how == "interleaved":
        return heads.transpose(0, 2, 3, 1).reshape(N, T, h * d)
    return heads.transpose(0, 2, 1, 3).reshape(N, T, h * d)


def _head_mask(mask, broadcast="right"):
    """A (T, T) or (N, T, T) mask shaped to broadcast over (N, h, T, T)."""
    if mask is None or mask.ndim == 2:
        return mask
    return mask[:, None] if broadcast == "right" else mask[None]  # (N, 1, T, T), or N taken as the heads' axis


def _mha(x, Wqkv, bqkv, Wo, bo, h, mask=None, split="right", merge="right", order=(0, 1, 2), scale="head",
         broadcast="right", masking="-inf", project=True):
    """Multi-head self-attention's output (N, T, D); order: which third of qkv serves as q, k and v."""
    N, T, D = x.shape
    qkv = x @ Wqkv + bqkv  # (N, T, 3D)
    thirds = [qkv[..., i * D:(i + 1) * D] for i in range(3)]  # each (N, T, D)
    q, k, v = (_split(thirds[i], h, split) for i in order)  # each (N, h, T, d)
    width = D // h if scale == "head" else D
    heads, _ = _attention(q, k, v, _head_mask(mask, broadcast), 1.0 / np.sqrt(width), masking)  # (N, h, T, d)
    merged = _merge(heads, merge)  # (N, T, D)
    return merged @ Wo + bo if project else merged


def _mha_backward(dout, x, Wqkv, bqkv, Wo, bo, h, mask=None, pack=(0, 1, 2), dheads_split="right",
                  dx_paths=(0, 1, 2), dWo_transposed=False):
    """(dx, dWqkv, dbqkv, dWo, dbo) of the right forward; pack: the order dq, dk, dv are packed back in,
    dx_paths: which of q, k, v pass their gradient on to x."""
    N, T, D = x.shape
    d = D // h
    qkv = x @ Wqkv + bqkv  # (N, T, 3D)
    q, k, v = (_split(qkv[..., i * D:(i + 1) * D], h) for i in range(3))  # each (N, h, T, d)
    heads, probs = _attention(q, k, v, _head_mask(mask), 1.0 / np.sqrt(d))
    merged = _merge(heads).reshape(N * T, D)
    dout2 = dout.reshape(N * T, D)
    dWo = merged.T @ dout2  # (D, N*T) @ (N*T, D) -> (D, D)
    dheads = _split((dout2 @ Wo.T).reshape(N, T, D), h, dheads_split)  # (N, h, T, d)
    grads = [_merge(g) for g in _attention_backward(dheads, q, k, v, probs, 1.0 / np.sqrt(d))]  # each (N, T, D)
    dqkv = np.concatenate([grads[i] for i in pack], axis=-1).reshape(N * T, 3 * D)
    kept = np.concatenate([grads[i] if i in dx_paths else 0 * grads[i] for i in pack], axis=-1).reshape(N * T, 3 * D)
    dx = (kept @ Wqkv.T).reshape(N, T, D)
    return dx, x.reshape(N * T, D).T @ dqkv, dqkv.sum(axis=0), dWo.T if dWo_transposed else dWo, dout2.sum(axis=0)


def _layernorm(x, gamma, beta, eps=1e-5, axis=-1, ddof=0, eps_where="inside"):
    centred = x - x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    std = np.sqrt(var + eps) if eps_where == "inside" else np.sqrt(var) + (eps if eps_where == "outside" else 0.0)
    return centred / std * gamma + beta


def _block(x, p, h, mask=None, norm="pre", attention_skip="x", ffn_skip=True, relu_last=False, pass_mask=True,
           second_norm="ln2"):
    """The block's output (N, T, D); attention_skip: what the attention's residual adds ("x", "normed" or None)."""
    N, T, D = x.shape
    g2, b2 = (p["ln2_gamma"], p["ln2_beta"]) if second_norm == "ln2" else (p["ln1_gamma"], p["ln1_beta"])
    attend_mask = mask if pass_mask else None
    if norm == "post":
        attended = _mha(x, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], h, attend_mask)
        y = _layernorm(x + attended, p["ln1_gamma"], p["ln1_beta"])
        hidden = np.maximum(y @ p["W1"] + p["b1"], 0)  # (N, T, Dff)
        return _layernorm(y + hidden @ p["W2"] + p["b2"], g2, b2)
    normed1 = _layernorm(x, p["ln1_gamma"], p["ln1_beta"])
    attended = _mha(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], h, attend_mask)
    y = attended + {"x": x, "normed": normed1, None: 0.0}[attention_skip]
    ffn = np.maximum(_layernorm(y, g2, b2) @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]  # (N, T, D)
    if relu_last:
        ffn = np.maximum(ffn, 0)
    return ffn + (y if ffn_skip else 0.0)


_BLOCK_GROUPS = {"dx": (), "ln1 grads": ("ln1_gamma", "ln1_beta"), "attention grads": ("Wqkv", "bqkv", "Wo", "bo"),
                 "ln2 grads": ("ln2_gamma", "ln2_beta"), "feed-forward grads": ("W1", "b1", "W2", "b2")}


def _grouped(dx, grads):
    """The block backward's results by part: dx alone, then the gradients of each sub-layer as a dict."""
    return {part: dx if part == "dx" else {key: grads[key] for key in keys} for part, keys in _BLOCK_GROUPS.items()}


def _block_backward(x, p, h, mask, dout, skip_in_dx=True, skip_in_dy=True, relu_mask=True, ln2_backward=True):
    """(dx, grads) of the right forward, built from the reference's own layers with one step left out."""
    N, T, D = x.shape
    normed1, ln1_cache = reference.layernorm_forward(x, p["ln1_gamma"], p["ln1_beta"])
    attended, mha_cache = reference.multihead_attention_forward(normed1, p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], h,
                                                                mask)
    normed2, ln2_cache = reference.layernorm_forward(x + attended, p["ln2_gamma"], p["ln2_beta"])
    hidden, fc1_cache = dense.affine_forward(normed2.reshape(N * T, D), p["W1"], p["b1"])  # (N*T, Dff)
    hidden, relu_cache = dense.relu_forward(hidden)
    _, fc2_cache = dense.affine_forward(hidden, p["W2"], p["b2"])
    g = {}
    dhidden, g["W2"], g["b2"] = dense.affine_backward(dout.reshape(N * T, D), fc2_cache)  # (N*T, Dff)
    if relu_mask:
        dhidden = dense.relu_backward(dhidden, relu_cache)
    dnormed2, g["W1"], g["b1"] = dense.affine_backward(dhidden, fc1_cache)
    dnormed2 = dnormed2.reshape(N, T, D)
    dy_branch, g["ln2_gamma"], g["ln2_beta"] = reference.layernorm_backward(dnormed2, ln2_cache)
    if not ln2_backward:
        dy_branch = dnormed2
    dy = dout + dy_branch if skip_in_dy else dy_branch
    dnormed1, g["Wqkv"], g["bqkv"], g["Wo"], g["bo"] = reference.multihead_attention_backward(dy, mha_cache)
    dx_branch, g["ln1_gamma"], g["ln1_beta"] = reference.layernorm_backward(dnormed1, ln1_cache)
    return dy + dx_branch if skip_in_dx else dx_branch, g


# -- drawing inputs -------------------------------------------------------------------------------
def _random_mask(rng, N, Tq, Tk):
    """(N, Tq, Tk) boolean: each query row may attend to at least one key and is barred from at least one."""
    mask = rng.random((N, Tq, Tk)) < 0.5
    for n in range(N):
        for t in range(Tq):
            allowed, barred = rng.permutation(Tk)[:2]
            mask[n, t, allowed], mask[n, t, barred] = True, False
    return mask


def _draw_mask(rng, kind, N, Tq, Tk):
    """None, "causal" (T, T), "random" (N, Tq, Tk), or "empty row": random with query 1 of sample 0 barred
    from every key."""
    if kind is None:
        return None
    if kind == "causal":
        return reference.causal_mask(Tq)
    mask = _random_mask(rng, N, Tq, Tk)
    if kind == "empty row":
        mask[0, 1, :] = False
    return mask


class _Shown:
    """Cases labelled by the inputs a learner can picture (x and the mask), not every parameter."""

    def shown(self, inputs):
        return inputs

    def cases(self, hidden):
        specs = list(self.visible) + (list(self.hidden) if hidden else [])
        cases = []
        for spec in specs:
            rng = generator(self.exercise_id, spec.seed)
            inputs = self.draw(rng, spec)
            case = Case(describe_case(spec.seed, self.shown(inputs), spec.note), inputs, dtype=spec.dtype,
                        sizes=self.sizes(inputs), hidden=spec in self.hidden)
            self.add_extra(rng, case)
            cases.append(case)
        return cases


# -- softmax --------------------------------------------------------------------------------------
class _Softmax(_Shown):
    reference = reference
    forward = "softmax_forward"
    # The masked case comes before the large one: a softmax that is NaN only on a row of -inf is told
    # apart from one that overflows by the next case.
    visible = (CaseSpec(0, shape=(4, 5), note="rows of 5"),
               CaseSpec(1, shape=(2, 3, 4), note="3 axes: softmax over the last"),
               CaseSpec(2, shape=(2, 3, 5), kind="masked", note="some scores -inf (masked keys), one row all -inf"),
               CaseSpec(3, shape=(3, 4), kind="far apart", note="rows near +1000, 0 and -1000: large scores"))
    hidden = (CaseSpec(100, shape=(6, 7), note="rows of 7"),
              CaseSpec(101, shape=(3, 2, 6), note="3 axes: softmax over the last"),
              CaseSpec(102, shape=(3, 2, 4), kind="masked", note="some scores -inf (masked keys), one row all -inf"),
              CaseSpec(103, shape=(4, 3), kind="far apart", note="rows near +1000, 0 and -1000: large scores"))

    def draw(self, rng, spec):
        shape = spec.sizes["shape"]
        x = normal(rng, shape, scale=2.0)
        kind = spec.sizes.get("kind")
        if kind == "far apart":
            x += np.resize([1000.0, 0.0, -1000.0], shape[0])[:, None]
        if kind == "masked":
            x[rng.random(shape) < 0.3] = -np.inf
            x[..., 0] = np.where(np.isneginf(x).all(axis=-1), 0.0, x[..., 0])  # no row all -inf by chance,
            x[0, -1, :] = -np.inf  # but this one on purpose
        return {"x": x}


@register
class SoftmaxForward(_Softmax, LayerForwardCheck):
    exercise_id = "transformer.softmax_forward"
    functions = ("softmax_forward",)

    def forward_mistakes(self, inputs):
        x = inputs["x"]
        e = np.exp(x)
        e_global = np.exp(x - x[np.isfinite(x)].max())
        row_max = x.max(axis=-1, keepdims=True)
        e_shifted = np.exp(x - np.where(np.isneginf(row_max), 0.0, row_max))
        found = [
            ("the max not subtracted before np.exp, which overflows for large scores",
             "subtract x.max(axis=-1, keepdims=True) first: the result is the same, without overflow",
             e / e.sum(axis=-1, keepdims=True)),
            ("one max over the whole array subtracted", "subtract each row's own max, x.max(axis=-1, keepdims=True): "
             "a row far below the global max underflows to 0 / 0", e_global / e_global.sum(axis=-1, keepdims=True)),
            ("softmax over axis 0 instead of the last axis", "normalise over the last axis: axis=-1",
             _softmax(x, axis=0)),
            ("the exponentials not normalised", "divide by each row's sum over the last axis",
             e_shifted),
            ("a row that is -inf everywhere (a query that may attend to nothing) giving NaN: -inf - (-inf) is NaN",
             "where a row's max is -inf shift by 0 instead (np.where), and divide by 1 where the sum is 0: the row "
             "gives zeros", _softmax(x, empty="nan")),
        ]
        if x.ndim >= 3:
            found.append(("softmax over axis 1 instead of the last axis", "use axis=-1, so any number of leading "
                          "axes works", _softmax(x, axis=1)))
        return found


@register
class SoftmaxBackward(_Softmax, LayerBackwardCheck):
    exercise_id = "transformer.softmax_backward"
    functions = ("softmax_forward", "softmax_backward")
    backward = "softmax_backward"
    grads = ("dx",)

    def backward_mistakes(self, inputs, dout, expected):
        s = _softmax(inputs["x"])
        twice = _softmax(s)
        weighted = (dout * s).sum(axis=-1, keepdims=True)  # (..., 1)
        return [
            ("softmax's backward as s * dout only (the - s * sum(dout * s) term missing)",
             "each output depends on every input of its row: dx = s * (dout - sum(dout * s, axis=-1, keepdims=True))",
             {"dx": s * dout}),
            ("the Jacobian's diagonal s * (1 - s) only", "the off-diagonal entries -s_i s_j count too: "
             "dx = s * (dout - sum(dout * s, axis=-1, keepdims=True))", {"dx": s * (1 - s) * dout}),
            ("sum(dout) where sum(dout * s) belongs", "the correction weighs dout by s: "
             "dx = s * (dout - sum(dout * s, axis=-1, keepdims=True))",
             {"dx": s * (dout - dout.sum(axis=-1, keepdims=True))}),
            ("the sum over axis 0 instead of the last axis", "sum over the row: axis=-1, keepdims=True",
             {"dx": s * (dout - (dout * s).sum(axis=0, keepdims=True))}),
            ("the correction added instead of subtracted", "dx = s * (dout - sum(dout * s))",
             {"dx": s * (dout + weighted)}),
            ("softmax applied again to the cached output", "the cache already holds s = softmax(x): use it as it is",
             {"dx": twice * (dout - (dout * twice).sum(axis=-1, keepdims=True))}),
        ]


# -- attention ------------------------------------------------------------------------------------
class _Attention(_Shown):
    reference = reference
    forward = "attention_forward"
    visible = (CaseSpec(0, N=2, Tq=3, Tk=4, d=5, dv=2, note="Tq != Tk, d != dv, no mask"),
               CaseSpec(1, N=2, Tq=4, Tk=5, d=3, dv=2, mask="random", note="a random mask (N, Tq, Tk)"),
               CaseSpec(2, N=2, Tq=5, Tk=5, d=4, dv=3, mask="causal", note="a causal mask (T, T)"),
               CaseSpec(3, N=2, Tq=3, Tk=4, d=2, dv=3, mask="empty row",
                        note="a mask (N, Tq, Tk) with a query that may attend to nothing"))
    hidden = (CaseSpec(100, N=3, Tq=2, Tk=6, d=4, dv=3, note="Tq != Tk, d != dv, no mask"),
              CaseSpec(101, N=1, Tq=5, Tk=3, d=2, dv=4, mask="random", note="a random mask (N, Tq, Tk)"),
              CaseSpec(102, N=2, Tq=6, Tk=6, d=3, dv=5, mask="causal", note="a causal mask (T, T)"),
              CaseSpec(103, N=3, Tq=4, Tk=5, d=3, dv=2, mask="empty row",
                       note="a mask (N, Tq, Tk) with a query that may attend to nothing"))

    def draw(self, rng, spec):
        s = spec.sizes
        inputs = {"q": normal(rng, (s["N"], s["Tq"], s["d"])), "k": normal(rng, (s["N"], s["Tk"], s["d"])),
                  "v": normal(rng, (s["N"], s["Tk"], s["dv"]))}
        mask = _draw_mask(rng, s.get("mask"), s["N"], s["Tq"], s["Tk"])
        if mask is not None:
            inputs["mask"] = mask  # without one the check calls attention_forward(q, k, v): mask=None by default
        return inputs

    def sizes(self, inputs):
        d = inputs["q"].shape[-1]
        return {"N (the batch size)": inputs["q"].shape[0], "d (the query width)": d,
                "sqrt(d)": float(np.sqrt(d))}


@register
class AttentionForward(_Attention, LayerForwardCheck):
    exercise_id = "transformer.attention_forward"
    functions = ("attention_forward",)
    uses = ("transformer.softmax_forward",)

    def forward_mistakes(self, inputs):
        q, k, v, mask = inputs["q"], inputs["k"], inputs["v"], inputs.get("mask")
        d, dv = q.shape[-1], v.shape[-1]

        def out(**knobs):
            return _attention(q, k, v, mask, **knobs)[0]

        found = [
            ("the 1/sqrt(d) scale forgotten", "scores = q @ k^T / sqrt(d), d the width of q and k", out(scale=1.0)),
            ("scores scaled by 1/d instead of 1/sqrt(d)", "divide by np.sqrt(d)", out(scale=1.0 / d)),
            ("scores multiplied by sqrt(d) instead of divided", "scores = q @ k^T / np.sqrt(d)", out(scale=np.sqrt(d))),
            ("the scale taken from v's width (1/sqrt(dv))", "the scale is 1/sqrt(d), d = q.shape[-1], the width of q "
             "and k", out(scale=1.0 / np.sqrt(dv))),
            ("softmax over the queries (axis -2) instead of the keys (the last axis)", "each query's weights over "
             "the keys sum to 1: softmax over the last axis of the (N, Tq, Tk) scores", out(axis=-2)),
        ]
        if mask is not None:
            found += [
                ("the mask's polarity inverted (True taken as 'masked out')", "True means 'may attend': keep the "
                 "scores where mask is True, np.where(mask, scores, -np.inf)", out(masking="inverted")),
                ("masking by multiplying the scores by the mask (0, not -inf)", "a masked score of 0 still gets "
                 "weight exp(0): set it to -inf, np.where(mask, scores, -np.inf)", out(masking="multiplied")),
                ("the mask not applied", "set the scores where mask is False to -inf before the softmax",
                 out(masking="ignored")),
                ("a query that may attend to nothing giving NaN", "its row of scores is -inf everywhere: the softmax "
                 "must give zeros there (shift by 0 where the row max is -inf), so the output row is 0",
                 out(empty="nan")),
                ("a query that may attend to nothing giving the mean of v (masked with a large negative number such "
                 "as -1e9)", "with -1e9 an empty row is uniform; mask with -np.inf and let the softmax give zeros "
                 "for a row of -inf", out(masking="-1e9")),
            ]
        return found


@register
class AttentionBackward(_Attention, LayerBackwardCheck):
    exercise_id = "transformer.attention_backward"
    functions = ("attention_forward", "attention_backward")
    uses = ("transformer.attention_forward", "transformer.softmax_backward")
    backward = "attention_backward"
    grads = ("dq", "dk", "dv")

    def backward_mistakes(self, inputs, dout, expected):
        q, k, v, mask = inputs["q"], inputs["k"], inputs["v"], inputs.get("mask")
        scale = 1.0 / np.sqrt(q.shape[-1])
        _, probs = _attention(q, k, v, mask)

        def grads(**knobs):
            return dict(zip(self.grads, _attention_backward(dout, q, k, v, probs, scale, **knobs)))

        scores = (q @ _swap(k)) * scale  # (N, Tq, Tk) before the mask and the softmax
        found = [
            ("the 1/sqrt(d) scale forgotten in the backward", "scores = q @ k^T / sqrt(d), so dscores carries the "
             "same 1/sqrt(d): multiply the softmax's gradient by it before dq and dk", grads(scaled=False)),
            ("softmax's backward as s * dout only (the - s * sum(dout * s) term missing)", "dscores = p * (dp - "
             "sum(dp * p, axis=-1, keepdims=True)): reuse your softmax_backward", grads(rule="s*dout")),
            ("the softmax Jacobian's diagonal s * (1 - s) only", "the off-diagonal terms count: dscores = p * (dp - "
             "sum(dp * p, axis=-1, keepdims=True))", grads(rule="diagonal")),
            ("dv from the unnormalised scores (q @ k^T / sqrt(d) in place of the softmax output)", "out = p @ v with "
             "p the softmax's output, so dv = p^T @ dout", {"dv": _swap(scores) @ dout}),
        ]
        if q.shape[-2] == k.shape[-2]:  # otherwise the wrong products do not fit and the learner's code raises
            found += [
                ("dk from dscores instead of dscores^T", "scores[i, j] = q_i . k_j / sqrt(d), so dk = dscores^T @ q "
                 "(keys along the rows)", grads(dk_transposed=False)),
                ("dq and dk swapped", "dq = dscores @ k and dk = dscores^T @ q", {"dq": expected["dk"],
                                                                                 "dk": expected["dq"]}),
                ("dv = p @ dout (p not transposed)", "dv = p^T @ dout: each key collects the gradient of the queries "
                 "that attended to it", {"dv": probs @ dout}),
            ]
        if mask is not None and not mask.any(axis=-1).all():
            _, nan_probs = _attention(q, k, v, mask, empty="nan")
            found.append(("a query that may attend to nothing giving NaN", "its probabilities must be 0 (not NaN): "
                          "then it passes no gradient", dict(zip(self.grads, _attention_backward(
                              dout, q, k, v, nan_probs, scale)))))
        return found


# -- multi-head attention -------------------------------------------------------------------------
class _MultiHead(_Shown):
    reference = reference
    forward = "multihead_attention_forward"
    # N = h in the per-sample mask cases, so a mask broadcast over the heads' axis gives wrong values
    # instead of an error.
    visible = (CaseSpec(0, N=2, T=4, D=6, h=2, note="2 heads of width 3, no mask"),
               CaseSpec(1, N=2, T=5, D=6, h=3, mask="causal", note="3 heads of width 2, a causal mask (T, T)"),
               CaseSpec(2, N=2, T=3, D=8, h=2, mask="empty row",
                        note="2 heads of width 4, a mask (N, T, T) per sample with a query that may attend to nothing"))
    hidden = (CaseSpec(100, N=3, T=5, D=8, h=2, note="2 heads of width 4, no mask"),
              CaseSpec(101, N=2, T=4, D=9, h=3, mask="causal", note="3 heads of width 3, a causal mask (T, T)"),
              CaseSpec(102, N=3, T=4, D=6, h=3, mask="empty row",
                       note="3 heads of width 2, a mask (N, T, T) per sample with a query that may attend to nothing"))

    def draw(self, rng, spec):
        s = spec.sizes
        N, T, D = s["N"], s["T"], s["D"]
        inputs = {"x": normal(rng, (N, T, D)), "Wqkv": normal(rng, (D, 3 * D), scale=1 / np.sqrt(D)),
                  "bqkv": normal(rng, (3 * D,), scale=0.5), "Wo": normal(rng, (D, D), scale=1 / np.sqrt(D)),
                  "bo": normal(rng, (D,), scale=0.5), "num_heads": s["h"]}
        mask = _draw_mask(rng, s.get("mask"), N, T, T)
        if mask is not None:
            inputs["mask"] = mask
        return inputs

    def shown(self, inputs):
        return {k: v for k, v in inputs.items() if k in ("x", "num_heads", "mask")}

    def sizes(self, inputs):
        N, T, D = inputs["x"].shape
        return {"N (the batch size)": N, "T (the sequence length)": T, "num_heads": inputs["num_heads"]}


@register
class MultiheadAttentionForward(_MultiHead, LayerForwardCheck):
    exercise_id = "transformer.multihead_attention_forward"
    functions = ("multihead_attention_forward",)
    uses = ("transformer.attention_forward",)

    def forward_mistakes(self, inputs):
        x, h, mask = inputs["x"], inputs["num_heads"], inputs.get("mask")
        weights = (inputs["Wqkv"], inputs["bqkv"], inputs["Wo"], inputs["bo"])

        def out(**knobs):
            return _mha(x, *weights, h, mask, **knobs)

        split_fix = ("head j uses columns j*d ... (j+1)*d of q: q.reshape(N, T, h, d).transpose(0, 2, 1, 3) "
                     "gives (N, h, T, d)")
        found = [
            ("heads split by reshape without the transpose (q.reshape(N, h, T, d) mixes positions into the heads)",
             split_fix, out(split="no transpose")),
            ("heads interleaved (head j taking columns j, j + h, j + 2h, ...)", split_fix,
             out(split="interleaved", merge="interleaved")),
            ("heads merged back by reshape without the transpose", "(N, h, T, d) goes back to (N, T, D) by "
             "transpose(0, 2, 1, 3) then reshape(N, T, D), so each position gathers its own heads",
             out(merge="no transpose")),
            ("the scale 1/sqrt(D) instead of 1/sqrt(D/h)", "each head attends in width d = D // num_heads: scale by "
             "1/sqrt(d), which is what attention_forward does on (N, h, T, d) inputs", out(scale="model")),
            ("q and k unpacked in the wrong order (k, q, v)", "Wqkv packs q, k, v in that order: q = qkv[..., :D], "
             "k = qkv[..., D:2*D], v = qkv[..., 2*D:]", out(order=(1, 0, 2))),
            ("q, k and v unpacked in the wrong order (v, k, q)", "Wqkv packs q, k, v in that order: q = qkv[..., :D], "
             "k = qkv[..., D:2*D], v = qkv[..., 2*D:]", out(order=(2, 1, 0))),
            ("k and v unpacked in the wrong order (q, v, k)", "Wqkv packs q, k, v in that order: q = qkv[..., :D], "
             "k = qkv[..., D:2*D], v = qkv[..., 2*D:]", out(order=(0, 2, 1))),
            ("the output projection Wo, bo left out", "out = concat(heads) @ Wo + bo", out(project=False)),
        ]
        if mask is not None:
            found.append(("the mask not applied", "pass the mask on to attention_forward", out(masking="ignored")))
            found.append(("the mask's polarity inverted (True taken as 'masked out')", "True means 'may attend'",
                          out(masking="inverted")))
            if mask.ndim == 3 and mask.shape[0] == h:
                found.append(("the mask (N, T, T) broadcast with N along the heads' axis", "give it an axis for the "
                              "heads: mask[:, None] has shape (N, 1, T, T) and is shared by all heads of a sample",
                              out(broadcast="wrong")))
        return found


@register
class MultiheadAttentionBackward(_MultiHead, LayerBackwardCheck):
    exercise_id = "transformer.multihead_attention_backward"
    functions = ("multihead_attention_forward", "multihead_attention_backward")
    uses = ("transformer.multihead_attention_forward", "transformer.attention_backward")
    backward = "multihead_attention_backward"
    grads = ("dx", "dWqkv", "dbqkv", "dWo", "dbo")

    def backward_mistakes(self, inputs, dout, expected):
        x, h, mask = inputs["x"], inputs["num_heads"], inputs.get("mask")
        weights = (inputs["Wqkv"], inputs["bqkv"], inputs["Wo"], inputs["bo"])
        T = x.shape[1]

        def grads(**knobs):
            return dict(zip(self.grads, _mha_backward(dout, x, *weights, h, mask, **knobs)))

        pack_fix = "pack the gradients back in the forward's order: dqkv = concatenate([dq, dk, dv], axis=-1)"
        return [
            ("dq, dk, dv packed back in the wrong order (dk, dq, dv)", pack_fix, grads(pack=(1, 0, 2))),
            ("dq, dk, dv packed back in the wrong order (dv, dk, dq)", pack_fix, grads(pack=(2, 1, 0))),
            ("the heads' gradient split by reshape without the transpose", "dout of the merged heads (N, T, D) goes "
             "back to (N, h, T, d) exactly as the forward split q: reshape(N, T, h, d).transpose(0, 2, 1, 3)",
             grads(dheads_split="no transpose")),
            ("dx from q's path alone", "k and v are computed from x too: dx = concatenate([dq, dk, dv]) @ Wqkv.T "
             "sums all three paths", grads(dx_paths=(0,))),
            ("dWo transposed", "dWo = heads^T @ dout, shape (D, D) like Wo with the heads' width along the rows",
             grads(dWo_transposed=True)),
            ("the bias gradients averaged over the N*T positions", "layers sum over the batch and positions: "
             "db = dout.sum(axis=(0, 1))", {"dbqkv": expected["dbqkv"] / (x.shape[0] * T),
                                          "dbo": expected["dbo"] / (x.shape[0] * T)}),
        ]


# -- layer norm -----------------------------------------------------------------------------------
class _LayerNorm(_Shown):
    reference = reference
    forward = "layernorm_forward"
    visible = (CaseSpec(0, shape=(4, 5), note="(N, D)"),
               CaseSpec(1, shape=(2, 3, 6), note="(N, T, D): each row of the last axis"),
               CaseSpec(2, shape=(4, 3), kind="flat rows",
                        note="a constant row (variance 0) and a row of variance near eps"),
               CaseSpec(3, shape=(3, 2, 4), eps=1e-2, note="(N, T, D), eps = 0.01 given, a constant row"))
    hidden = (CaseSpec(100, shape=(6, 8), note="(N, D)"),
              CaseSpec(101, shape=(3, 4, 5), note="(N, T, D): each row of the last axis"),
              CaseSpec(102, shape=(5, 4), kind="flat rows",
                       note="a constant row (variance 0) and a row of variance near eps"),
              CaseSpec(103, shape=(2, 3, 5), eps=1e-2, note="(N, T, D), eps = 0.01 given, a constant row"))

    def draw(self, rng, spec):
        shape = spec.sizes["shape"]
        D = shape[-1]
        x = normal(rng, shape, scale=2.0) + 1.0
        if spec.sizes.get("kind") == "flat rows":
            x[0] = 3.0
            x[1] = -1.0 + normal(rng, (D,), scale=2e-3)
        if "eps" in spec.sizes:
            x.reshape(-1, D)[0] = 3.0  # a constant row, where eps alone keeps the division finite
        inputs = {"x": x, "gamma": 1.0 + normal(rng, (D,), scale=0.5), "beta": normal(rng, (D,))}
        if "eps" in spec.sizes:
            inputs["eps"] = spec.sizes["eps"]
        return inputs

    def sizes(self, inputs):
        x = inputs["x"]
        return {"N (the batch size)": x.shape[0], "D (the width)": x.shape[-1]}


@register
class LayernormForward(_LayerNorm, LayerForwardCheck):
    exercise_id = "transformer.layernorm_forward"
    functions = ("layernorm_forward",)

    def forward_mistakes(self, inputs):
        x, gamma, beta = inputs["x"], inputs["gamma"], inputs["beta"]
        eps = inputs.get("eps", 1e-5)
        found = [
            ("layer norm over axis 0 (the batch) instead of the last axis", "each row is normalised on its own: "
             "mean and variance over axis=-1, keepdims=True", _layernorm(x, gamma, beta, eps, axis=0)),
            ("the unbiased variance (ddof=1)", "layer norm divides by D, not D - 1: x.var(axis=-1) or "
             "np.mean((x - mean)**2, axis=-1), as torch.nn.LayerNorm", _layernorm(x, gamma, beta, eps, ddof=1)),
            ("eps outside the square root: (x - mean) / (std + eps)", "eps goes under the root: "
             "(x - mean) / np.sqrt(var + eps)", _layernorm(x, gamma, beta, eps, eps_where="outside")),
            ("eps left out", "divide by np.sqrt(var + eps): a constant row has variance 0",
             _layernorm(x, gamma, beta, eps, eps_where="none")),
            ("gamma and beta swapped", "out = x_hat * gamma + beta", _layernorm(x, beta, gamma, eps)),
            ("gamma and beta left out", "scale and shift the normalised rows: x_hat * gamma + beta",
             _layernorm(x, 1.0, 0.0, eps)),
        ]
        if eps != 1e-5:
            found.append(("eps ignored (1e-5 used whatever eps is given)", "use the eps argument",
                          _layernorm(x, gamma, beta)))
        if x.ndim >= 3:
            found.append(("layer norm over axis 1 instead of the last axis", "use axis=-1, so (N, T, D) works as "
                          "(N, D) does", _layernorm(x, gamma, beta, eps, axis=1)))
        return found


@register
class LayernormBackward(_LayerNorm, LayerBackwardCheck):
    exercise_id = "transformer.layernorm_backward"
    functions = ("layernorm_forward", "layernorm_backward")
    backward = "layernorm_backward"
    grads = ("dx", "dgamma", "dbeta")

    def backward_mistakes(self, inputs, dout, expected):
        x, gamma = inputs["x"], inputs["gamma"]
        eps = inputs.get("eps", 1e-5)
        centred = x - x.mean(axis=-1, keepdims=True)
        inv_std = 1.0 / np.sqrt((centred**2).mean(axis=-1, keepdims=True) + eps)  # (..., 1)
        x_hat = centred * inv_std
        dx_hat = dout * gamma
        mean_term = dx_hat.mean(axis=-1, keepdims=True)
        variance_term = x_hat * (dx_hat * x_hat).mean(axis=-1, keepdims=True)
        batch_axes = tuple(range(x.ndim - 1))
        three_terms = ("dx = (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)) / std, means over the last axis "
                       "and dx_hat = dout * gamma")
        return [
            ("layer norm's backward missing the mean term", "the mean depends on every x of the row: " + three_terms,
             {"dx": inv_std * (dx_hat - variance_term)}),
            ("layer norm's backward missing the variance term", "the variance depends on every x of the row: "
             + three_terms, {"dx": inv_std * (dx_hat - mean_term)}),
            ("dx = dout * gamma / std alone (both the mean and the variance terms missing)", three_terms,
             {"dx": inv_std * dx_hat}),
            ("gamma left out of dx", "the gradient reaching x_hat is dout * gamma", {"dx": inv_std * (
                dout - dout.mean(axis=-1, keepdims=True) - x_hat * (dout * x_hat).mean(axis=-1, keepdims=True))}),
            ("dgamma without x_hat (the sum of dout)", "out = x_hat * gamma + beta, so dgamma = sum(dout * x_hat) "
             "over every axis but the last", {"dgamma": dout.sum(axis=batch_axes)}),
            ("dgamma and dbeta averaged over the rows", "layers sum over the batch: dgamma = (dout * x_hat).sum over "
             "every axis but the last", {"dgamma": expected["dgamma"] / (x.size // x.shape[-1]),
                                        "dbeta": expected["dbeta"] / (x.size // x.shape[-1])}),
        ]


# -- positional encoding --------------------------------------------------------------------------
def _positional(T, D, exponent="2i", swapped=False, layout="interleaved", last="sine", first_position=0, width=None):
    """A (T, D) encoding with one knob per mistake; width: the D the exponent divides by."""
    position = np.arange(first_position, first_position + T, dtype=np.float64)[:, None]  # (T, 1)
    column = np.arange(D)  # (D,)
    pair = column // 2
    power = {"2i": 2 * pair, "i": pair, "column": column}[exponent]
    angle = position / 10000.0 ** (power / (width or D))  # (T, D), each pair's angle twice
    if layout == "concatenated":  # all sines, then all cosines
        return np.concatenate([np.sin(angle[:, 0::2]), np.cos(angle[:, 0::2])], axis=1)[:, :D]
    even = column % 2 == 0
    first, second = (np.cos, np.sin) if swapped else (np.sin, np.cos)
    pe = np.where(even, first(angle), second(angle))
    if last == "cosine" and D % 2:
        pe[:, -1] = np.cos(angle[:, -1])
    return pe


@register
class PositionalEncoding(LayerForwardCheck):
    exercise_id = "transformer.positional_encoding"
    functions = ("positional_encoding",)
    reference = reference
    forward = "positional_encoding"
    visible = (CaseSpec(0, T=5, D=6, note="D even, T != D"),
               CaseSpec(1, T=4, D=7, note="D odd: ends with a sine column"),
               CaseSpec(2, T=12, D=10, note="12 positions: angles beyond 2 pi"))
    hidden = (CaseSpec(100, T=8, D=12, note="D even, T != D"),
              CaseSpec(101, T=6, D=9, note="D odd: ends with a sine column"),
              CaseSpec(102, T=20, D=14, note="20 positions: angles beyond 2 pi"))

    def draw(self, rng, spec):
        return {"T": spec.sizes["T"], "D": spec.sizes["D"]}

    def sizes(self, inputs):
        return {}

    parts = {"pe": 1}

    def call_learner(self, caller, case):
        return {"pe": caller.call("positional_encoding", case.inputs["T"], case.inputs["D"], returns="pe:array")}

    def expected(self, case):
        return {"pe": to_numpy(reference.positional_encoding(case.inputs["T"], case.inputs["D"]))}

    def mistakes(self, case, expected):
        return [Mistake(name, fix, {"pe": pe}) for name, fix, pe in self.forward_mistakes(case.inputs)]

    def forward_mistakes(self, inputs):
        T, D = inputs["T"], inputs["D"]
        formula = "pe[p, 2i] = sin(p / 10000**(2i / D)) and pe[p, 2i + 1] = cos(p / 10000**(2i / D))"
        found = [
            ("i where 2i belongs (10000**(i / D))", "the exponent is 2i / D, i counting the sine-cosine pairs: "
             + formula, _positional(T, D, exponent="i")),
            ("each column's own index in the exponent (2i + 1 for the cosine columns)", "a sine and its cosine "
             "share one frequency, 10000**(2i / D): " + formula, _positional(T, D, exponent="column")),
            ("sin and cos swapped (cosines in the even columns)", formula, _positional(T, D, swapped=True)),
            ("all the sines first, then all the cosines", "interleave them: even columns sines, odd columns cosines",
             _positional(T, D, layout="concatenated")),
            ("positions counted from 1", "positions run 0 ... T-1: np.arange(T)", _positional(T, D, first_position=1)),
        ]
        if D % 2:
            found += [
                ("an odd D ending with a cosine", "the last column 2i = D - 1 is even, so it holds a sine",
                 _positional(T, D, last="cosine")),
                ("the exponent divided by D + 1 for an odd D", "divide by D itself: 10000**(2i / D)",
                 _positional(T, D, width=D + 1)),
            ]
        return found


# -- the transformer block ------------------------------------------------------------------------
class _Block(_Shown):
    reference = reference
    forward = "transformer_block_forward"
    visible = (CaseSpec(0, N=2, T=4, D=6, Dff=10, h=2, note="2 heads, no mask"),
               CaseSpec(1, N=2, T=5, D=6, Dff=8, h=3, mask="causal", note="3 heads, a causal mask (T, T)"),
               CaseSpec(2, N=2, T=3, D=8, Dff=12, h=2, mask="empty row",
                        note="2 heads, a mask (N, T, T) with a query that may attend to nothing"))
    hidden = (CaseSpec(100, N=3, T=5, D=8, Dff=16, h=2, note="2 heads, no mask"),
              CaseSpec(101, N=2, T=4, D=9, Dff=12, h=3, mask="causal", note="3 heads, a causal mask (T, T)"),
              CaseSpec(102, N=3, T=4, D=6, Dff=10, h=3, mask="empty row",
                       note="3 heads, a mask (N, T, T) with a query that may attend to nothing"))

    def draw(self, rng, spec):
        s = spec.sizes
        N, T, D, Dff = s["N"], s["T"], s["D"], s["Dff"]
        shapes = {"ln1_gamma": (D,), "ln1_beta": (D,), "Wqkv": (D, 3 * D), "bqkv": (3 * D,), "Wo": (D, D),
                  "bo": (D,), "ln2_gamma": (D,), "ln2_beta": (D,), "W1": (D, Dff), "b1": (Dff,), "W2": (Dff, D),
                  "b2": (D,)}
        params = {}
        for key, shape in shapes.items():
            if key.endswith("gamma"):
                params[key] = 1.0 + normal(rng, shape, scale=0.3)
            elif len(shape) == 1:
                params[key] = normal(rng, shape, scale=0.3)
            else:
                params[key] = normal(rng, shape, scale=1 / np.sqrt(shape[0]))
        inputs = {"x": normal(rng, (N, T, D)), "params": params, "num_heads": s["h"]}
        mask = _draw_mask(rng, s.get("mask"), N, T, T)
        if mask is not None:
            inputs["mask"] = mask
        return inputs

    def shown(self, inputs):
        return {"x": inputs["x"], "W1": inputs["params"]["W1"], "num_heads": inputs["num_heads"],
                **({"mask": inputs["mask"]} if "mask" in inputs else {})}

    def sizes(self, inputs):
        N, T, D = inputs["x"].shape
        return {"N (the batch size)": N, "num_heads": inputs["num_heads"]}

    def reference_forward(self, case):
        i = case.inputs
        args = [i["x"].copy(), {k: v.copy() for k, v in i["params"].items()}, i["num_heads"]]
        return reference.transformer_block_forward(*args, *([i["mask"]] if "mask" in i else []))


@register
class TransformerBlockForward(_Block, LayerForwardCheck):
    exercise_id = "transformer.transformer_block_forward"
    functions = ("transformer_block_forward",)
    uses = ("transformer.layernorm_forward", "transformer.multihead_attention_forward")

    def forward_mistakes(self, inputs):
        x, p, h, mask = inputs["x"], inputs["params"], inputs["num_heads"], inputs.get("mask")
        pre_norm = "pre-norm: y = x + MHA(LN1(x)); out = y + relu(LN2(y) @ W1 + b1) @ W2 + b2"
        found = [
            ("the block as post-norm (layer norm after each residual sum)", "normalise each sub-layer's input, "
             "not the sum: " + pre_norm, _block(x, p, h, mask, norm="post")),
            ("the attention's residual forgotten (y = MHA(LN1(x)))", "add the input back: y = x + MHA(LN1(x))",
             _block(x, p, h, mask, attention_skip=None)),
            ("the residual added to LN1(x) instead of x", "the skip path carries x itself: y = x + MHA(LN1(x))",
             _block(x, p, h, mask, attention_skip="normed")),
            ("the feed-forward residual forgotten", "add y back: out = y + FFN(LN2(y))",
             _block(x, p, h, mask, ffn_skip=False)),
            ("a ReLU after the second linear layer", "the ReLU sits between the two linear layers only: "
             "relu(LN2(y) @ W1 + b1) @ W2 + b2", _block(x, p, h, mask, relu_last=True)),
            ("ln1's gamma and beta used for the second layer norm too", "LN2 has its own parameters, "
             "ln2_gamma and ln2_beta", _block(x, p, h, mask, second_norm="ln1")),
        ]
        if mask is not None:
            found.append(("the mask not passed on to the attention", "hand mask to multihead_attention_forward",
                          _block(x, p, h, mask, pass_mask=False)))
        return found


@register
class TransformerBlockBackward(_Block, LayerBackwardCheck):
    """Five parts: dx, and the gradients of each sub-layer's parameters as one part (ln1, attention, ln2,
    feed-forward), since a mistake in one backward step spoils its sub-layer's gradients together."""

    exercise_id = "transformer.transformer_block_backward"
    functions = ("transformer_block_forward", "transformer_block_backward")
    uses = ("transformer.transformer_block_forward", "transformer.layernorm_backward",
            "transformer.multihead_attention_backward")
    backward = "transformer_block_backward"
    parts = {part: 1 for part in _BLOCK_GROUPS}

    def call_learner(self, caller, case):
        i = case.inputs
        args = [i["x"], i["params"], i["num_heads"]] + ([i["mask"]] if "mask" in i else [])
        _, cache = caller.call(self.forward, *args, returns=("out:array", "cache:cache"))
        dx, grads = caller.call(self.backward, case.extra["dout"], cache, returns=("dx:array", "grads:dict"))
        found = {"dx": dx}
        for part, keys in _BLOCK_GROUPS.items():
            if part == "dx":
                continue
            missing = [key for key in keys if key not in grads]
            if missing:
                others = ", ".join(repr(k) for k in grads) or "no keys"
                found[part] = LearnerError(f"grads has no key {missing[0]!r} (it has {others}); use the params' "
                                           f"keys {', '.join(BLOCK_PARAMS)}", "return")
            else:
                found[part] = {key: grads[key] for key in keys}
        return found

    def expected(self, case):
        _, cache = self.reference_forward(case)
        dx, grads = reference.transformer_block_backward(case.extra["dout"].copy(), cache)
        return _grouped(to_numpy(dx), {k: to_numpy(v) for k, v in grads.items()})

    def compare(self, part, expected, got, case):
        tolerance = tolerance_for(case.dtype)
        if part == "dx":
            return compare_arrays(expected, got, tolerance, name="dx")
        for key in expected:
            comparison = compare_arrays(expected[key], got[key], tolerance, name=f"grads[{key!r}]")
            if not comparison.ok:
                return comparison
        return Comparison(True)

    def mistakes(self, case, expected):
        x, p, h, mask = case.inputs["x"], case.inputs["params"], case.inputs["num_heads"], case.inputs.get("mask")
        dout = case.extra["dout"]

        def grads(**knobs):
            return _grouped(*_block_backward(x, p, h, mask, dout, **knobs))

        found = [
            ("dx missing the skip gradient (the attention residual's dy not added)", "y = x + MHA(LN1(x)), so "
             "dx = dy + the attention branch's gradient", {"dx": grads(skip_in_dx=False)["dx"]}),
            ("dy missing the skip gradient (dout not added to the feed-forward branch's gradient)",
             "out = y + FFN(LN2(y)), so dy = dout + the feed-forward branch's gradient", grads(skip_in_dy=False)),
            ("the ReLU's mask left out of the backward pass", "multiply the hidden layer's gradient by "
             "(hidden > 0), as relu_backward does", grads(relu_mask=False)),
            ("LN2's backward skipped (its input's gradient taken as its output's)", "pass the gradient through "
             "layernorm_backward before adding the skip path", grads(ln2_backward=False)),
        ]
        return [Mistake(name, fix, outputs) for name, fix, outputs in found]
