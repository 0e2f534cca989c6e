"""Lesson 05 (rnn_lstm): the RNN and LSTM steps, backpropagation through time, gradient clipping.

The known mistakes are switches of two small NumPy models written here (`_rnn_run`/`_rnn_grads`,
`_lstm_run`/`_lstm_grads`): a step is the sequence model with T = 1, so a mistake in the step
(tanh's derivative from the pre-activation, dc_prev without f, ...) is recognised in the step's
exercise and in the whole sequence's alike. tests/test_checks_rnn_lstm.py holds the models without a
mistake to the reference.

Dimensions: N batch size, T time steps, D input width, H hidden width; the LSTM's gates are packed
i, f, g, o along the last axis of Wx (D, 4H), Wh (H, 4H), b (4H,).
"""
import numpy as np

from reference_impl import rnn_lstm as reference
from reference_impl.backend import to_numpy

from ..compare import Comparison, compare_arrays, tolerance_for
from ..engine import Case, Check, describe_case, register
from ..inputs import generator, normal
from ..mistakes import Mistake
from .layers import CaseSpec, LayerBackwardCheck, LayerForwardCheck

LARGE = 1e4  # the largest pre-activation of the first two examples: most of theirs pass 710, where np.exp overflows
LARGE_NOTE = ("x of the first two examples scaled up, one the negative of the other: pre-activations up to 1e4, "
              "beyond 710, tanh and the gates saturate")

STEP_VISIBLE = (CaseSpec(0, N=3, D=5, H=4, note="D > H, a nonzero previous state"),
                CaseSpec(1, N=4, D=2, H=6, note="D < H"),
                CaseSpec(2, N=3, D=4, H=5, large=True, note=LARGE_NOTE),
                CaseSpec(3, N=2, D=3, H=4, dtype=np.float32, note="float32"))
STEP_HIDDEN = (CaseSpec(100, N=5, D=7, H=6, note="D > H, a nonzero previous state"),
               CaseSpec(101, N=2, D=3, H=7, note="D < H"),
               CaseSpec(102, N=4, D=3, H=2, large=True, note=LARGE_NOTE),
               CaseSpec(103, N=3, D=4, H=3, dtype=np.float32, note="float32"))
SEQUENCE_VISIBLE = (CaseSpec(0, N=3, T=4, D=5, H=6, note="4 steps, a nonzero initial state"),
                    CaseSpec(1, N=2, T=7, D=3, H=4, note="7 steps, D < H"),
                    CaseSpec(2, N=3, T=5, D=4, H=2, large=True, note=LARGE_NOTE),
                    CaseSpec(3, N=4, T=3, D=2, H=5, dtype=np.float32, note="float32"))
SEQUENCE_HIDDEN = (CaseSpec(100, N=5, T=6, D=7, H=4, note="6 steps, a nonzero initial state"),
                   CaseSpec(101, N=2, T=9, D=2, H=5, note="9 steps, D < H"),
                   CaseSpec(102, N=4, T=3, D=5, H=2, large=True, note=LARGE_NOTE),
                   CaseSpec(103, N=3, T=5, D=4, H=6, dtype=np.float32, note="float32"))


def _sigmoid(a):
    return 0.5 + 0.5 * np.tanh(0.5 * a)  # never overflows, unlike 1 / (1 + exp(-a))


def _sigmoid_from_exp(a):
    e = np.exp(a)
    return e / (1 + e)  # inf / inf = NaN beyond 710


def _tanh_from_exp(a):
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))


def _as_sequence(inputs):
    """A step's or a sequence's inputs as float64 (x (N, T, D), h0 (N, H), c0 (N, H) or None, Wx, Wh, b)."""
    x = inputs["x"].astype(np.float64)
    x = x if x.ndim == 3 else x[:, None]  # (N, D) -> (N, 1, D): a step is a sequence of one
    h0 = inputs["h0" if "h0" in inputs else "h_prev"].astype(np.float64)
    c0 = inputs.get("c0", inputs.get("c_prev"))
    return (x, h0, None if c0 is None else c0.astype(np.float64),
            *(inputs[k].astype(np.float64) for k in ("Wx", "Wh", "b")))


# -- the RNN model ----------------------------------------------------------------------------------
def _rnn_run(x, h0, Wx, Wh, b, mistake=None):
    """hs (N, T+1, H) with h0 first, and the pre-activations (N, T, H), of a tanh RNN making `mistake`."""
    N, T, D = x.shape
    activation = {"sigmoid": _sigmoid, "tanh from exp": _tanh_from_exp, "linear": lambda a: a}.get(mistake, np.tanh)
    recurrent = Wh.T if mistake == "Wh transposed" else Wh
    h = np.zeros_like(h0) if mistake == "h0 ignored" else h0
    states, pres = [h0], []
    for t in range(T):
        h_in = h0 if mistake == "h not carried" else h
        a = x[:, t] @ Wx + h_in @ recurrent + (0 if mistake == "bias left out" else b)  # (N, H)
        h = activation(a)
        states.append(h)
        pres.append(a)
    return np.stack(states, axis=1), np.stack(pres, axis=1)


