"""Lesson 02 (mlp): dense layers, activations, softmax and cross-entropy, the two-layer net, SGD."""
import numpy as np

from reference_impl import mlp as reference
from reference_impl.backend import to_numpy

from ..calling import LearnerError
from ..compare import Comparison, compare_arrays, tolerance_for
from ..engine import Case, Check, describe_case, register
from ..inputs import generator, normal
from ..mistakes import Mistake
from .layers import CaseSpec, LayerBackwardCheck, LayerForwardCheck


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(scores):
    shifted = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=-1, keepdims=True)


# -- affine ---------------------------------------------------------------------------------------
class _Affine:
    reference = reference
    forward = "affine_forward"
    visible = (CaseSpec(0, N=4, D=5, M=3), CaseSpec(1, N=3, D=3, M=3, note="square W, N = D = M"),
               CaseSpec(2, N=1, D=4, M=2, note="a batch of 1"), CaseSpec(3, N=5, D=3, M=2, dtype=np.float32,
                                                                       note="float32"))
    hidden = (CaseSpec(100, N=16, D=10, M=7), CaseSpec(101, N=4, D=4, M=4, note="square W, N = D = M"),
              CaseSpec(102, N=1, D=6, M=3, note="a batch of 1"), CaseSpec(103, N=6, D=1, M=5),
              CaseSpec(104, N=2, D=3, M=4, dtype=np.float32, note="float32"))

    def draw(self, rng, spec):
        N, D, M = spec.sizes["N"], spec.sizes["D"], spec.sizes["M"]
        return {"x": normal(rng, (N, D), spec.dtype), "W": normal(rng, (D, M), spec.dtype),
                "b": normal(rng, (M,), spec.dtype)}


@register
class AffineForward(_Affine, LayerForwardCheck):
    exercise_id = "mlp.affine_forward"
    functions = ("affine_forward",)

    def forward_mistakes(self, inputs):
        x, W, b = inputs["x"], inputs["W"], inputs["b"]
        found = [("the bias left out", "out = x @ W + b", x @ W),
                 ("the bias subtracted", "out = x @ W + b: the bias is added", x @ W - b)]
        if W.shape[0] == W.shape[1]:
            found.append(("W transposed", "W is stored (D_in, D_out), so out = x @ W, not x @ W.T", x @ W.T + b))
        if x.shape[0] == W.shape[1]:
            found.append(("the bias added along the batch axis (b[:, None])", "b has one entry per output: "
                          "x @ W + b broadcasts it over the rows as it is", x @ W + b[:, None]))
        return found


@register
class AffineBackward(_Affine, LayerBackwardCheck):
    exercise_id = "mlp.affine_backward"
    functions = ("affine_forward", "affine_backward")
    backward = "affine_backward"
    grads = ("dx", "dW", "db")

    def backward_mistakes(self, inputs, dout, expected):
        x, W = inputs["x"], inputs["W"]
        N = x.shape[0]
        found = [
            ("the bias gradient averaged over the batch", "db = dout.sum(axis=0): layers sum over the batch, "
             "only the loss divides by N", {"db": expected["db"] / N}),
            ("the gradients averaged over the batch (divided by N)", "layers never divide by N; the 1/N is "
             "already in dout: dx = dout @ W.T, dW = x.T @ dout, db = dout.sum(axis=0)",
             {name: value / N for name, value in expected.items()}),
            ("the bias gradient not summed over the batch", "db = dout.sum(axis=0), shape (D_out,)", {"db": dout}),
            ("the bias gradient summed over every axis (a single number)", "sum over the batch only: "
             "db = dout.sum(axis=0), shape (D_out,)", {"db": dout.sum()}),
            ("the gradients returned in the order (dW, dx, db)", "return them in the order of the forward's "
             "inputs: (dx, dW, db)", {"dx": expected["dW"], "dW": expected["dx"]}),
            ("dW transposed", "dW = x.T @ dout, shape (D_in, D_out) like W", {"dW": dout.T @ x}),
            ("dx transposed", "dx = dout @ W.T, shape (N, D_in) like x", {"dx": W @ dout.T}),
        ]
        if W.shape[0] == W.shape[1]:
            found.append(("dout @ W where dout @ W.T belongs", "dx = dout @ W.T", {"dx": dout @ W}))
        if x.shape[0] == W.shape[1]:
            found.append(("the bias gradient summed over the wrong axis", "sum over the batch: db = dout.sum(axis=0)",
                          {"db": dout.sum(axis=1)}))
        return found


# -- activations ----------------------------------------------------------------------------------
class _Elementwise:
    reference = reference
    visible = (CaseSpec(0, shape=(4, 5)), CaseSpec(1, shape=(3, 6), zeros=True, note="x has exact zeros"),
               CaseSpec(2, shape=(2, 3, 4), note="3 dimensions"),
               CaseSpec(3, shape=(6, 4), scale=800.0, note="large |x|, beyond 710 where np.exp overflows"),
               CaseSpec(4, shape=(5, 3), dtype=np.float32, note="float32"),
               CaseSpec(5, shape=(1, 4), negative=True, note="a batch of 1, every x negative"))
    hidden = (CaseSpec(100, shape=(7, 3)), CaseSpec(101, shape=(2, 5), zeros=True, note="x has exact zeros"),
              CaseSpec(102, shape=(3, 2, 2, 2), note="4 dimensions"),
              CaseSpec(103, shape=(4, 6), scale=800.0, note="large |x|, beyond 710 where np.exp overflows"),
              CaseSpec(104, shape=(6, 2), dtype=np.float32, note="float32"),
              CaseSpec(105, shape=(1, 6), negative=True, note="a batch of 1, every x negative"))

    def draw(self, rng, spec):
        x = normal(rng, spec.sizes["shape"], spec.dtype, scale=spec.sizes.get("scale", 1.0))
        if spec.sizes.get("zeros"):
            x.reshape(-1)[::3] = 0
        if spec.sizes.get("negative"):
            x = -np.abs(x) - np.asarray(0.01, dtype=x.dtype)
        return {"x": x}


