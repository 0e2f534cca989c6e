"""Lesson 05, recurrent networks: a vanilla (tanh) RNN and an LSTM, one step and a whole sequence with
backpropagation through time, and gradient clipping by global norm.

Dimensions used below:
    N   batch size          T   sequence length          D   input width          H   hidden width

Sequences are (N, T, D) and hidden states (N, H). Dense weights are (D_in, D_out), so the RNN's
Wx is (D, H) and Wh (H, H); the LSTM packs its four gates along the last axis, Wx (D, 4H), Wh (H, 4H),
b (4H,), in the order input, forget, cell candidate, output (i, f, g, o), as torch.nn.LSTM does.

A step is split in two: the part that reads x (one affine map) and the recurrent cell that reads the
previous state. The whole-sequence functions apply the x part to all T steps in one matrix product,
loop the cell over time (the only loop; step t needs step t-1), and sum the weight gradients of all
steps in one product at the end. The step functions are the same cell with the x part around it.
"""
import math
import numbers

from .arguments import require_array, require_same_dtype, require_shape
from .backend import device, namespace

__all__ = [
    "rnn_step_forward", "rnn_step_backward", "rnn_forward", "rnn_backward", "lstm_step_forward",
    "lstm_step_backward", "lstm_forward", "lstm_backward", "clip_gradients",
]