def _rnn_output(x, h0, Wx, Wh, b, mistake=None):
    hs, _ = _rnn_run(x, h0, Wx, Wh, b, mistake)
    return hs[:, :-1] if mistake == "shifted" else hs[:, 1:]  # (N, T, H)


def _rnn_grads(x, h0, Wx, Wh, b, dh, mistake=None):
    """dx (N, T, D), dh0, dWx, dWh, db of the right forward, through a backward making `mistake`."""
    N, T, D = x.shape
    hs, pres = _rnn_run(x, h0, Wx, Wh, b)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    carried = dh[:, -1].copy() if mistake in ("final twice", "last only") else np.zeros_like(h0)
    for t in reversed(range(T)):
        upstream = dh[:, t]
        if mistake == "last only" or (mistake == "final ignored" and t == T - 1):
            upstream = np.zeros_like(upstream)
        reaching = upstream + (0 if mistake == "no carry" else carried)  # (N, H)
        h, h_prev = hs[:, t + 1], hs[:, t]
        slope = {"pre": 1 - pres[:, t] ** 2, "1 - h": 1 - h, "no tanh": 1.0}.get(mistake, 1 - h**2)
        da = reaching * slope  # (N, H)
        dx[:, t] = da @ Wx.T
        step = (x[:, t].T @ da, da.T @ h_prev if mistake == "dWh transposed" else h_prev.T @ da, da.sum(axis=0))
        if mistake == "weights step 0" or (mistake == "weights last step" and t == T - 1):
            dWx, dWh, db = step
        elif mistake != "weights last step":
            dWx, dWh, db = dWx + step[0], dWh + step[1], db + step[2]
        carried = {"dh_prev without Wh.T": da, "Wh not transposed": da @ Wh}.get(mistake, da @ Wh.T)
        if mistake == "dh0 one step late" and t == 0:
            carried = reaching
    if mistake in ("averaged over N", "averaged over T"):
        dWx, dWh, db = (g / (N if mistake == "averaged over N" else T) for g in (dWx, dWh, db))
    return {"dx": dx, "dh0": carried, "dWx": dWx, "dWh": dWh, "db": db}


# -- the LSTM model ---------------------------------------------------------------------------------
def _lstm_run(x, h0, c0, Wx, Wh, b, mistake=None):
    """hs, cs (N, T+1, H) with h0 and c0 first, and each step's gates (i, f, g, o), of an LSTM making `mistake`."""
    N, T, D = x.shape
    H = h0.shape[1]
    sigmoid = _sigmoid_from_exp if mistake == "sigmoid from exp" else _sigmoid
    h = np.zeros_like(h0) if mistake in ("h0 ignored", "h_prev left out") else h0
    c = np.zeros_like(c0) if mistake in ("c0 ignored", "c_prev left out") else c0
    hs, cs, gates = [h0], [c0], []
    for t in range(T):
        h_in = h0 if mistake == "h not carried" else h
        c_in = c0 if mistake == "c not carried" else c
        a = x[:, t] @ Wx + h_in @ Wh + (0 if mistake == "bias left out" else b)  # (N, 4H)
        a_i, a_f, a_g, a_o = (a[:, k * H:(k + 1) * H] for k in range(4))  # (N, H) each
        if mistake == "ifog":
            a_g, a_o = a_o, a_g
        i, f, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_o) if mistake == "o tanh" else sigmoid(a_o)
        g = sigmoid(a_g) if mistake == "g sigmoid" else np.tanh(a_g)
        c = f * (h_in if mistake == "f on h" else c_in) + (g if mistake == "no input gate" else i * g)
        h = o * (c if mistake == "no tanh(c)" else np.tanh(c))
        hs.append(h)
        cs.append(c)
        gates.append((i, f, g, o))
    return np.stack(hs, axis=1), np.stack(cs, axis=1), gates