@register
class ReluForward(_Elementwise, LayerForwardCheck):
    exercise_id = "mlp.relu_forward"
    functions = ("relu_forward",)
    forward = "relu_forward"

    def forward_mistakes(self, inputs):
        x = inputs["x"]
        return [("the mask returned instead of the output", "out = x * (x > 0) or np.maximum(x, 0)",
                 (x > 0).astype(x.dtype)),
                ("the negative part kept", "ReLU keeps the positive part: np.maximum(x, 0)", np.minimum(x, 0)),
                ("np.abs instead of ReLU", "negative inputs become 0, not their absolute value", np.abs(x))]


@register
class ReluBackward(_Elementwise, LayerBackwardCheck):
    exercise_id = "mlp.relu_backward"
    functions = ("relu_forward", "relu_backward")
    forward = "relu_forward"
    backward = "relu_backward"
    grads = ("dx",)

    def backward_mistakes(self, inputs, dout, expected):
        x = inputs["x"]
        return [("the gradient passed where x <= 0", "dx = dout * (x > 0): ReLU passes no gradient where it "
                 "output 0", {"dx": dout}),
                ("the gradient passed at x == 0", "use x > 0, not x >= 0: the course takes relu'(0) = 0, as torch does",
                 {"dx": dout * (x >= 0)}),
                ("the mask returned without dout", "the mask is only the local derivative: multiply it by the "
                 "upstream gradient, dx = dout * (x > 0)", {"dx": (x > 0).astype(x.dtype)}),
                ("the mask taken from dout instead of x", "the mask is (x > 0), the input the forward saw",
                 {"dx": dout * (dout > 0)}),
                ("the mask inverted", "dx = dout * (x > 0)", {"dx": dout * (x < 0)}),
                ("dout multiplied by x", "multiply by the mask (x > 0), not by x", {"dx": dout * x}),
                ("dout multiplied by the forward's output max(x, 0)", "multiply by the mask (x > 0), not by the "
                 "output", {"dx": dout * np.maximum(x, 0)}),
                ("the forward's output returned", "dx = dout * (x > 0)", {"dx": np.maximum(x, 0)})]


@register
class SigmoidForward(_Elementwise, LayerForwardCheck):
    exercise_id = "mlp.sigmoid_forward"
    functions = ("sigmoid_forward",)
    forward = "sigmoid_forward"

    def forward_mistakes(self, inputs):
        x = inputs["x"]
        e = np.exp(x)
        return [("sigmoid(-x): exp(x) where exp(-x) belongs (or the stable form's two branches swapped)",
                 "sigmoid(x) = 1 / (1 + exp(-x)); in the stable form 1 / (1 + e) goes with x >= 0", _sigmoid(-x)),
                ("exp(x) / (1 + exp(x)), which is inf / inf = NaN for large x", "use 1 / (1 + np.exp(-x)), or "
                 "the stable form with e = np.exp(-np.abs(x))", e / (1 + e)),
                ("1 / (1 + exp(-|x|)) for every x (the x < 0 branch missing)", "where x < 0 the sigmoid is "
                 "e / (1 + e) with e = exp(-|x|): np.where(x >= 0, 1 / (1 + e), e / (1 + e))", _sigmoid(np.abs(x))),
                ("tanh instead of sigmoid", "sigmoid(x) = 1 / (1 + exp(-x))", np.tanh(x)),
                ("1 / (1 - exp(-x))", "the denominator is 1 + exp(-x)", 1 / (1 - np.exp(-x)))]


@register
class SigmoidBackward(_Elementwise, LayerBackwardCheck):
    exercise_id = "mlp.sigmoid_backward"
    functions = ("sigmoid_forward", "sigmoid_backward")
    forward = "sigmoid_forward"
    backward = "sigmoid_backward"
    grads = ("dx",)

    def backward_mistakes(self, inputs, dout, expected):
        x = inputs["x"]
        s = _sigmoid(x)
        twice = _sigmoid(s)
        return [("the (1 - s) term missing", "sigmoid'(x) = s * (1 - s) with s = sigmoid(x)", {"dx": dout * s}),
                ("the s term missing", "sigmoid'(x) = s * (1 - s) with s = sigmoid(x)", {"dx": dout * (1 - s)}),
                ("1 - s**2 (tanh's derivative) where s * (1 - s) belongs", "sigmoid'(x) = s * (1 - s); "
                 "1 - y**2 is the derivative of tanh", {"dx": dout * (1 - s**2)}),
                ("x used where s = sigmoid(x) belongs", "dx = dout * s * (1 - s), with s the forward's output",
                 {"dx": dout * x * (1 - x)}),
                ("the sigmoid applied again to the cached s", "the cache already holds s = sigmoid(x): "
                 "dx = dout * s * (1 - s)", {"dx": dout * twice * (1 - twice)}),
                ("dout left out", "multiply the local derivative by the upstream gradient dout",
                 {"dx": s * (1 - s)})]


@register
class TanhForward(_Elementwise, LayerForwardCheck):
    exercise_id = "mlp.tanh_forward"
    functions = ("tanh_forward",)
    forward = "tanh_forward"

    def forward_mistakes(self, inputs):
        x = inputs["x"]
        e_plus, e_minus = np.exp(x), np.exp(-x)
        fix = "use np.tanh(x), which is finite for any x"
        return [("tanh as a quotient of exponentials (np.exp, or np.sinh / np.cosh), which is inf / inf = NaN "
                 "for large |x|", fix, (e_plus - e_minus) / (e_plus + e_minus)),
                ("tanh as (1 - exp(-2x)) / (1 + exp(-2x)), which is inf / inf = NaN for large negative x", fix,
                 (1 - np.exp(-2 * x)) / (1 + np.exp(-2 * x))),
                ("tanh as (exp(2x) - 1) / (exp(2x) + 1), which is inf / inf = NaN for large positive x", fix,
                 (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1)),
                ("sigmoid instead of tanh", "tanh(x) = 2 * sigmoid(2x) - 1, or np.tanh(x)", _sigmoid(x)),
                ("2 * sigmoid(x) - 1", "tanh(x) = 2 * sigmoid(2x) - 1: the argument is doubled",
                 2 * _sigmoid(x) - 1)]