def rnn_step_forward(x, h_prev, Wx, Wh, b):
    """One step of a tanh RNN: h_next = tanh(x @ Wx + h_prev @ Wh + b).

    x (N, D); h_prev (N, H); Wx (D, H); Wh (H, H); b (H,). Returns h_next (N, H) and cache.
    """
    _check_step("rnn_step_forward", x, h_prev, Wx, Wh, b, gates=1)
    h_next = _rnn_cell(x @ Wx + b, h_prev, Wh)  # (N, H)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_backward(dh_next, cache):
    """Gradients of rnn_step_forward.

    dh_next (N, H); cache from the forward.
    Returns dx (N, D), dh_prev (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    xp = namespace(dh_next)
    x, h_prev, Wx, Wh, h_next = cache
    da, dh_prev = _rnn_cell_backward(dh_next, h_next, Wh)  # (N, H) each
    dx, dWx, db = _input_map_backward(xp, da, x, Wx)
    return dx, dh_prev, dWx, xp.matrix_transpose(h_prev) @ da, db  # dWh: (H, N) @ (N, H)


def rnn_forward(x, h0, Wx, Wh, b):
    """A tanh RNN over a whole sequence: h[:, t] = tanh(x[:, t] @ Wx + h[:, t-1] @ Wh + b), h[:, -1] = h0.

    x (N, T, D); h0 (N, H); Wx (D, H); Wh (H, H); b (H,). Returns h (N, T, H), every step's hidden
    state, and cache.
    """
    func = "rnn_forward"
    _check_sequence(func, x, h0, Wx, Wh, b, gates=1)
    xp = namespace(x)
    x_steps = _input_map(xp, x, Wx, b)  # (T, N, H): the x part of every step at once
    h, states = h0, [h0]
    for t in range(x.shape[1]):
        h = _rnn_cell(x_steps[t], h, Wh)  # (N, H)
        states.append(h)
    hs = xp.stack(states, axis=1)  # (N, T+1, H): h0, then every step's output
    return hs[:, 1:], (x, Wx, Wh, hs)


def rnn_backward(dh, cache):
    """Backpropagation through time for rnn_forward.

    dh (N, T, H): the upstream gradient of every h[:, t] (zeros where a step's output is unused).
    Returns dx (N, T, D), dh0 (N, H), dWx (D, H), dWh (H, H), db (H,).
    """
    xp = namespace(dh)
    x, Wx, Wh, hs = cache
    T = dh.shape[1]
    # The gradient reaching h[:, t] is its own upstream gradient plus what step t+1 sends back.
    dh_prev = xp.zeros_like(dh[:, 0])  # (N, H): nothing comes back from after the last step
    das = [None] * T
    for t in reversed(range(T)):
        das[t], dh_prev = _rnn_cell_backward(dh[:, t] + dh_prev, hs[:, t + 1], Wh)
    da = xp.stack(das, axis=1)  # (N, T, H)
    dx, dWx, db = _input_map_backward(xp, da, x, Wx)
    dWh = _sum_over_steps(xp, hs[:, :-1], da)  # sum_t h[:, t-1]^T @ da[:, t] -> (H, H)
    return dx, dh_prev, dWx, dWh, db


def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    """One LSTM step.

    a = x @ Wx + h_prev @ Wh + b, split along the last axis into i, f, g, o (H columns each);
    i, f, o = sigmoid(...), g = tanh(...); c_next = f * c_prev + i * g; h_next = o * tanh(c_next).
    x (N, D); h_prev, c_prev (N, H); Wx (D, 4H); Wh (H, 4H); b (4H,).
    Returns h_next (N, H), c_next (N, H) and cache.
    """
    func = "lstm_step_forward"
    _check_step(func, x, h_prev, Wx, Wh, b, gates=4)
    require_shape(func, "c_prev", require_array(func, "c_prev", c_prev), tuple(h_prev.shape), "(N, H) as h_prev")
    require_same_dtype(func, x=x, c_prev=c_prev)
    h_next, c_next, cell = _lstm_cell(x @ Wx + b, h_prev, c_prev, Wh, _gate_constants(h_prev.shape[1], x))
    return h_next, c_next, (x, h_prev, Wx, Wh, cell)


def lstm_step_backward(dh_next, dc_next, cache):
    """Gradients of lstm_step_forward.

    dh_next, dc_next (N, H): upstream gradients of h_next and c_next; cache from the forward.
    Returns dx (N, D), dh_prev (N, H), dc_prev (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    xp = namespace(dh_next)
    x, h_prev, Wx, Wh, cell = cache
    da, dh_prev, dc_prev = _lstm_cell_backward(xp, dh_next, dc_next, cell, Wh)  # (N, 4H), (N, H), (N, H)
    dx, dWx, db = _input_map_backward(xp, da, x, Wx)
    return dx, dh_prev, dc_prev, dWx, xp.matrix_transpose(h_prev) @ da, db  # dWh: (H, N) @ (N, 4H)


def lstm_forward(x, h0, c0, Wx, Wh, b):
    """An LSTM over a whole sequence, starting from hidden state h0 and cell state c0.

    x (N, T, D); h0, c0 (N, H) (zeros for a fresh state); Wx (D, 4H); Wh (H, 4H); b (4H,).
    Returns h (N, T, H), every step's hidden state, and cache. The cell states stay inside.
    """
    func = "lstm_forward"
    _check_sequence(func, x, h0, Wx, Wh, b, gates=4)
    require_shape(func, "c0", require_array(func, "c0", c0), tuple(h0.shape), "(N, H) as h0")
    require_same_dtype(func, x=x, c0=c0)
    xp = namespace(x)
    x_steps = _input_map(xp, x, Wx, b)  # (T, N, 4H): the x part of every step at once
    h, c, states, cells = h0, c0, [h0], []
    constants = _gate_constants(h0.shape[1], x)  # made once, shared by every step
    for t in range(x.shape[1]):
        h, c, cell = _lstm_cell(x_steps[t], h, c, Wh, constants)  # (N, H), (N, H)
        states.append(h)
        cells.append(cell)
    hs = xp.stack(states, axis=1)  # (N, T+1, H): h0, then every step's output
    return hs[:, 1:], (x, Wx, Wh, hs, cells)


def lstm_backward(dh, cache):
    """Backpropagation through time for lstm_forward.

    dh (N, T, H): the upstream gradient of every h[:, t]; the final cell state gets none.
    Returns dx (N, T, D), dh0 (N, H), dc0 (N, H), dWx (D, 4H), dWh (H, 4H), db (4H,).
    """
    xp = namespace(dh)
    x, Wx, Wh, hs, cells = cache
    T = dh.shape[1]
    dh_prev = xp.zeros_like(dh[:, 0])  # (N, H)
    dc_prev = xp.zeros_like(dh[:, 0])  # (N, H)
    das = [None] * T
    for t in reversed(range(T)):
        das[t], dh_prev, dc_prev = _lstm_cell_backward(xp, dh[:, t] + dh_prev, dc_prev, cells[t], Wh)
    da = xp.stack(das, axis=1)  # (N, T, 4H)
    dx, dWx, db = _input_map_backward(xp, da, x, Wx)
    dWh = _sum_over_steps(xp, hs[:, :-1], da)  # sum_t h[:, t-1]^T @ da[:, t] -> (H, 4H)
    return dx, dh_prev, dc_prev, dWx, dWh, db


def clip_gradients(grads, max_norm):
    """Scale every gradient by one factor so that their global L2 norm is at most max_norm.

    grads: dict name -> array (any shapes, one library); max_norm: a number >= 0.
    total_norm = sqrt(sum of the squares of every entry of every array); each array is multiplied by
    min(1, max_norm / (total_norm + 1e-6)), exactly as torch.nn.utils.clip_grad_norm_.
    Returns a NEW dict with the same keys (the input arrays are not modified) and total_norm, the
    norm before clipping, as a Python float.
    """
    func = "clip_gradients"
    if not isinstance(grads, dict):
        raise TypeError(f"{func}: grads must be a dict of arrays, got {type(grads).__name__}")
    if isinstance(max_norm, bool) or not isinstance(max_norm, numbers.Real) or not max_norm >= 0:
        raise ValueError(f"{func}: max_norm must be a number >= 0, got {max_norm!r}")
    for name, grad in grads.items():
        require_array(func, f"grads[{name!r}]", grad)
    if not grads:
        return {}, 0.0
    xp = namespace(*grads.values())
    total_norm = math.sqrt(sum(float(xp.sum(grad * grad)) for grad in grads.values()))
    scale = min(1.0, max_norm / (total_norm + 1e-6))
    return {name: grad * scale for name, grad in grads.items()}, total_norm


def _rnn_cell(a_x, h_prev, Wh):
    """The recurrent part of a tanh RNN step: a_x (N, H), the step's x @ Wx + b; h_prev (N, H) -> h (N, H)."""
    return namespace(a_x).tanh(a_x + h_prev @ Wh)


def _rnn_cell_backward(dh, h, Wh):
    """dh (N, H), the step's output h (N, H) -> da (N, H) for the pre-activation, dh_prev (N, H)."""
    xp = namespace(dh)
    da = dh * (1 - h * h)  # tanh' = 1 - tanh^2
    return da, da @ xp.matrix_transpose(Wh)  # (N, H) @ (H, H)


def _lstm_cell(a_x, h_prev, c_prev, Wh, constants):
    """The recurrent part of an LSTM step.

    a_x (N, 4H), the step's x @ Wx + b; h_prev, c_prev (N, H); Wh (H, 4H); constants from
    _gate_constants. Returns h (N, H), c (N, H) and what the backward needs.
    """
    xp = namespace(a_x)
    H = h_prev.shape[1]
    a = a_x + h_prev @ Wh  # (N, 4H): i, f, g, o pre-activations side by side
    # sigmoid(a) = 0.5 + 0.5 * tanh(a / 2), so ONE tanh over all 4H columns gives the four gates:
    # gates = tanh(a * scale) * scale + shift, with (scale, shift) = (1/2, 1/2) on the sigmoid
    # columns i, f, o and (1, 0) on the tanh column g. It never overflows, unlike exp(-a).
    scale, shift, _ = constants  # (4H,) each
    t = xp.tanh(a * scale)  # (N, 4H)
    gates = t * scale + shift  # (N, 4H)
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]  # (N, H) views
    c = f * c_prev + i * g  # (N, H)
    tanh_c = xp.tanh(c)
    return o * tanh_c, c, (gates, t, tanh_c, c_prev, constants)


def _lstm_cell_backward(xp, dh, dc, cell, Wh):
    """dh, dc (N, H): the gradients reaching a step's h and c -> da (N, 4H), dh_prev (N, H), dc_prev (N, H)."""
    gates, t, tanh_c, c_prev, (_, _, slope) = cell
    H = dh.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]  # (N, H) views
    dc = dc + dh * o * (1 - tanh_c * tanh_c)  # (N, H): c reaches the loss directly and through h
    dgates = xp.concat((dc * g, dc * c_prev, dc * i, dh * tanh_c), axis=1)  # (N, 4H): d/di, d/df, d/dg, d/do
    # d gates / d a = scale^2 * (1 - t^2): that is s (1 - s) on the sigmoid columns and 1 - g^2 on g.
    da = dgates * slope * (1 - t * t)  # (N, 4H) in the order of the packed weights
    return da, da @ xp.matrix_transpose(Wh), dc * f  # (N, 4H) @ (4H, H)