def _lstm_grads(x, h0, c0, Wx, Wh, b, dh, dc_last, mistake=None):
    """dx (N, T, D), dh0, dc0, dWx, dWh, db of the right forward, through a backward making `mistake`.

    dh (N, T, H) reaches every h[:, t]; dc_last (N, H) the last cell state (zeros for a sequence).
    """
    N, T, D = x.shape
    hs, cs, gates = _lstm_run(x, h0, c0, Wx, Wh, b)
    dx = np.zeros_like(x)
    dWx, dWh, db = np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)
    carried_h = dh[:, -1].copy() if mistake in ("final twice", "last only") else np.zeros_like(h0)
    carried_c = dc_last
    for t in reversed(range(T)):
        upstream = dh[:, t]
        if mistake == "last only" or (mistake == "final ignored" and t == T - 1):
            upstream = np.zeros_like(upstream)
        dh_t = upstream + (0 if mistake == "no carry h" else carried_h)  # (N, H)
        dc_t = 0 if mistake == "no carry c" and t < T - 1 else carried_c
        i, f, g, o = gates[t]
        h_prev, c_prev, c = hs[:, t], cs[:, t], cs[:, t + 1]
        tanh_c = np.tanh(c)
        through_h = {"no h path": 0, "1 - c**2": dh_t * o * (1 - c**2)}.get(mistake, dh_t * o * (1 - tanh_c**2))
        dc = dc_t + through_h  # (N, H): c reaches the loss directly and through h
        d_i, d_f, d_g = dc * g, dc * (h_prev if mistake == "df with h_prev" else c_prev), dc * i
        d_o = dh_t * (c if mistake == "do with c" else tanh_c)
        da_i, da_f, da_o = d_i * i * (1 - i), d_f * f * (1 - f), d_o * o * (1 - o)
        da_g = d_g * (g * (1 - g) if mistake == "g sigmoid grad" else 1 - g**2)
        blocks = (da_i, da_f, da_o, da_g) if mistake == "packed ifog" else (da_i, da_f, da_g, da_o)
        da = np.concatenate(blocks, axis=1)  # (N, 4H)
        dx[:, t] = da @ Wx.T
        step = (x[:, t].T @ da, h_prev.T @ da, da.sum(axis=0))
        if mistake == "weights step 0" or (mistake == "weights last step" and t == T - 1):
            dWx, dWh, db = step
        elif mistake != "weights last step":
            dWx, dWh, db = dWx + step[0], dWh + step[1], db + step[2]
        carried_h = dh_t if mistake == "dh0 one step late" and t == 0 else da @ Wh.T
        carried_c = dc if mistake == "dc_prev without f" else dc * f
    if mistake in ("averaged over N", "averaged over T"):
        dWx, dWh, db = (g / (N if mistake == "averaged over N" else T) for g in (dWx, dWh, db))
    return {"dx": dx, "dh0": carried_h, "dc0": carried_c, "dWx": dWx, "dWh": dWh, "db": db}


