"""Learner mistakes and correct alternatives for lesson 05, recurrent networks (RNN, LSTM, clipping)."""
import math

import numpy as np

from .entries import alternative, mistake

RNN_STEP_GRADS = {"dx", "dh_prev", "dWx", "dWh", "db"}
RNN_GRADS = {"dx", "dh0", "dWx", "dWh", "db"}
LSTM_STEP_GRADS = {"dx", "dh_prev", "dc_prev", "dWx", "dWh", "db"}
LSTM_GRADS = {"dx", "dh0", "dc0", "dWx", "dWh", "db"}


def sigmoid(a):
    return 0.5 * (1 + np.tanh(a / 2))


# -- the RNN step -------------------------------------------------------------------------------------
def rnn_step_forward(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_backward(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_step_forward_Wh_transposed(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh.T + b)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_forward_tanh_from_exp(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    h_next = (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_forward_sigmoid(x, h_prev, Wx, Wh, b):
    h_next = 1 / (1 + np.exp(-(x @ Wx + h_prev @ Wh + b)))
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_forward_without_bias(x, h_prev, Wx, Wh, b):
    h_next = np.tanh(x @ Wx + h_prev @ Wh)
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_forward_einsum(x, h_prev, Wx, Wh, b):
    a = np.einsum("nd,dh->nh", x, Wx) + np.einsum("nk,kh->nh", h_prev, Wh) + b
    return np.tanh(a), {"x": x, "h_prev": h_prev, "Wx": Wx, "Wh": Wh, "h": np.tanh(a)}


def rnn_step_forward_per_example(x, h_prev, Wx, Wh, b):
    h_next = np.stack([np.tanh(x_n @ Wx + h_n @ Wh + b) for x_n, h_n in zip(x, h_prev)])
    return h_next, (x, h_prev, Wx, Wh, h_next)


def rnn_step_forward_caching_a(x, h_prev, Wx, Wh, b):
    a = x @ Wx + h_prev @ Wh + b
    return np.tanh(a), (x, h_prev, Wx, Wh, a)


def rnn_step_backward_from_a(dh_next, cache):
    x, h_prev, Wx, Wh, a = cache
    da = dh_next * (1 - a**2)  # the derivative of tanh taken at the pre-activation
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_step_backward_without_Wh(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_step_backward_dWh_transposed(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da, da.T @ h_prev, da.sum(axis=0)


def rnn_step_backward_averaged(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    N = x.shape[0]
    da = dh_next * (1 - h_next**2)
    return da @ Wx.T, da @ Wh.T, x.T @ da / N, h_prev.T @ da / N, da.mean(axis=0)


def rnn_step_backward_one_minus_h(dh_next, cache):
    x, h_prev, Wx, Wh, h_next = cache
    da = dh_next * (1 - h_next)
    return da @ Wx.T, da @ Wh.T, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def rnn_step_backward_einsum(dh_next, cache):
    h = cache["h"]
    da = dh_next * (1 - h * h)
    return (np.einsum("nh,dh->nd", da, cache["Wx"]), np.einsum("nh,kh->nk", da, cache["Wh"]),
            np.einsum("nd,nh->dh", cache["x"], da), np.einsum("nk,nh->kh", cache["h_prev"], da),
            np.einsum("nh->h", da))


# -- the RNN over a sequence --------------------------------------------------------------------------
def rnn_forward(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, states = h0, []
    for t in range(T):
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
        states.append(h)
    hs = np.stack(states, axis=1)  # (N, T, H)
    return hs, (x, h0, Wx, Wh, hs)


def rnn_backward(dh, cache):
    x, h0, Wx, Wh, hs = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


def rnn_forward_from_steps(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, states, caches = h0, [], []
    for t in range(T):
        h, step_cache = rnn_step_forward(x[:, t], h, Wx, Wh, b)
        states.append(h)
        caches.append(step_cache)
    return np.stack(states, axis=1), caches


def rnn_backward_from_steps(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dWx, dWh, db


def rnn_forward_projecting_x_first(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    projected = np.einsum("ntd,dh->nth", x, Wx) + b  # (N, T, H): the x part of every step at once
    hs = np.empty_like(projected)
    h = h0
    for t in range(T):
        h = np.tanh(projected[:, t] + h @ Wh)
        hs[:, t] = h
    return hs, (x, h0, Wx, Wh, hs)


def rnn_backward_einsum(dh, cache):
    x, h0, Wx, Wh, hs = cache
    N, T, D = x.shape
    previous = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (N, T, H): each step's h_prev
    da = np.zeros_like(hs)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        da[:, t] = (dh[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dh_next = da[:, t] @ Wh.T
    return (np.einsum("nth,dh->ntd", da, Wx), dh_next, np.einsum("ntd,nth->dh", x, da),
            np.einsum("ntk,nth->kh", previous, da), np.einsum("nth->h", da))


def rnn_forward_from_zeros(x, h0, Wx, Wh, b):
    return rnn_forward(x, np.zeros_like(h0), Wx, Wh, b)


def rnn_forward_h0_every_step(x, h0, Wx, Wh, b):
    hs = np.stack([np.tanh(x[:, t] @ Wx + h0 @ Wh + b) for t in range(x.shape[1])], axis=1)
    return hs, (x, h0, Wx, Wh, hs)


def rnn_forward_states_shifted(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, states = h0, []
    for t in range(T):
        states.append(h)  # appended before the step: h[:, t] is the state step t reads
        h = np.tanh(x[:, t] @ Wx + h @ Wh + b)
    return np.stack(states, axis=1), None


def rnn_forward_from_wrong_steps(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, states, caches = h0, [], []
    for t in range(T):
        h, step_cache = rnn_step_forward_Wh_transposed(x[:, t], h, Wx, Wh, b)
        states.append(h)
        caches.append(step_cache)
    return np.stack(states, axis=1), caches


def rnn_backward_without_carry(dh, cache):
    x, h0, Wx, Wh, hs = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(Wh.shape[1])
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = dh[:, t] * (1 - hs[:, t] ** 2)  # only this step's own upstream gradient
        dx[:, t] = da @ Wx.T
        dWx += x[:, t].T @ da
        dWh += h_prev.T @ da
        db += da.sum(axis=0)
        dh_prev = da @ Wh.T
    return dx, dh_prev, dWx, dWh, db


def rnn_backward_weights_assigned(dh, cache):
    x, h0, Wx, Wh, hs = cache
    N, T, D = x.shape
    dx = np.zeros_like(x)
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        h_prev = hs[:, t - 1] if t > 0 else h0
        da = (dh[:, t] + dh_next) * (1 - hs[:, t] ** 2)
        dx[:, t] = da @ Wx.T
        dWx = x[:, t].T @ da  # overwritten at every step: step 0's is what is left
        dWh = h_prev.T @ da
        db = da.sum(axis=0)
        dh_next = da @ Wh.T
    return dx, dh_next, dWx, dWh, db


def rnn_backward_last_step_gradient_only(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next = dh[:, -1]  # as if only the last output had a loss
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dWx, dWh, db


def rnn_backward_final_gradient_twice(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next = dh[:, -1]
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dh_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dWx, dWh, db


def rnn_backward_from_wrong_steps(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dWx_t, dWh_t, db_t = rnn_step_backward_from_a(dh[:, t] + dh_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dWx, dWh, db


def rnn_forward_caching_a(x, h0, Wx, Wh, b):
    N, T, D = x.shape
    h, states, caches = h0, [], []
    for t in range(T):
        h, step_cache = rnn_step_forward_caching_a(x[:, t], h, Wx, Wh, b)
        states.append(h)
        caches.append(step_cache)
    return np.stack(states, axis=1), caches


# -- the LSTM step ------------------------------------------------------------------------------------
def lstm_step_forward(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    h_next = o * np.tanh(c_next)
    return h_next, c_next, (x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next)


def lstm_step_backward(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_step_forward_four_matrices(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    gate = {}
    for k, name in enumerate("ifgo"):
        columns = slice(k * H, (k + 1) * H)
        gate[name] = x @ Wx[:, columns] + h_prev @ Wh[:, columns] + b[columns]
    i, f, o = (1 / (1 + np.exp(-gate[name])) for name in "ifo")  # overflows harmlessly to 0 for large -a
    g = np.tanh(gate["g"])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, {"x": x, "h_prev": h_prev, "c_prev": c_prev, "Wx": Wx, "Wh": Wh,
                                         "i": i, "f": f, "g": g, "o": o, "c": c_next}


def lstm_step_backward_four_matrices(dh_next, dc_next, cache):
    H = cache["h_prev"].shape[1]
    i, f, g, o, c = (cache[k] for k in ("i", "f", "g", "o", "c"))
    dc = dc_next + dh_next * o * (1 - np.tanh(c) ** 2)
    local = {"i": dc * g * i * (1 - i), "f": dc * cache["c_prev"] * f * (1 - f), "g": dc * i * (1 - g**2),
             "o": dh_next * np.tanh(c) * o * (1 - o)}
    dx, dh_prev = 0, 0
    dWx, dWh, db = np.zeros_like(cache["Wx"]), np.zeros_like(cache["Wh"]), np.zeros(4 * H)
    for k, name in enumerate("ifgo"):
        columns = slice(k * H, (k + 1) * H)
        dx = dx + local[name] @ cache["Wx"][:, columns].T
        dh_prev = dh_prev + local[name] @ cache["Wh"][:, columns].T
        dWx[:, columns] = cache["x"].T @ local[name]
        dWh[:, columns] = cache["h_prev"].T @ local[name]
        db[columns] = local[name].sum(axis=0)
    return dx, dh_prev, dc * f, dWx, dWh, db


def lstm_step_forward_ifog(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, o, g = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), sigmoid(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, None


def lstm_step_forward_all_sigmoid(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = sigmoid(x @ Wx + h_prev @ Wh + b)
    i, f, g, o = a[:, :H], a[:, H:2 * H], a[:, 2 * H:3 * H], a[:, 3 * H:]
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, None


def lstm_step_forward_forget_on_h(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])
    c_next = f * h_prev + i * g
    return o * np.tanh(c_next), c_next, None


def lstm_step_forward_output_gate_tanh(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    i, f, g, o = sigmoid(a[:, :H]), sigmoid(a[:, H:2 * H]), np.tanh(a[:, 2 * H:3 * H]), np.tanh(a[:, 3 * H:])
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, None


def lstm_step_forward_sigmoid_from_exp(x, h_prev, c_prev, Wx, Wh, b):
    H = h_prev.shape[1]
    a = x @ Wx + h_prev @ Wh + b
    e = np.exp(a)
    s = e / (1 + e)
    i, f, g, o = s[:, :H], s[:, H:2 * H], np.tanh(a[:, 2 * H:3 * H]), s[:, 3 * H:]
    c_next = f * c_prev + i * g
    return o * np.tanh(c_next), c_next, None


def lstm_step_backward_dc_prev_without_f(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_step_backward_without_h_path(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    dc = dc_next  # the path through h_next = o * tanh(c_next) forgotten
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                         dh_next * np.tanh(c_next) * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_step_backward_g_as_sigmoid(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * g * (1 - g),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_step_backward_packed_ifog(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - tanh_c**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dh_next * tanh_c * o * (1 - o),
                         dc * i * (1 - g**2)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


def lstm_step_backward_tanh_c_from_c(dh_next, dc_next, cache):
    x, h_prev, c_prev, Wx, Wh, i, f, g, o, c_next = cache
    tanh_c = np.tanh(c_next)
    dc = dc_next + dh_next * o * (1 - c_next**2)
    da = np.concatenate([dc * g * i * (1 - i), dc * c_prev * f * (1 - f), dc * i * (1 - g**2),
                         dh_next * tanh_c * o * (1 - o)], axis=1)
    return da @ Wx.T, da @ Wh.T, dc * f, x.T @ da, h_prev.T @ da, da.sum(axis=0)


# -- the LSTM over a sequence -------------------------------------------------------------------------
def lstm_forward_from_steps(x, h0, c0, Wx, Wh, b):
    N, T, D = x.shape
    h, c, states, caches = h0, c0, [], []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        states.append(h)
        caches.append(step_cache)
    return np.stack(states, axis=1), caches


def lstm_backward_from_steps(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dc_next, dWx, dWh, db


def lstm_forward_packed(x, h0, c0, Wx, Wh, b):
    N, T, D = x.shape
    H = h0.shape[1]
    projected = np.einsum("ntd,dg->ntg", x, Wx) + b  # (N, T, 4H)
    h, c = h0, c0
    hs, cs, gates = np.empty((N, T, H)), np.empty((N, T, H)), np.empty((N, T, 4 * H))
    for t in range(T):
        a = projected[:, t] + h @ Wh
        gates[:, t] = np.concatenate([sigmoid(a[:, :2 * H]), np.tanh(a[:, 2 * H:3 * H]), sigmoid(a[:, 3 * H:])], axis=1)
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        c = f * c + i * g
        h = o * np.tanh(c)
        hs[:, t], cs[:, t] = h, c
    return hs, (x, h0, c0, Wx, Wh, hs, cs, gates)


def lstm_backward_einsum(dh, cache):
    x, h0, c0, Wx, Wh, hs, cs, gates = cache
    N, T, H = dh.shape
    previous_h = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (N, T, H)
    previous_c = np.concatenate([c0[:, None], cs[:, :-1]], axis=1)
    da = np.zeros_like(gates)  # (N, T, 4H)
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        i, f, g, o = np.split(gates[:, t], 4, axis=1)
        dh_t = dh[:, t] + dh_next
        tanh_c = np.tanh(cs[:, t])
        dc = dc_next + dh_t * o * (1 - tanh_c**2)
        da[:, t] = np.concatenate([dc * g * i * (1 - i), dc * previous_c[:, t] * f * (1 - f), dc * i * (1 - g**2),
                                   dh_t * tanh_c * o * (1 - o)], axis=1)
        dh_next, dc_next = da[:, t] @ Wh.T, dc * f
    return (np.einsum("ntg,dg->ntd", da, Wx), dh_next, dc_next, np.einsum("ntd,ntg->dg", x, da),
            np.einsum("ntk,ntg->kg", previous_h, da), np.einsum("ntg->g", da))


def lstm_forward_from_zero_cell(x, h0, c0, Wx, Wh, b):
    return lstm_forward_from_steps(x, h0, np.zeros_like(c0), Wx, Wh, b)


def lstm_forward_from_zero_state(x, h0, c0, Wx, Wh, b):
    return lstm_forward_from_steps(x, np.zeros_like(h0), c0, Wx, Wh, b)


def lstm_forward_cell_not_carried(x, h0, c0, Wx, Wh, b):
    N, T, D = x.shape
    h, states = h0, []
    for t in range(T):
        h, _, _ = lstm_step_forward(x[:, t], h, c0, Wx, Wh, b)  # the new cell state thrown away
        states.append(h)
    return np.stack(states, axis=1), None


def lstm_forward_returning_cells(x, h0, c0, Wx, Wh, b):
    N, T, D = x.shape
    h, c, cells, caches = h0, c0, [], []
    for t in range(T):
        h, c, step_cache = lstm_step_forward(x[:, t], h, c, Wx, Wh, b)
        cells.append(c)
        caches.append(step_cache)
    return np.stack(cells, axis=1), caches


def lstm_backward_cell_gradient_not_carried(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dc0, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, np.zeros((N, H)), caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dc0, dWx, dWh, db


def lstm_backward_without_carry(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dc_next = np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh0, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t], dc_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh0, dc_next, dWx, dWh, db


def lstm_backward_final_gradient_twice(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next, dc_next = dh[:, -1], np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dc_next, dWx, dWh, db


def lstm_backward_weights_assigned(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx, dWh, db = lstm_step_backward(dh[:, t] + dh_next, dc_next, caches[t])
        dx_steps[t] = dx_t
    return np.stack(dx_steps, axis=1), dh_next, dc_next, dWx, dWh, db


def lstm_backward_from_wrong_steps(dh, caches):
    N, T, H = dh.shape
    dx_steps = [None] * T
    dh_next, dc_next = np.zeros((N, H)), np.zeros((N, H))
    dWx = dWh = db = 0
    for t in reversed(range(T)):
        dx_t, dh_next, dc_next, dWx_t, dWh_t, db_t = lstm_step_backward_dc_prev_without_f(
            dh[:, t] + dh_next, dc_next, caches[t])
        dx_steps[t] = dx_t
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return np.stack(dx_steps, axis=1), dh_next, dc_next, dWx, dWh, db


# -- gradient clipping --------------------------------------------------------------------------------
def clip_gradients(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    coef = min(1.0, max_norm / (total_norm + 1e-6))
    return {k: g * coef for k, g in grads.items()}, total_norm


def clip_gradients_concatenated(grads, max_norm):
    flat = np.concatenate([g.ravel() for g in grads.values()])
    total_norm = float(np.linalg.norm(flat))
    scale = max_norm / (total_norm + 1e-6)
    if scale >= 1:
        return {k: g.copy() for k, g in grads.items()}, total_norm
    return {k: g * scale for k, g in grads.items()}, total_norm


def clip_gradients_with_math(grads, max_norm):
    squares = 0.0
    for g in grads.values():
        squares += float((g * g).sum())
    total_norm = math.sqrt(squares)
    clipped = {}
    for name, g in grads.items():
        clipped[name] = g * min(1.0, max_norm / (total_norm + 1e-6))
    return clipped, total_norm


def clip_gradients_per_array(grads, max_norm):
    clipped = {k: g * min(1.0, max_norm / (np.linalg.norm(g) + 1e-6)) for k, g in grads.items()}
    return clipped, np.sqrt(sum(np.sum(g**2) for g in grads.values()))


def clip_gradients_always(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    return {k: g * max_norm / (total_norm + 1e-6) for k, g in grads.items()}, total_norm


def clip_gradients_norm_after(grads, max_norm):
    clipped, _ = clip_gradients(grads, max_norm)
    return clipped, np.sqrt(sum(np.sum(g**2) for g in clipped.values()))


def clip_gradients_without_eps(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    coef = min(1.0, max_norm / total_norm)
    return {k: g * coef for k, g in grads.items()}, total_norm


def clip_gradients_in_place(grads, max_norm):
    total_norm = np.sqrt(sum(np.sum(g**2) for g in grads.values()))
    coef = min(1.0, max_norm / (total_norm + 1e-6))
    for g in grads.values():
        g *= coef
    return grads, total_norm


def clip_gradients_squared_norm(grads, max_norm):
    total_norm = sum(np.sum(g**2) for g in grads.values())
    coef = min(1.0, max_norm / (total_norm + 1e-6))
    return {k: g * coef for k, g in grads.items()}, total_norm


MISTAKES = {
    "rnn_lstm.rnn_step_forward": [
        mistake("Wh transposed", rnn_step_forward_Wh_transposed, named="h_prev @ Wh.T where h_prev @ Wh belongs",
                parts={"h_next"}),
        mistake("tanh from np.exp, NaN for large pre-activations", rnn_step_forward_tanh_from_exp,
                named="tanh written with np.exp", parts={"h_next"}),
        mistake("a sigmoid instead of tanh", rnn_step_forward_sigmoid, named="a sigmoid where tanh belongs",
                parts={"h_next"}),
        mistake("no bias", rnn_step_forward_without_bias, named="the bias left out", parts={"h_next"}),
    ],
    "rnn_lstm.rnn_step_backward": [
        mistake("tanh's derivative at the pre-activation", rnn_step_forward_caching_a, rnn_step_backward_from_a,
                named="from the pre-activation, 1 - a**2", parts=RNN_STEP_GRADS),
        mistake("dh_prev without Wh.T", rnn_step_forward, rnn_step_backward_without_Wh,
                named="dh_prev missing the Wh.T", parts={"dh_prev"}),
        mistake("dWh transposed", rnn_step_forward, rnn_step_backward_dWh_transposed, named="dWh transposed",
                parts={"dWh"}),
        mistake("weight gradients averaged over the batch", rnn_step_forward, rnn_step_backward_averaged,
                named="averaged over the batch", parts={"dWx", "dWh", "db"}),
        mistake("1 - h", rnn_step_forward, rnn_step_backward_one_minus_h, named="1 - h where 1 - h**2 belongs",
                parts=RNN_STEP_GRADS),
    ],
    "rnn_lstm.rnn_forward": [
        mistake("h0 ignored", rnn_forward_from_zeros, named="h0 ignored", parts={"h"}),
        mistake("h0 at every step", rnn_forward_h0_every_step, named="every step fed h0", parts={"h"}),
        mistake("states shifted by one", rnn_forward_states_shifted, named="holding the state before step t",
                parts={"h"}),
        mistake("a wrong step function", rnn_forward_from_wrong_steps,
                named="Your rnn_step_forward fails its own check", parts={"h"},
                namespace={"rnn_step_forward": rnn_step_forward_Wh_transposed}),
    ],
    "rnn_lstm.rnn_backward": [
        mistake("BPTT without the carried gradient", rnn_forward, rnn_backward_without_carry,
                named="forgets the gradient carried from the next step", parts=RNN_GRADS),
        mistake("weight gradients of step 0 only", rnn_forward, rnn_backward_weights_assigned,
                named="of step 0 alone", parts={"dWx", "dWh", "db"}),
        mistake("only the last step's gradient", rnn_forward_from_steps, rnn_backward_last_step_gradient_only,
                named="only the last step's upstream gradient used", parts=RNN_GRADS),
        mistake("the last step's gradient twice", rnn_forward_from_steps, rnn_backward_final_gradient_twice,
                named="the last step's upstream gradient added twice", parts=RNN_GRADS),
        mistake("a wrong step backward", rnn_forward_caching_a, rnn_backward_from_wrong_steps,
                named="Your rnn_step_backward fails its own check", parts=RNN_GRADS,
                namespace={"rnn_step_forward": rnn_step_forward_caching_a,
                           "rnn_step_backward": rnn_step_backward_from_a}),
    ],
    "rnn_lstm.lstm_step_forward": [
        mistake("gates in the order i, f, o, g", lstm_step_forward_ifog, named="the gates read in the order i, f, o, g",
                parts={"h_next", "c_next"}),
        mistake("g through a sigmoid", lstm_step_forward_all_sigmoid, named="g through a sigmoid",
                parts={"h_next", "c_next"}),
        mistake("the forget gate on h", lstm_step_forward_forget_on_h,
                named="the forget gate applied to h_prev instead of c_prev", parts={"h_next", "c_next"}),
        mistake("o through tanh", lstm_step_forward_output_gate_tanh, named="o through tanh", parts={"h_next"}),
        mistake("sigmoid from exp, NaN for large inputs", lstm_step_forward_sigmoid_from_exp,
                named="exp(a) / (1 + exp(a))", parts={"h_next", "c_next"}),
    ],
    "rnn_lstm.lstm_step_backward": [
        mistake("dc_prev without f", lstm_step_forward, lstm_step_backward_dc_prev_without_f,
                named="dc_prev missing the f factor", parts={"dc_prev"}),
        mistake("dc without the path through h", lstm_step_forward, lstm_step_backward_without_h_path,
                named="dc missing the path through h", parts=LSTM_STEP_GRADS),
        mistake("g's derivative as a sigmoid's", lstm_step_forward, lstm_step_backward_g_as_sigmoid,
                named="g's derivative taken as g * (1 - g)", parts=LSTM_STEP_GRADS - {"dc_prev"}),
        mistake("gate gradients packed i, f, o, g", lstm_step_forward, lstm_step_backward_packed_ifog,
                named="packed in the order i, f, o, g", parts=LSTM_STEP_GRADS - {"dc_prev"}),
        mistake("1 - c**2", lstm_step_forward, lstm_step_backward_tanh_c_from_c,
                named="1 - c**2 where 1 - tanh(c)**2 belongs", parts=LSTM_STEP_GRADS),
    ],
    "rnn_lstm.lstm_forward": [
        mistake("c0 ignored", lstm_forward_from_zero_cell, named="c0 ignored", parts={"h"}),
        mistake("h0 ignored", lstm_forward_from_zero_state, named="h0 ignored", parts={"h"}),
        mistake("the cell state not carried", lstm_forward_cell_not_carried,
                named="every step fed c0 instead of the previous step's cell state", parts={"h"}),
        mistake("the cell states returned", lstm_forward_returning_cells,
                named="the cell states returned instead of the hidden states", parts={"h"}),
    ],
    "rnn_lstm.lstm_backward": [
        mistake("dc not carried", lstm_forward_from_steps, lstm_backward_cell_gradient_not_carried,
                named="the cell state's gradient not carried back", parts=LSTM_GRADS),
        mistake("dh not carried", lstm_forward_from_steps, lstm_backward_without_carry,
                named="forgets the gradient carried from the next step", parts=LSTM_GRADS),
        mistake("the last step's gradient twice", lstm_forward_from_steps, lstm_backward_final_gradient_twice,
                named="the last step's upstream gradient added twice", parts=LSTM_GRADS),
        mistake("weight gradients of step 0 only", lstm_forward_from_steps, lstm_backward_weights_assigned,
                named="of step 0 alone", parts={"dWx", "dWh", "db"}),
        mistake("a wrong step backward", lstm_forward_from_steps, lstm_backward_from_wrong_steps,
                named="Your lstm_step_backward fails its own check",
                namespace={"lstm_step_forward": lstm_step_forward,
                           "lstm_step_backward": lstm_step_backward_dc_prev_without_f}),
    ],
    "rnn_lstm.clip_gradients": [
        mistake("per-array clipping", clip_gradients_per_array, named="each array clipped by its own norm",
                parts={"grads"}),
        mistake("scaling below max_norm too", clip_gradients_always,
                named="scaled even when the norm is below max_norm", parts={"grads"}),
        mistake("the norm after clipping", clip_gradients_norm_after, named="the norm after clipping returned",
                parts={"total_norm"}),
        mistake("no + 1e-6", clip_gradients_without_eps, named="the + 1e-6 missing", parts={"grads"}),
        mistake("clipping in place", clip_gradients_in_place, named="changed its input grads in place",
                parts={"grads", "total_norm"}),
        mistake("the squared norm", clip_gradients_squared_norm, named="the squared norm (no square root)",
                parts={"grads", "total_norm"}),
    ],
}

CORRECT_ALTERNATIVES = {
    "rnn_lstm.rnn_step_forward": [
        alternative("einsum", rnn_step_forward_einsum),
        alternative("a loop over the examples", rnn_step_forward_per_example),
    ],
    "rnn_lstm.rnn_step_backward": [
        alternative("the plain matrix products", rnn_step_forward, rnn_step_backward),
        alternative("einsum", rnn_step_forward_einsum, rnn_step_backward_einsum),
    ],
    "rnn_lstm.rnn_forward": [
        alternative("a loop calling the step function", rnn_forward_from_steps),
        alternative("the x part of every step projected first, with einsum", rnn_forward_projecting_x_first),
        alternative("a loop with the step written out", rnn_forward),
    ],
    "rnn_lstm.rnn_backward": [
        alternative("a loop calling the step functions", rnn_forward_from_steps, rnn_backward_from_steps),
        alternative("einsum over all steps at the end", rnn_forward, rnn_backward_einsum),
        alternative("a loop with the step written out", rnn_forward, rnn_backward),
    ],
    "rnn_lstm.lstm_step_forward": [
        alternative("four sliced weight matrices, sigmoid by np.exp", lstm_step_forward_four_matrices),
        alternative("packed gates", lstm_step_forward),
    ],
    "rnn_lstm.lstm_step_backward": [
        alternative("four sliced weight matrices", lstm_step_forward_four_matrices, lstm_step_backward_four_matrices),
        alternative("packed gates", lstm_step_forward, lstm_step_backward),
    ],
    "rnn_lstm.lstm_forward": [
        alternative("a loop calling the step function", lstm_forward_from_steps),
        alternative("the x part of every step projected first, with einsum", lstm_forward_packed),
    ],
    "rnn_lstm.lstm_backward": [
        alternative("a loop calling the step functions", lstm_forward_from_steps, lstm_backward_from_steps),
        alternative("einsum over all steps at the end", lstm_forward_packed, lstm_backward_einsum),
    ],
    "rnn_lstm.clip_gradients": [
        alternative("np.linalg.norm of the concatenated flat arrays", clip_gradients_concatenated),
        alternative("a loop with math.sqrt", clip_gradients_with_math),
        alternative("np.sqrt of the summed squares", clip_gradients),
    ],
}