def _gate_constants(H, like):
    """(scale, shift, slope = scale^2), each (4H,) on like's device and dtype, that turn one tanh
    into the i, f, g, o gates (see _lstm_cell)."""
    xp = namespace(like)
    half = xp.full((H,), 0.5, dtype=like.dtype, device=device(like))
    one = xp.ones((H,), dtype=like.dtype, device=device(like))
    scale = xp.concat((half, half, one, half))  # (4H,)
    shift = xp.concat((half, half, xp.zeros_like(one), half))  # (4H,)
    return scale, shift, scale * scale


def _input_map(xp, x, Wx, b):
    """x (N, T, D) -> x @ Wx + b for every step, time first: (T, N, G), G = H or 4H columns."""
    N, T, D = x.shape
    x_time = xp.reshape(xp.permute_dims(x, (1, 0, 2)), (T * N, D))  # (T*N, D), step by step
    return xp.reshape(x_time @ Wx + b, (T, N, Wx.shape[1]))  # (T, N, G): each step's slab contiguous


def _input_map_backward(xp, da, x, Wx):
    """Gradients of x @ Wx + b from da (..., G) with x (..., D): dx (..., D), dWx (D, G), db (G,).

    Works for one step (N, ...) and a whole sequence (N, T, ...) alike: the weight gradients sum
    every row, of every step, in one product.
    """
    G = da.shape[-1]
    dx = da @ xp.matrix_transpose(Wx)  # (..., G) @ (G, D) -> (..., D)
    dWx = _sum_over_steps(xp, x, da)  # (D, G)
    db = xp.sum(xp.reshape(da, (-1, G)), axis=0)  # (G,)
    return dx, dWx, db