# -- the known mistakes, by model switch: (switch, name, fix) ---------------------------------------
_RNN_STEP_FORWARD = (
    ("Wh transposed", "h_prev @ Wh.T where h_prev @ Wh belongs", "weights are stored (H_in, H_out): "
     "h_next = tanh(x @ Wx + h_prev @ Wh + b)"),
    ("bias left out", "the bias left out", "h_next = tanh(x @ Wx + h_prev @ Wh + b)"),
    ("sigmoid", "a sigmoid where tanh belongs", "the vanilla RNN's nonlinearity is np.tanh"),
    ("linear", "the tanh left out", "h_next = np.tanh(x @ Wx + h_prev @ Wh + b)"),
    ("tanh from exp", "tanh written with np.exp, which is inf / inf = NaN for pre-activations beyond 710",
     "use np.tanh, which is finite for any input"),
)
_RNN_SEQUENCE_FORWARD = (
    ("h0 ignored", "h0 ignored (the sequence started from zeros)", "the first step reads h0: h = h0 before the loop"),
    ("h not carried", "every step fed h0 instead of the previous step's state", "carry the state: "
     "h = step(x[:, t], h, ...) inside the loop, so step t reads what step t-1 returned"),
    ("shifted", "h[:, t] holding the state before step t (h0 first, the last step missing)",
     "h[:, t] is the state after reading x[:, t]; h0 is not part of the output"),
)
_RNN_STEP_BACKWARD = (
    ("pre", "tanh's derivative from the pre-activation, 1 - a**2, where 1 - h**2 belongs", "tanh'(a) = "
     "1 - tanh(a)**2: use the step's output h_next from the cache, da = dh * (1 - h_next**2)"),
    ("1 - h", "1 - h where 1 - h**2 belongs", "tanh'(a) = 1 - h_next**2"),
    ("no tanh", "the tanh's derivative left out (da = dh)", "multiply by (1 - h_next**2) before the matrix products"),
    ("dh_prev without Wh.T", "dh_prev missing the Wh.T (dh_prev = da)", "h_prev reaches a through h_prev @ Wh: "
     "dh_prev = da @ Wh.T"),
    ("Wh not transposed", "da @ Wh where da @ Wh.T belongs", "dh_prev = da @ Wh.T"),
    ("dWh transposed", "dWh transposed (da.T @ h_prev)", "dWh = h_prev.T @ da: rows for h_prev, like Wh"),
    ("averaged over N", "the weight gradients averaged over the batch", "sum over the batch; layers never "
     "divide by N"),
)
_RNN_SEQUENCE_BACKWARD = (
    ("no carry", "BPTT that forgets the gradient carried from the next step (only dh[:, t] reaches step t)",
     "the gradient reaching h[:, t] is dh[:, t] plus the dh_prev that step t+1 sends back"),
    ("last only", "only the last step's upstream gradient used", "dh holds an upstream gradient for every step: "
     "add dh[:, t] to the carried gradient at each step t"),
    ("final twice", "the last step's upstream gradient added twice", "start the carried gradient at zeros: "
     "dh[:, T-1] is added once, at step T-1"),
    ("final ignored", "the last step's upstream gradient dh[:, T-1] left out", "step T-1 receives dh[:, T-1] "
     "(plus zeros carried from after the end)"),
    ("weights step 0", "dWx, dWh and db of step 0 alone (assigned in the loop where they must be summed)",
     "the weights are shared by every step: accumulate dWx += ..., dWh += ..., db += ... over all t"),
    ("weights last step", "dWx, dWh and db of the last step alone", "the weights are shared by every step: "
     "sum their gradients over all t"),
    ("averaged over T", "the weight gradients averaged over time", "sum over the steps; nothing divides by T"),
    ("dh0 one step late", "dh0 taken as the gradient reaching h[:, 0] rather than h0", "dh0 is the dh_prev that "
     "step 0's backward returns"),
)
_LSTM_STEP_FORWARD = (
    ("ifog", "the gates read in the order i, f, o, g", "the packed columns are i, f, g, o (torch's order): "
     "g = tanh(a[:, 2H:3H]), o = sigmoid(a[:, 3H:])"),
    ("g sigmoid", "g through a sigmoid", "the cell candidate is g = tanh(a_g); only i, f and o are sigmoids"),
    ("o tanh", "o through tanh", "the output gate is a sigmoid, o = sigmoid(a_o)"),
    ("f on h", "the forget gate applied to h_prev instead of c_prev", "c_next = f * c_prev + i * g"),
    ("no tanh(c)", "h_next = o * c_next, the tanh of the cell state left out", "h_next = o * tanh(c_next)"),
    ("no input gate", "the input gate left out (c_next = f * c_prev + g)", "c_next = f * c_prev + i * g"),
    ("bias left out", "the bias left out", "a = x @ Wx + h_prev @ Wh + b"),
    ("sigmoid from exp", "the sigmoid written as exp(a) / (1 + exp(a)), which is inf / inf = NaN for large a",
     "use 0.5 * (1 + np.tanh(a / 2)), which equals the sigmoid and never overflows"),
)
_LSTM_STEP_STATE = (
    ("h_prev left out", "h_prev left out", "a = x @ Wx + h_prev @ Wh + b"),
    ("c_prev left out", "c_prev left out", "c_next = f * c_prev + i * g"),
)
_LSTM_SEQUENCE_FORWARD = (
    ("h0 ignored", "h0 ignored (the sequence started from zeros)", "the first step reads h0: h = h0 before the loop"),
    ("c0 ignored", "c0 ignored (the cell state started from zeros)", "the first step reads c0: c = c0 before the "
     "loop"),
    ("h not carried", "every step fed h0 instead of the previous step's hidden state", "carry both states: "
     "h, c = step(x[:, t], h, c, ...) inside the loop"),
    ("c not carried", "every step fed c0 instead of the previous step's cell state", "carry both states: "
     "h, c = step(x[:, t], h, c, ...) inside the loop"),
    ("shifted", "h[:, t] holding the state before step t (h0 first, the last step missing)",
     "h[:, t] is the state after reading x[:, t]; h0 is not part of the output"),
    ("cells", "the cell states returned instead of the hidden states", "return every step's h_next; the cell "
     "states stay in the cache"),
)
_LSTM_STEP_BACKWARD = (
    ("dc_prev without f", "dc_prev missing the f factor", "c_next = f * c_prev + i * g, so dc_prev = dc * f, with "
     "dc the whole gradient reaching c_next"),
    ("no h path", "dc missing the path through h = o * tanh(c)", "the gradient reaching c_next is dc_next plus "
     "dh_next * o * (1 - tanh(c_next)**2)"),
    ("1 - c**2", "1 - c**2 where 1 - tanh(c)**2 belongs", "the derivative of tanh(c_next) is "
     "1 - tanh(c_next)**2"),
    ("do with c", "do = dh * c where dh * tanh(c) belongs", "h_next = o * tanh(c_next), so do = dh_next * "
     "tanh(c_next)"),
    ("g sigmoid grad", "g's derivative taken as g * (1 - g), a sigmoid's", "g = tanh(a_g), so da_g = dg * (1 - g**2)"),
    ("df with h_prev", "df = dc * h_prev where dc * c_prev belongs", "the forget gate multiplies c_prev: "
     "df = dc * c_prev"),
    ("packed ifog", "the gate gradients packed in the order i, f, o, g", "pack da as the forward packs the gates: "
     "i, f, g, o"),
    ("averaged over N", "the weight gradients averaged over the batch", "sum over the batch; layers never "
     "divide by N"),
)
_LSTM_SEQUENCE_BACKWARD = (
    ("no carry h", "BPTT that forgets the gradient carried from the next step (only dh[:, t] reaches step t)",
     "the gradient reaching h[:, t] is dh[:, t] plus the dh_prev that step t+1 sends back"),
    ("no carry c", "the cell state's gradient not carried back (dc starting from zeros at every step)",
     "pass the dc_prev of step t+1 on as step t's dc_next; only the last step starts from zeros"),
    ("last only", "only the last step's upstream gradient used", "dh holds an upstream gradient for every step: "
     "add dh[:, t] to the carried gradient at each step t"),
    ("final twice", "the last step's upstream gradient added twice", "start the carried gradients at zeros: "
     "dh[:, T-1] is added once, at step T-1"),
    ("final ignored", "the last step's upstream gradient dh[:, T-1] left out", "step T-1 receives dh[:, T-1] "
     "(plus zeros carried from after the end)"),
    ("weights step 0", "dWx, dWh and db of step 0 alone (assigned in the loop where they must be summed)",
     "the weights are shared by every step: accumulate dWx += ..., dWh += ..., db += ... over all t"),
    ("weights last step", "dWx, dWh and db of the last step alone", "the weights are shared by every step: "
     "sum their gradients over all t"),
    ("averaged over T", "the weight gradients averaged over time", "sum over the steps; nothing divides by T"),
    ("dh0 one step late", "dh0 taken as the gradient reaching h[:, 0] rather than h0", "dh0 is the dh_prev that "
     "step 0's backward returns"),
)