@register
class TanhBackward(_Elementwise, LayerBackwardCheck):
    exercise_id = "mlp.tanh_backward"
    functions = ("tanh_forward", "tanh_backward")
    forward = "tanh_forward"
    backward = "tanh_backward"
    grads = ("dx",)

    def backward_mistakes(self, inputs, dout, expected):
        x = inputs["x"]
        y = np.tanh(x)
        twice = np.tanh(y)
        return [("1 - y where 1 - y**2 belongs", "tanh'(x) = 1 - tanh(x)**2", {"dx": dout * (1 - y)}),
                ("x used where y = tanh(x) belongs", "dx = dout * (1 - y**2), with y the forward's output",
                 {"dx": dout * (1 - x**2)}),
                ("(1 - y)**2 where 1 - y**2 belongs", "tanh'(x) = 1 - tanh(x)**2", {"dx": dout * (1 - y) ** 2}),
                ("y * (1 - y) (the sigmoid's derivative) where 1 - y**2 belongs", "tanh'(x) = 1 - tanh(x)**2",
                 {"dx": dout * y * (1 - y)}),
                ("tanh applied again to the cached y", "the cache already holds y = tanh(x): "
                 "dx = dout * (1 - y**2)", {"dx": dout * (1 - twice**2)}),
                ("dout left out", "multiply the local derivative by the upstream gradient dout",
                 {"dx": 1 - y**2})]