def _sum_over_steps(xp, inputs, da):
    """sum over every row r (all steps of all sequences) of inputs[r]^T da[r]: (..., D) and (..., G) -> (D, G)."""
    rows = xp.reshape(inputs, (-1, inputs.shape[-1]))  # (N*T, D)
    return xp.matrix_transpose(rows) @ xp.reshape(da, (-1, da.shape[-1]))  # (D, N*T) @ (N*T, G)


def _check_step(func, x, h_prev, Wx, Wh, b, gates):
    """Shapes and dtypes of a step's x (N, D), h_prev (N, H), Wx (D, G), Wh (H, G), b (G,), G = gates * H."""
    require_array(func, "x", x, ndim=2)
    require_array(func, "h_prev", h_prev, ndim=2)
    N, D = x.shape
    H = h_prev.shape[1]
    require_shape(func, "h_prev", h_prev, (N, H), "(N, H) with x's N")
    _check_weights(func, D, H, Wx, Wh, b, gates)
    require_same_dtype(func, x=x, h_prev=h_prev, Wx=Wx, Wh=Wh, b=b)


def _check_sequence(func, x, h0, Wx, Wh, b, gates):
    """Shapes and dtypes of a sequence's x (N, T, D), h0 (N, H), Wx (D, G), Wh (H, G), b (G,)."""
    require_array(func, "x", x, ndim=3)
    require_array(func, "h0", h0, ndim=2)
    N, T, D = x.shape
    if T < 1:
        raise ValueError(f"{func}: x must hold at least one time step, got shape {tuple(x.shape)} (T = 0)")
    H = h0.shape[1]
    require_shape(func, "h0", h0, (N, H), "(N, H) with x's N")
    _check_weights(func, D, H, Wx, Wh, b, gates)
    require_same_dtype(func, x=x, h0=h0, Wx=Wx, Wh=Wh, b=b)


def _check_weights(func, D, H, Wx, Wh, b, gates):
    G, packed = gates * H, "4H" if gates == 4 else "H"
    require_shape(func, "Wx", require_array(func, "Wx", Wx, ndim=2), (D, G), f"(D, {packed})")
    require_shape(func, "Wh", require_array(func, "Wh", Wh, ndim=2), (H, G), f"(H, {packed})")
    require_shape(func, "b", require_array(func, "b", b), (G,), f"({packed},)")