# -- cases --------------------------------------------------------------------------------------------
class _Recurrent:
    """Inputs of an RNN (gates = 1) or LSTM (gates = 4) exercise: a step's or a whole sequence's."""

    reference = reference
    gates = 1
    sequence = False

    @property
    def visible(self):
        return SEQUENCE_VISIBLE if self.sequence else STEP_VISIBLE

    @property
    def hidden(self):
        return SEQUENCE_HIDDEN if self.sequence else STEP_HIDDEN

    def draw(self, rng, spec):
        s, dtype = spec.sizes, spec.dtype
        N, D, H, G = s["N"], s["D"], s["H"], self.gates * s["H"]
        x = normal(rng, (N, s["T"], D) if self.sequence else (N, D), dtype)
        state = "h0" if self.sequence else "h_prev"
        inputs = {"x": x, state: normal(rng, (N, H), dtype, 0.5)}  # a nonzero state, so dh0 matters
        if self.gates == 4:
            inputs["c0" if self.sequence else "c_prev"] = normal(rng, (N, H), dtype)
        # Weights scaled by 1/sqrt(fan-in): the ordinary cases stay off saturation, so every term shows.
        inputs.update(Wx=normal(rng, (D, G), dtype, 1 / np.sqrt(D)), Wh=normal(rng, (H, G), dtype, 1 / np.sqrt(H)),
                      b=normal(rng, (G,), dtype, 0.5))
        if s.get("large"):
            # Mirrored, so that every large pre-activation is positive in one example and negative in the other;
            # the third example and beyond stay unsaturated.
            x[0] *= dtype.type(LARGE / np.abs(x[0] @ inputs["Wx"]).max())
            x[1] = -x[0]
        return inputs

    def sizes(self, inputs):
        x = inputs["x"]
        return {"N (the batch size)": x.shape[0], **({"T (the number of steps)": x.shape[1]} if x.ndim == 3 else {})}