# -- softmax and cross-entropy --------------------------------------------------------------------
def _stable_softmax(scores, axis=-1):
    e = np.exp(scores - scores.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _with_keepdims_hint(err):
    """The learner's broadcasting error, with the usual cause: a max or sum over an axis that dropped it."""
    if "could not be broadcast" in err.message:
        err.message += ("; a max or sum over an axis drops that axis: keepdims=True keeps it (shape (N, 1)), "
                        "so the result broadcasts against the scores")
    return err


@register
class Softmax(Check):
    exercise_id = "mlp.softmax"
    functions = ("softmax",)
    parts = {"probs": 1}
    # (seed, shape, kind, dtype); the kinds are drawn in _softmax_scores
    visible = ((0, (4, 5), "normal", np.float64), (1, (3, 3), "normal", np.float64),
               (2, (3, 4), "far apart", np.float64), (3, (2, 3, 4), "normal", np.float64),
               (4, (5, 4), "spread", np.float64), (5, (4, 3), "ties", np.float64),
               (6, (1, 6), "normal", np.float64), (7, (4, 5), "normal", np.float32))
    hidden = ((100, (8, 10), "normal", np.float64), (101, (4, 4), "normal", np.float64),
              (102, (4, 2), "far apart", np.float64), (103, (3, 2, 2, 5), "normal", np.float64),
              (104, (6, 3), "spread", np.float64), (105, (2, 7), "ties", np.float64),
              (106, (1, 3), "normal", np.float64), (107, (3, 6), "normal", np.float32))

    def cases(self, hidden):
        cases = []
        for seed, shape, kind, dtype in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            scores = _softmax_scores(rng, shape, kind).astype(dtype)
            inputs = {"scores": scores}
            cases.append(Case(describe_case(seed, inputs, _softmax_note(shape, kind, dtype)), inputs,
                              dtype=np.dtype(dtype), hidden=seed >= 100,
                              sizes={"N (the batch size)": shape[0], "C (the number of classes)": shape[-1]}))
        return cases

    def call_learner(self, caller, case):
        try:
            return {"probs": caller.call("softmax", case.inputs["scores"], returns="probs:array")}
        except LearnerError as err:
            raise _with_keepdims_hint(err)

    def expected(self, case):
        return {"probs": to_numpy(reference.softmax(case.inputs["scores"].copy()))}

    def mistakes(self, case, expected):
        s = case.inputs["scores"]
        e, e_global = np.exp(s), np.exp(s - s.max())
        shifted = np.exp(s - s.max(axis=-1, keepdims=True))
        found = [
            Mistake("the max not subtracted before np.exp, which overflows for large scores",
                    "subtract scores.max(axis=-1, keepdims=True) first; the result is the same, without overflow",
                    {"probs": e / e.sum(axis=-1, keepdims=True)}),
            Mistake("one max over the whole array subtracted", "subtract each row's own max: "
                    "scores.max(axis=-1, keepdims=True); with one max, a row far below it underflows to 0 / 0",
                    {"probs": e_global / e_global.sum(axis=-1, keepdims=True)}),
            Mistake("the normalisation done over axis 0 (the batch) instead of the last axis",
                    "softmax runs over the last axis: axis=-1", {"probs": _stable_softmax(s, axis=0)}),
            Mistake("the exponentials not normalised", "divide by the sum over the last axis", {"probs": shifted}),
            Mistake("one sum over the whole array", "divide each row by its own sum (axis=-1, keepdims=True)",
                    {"probs": e_global / e_global.sum()}),
        ]
        if s.ndim >= 3:
            found.append(Mistake("axis=1 where the last axis belongs", "use axis=-1 so any number of leading axes "
                                 "works", {"probs": _stable_softmax(s, axis=1)}))
        if s.ndim == 2 and s.shape[0] == s.shape[1]:
            unkept = s - s.max(axis=1)
            found += [Mistake("keepdims=True missing", "s.max(axis=-1, keepdims=True) keeps the axis, so each row "
                              "subtracts its own max", {"probs": np.exp(unkept) / np.exp(unkept).sum(axis=1)}),
                      Mistake("keepdims=True missing in the sum", "e.sum(axis=-1, keepdims=True), so that each row "
                              "is divided by its own sum", {"probs": shifted / shifted.sum(axis=1)})]
        return found


def _softmax_scores(rng, shape, kind):
    """Scores of one kind: "normal" N(0, 1), "ties" all equal, "spread" N(0, 1000**2), "far apart" rows
    around +1000, 0 and -1000 in turn (a row far below another's max underflows if one max is used)."""
    if kind == "ties":
        return np.full(shape, float(rng.integers(-3, 4)))
    if kind == "spread":
        return normal(rng, shape, scale=1e3)
    scores = normal(rng, shape)
    if kind == "far apart":
        scores += np.resize([1000.0, 0.0, -1000.0], shape[0])[:, None]
    return scores


def _softmax_note(shape, kind, dtype):
    notes = {"ties": "ties: every score equal", "spread": "scores of size 1e3",
             "far apart": "rows near +1000, 0 and -1000"}
    parts = [notes[kind]] if kind in notes else []
    if len(shape) > 2:
        parts.append(f"{len(shape)} dimensions: softmax over the last axis")
    if len(shape) == 2 and shape[0] == shape[1]:
        parts.append("square")
    if shape[0] == 1:
        parts.append("a batch of 1")
    if dtype == np.float32:
        parts.append("float32")
    return ", ".join(parts)


@register
class SoftmaxCrossEntropy(Check):
    exercise_id = "mlp.softmax_cross_entropy"
    functions = ("softmax_cross_entropy",)
    parts = {"loss": 1, "dscores": 1}
    # (seed, N, C, kind): "normal" N(0, 1), "large" 1000 + N(0, 1), "spread" N(0, 1000**2), "underflow" the
    # true class 800 below its row's max in some rows, "ties" every score equal
    # The underflow case comes before the large one, which tells np.log(softmax) from a softmax that overflows.
    visible = ((0, 4, 5, "normal"), (1, 3, 3, "normal"), (2, 4, 4, "underflow"), (3, 5, 4, "large"),
               (4, 1, 6, "normal"), (5, 6, 2, "normal"), (6, 4, 3, "ties"), (7, 5, 4, "spread"))
    hidden = ((100, 8, 10, "normal"), (101, 5, 5, "normal"), (102, 6, 3, "underflow"), (103, 3, 6, "large"),
              (104, 1, 3, "normal"), (105, 7, 2, "normal"), (106, 2, 5, "ties"), (107, 6, 4, "spread"))
    notes = {"large": "large scores: 1000 + noise", "ties": "ties: every score equal", "spread": "scores of size 1e3",
             "underflow": "the true class 800 below its row's max: its probability underflows to 0"}

    def cases(self, hidden):
        cases = []
        for seed, N, C, kind in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            scale = {"ties": 0.0, "spread": 1e3}.get(kind, 1.0)
            scores = normal(rng, (N, C), scale=scale) + (1000.0 if kind == "large" else 0.0)
            y = rng.integers(0, C, size=N)
            if kind == "underflow":
                rows = np.arange(0, N, 2)
                scores[rows, y[rows]] = scores[rows].max(axis=1) - 800.0
            notes = [self.notes.get(kind, "")] + ["square"] * (N == C) + ["a batch of 1"] * (N == 1) + \
                ["2 classes"] * (C == 2)
            inputs = {"scores": scores, "y": y}
            cases.append(Case(describe_case(seed, inputs, ", ".join(n for n in notes if n)), inputs,
                              sizes={"N (the batch size)": N, "C (the number of classes)": C}, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        try:
            loss, dscores = caller.call("softmax_cross_entropy", case.inputs["scores"], case.inputs["y"],
                                        returns=("loss:scalar", "dscores:array"))
        except LearnerError as err:
            raise _with_keepdims_hint(err)
        return {"loss": loss, "dscores": dscores}

    def expected(self, case):
        loss, dscores = reference.softmax_cross_entropy(case.inputs["scores"].copy(), case.inputs["y"].copy())
        return {"loss": float(loss), "dscores": to_numpy(dscores)}

    def mistakes(self, case, expected):
        s, y = case.inputs["scores"], case.inputs["y"]
        N, C = s.shape
        rows = np.arange(N)
        probs = _softmax(s)
        onehot = np.zeros_like(s)
        onehot[rows, y] = 1
        naive = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
        return [
            Mistake("the -1 at the true class missing", "dscores = (probs - one_hot(y)) / N",
                    {"dscores": probs / N}),
            Mistake("the log of a probability that underflowed to 0 (np.log(softmax(scores)))",
                    "take logs before exponentiating: log_probs = shifted - log(sum(exp(shifted))), "
                    "loss = -log_probs[np.arange(N), y].mean()",
                    {"loss": float(-np.log(probs[rows, y]).mean())}),
            Mistake("probs[:, y] where probs[np.arange(N), y] belongs",
                    "probs[:, y] picks an (N, N) block; index each row's own class with probs[np.arange(N), y]",
                    {"loss": float(-np.log(probs[:, y]).mean())}),
            Mistake("softmax without subtracting the max, which overflows for large scores",
                    "subtract scores.max(axis=1, keepdims=True) before np.exp",
                    {"loss": float(-np.log(naive[rows, y]).mean()), "dscores": (naive - onehot) / N}),
            Mistake("one-hot minus probs (the sign flipped)", "dscores = (probs - one_hot(y)) / N",
                    {"dscores": (onehot - probs) / N}),
            Mistake("dscores not divided by N", "the loss is the mean over the batch, so its gradient carries "
                    "1/N: dscores = (probs - one_hot(y)) / N", {"dscores": probs - onehot}),
            Mistake("the loss summed over the batch instead of averaged", "the loss is the mean: divide the sum "
                    "by N (or use .mean())", {"loss": expected["loss"] * N}),
            Mistake("the mean taken over all N * C entries", "sum over the classes and average over the batch: "
                    "-log_probs[np.arange(N), y].mean()", {"loss": expected["loss"] / C}),
        ]


# -- the two-layer network ------------------------------------------------------------------------
_PARAM_KEYS = ("W1", "b1", "W2", "b2")


def _mlp_cases(exercise_id, hidden):
    """The cases of mlp_forward and mlp_backward, which share them; "reordered" passes the params with
    their keys in another order (a learner unpacking params.values() by position gets the wrong arrays)."""
    # (seed, N, D, H, C, dtype, kind)
    specs = [(0, 4, 5, 6, 3, np.float64, ""), (1, 3, 2, 4, 4, np.float64, "reordered"),
             (2, 1, 3, 5, 2, np.float64, ""), (3, 5, 4, 3, 3, np.float32, "")]
    if hidden:
        specs += [(100, 8, 6, 7, 10, np.float64, ""), (101, 5, 3, 4, 4, np.float64, "reordered"),
                  (102, 1, 4, 3, 2, np.float64, ""), (103, 6, 2, 4, 3, np.float32, "")]
    cases = []
    for seed, N, D, H, C, dtype, kind in specs:
        rng = generator(exercise_id, seed)
        params = {"W1": normal(rng, (D, H), dtype), "b1": normal(rng, (H,), dtype, 0.5),
                  "W2": normal(rng, (H, C), dtype), "b2": normal(rng, (C,), dtype, 0.5)}
        if kind == "reordered":
            params = {key: params[key] for key in ("b2", "W1", "W2", "b1")}
        inputs = {"X": normal(rng, (N, D), dtype), "params": params}
        notes = ["params' keys in another order"] * (kind == "reordered") + ["H = C"] * (H == C) + \
            ["a batch of 1"] * (N == 1) + ["float32"] * (dtype == np.float32)
        case = Case(describe_case(seed, inputs, ", ".join(notes)), inputs, dtype=np.dtype(dtype),
                    sizes={"N (the batch size)": N}, hidden=seed >= 100)
        case.extra["dscores"] = normal(rng, (N, C), dtype)
        cases.append(case)
    return cases


def _copy_params(params):
    return {k: v.copy() for k, v in params.items()}


@register
class MlpForward(Check):
    exercise_id = "mlp.mlp_forward"
    functions = ("mlp_forward",)
    uses = ("mlp.affine_forward", "mlp.relu_forward")
    parts = {"scores": 1}

    def cases(self, hidden):
        return _mlp_cases(self.exercise_id, hidden)

    def call_learner(self, caller, case):
        scores, _ = caller.call("mlp_forward", case.inputs["X"], case.inputs["params"],
                                returns=("scores:array", "cache:cache"))
        return {"scores": scores}

    def expected(self, case):
        scores, _ = reference.mlp_forward(case.inputs["X"].copy(), _copy_params(case.inputs["params"]))
        return {"scores": to_numpy(scores)}

    def mistakes(self, case, expected):
        X, p = case.inputs["X"], case.inputs["params"]
        hidden = X @ p["W1"] + p["b1"]
        relu = np.maximum(hidden, 0)
        scores = expected["scores"]
        return [Mistake("the ReLU left out", "scores = relu(X @ W1 + b1) @ W2 + b2", {"scores": hidden @ p["W2"] + p["b2"]}),
                Mistake("a ReLU after the last layer too", "the scores are the last affine layer's output, no ReLU",
                        {"scores": np.maximum(scores, 0)}),
                Mistake("the softmax applied to the scores", "return the raw scores: the loss applies the softmax "
                        "itself", {"scores": _softmax(scores)}),
                Mistake("a sigmoid where the ReLU belongs", "the hidden layer is relu(X @ W1 + b1)",
                        {"scores": _sigmoid(hidden) @ p["W2"] + p["b2"]}),
                Mistake("a ReLU on the input X too", "the ReLU comes after the first affine layer only",
                        {"scores": np.maximum(np.maximum(X, 0) @ p["W1"] + p["b1"], 0) @ p["W2"] + p["b2"]}),
                Mistake("b2 left out", "scores = relu(X @ W1 + b1) @ W2 + b2", {"scores": relu @ p["W2"]}),
                Mistake("b1 left out", "the hidden layer is relu(X @ W1 + b1)",
                        {"scores": np.maximum(X @ p["W1"], 0) @ p["W2"] + p["b2"]})]


@register
class MlpBackward(Check):
    exercise_id = "mlp.mlp_backward"
    functions = ("mlp_forward", "mlp_backward")
    uses = ("mlp.mlp_forward", "mlp.affine_forward", "mlp.affine_backward", "mlp.relu_forward", "mlp.relu_backward")
    parts = {key: 1 for key in _PARAM_KEYS}

    def cases(self, hidden):
        return _mlp_cases(self.exercise_id, hidden)

    def call_learner(self, caller, case):
        _, cache = caller.call("mlp_forward", case.inputs["X"], case.inputs["params"],
                               returns=("scores:array", "cache:cache"))
        grads = caller.call("mlp_backward", case.extra["dscores"], cache, returns="grads:dict")
        found = {}
        for key in _PARAM_KEYS:
            if key in grads:
                found[key] = grads[key]
            else:
                others = ", ".join(repr(k) for k in grads) or "no keys"
                found[key] = LearnerError(f"grads has no key {key!r} (it has {others}); use the params' keys "
                                          f"{', '.join(_PARAM_KEYS)}", "return")
        return found

    def expected(self, case):
        _, cache = reference.mlp_forward(case.inputs["X"].copy(), _copy_params(case.inputs["params"]))
        grads = reference.mlp_backward(case.extra["dscores"].copy(), cache)
        return {k: to_numpy(grads[k]) for k in _PARAM_KEYS}

    def mistakes(self, case, expected):
        X, p, dscores = case.inputs["X"], case.inputs["params"], case.extra["dscores"]
        N = X.shape[0]
        hidden = X @ p["W1"] + p["b1"]
        dh_unmasked = dscores @ p["W2"].T

        def first_layer(dh):
            return {"W1": X.T @ dh, "b1": dh.sum(axis=0)}

        found = [Mistake("the ReLU's mask left out of the backward pass",
                         "multiply the hidden layer's gradient by (h > 0) before the first layer's gradients",
                         first_layer(dh_unmasked)),
                 Mistake("the gradients averaged over the batch", "layers never divide by N: dscores already holds "
                         "the 1/N", {k: expected[k] / N for k in _PARAM_KEYS}),
                 Mistake("the mask taken from the gradient (dh > 0) instead of the hidden layer",
                         "dh = dscores @ W2.T, then dh * (h > 0) with h = X @ W1 + b1 from the forward",
                         first_layer(dh_unmasked * (dh_unmasked > 0))),
                 Mistake("the mask inverted (h < 0)", "the gradient passes where the hidden layer was positive: "
                         "dh * (h > 0)", first_layer(dh_unmasked * (hidden < 0))),
                 Mistake("dW2 from the hidden layer before the ReLU", "the second layer's input is relu(h): "
                         "dW2 = relu(h).T @ dscores", {"W2": hidden.T @ dscores})]
        if p["W2"].shape[0] == p["W2"].shape[1]:
            dh = dscores @ p["W2"]
            found.append(Mistake("dscores @ W2 where dscores @ W2.T belongs", "the hidden layer's gradient is "
                                 "dscores @ W2.T", first_layer(dh * (hidden > 0))))
        return found


@register
class SgdStep(Check):
    exercise_id = "mlp.sgd_step"
    functions = ("sgd_step",)
    parts = {"params": 1}
    _TWO_LAYERS = {"W1": (3, 4), "b1": (4,), "W2": (4, 2), "b2": (2,)}
    _THREE_LAYERS = {"W1": (2, 3), "b1": (3,), "W2": (3, 3), "b2": (3,), "W3": (3, 2), "b3": (2,)}
    _OTHER = {"w": (5,), "gamma": (2, 5), "beta": (5,)}
    # (seed, shapes, lr, dtype); every case but the first passes grads with its keys in another order
    visible = ((0, _TWO_LAYERS, 0.1, np.float64), (1, _OTHER, 0.05, np.float64),
               (2, _THREE_LAYERS, 0.5, np.float64), (3, _TWO_LAYERS, 1e-3, np.float32),
               (4, _TWO_LAYERS, 0.0, np.float64))
    hidden = ((100, _TWO_LAYERS, 2.0, np.float64), (101, _OTHER, 0.3, np.float64),
              (102, _THREE_LAYERS, 0.01, np.float64), (103, _TWO_LAYERS, 0.2, np.float32),
              (104, _OTHER, 0.0, np.float64))

    def cases(self, hidden):
        cases = []
        for seed, shapes, lr, dtype in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            params = {k: normal(rng, s, dtype) for k, s in shapes.items()}
            grads = {k: normal(rng, s, dtype) for k, s in shapes.items()}
            reordered = seed % 100 != 0
            if reordered:
                grads = dict(reversed(grads.items()))
            notes = (["keys other than W1 ... b2"] * (shapes is not self._TWO_LAYERS) +
                     ["grads' keys in another order"] * reordered + ["float32"] * (dtype == np.float32) +
                     ["lr 0: the params come back unchanged, as new arrays"] * (lr == 0))
            inputs = {"params": params, "grads": grads, "lr": lr}
            cases.append(Case(describe_case(seed, inputs, ", ".join(notes)), inputs, dtype=np.dtype(dtype),
                              hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        i = case.inputs
        try:
            return {"params": caller.call("sgd_step", i["params"], i["grads"], i["lr"], returns="params:dict")}
        except LearnerError as err:
            if "KeyError" in err.message:
                err.message += ("; params may hold any keys (W3, gamma, ...): loop over params.items() "
                                "instead of naming W1 ... b2")
            elif "could not be broadcast" in err.message:
                err.message += ("; is each parameter paired with its own gradient, grads[key]? grads may list "
                                "its keys in another order than params")
            raise

    def expected(self, case):
        i = case.inputs
        new = reference.sgd_step(_copy_params(i["params"]), _copy_params(i["grads"]), i["lr"])
        return {"params": {k: to_numpy(v) for k, v in new.items()}}

    def compare(self, part, expected, got, case):
        missing = [k for k in expected if k not in got]
        if missing:
            return Comparison(False, "keys", f"the returned dict lacks {', '.join(missing)} "
                              f"(it has {', '.join(got) or 'no keys'}); keep every key of params: loop over "
                              "params.items() rather than naming W1 ... b2")
        for key in expected:
            comparison = compare_arrays(expected[key], got[key], tolerance_for(case.dtype), name=f"params[{key!r}]")
            if not comparison.ok:
                return comparison
        return Comparison(True)

    def mistakes(self, case, expected):
        p, g, lr = case.inputs["params"], case.inputs["grads"], case.inputs["lr"]
        found = [Mistake(name, fix, {"params": {k: update(p[k], g[k]) for k in p}}) for name, fix, update in [
            ("the gradient added instead of subtracted", "step downhill: w - lr * dw", lambda w, d: w + lr * d),
            ("the learning rate left out", "w - lr * dw", lambda w, d: w - d),
            ("the gradient returned instead of the new weights", "return w - lr * dw", lambda w, d: -lr * d)]]
        try:
            paired = {k: w - lr * d for (k, w), d in zip(p.items(), g.values())}
        except ValueError:  # shapes that do not broadcast: the learner's code raises instead
            paired = None
        found.append(Mistake("params and grads paired by position (zip of their .values())", "pair each "
                             "parameter with the gradient of the same key: grads[key]", {"params": paired}))
        return found


# -- the training loop ----------------------------------------------------------------------------
def _steps_per_epoch(N, batch_size):
    return -(-N // batch_size)  # ceil(N / batch_size): the last minibatch may be smaller


def _train_with_mistake(X, y, params, lr, epochs, batch_size, seed, mistake):
    """reference_impl.mlp.train_mlp's loop making one known `mistake` (a key of _LOOP_MISTAKES)."""
    N = X.shape[0]
    rng = np.random.default_rng(seed)
    step_lr = {"lr unused": 1.0, "gradient added": -lr}.get(mistake, lr)
    stop = N - N % batch_size if mistake == "last batch dropped" else N
    losses = []
    for _ in range(epochs):
        order = np.arange(N) if mistake == "no shuffle" else rng.permutation(N)
        epoch_losses = []
        for start in range(0, stop, batch_size):
            batch = order[start:start + batch_size]
            labels = y[start:start + batch_size] if mistake == "labels unshuffled" else y[batch]
            scores, cache = reference.mlp_forward(X[batch], params)  # (B, C)
            loss, dscores = reference.softmax_cross_entropy(scores, labels)
            params = reference.sgd_step(params, reference.mlp_backward(dscores, cache), step_lr)
            epoch_losses.append(float(loss))
        losses += [float(np.mean(epoch_losses))] if mistake == "per epoch" else epoch_losses
    return params, np.array(losses)


_LOOP_MISTAKES = (  # (the reference loop's mistake key, its name, how to fix it)
    ("no shuffle", "no shuffling", "the check hands you the examples sorted by class, so without a shuffle each "
     "minibatch holds one digit and the network learns mostly the last ones: draw order = rng.permutation(N) "
     "at the start of every epoch"),
    ("labels unshuffled", "X taken in the shuffled order but y in the original one",
     "index both with the same minibatch: X[batch] and y[batch]"),
    ("last batch dropped", "the last, smaller minibatch dropped", "range(0, N, batch_size) keeps it: "
     "order[start:start + batch_size] is simply shorter at the end"),
    ("per epoch", "one loss per epoch where one per step belongs", "append every step's minibatch loss"),
    ("lr unused", "the learning rate not used", "pass lr on: sgd_step(params, grads, lr)"),
    ("gradient added", "the gradient added instead of subtracted", "step downhill: sgd_step computes params - lr * grads"),
)


def _params_problem(params, initial):
    """What is wrong with the params a loop returned, compared with its initial params; "" when nothing."""
    missing = [key for key in initial if key not in params]
    if missing:
        return (f"the returned params lack {', '.join(missing)} (they have {', '.join(params) or 'no keys'}); "
                "return the dict of the last sgd_step")
    for key, value in initial.items():
        if params[key].shape != value.shape:
            return f"params[{key!r}] has shape {params[key].shape}, the initial one {value.shape}"
        if params[key].dtype.kind != "f":
            return f"params[{key!r}] holds {params[key].dtype} numbers; it must stay a float array"
    return ""


def _held_back_accuracy(params, case):
    """Accuracy of `params` on the examples the check kept back, computed here, never by the learner's code."""
    plain = {key: np.asarray(params[key], dtype=np.float64) for key in _PARAM_KEYS}
    with np.errstate(all="ignore"):  # a diverged loop's params may overflow; its accuracy is still defined
        scores, _ = reference.mlp_forward(case.extra["X_held"], plain)  # (N_held, C)
    return float(np.mean(to_numpy(scores).argmax(axis=1) == case.extra["y_held"]))


@register
class TrainMlp(Check):
    """The learner's minibatch loop, graded by what it achieves: one mean loss per step, a first loss near
    log C, a falling loss, accuracy on examples it never saw, new params (unchanged when lr is 0)."""

    exercise_id = "mlp.train_mlp"
    functions = ("train_mlp",)
    uses = ("mlp.mlp_forward", "mlp.mlp_backward", "mlp.softmax_cross_entropy", "mlp.sgd_step")
    parts = {"one loss per step": 1, "first loss": 1, "loss falls": 1, "held-back accuracy": 1, "params": 1}
    hidden_units = 32
    first_loss_tolerance = 0.1
    falls_to = 0.5  # the last epoch's mean loss, as a fraction of the initial loss
    min_accuracy = 0.8  # the reference loop reached 0.89 to 0.95 on 12 splits x 5 shuffles; unshuffled, 0.53 at most
    # (seed, training examples N, epochs, batch_size, lr, note): N % batch_size is 40 in the first
    # and 0 in the second; lr 0 must leave the params as they came.
    visible = ((0, 1000, 2, 48, 1.0, "the examples sorted by class"),
               (1, 64, 2, 16, 0.0, "lr 0, N a multiple of batch_size"))
    hidden = ((100, 1000, 2, 48, 1.0, "the examples sorted by class"),
              (101, 1000, 2, 48, 1.0, "the examples sorted by class"),
              (102, 1000, 2, 48, 1.0, "the examples sorted by class"),
              (103, 64, 2, 16, 0.0, "lr 0, N a multiple of batch_size"))

    def cases(self, hidden):
        # The 8x8 digits load (and scikit-learn imports) only when this check runs.
        from reference_impl.data import digits

        cases = []
        for seed, N, epochs, batch_size, lr, note in self.visible + (self.hidden if hidden else ()):
            X_train, y_train, X_held, y_held = digits(seed=seed)
            rng = generator(self.exercise_id, seed)
            chosen = rng.permutation(len(y_train))[:N]
            chosen = chosen[np.argsort(y_train[chosen], kind="stable")]  # sorted by class, as data sets often come
            pixel_mean = X_train[chosen].mean(axis=0)  # (D,)
            X = X_train[chosen] - pixel_mean  # (N, D)
            D, H, C = X.shape[1], self.hidden_units, 10
            # Small last-layer weights: the first scores are near 0, so the first loss is near log C.
            params = {"W1": normal(rng, (D, H)) * np.sqrt(2 / D), "b1": np.zeros(H),
                      "W2": normal(rng, (H, C)) * 0.1 / np.sqrt(H), "b2": np.zeros(C)}
            inputs = {"X": X, "y": y_train[chosen], "params": params, "lr": lr, "epochs": epochs,
                      "batch_size": batch_size, "seed": seed}
            shown = {k: v for k, v in inputs.items() if k != "seed"}  # the label's own seed is the same number
            case = Case(describe_case(seed, shown, note), inputs, hidden=seed >= 100,
                        parts=None if lr else ("one loss per step", "first loss", "params"))
            scores, _ = reference.mlp_forward(X, params)
            case.extra = {"X_held": X_held - pixel_mean, "y_held": y_held,
                          "initial_loss": float(reference.softmax_cross_entropy(scores, inputs["y"])[0])}
            cases.append(case)
        return cases

    def call_learner(self, caller, case):
        i = case.inputs
        params, losses = caller.call("train_mlp", i["X"], i["y"], i["params"], i["lr"], i["epochs"],
                                     i["batch_size"], i["seed"], returns=("params:dict", "losses:array"))
        problem = _params_problem(params, i["params"])
        if problem:
            broken = LearnerError(problem, "return")
            return {part: broken if part in ("params", "held-back accuracy") else {"losses": losses}
                    for part in self.parts}
        outcome = {"losses": losses, "params": params, "accuracy": _held_back_accuracy(params, case)}
        return {part: outcome for part in self.parts}

    def _outcome(self, case, mistake=None):
        i = case.inputs
        args = (i["X"], i["y"], _copy_params(i["params"]), i["lr"], i["epochs"], i["batch_size"], i["seed"])
        if mistake is None:
            params, losses = reference.train_mlp(*args)
        else:
            params, losses = _train_with_mistake(*args, mistake)
        params = {key: to_numpy(value) for key, value in params.items()}
        return {"losses": np.asarray(losses, dtype=np.float64), "params": params, "accuracy": _held_back_accuracy(params, case)}

    def expected(self, case):
        outcome = self._outcome(case)
        return {part: outcome for part in self.parts}

    def mistakes(self, case, expected):
        return [Mistake(name, fix, {part: outcome for part in self.parts})
                for key, name, fix in _LOOP_MISTAKES for outcome in [self._outcome(case, key)]]

    def compare(self, part, expected, got, case):
        losses = np.asarray(got["losses"], dtype=np.float64)
        i = case.inputs
        N, epochs, batch_size = i["X"].shape[0], i["epochs"], i["batch_size"]
        per_epoch = _steps_per_epoch(N, batch_size)
        initial = case.extra["initial_loss"]
        if part == "one loss per step":
            return self._compare_steps(losses, N, epochs, batch_size)
        if part == "first loss":
            first = losses.reshape(-1)[0] if losses.size else np.nan
            if np.isfinite(first) and abs(first - initial) <= self.first_loss_tolerance:
                return Comparison(True)
            text = (f"the first loss is {first:.4g}, but these initial params give a mean loss of {initial:.4f} "
                    f"(about log 10 = {np.log(10):.4f}: their scores are near 0, so every class gets a probability "
                    "near 1/10); record each minibatch's mean loss, from softmax_cross_entropy before the step")
            if np.isclose(first, batch_size * initial, rtol=0.1):
                text += f" (yours is about batch_size = {batch_size} times that: a sum where the mean belongs?)"
            return Comparison(False, "values", text)
        if part == "loss falls":
            last_epoch = losses.reshape(-1)[-per_epoch:]
            reached = float(np.mean(last_epoch)) if last_epoch.size else np.nan
            if np.isfinite(reached) and reached <= self.falls_to * initial:
                return Comparison(True)
            text = (f"the mean loss of the last epoch is {reached:.4g}; it should fall below {self.falls_to:g} times "
                    f"the initial {initial:.4f} (the reference loop reaches "
                    f"{np.mean(expected['losses'][-per_epoch:]):.4f} on the same inputs)")
            first = losses.reshape(-1)[0] if losses.size else np.nan
            if not np.isfinite(reached) or reached > 2 * max(initial, first):
                text += "; the loss grew: each step must go against the gradient, params - lr * grads"
            return Comparison(False, "values", text)
        if part == "held-back accuracy":
            accuracy = got["accuracy"]
            if accuracy >= self.min_accuracy:
                return Comparison(True)
            held = len(case.extra["y_held"])
            text = (f"the trained network classifies {accuracy:.1%} of {held} examples the check kept back; it "
                    f"should reach {self.min_accuracy:.0%} (the reference loop reaches {expected['accuracy']:.1%} "
                    "on the same inputs)")
            if losses.size and np.isfinite(losses).all() and np.mean(losses[-per_epoch:]) <= self.falls_to * initial:
                text += ("; the training loss fell, so look at the order: the examples come sorted by class, and each "
                         "epoch must shuffle them, X and y alike")
            return Comparison(False, "values", text)
        return self._compare_params(got["params"], i["params"], i["lr"])

    def _compare_steps(self, losses, N, epochs, batch_size):
        per_epoch = _steps_per_epoch(N, batch_size)
        due = epochs * per_epoch
        if losses.ndim == 1 and len(losses) == due:
            return Comparison(True)
        count = losses.size if losses.ndim == 1 else f"an array of shape {losses.shape} of"
        text = (f"train_mlp returned {count} losses; it must return one per minibatch step, epochs * "
                f"ceil(N / batch_size) = {epochs} * ceil({N} / {batch_size}) = {due}")
        hints = {epochs: "one per epoch: append every step's loss instead",
                 epochs * (N // batch_size): f"the last, smaller minibatch of each epoch ({N % batch_size} examples) "
                                             "is missing: range(0, N, batch_size) keeps it",
                 epochs * (N // batch_size + 1): "one minibatch too many per epoch: an empty one at the end?",
                 per_epoch: "that is one epoch: run all of them"}
        hint = hints.get(losses.size) if losses.ndim == 1 else None
        return Comparison(False, "shape", f"{text} ({hint})" if hint else text)

    def _compare_params(self, params, initial, lr):
        moved = max(float(np.max(np.abs(params[key] - value), initial=0.0)) for key, value in initial.items())
        if lr == 0 and moved > 0:
            return Comparison(False, "values", f"with lr 0 no step may move anything, yet the params moved by up to "
                              f"{moved:.3g}: is lr passed on to sgd_step?")
        if lr != 0 and moved == 0:
            return Comparison(False, "values", "the params came back exactly as they went in: return the params "
                              "of the last step (params = sgd_step(params, grads, lr) in the loop)")
        return Comparison(True)