class _ForwardCheck(_Recurrent, LayerForwardCheck):
    """A forward returning `outputs` (arrays) and then its cache."""

    outputs = ("h",)
    forward_table = ()

    @property
    def parts(self):
        return {name: 1 for name in self.outputs}

    def call_learner(self, caller, case):
        returns = tuple(f"{name}:array" for name in self.outputs) + ("cache:cache",)
        results = caller.call(self.forward, *case.inputs.values(), returns=returns)
        return dict(zip(self.outputs, results))

    def expected(self, case):
        return {name: to_numpy(value) for name, value in zip(self.outputs, self.reference_forward(case))}

    def mistakes(self, case, expected):
        arrays = _as_sequence(case.inputs)
        return [Mistake(name, fix, self.model_outputs(arrays, switch)) for switch, name, fix in self.forward_table]


class _BackwardCheck(_Recurrent, LayerBackwardCheck):
    """A backward taking one upstream gradient per name in `upstream`, then the forward's cache."""

    outputs = ("h",)
    upstream = ("dh",)
    backward_table = ()

    def add_extra(self, rng, case):
        # Random upstream gradients, one for every output and every step, never all ones.
        for name, out in zip(self.upstream, self.reference_forward(case)):
            out = to_numpy(out)
            case.extra[name] = rng.standard_normal(out.shape).astype(out.dtype)

    def call_learner(self, caller, case):
        returns = tuple(f"{name}:array" for name in self.outputs) + ("cache:cache",)
        *_, cache = caller.call(self.forward, *case.inputs.values(), returns=returns)
        grads = caller.call(self.backward, *(case.extra[name] for name in self.upstream), cache,
                            returns=tuple(f"{g}:array" for g in self.grads))
        return dict(zip(self.grads, grads))

    def expected(self, case):
        *_, cache = self.reference_forward(case)
        grads = getattr(self.reference, self.backward)(*(case.extra[name].copy() for name in self.upstream), cache)
        return {name: to_numpy(g) for name, g in zip(self.grads, grads)}

    def mistakes(self, case, expected):
        arrays = _as_sequence(case.inputs)
        upstream = [case.extra[name].astype(np.float64) for name in self.upstream]
        return [Mistake(name, fix, self.model_grads(arrays, upstream, switch))
                for switch, name, fix in self.backward_table]


# -- the RNN ------------------------------------------------------------------------------------------
class _RnnForward(_ForwardCheck):
    def model_outputs(self, arrays, switch):
        x, h0, _, Wx, Wh, b = arrays
        h = _rnn_output(x, h0, Wx, Wh, b, switch)  # (N, T, H)
        return {self.outputs[0]: h if self.sequence else h[:, 0]}


class _RnnBackward(_BackwardCheck):
    def model_grads(self, arrays, upstream, switch):
        x, h0, _, Wx, Wh, b = arrays
        dh = upstream[0] if self.sequence else upstream[0][:, None]  # (N, T, H)
        grads = _rnn_grads(x, h0, Wx, Wh, b, dh, switch)
        if not self.sequence:
            grads["dx"] = grads["dx"][:, 0]
        return dict(zip(self.grads, (grads[k] for k in ("dx", "dh0", "dWx", "dWh", "db"))))


@register
class RnnStepForward(_RnnForward):
    exercise_id = "rnn_lstm.rnn_step_forward"
    functions = ("rnn_step_forward",)
    forward = "rnn_step_forward"
    outputs = ("h_next",)
    forward_table = _RNN_STEP_FORWARD + (("h0 ignored", "h_prev left out", "h_next = tanh(x @ Wx + h_prev @ Wh + b)"),)


@register
class RnnStepBackward(_RnnBackward):
    exercise_id = "rnn_lstm.rnn_step_backward"
    functions = ("rnn_step_forward", "rnn_step_backward")
    forward = "rnn_step_forward"
    backward = "rnn_step_backward"
    outputs = ("h_next",)
    upstream = ("dh_next",)
    grads = ("dx", "dh_prev", "dWx", "dWh", "db")
    backward_table = _RNN_STEP_BACKWARD


@register
class RnnForward(_RnnForward):
    exercise_id = "rnn_lstm.rnn_forward"
    functions = ("rnn_forward",)
    uses = ("rnn_lstm.rnn_step_forward",)
    forward = "rnn_forward"
    sequence = True
    forward_table = _RNN_STEP_FORWARD + _RNN_SEQUENCE_FORWARD


@register
class RnnBackward(_RnnBackward):
    exercise_id = "rnn_lstm.rnn_backward"
    functions = ("rnn_forward", "rnn_backward")
    uses = ("rnn_lstm.rnn_forward", "rnn_lstm.rnn_step_backward")
    forward = "rnn_forward"
    backward = "rnn_backward"
    sequence = True
    grads = ("dx", "dh0", "dWx", "dWh", "db")
    backward_table = _RNN_STEP_BACKWARD + _RNN_SEQUENCE_BACKWARD


# -- the LSTM -----------------------------------------------------------------------------------------
class _LstmForward(_ForwardCheck):
    gates = 4

    def model_outputs(self, arrays, switch):
        hs, cs, _ = _lstm_run(*arrays, switch)
        if self.sequence:
            kept = cs if switch == "cells" else hs
            return {"h": kept[:, :-1] if switch == "shifted" else kept[:, 1:]}
        return {"h_next": hs[:, 1], "c_next": cs[:, 1]}


class _LstmBackward(_BackwardCheck):
    gates = 4

    def model_grads(self, arrays, upstream, switch):
        if self.sequence:
            dh, dc_last = upstream[0], np.zeros_like(upstream[0][:, 0])  # the last cell state gets none
        else:
            dh, dc_last = upstream[0][:, None], upstream[1]  # (N, 1, H), (N, H)
        grads = _lstm_grads(*arrays, dh, dc_last, switch)
        if not self.sequence:
            grads["dx"] = grads["dx"][:, 0]
        return dict(zip(self.grads, (grads[k] for k in ("dx", "dh0", "dc0", "dWx", "dWh", "db"))))


@register
class LstmStepForward(_LstmForward):
    exercise_id = "rnn_lstm.lstm_step_forward"
    functions = ("lstm_step_forward",)
    forward = "lstm_step_forward"
    outputs = ("h_next", "c_next")
    forward_table = _LSTM_STEP_FORWARD + _LSTM_STEP_STATE


@register
class LstmStepBackward(_LstmBackward):
    exercise_id = "rnn_lstm.lstm_step_backward"
    functions = ("lstm_step_forward", "lstm_step_backward")
    forward = "lstm_step_forward"
    backward = "lstm_step_backward"
    outputs = ("h_next", "c_next")
    upstream = ("dh_next", "dc_next")
    grads = ("dx", "dh_prev", "dc_prev", "dWx", "dWh", "db")
    backward_table = _LSTM_STEP_BACKWARD


@register
class LstmForward(_LstmForward):
    exercise_id = "rnn_lstm.lstm_forward"
    functions = ("lstm_forward",)
    uses = ("rnn_lstm.lstm_step_forward",)
    forward = "lstm_forward"
    sequence = True
    forward_table = _LSTM_STEP_FORWARD + _LSTM_SEQUENCE_FORWARD


@register
class LstmBackward(_LstmBackward):
    exercise_id = "rnn_lstm.lstm_backward"
    functions = ("lstm_forward", "lstm_backward")
    uses = ("rnn_lstm.lstm_forward", "rnn_lstm.lstm_step_backward")
    forward = "lstm_forward"
    backward = "lstm_backward"
    sequence = True
    grads = ("dx", "dh0", "dc0", "dWx", "dWh", "db")
    backward_table = _LSTM_STEP_BACKWARD + _LSTM_SEQUENCE_BACKWARD


# -- gradient clipping ----------------------------------------------------------------------------------
_RNN_GRADS = {"Wx": (3, 5), "Wh": (5, 5), "b": (5,), "W_out": (5, 2), "b_out": (2,)}
_LSTM_GRADS = {"Wx": (2, 12), "Wh": (3, 12), "b": (12,), "W_out": (3, 4)}
_FEW_GRADS = {"W": (4, 3), "b": (3,)}


def _clip(grads, max_norm, mistake=None):
    """(grads, total_norm) of clip_gradients making `mistake` (None: torch's rule)."""
    grads = {k: g.astype(np.float64) for k, g in grads.items()}
    norms = {k: np.sqrt(np.sum(g * g)) for k, g in grads.items()}
    total = float(np.sqrt(sum(n**2 for n in norms.values())))
    if mistake == "per array":
        return {k: g * min(1.0, max_norm / (norms[k] + 1e-6)) for k, g in grads.items()}, total
    measured = {"squared": total**2, "summed": sum(norms.values()), "largest": max(norms.values())}.get(mistake, total)
    eps = 0.0 if mistake == "no eps" else 1e-6
    ratio = max_norm / (measured + eps) if measured + eps > 0 else np.inf
    coef = {"always": ratio, "inverted": min(1.0, measured / max_norm)}.get(mistake, min(1.0, ratio))
    clipped = {k: g * coef for k, g in grads.items()}
    if mistake == "norm after":
        return clipped, total * coef
    return clipped, measured


_CLIP_MISTAKES = (
    ("per array", "each array clipped by its own norm", "clip by ONE global norm: total_norm = sqrt of the sum of "
     "every array's squared entries, and one factor for all the arrays"),
    ("always", "the gradients scaled even when the norm is below max_norm", "the factor is min(1, max_norm / "
     "(total_norm + 1e-6)): below max_norm the gradients come back unchanged"),
    ("norm after", "the norm after clipping returned", "return total_norm as measured before scaling"),
    ("no eps", "the + 1e-6 missing", "coef = min(1, max_norm / (total_norm + 1e-6)), as torch's clip_grad_norm_"),
    ("squared", "the squared norm (no square root)", "total_norm = np.sqrt(sum of the squares)"),
    ("summed", "the arrays' norms added up", "the global norm is sqrt(sum over arrays of their squared norms), "
     "not the sum of their norms"),
    ("largest", "the largest array's norm used", "the global norm takes every array: sqrt of the sum of all "
     "squared entries"),
    ("inverted", "total_norm / max_norm where max_norm / total_norm belongs", "coef = min(1, max_norm / "
     "(total_norm + 1e-6))"),
)


@register
class ClipGradients(Check):
    exercise_id = "rnn_lstm.clip_gradients"
    functions = ("clip_gradients",)
    parts = {"grads": 1, "total_norm": 1}
    # (seed, shapes, total norm the gradients are scaled to (None: leave them as drawn), max_norm, dtype, note)
    visible = ((0, _RNN_GRADS, 12.0, 5.0, np.float64, "the norm above max_norm: clipped"),
               (1, _LSTM_GRADS, 3.0, 5.0, np.float64, "the norm below max_norm: unchanged, as a new dict"),
               (2, _RNN_GRADS, 7.0, 5.0, np.float64, "each array's norm below max_norm, the global norm above"),
               (3, _LSTM_GRADS, 0.02, 0.005, np.float64, "small gradients, where the + 1e-6 shows"),
               (4, _FEW_GRADS, 9.0, 1.0, np.float32, "float32, the norm above max_norm"),
               (5, _FEW_GRADS, 0.0, 1.0, np.float64, "every gradient zero"))
    hidden = ((100, _LSTM_GRADS, 40.0, 1.0, np.float64, "the norm above max_norm: clipped"),
              (101, _RNN_GRADS, 0.5, 2.0, np.float64, "the norm below max_norm: unchanged, as a new dict"),
              (102, _LSTM_GRADS, 5.5, 4.0, np.float64, "each array's norm below max_norm, the global norm above"),
              (103, _RNN_GRADS, 0.03, 0.01, np.float64, "small gradients, where the + 1e-6 shows"),
              (104, _RNN_GRADS, 4.0, 0.5, np.float32, "float32, the norm above max_norm"),
              (105, _LSTM_GRADS, 0.0, 3.0, np.float64, "every gradient zero"))

    def cases(self, hidden):
        cases = []
        for seed, shapes, norm, max_norm, dtype, note in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            grads = {k: normal(rng, shape) for k, shape in shapes.items()}
            drawn = np.sqrt(sum(np.sum(g * g) for g in grads.values()))
            grads = {k: (g * (norm / drawn)).astype(dtype) for k, g in grads.items()}
            inputs = {"grads": grads, "max_norm": max_norm}
            cases.append(Case(describe_case(seed, inputs, note), inputs, dtype=np.dtype(dtype), hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        grads, total_norm = caller.call("clip_gradients", case.inputs["grads"], case.inputs["max_norm"],
                                        returns=("grads:dict", "total_norm:scalar"))
        return {"grads": grads, "total_norm": total_norm}

    def expected(self, case):
        grads = {k: g.copy() for k, g in case.inputs["grads"].items()}
        clipped, total_norm = reference.clip_gradients(grads, case.inputs["max_norm"])
        return {"grads": {k: to_numpy(g) for k, g in clipped.items()}, "total_norm": float(total_norm)}

    def compare(self, part, expected, got, case):
        tolerance = tolerance_for(case.dtype)
        if part == "total_norm":
            return compare_arrays(expected, got, tolerance, name="total_norm")
        missing = [k for k in expected if k not in got]
        extra = [k for k in got if k not in expected]
        if missing or extra:
            return Comparison(False, "keys", f"the returned dict has the keys {', '.join(got) or 'none'}; it must "
                              f"have the keys of grads, {', '.join(expected)}: one clipped array per gradient")
        for key in expected:
            comparison = compare_arrays(expected[key], got[key], tolerance, name=f"grads[{key!r}]")
            if not comparison.ok:
                return comparison
        return Comparison(True)

    def mistakes(self, case, expected):
        found = []
        for switch, name, fix in _CLIP_MISTAKES:
            grads, total = _clip(case.inputs["grads"], case.inputs["max_norm"], switch)
            found.append(Mistake(name, fix, {"grads": grads, "total_norm": total}))
        return found
