"""Lesson 01 (perceptron): predicting with sign(0) = +1, the mistake-driven update, training.

Every kind of input a hidden case uses has a visible case too (hidden cases only add seeds and sizes),
so a check that passes in the notebook is a grade earned.
"""
import numpy as np

from reference_impl import perceptron as reference
from reference_impl.backend import to_numpy

from ..compare import EXACT, Comparison, compare_arrays, tolerance_for
from ..engine import Case, Check, describe_case, register
from ..inputs import generator, normal
from ..mistakes import Mistake


def _labels(scores):
    return np.where(scores >= 0, 1, -1)


@register
class PerceptronPredict(Check):
    exercise_id = "perceptron.perceptron_predict"
    functions = ("perceptron_predict",)
    parts = {"y_hat": 1}
    # (seed, kind, N, D)
    visible = ((0, "random", 6, 2), (1, "ties", 8, 2), (2, "zero", 5, 3), (3, "random", 1, 4))
    hidden = ((100, "random", 30, 5), (101, "ties", 12, 2), (102, "zero", 2, 6), (103, "random", 1, 2))

    def cases(self, hidden):
        cases = []
        for seed, kind, N, D in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            note = "a batch of 1" if N == 1 else ""
            if kind == "ties":
                # Integer points and weights put some points exactly on the boundary, where sign(0) = +1.
                X = rng.integers(-3, 4, size=(N, D)).astype(np.float64)
                X[:2] = [[2.0, 2.0], [-1.0, -1.0]]
                w, b = np.array([1.0, -1.0]), 0.0
                note = "points exactly on the boundary"
            elif kind == "zero":
                X, w, b = normal(rng, (N, D)), np.zeros(D), 0.0
                note = "w = 0 and b = 0: every score is 0"
            else:
                X, w, b = normal(rng, (N, D)), normal(rng, (D,)), float(rng.standard_normal())
            inputs = {"X": X, "w": w, "b": b}
            cases.append(Case(describe_case(seed, inputs, note), inputs, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        i = case.inputs
        return {"y_hat": caller.call("perceptron_predict", i["X"], i["w"], i["b"], returns="y_hat:array")}

    def expected(self, case):
        i = case.inputs
        return {"y_hat": to_numpy(reference.perceptron_predict(i["X"].copy(), i["w"].copy(), i["b"]))}

    def compare(self, part, expected, got, case):
        return compare_arrays(expected, got, EXACT, name=part)

    def mistakes(self, case, expected):
        X, w, b = case.inputs["X"], case.inputs["w"], case.inputs["b"]
        scores = X @ w + b
        found = [Mistake("np.sign, which gives 0 on the boundary", "the course's rule is sign(0) = +1: "
                         "np.where(scores >= 0, 1, -1)", {"y_hat": np.sign(scores)}),
                 Mistake("scores > 0 where scores >= 0 belongs", "a score of exactly 0 predicts +1",
                         {"y_hat": np.where(scores > 0, 1, -1)}),
                 Mistake("the bias b left out", "the score is X @ w + b", {"y_hat": _labels(X @ w)}),
                 Mistake("the bias b subtracted", "the score is X @ w + b", {"y_hat": _labels(X @ w - b)}),
                 Mistake("labels 0 and 1 where -1 and +1 belong", "np.where(scores >= 0, 1, -1)",
                         {"y_hat": (scores >= 0).astype(np.int64)}),
                 Mistake("the raw scores returned", "return labels: np.where(scores >= 0, 1, -1)",
                         {"y_hat": scores}),
                 Mistake("labels of shape (N, 1)", "keep w of shape (D,) so that X @ w has shape (N,); "
                         "no w.reshape(-1, 1) or w[:, None]", {"y_hat": _labels(scores)[:, None]})]
        if len(X) == 1:
            found.append(Mistake("np.squeeze, which drops the batch axis of a batch of 1",
                                 "return an array of shape (N,) for any N, without squeezing",
                                 {"y_hat": _labels(scores).reshape(())}))
        return found


# y * score <= 0 and np.sign(score) != y are the same rule: both call a score of 0 wrong for y = +1.
_ZERO_SCORE_MISTAKE = "a score of exactly 0 counted as a mistake for y = +1 (y * score <= 0, or np.sign(score) != y)"
_ZERO_SCORE_FIX = ("the prediction at a score of 0 is +1 (sign(0) = +1), so with y = +1 it is right and nothing "
                   "changes: update exactly when perceptron_predict differs from y")


@register
class PerceptronUpdate(Check):
    exercise_id = "perceptron.perceptron_update"
    functions = ("perceptron_update",)
    uses = ("perceptron.perceptron_predict",)
    parts = {"w": 1, "b": 1}
    # (seed, kind, lr, D)
    # A boundary case comes before a right one, which tells "a score of 0 counted wrong" from "always update".
    visible = ((0, "mistake+", 0.5, 2), (1, "mistake-", 0.25, 3), (2, "boundary-", 0.5, 2),
               (3, "boundary+", 1.0, 2), (4, "right", 0.5, 3))
    hidden = ((100, "mistake+", 0.1, 5), (101, "mistake-", 2.0, 1), (102, "boundary-", 1.0, 3),
              (103, "boundary+", 0.25, 3), (104, "right", 1.0, 1))
    notes = {"mistake+": "x is misclassified, y = +1", "mistake-": "x is misclassified, y = -1",
             "right": "x is classified correctly", "boundary-": "score exactly 0 with y = -1: a mistake",
             "boundary+": "score exactly 0 with y = +1: no mistake"}

    def cases(self, hidden):
        cases = []
        for seed, kind, lr, D in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            w, x, b = normal(rng, (D,)), normal(rng, (D,)), float(rng.standard_normal())
            if kind.startswith("boundary"):
                # Integers and halves add up exactly, so the last entry of x puts the score at exactly 0.
                w, x = rng.integers(-2, 3, size=D).astype(np.float64), rng.integers(-3, 4, size=D).astype(np.float64)
                w[-1], b = 0.5, float(rng.integers(-4, 5)) / 2
                x[-1] = -2 * (x[:-1] @ w[:-1] + b)
                y = -1 if kind.endswith("-") else 1
            elif kind.startswith("mistake"):
                y = 1 if kind.endswith("+") else -1
                if (1 if x @ w + b >= 0 else -1) == y:
                    x, b = -x, -b  # flips the score's sign, so the prediction is wrong
            else:
                y = 1 if x @ w + b >= 0 else -1
            inputs = {"w": w, "b": b, "x": x, "y": y, "lr": lr}
            cases.append(Case(describe_case(seed, inputs, self.notes[kind]), inputs, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        i = case.inputs
        w, b = caller.call("perceptron_update", i["w"], i["b"], i["x"], i["y"], i["lr"], returns=("w:array", "b:scalar"))
        return {"w": w, "b": b}

    def expected(self, case):
        i = case.inputs
        w, b = reference.perceptron_update(i["w"].copy(), i["b"], i["x"].copy(), i["y"], i["lr"])
        return {"w": to_numpy(w), "b": float(b)}

    def mistakes(self, case, expected):
        w, b, x, y, lr = (case.inputs[k] for k in ("w", "b", "x", "y", "lr"))
        score = x @ w + b
        mistake = (1 if score >= 0 else -1) != y
        updated = {"w": w + lr * y * x, "b": b + lr * y}
        kept = {"w": w, "b": b}
        # Most specific first: on a boundary case several fit, and the first is the likelier.
        found = [
            Mistake(_ZERO_SCORE_MISTAKE, _ZERO_SCORE_FIX, updated if y * score <= 0 else kept),
            Mistake("an update on every sample", "update only on a mistake, when perceptron_predict(x) != y",
                    updated),
            Mistake("the condition inverted", "update on a mistake (prediction != y), keep w and b otherwise",
                    kept if mistake else updated),
        ]
        if mistake:
            found += [Mistake("b moved by lr instead of lr * y", "b = b + lr * y", {"b": b + lr}),
                      Mistake("w moved by lr * x without the label y", "w = w + lr * y * x", {"w": w + lr * x}),
                      Mistake("b left unchanged", "the bias learns too: b = b + lr * y", {"b": b}),
                      Mistake("the learning rate left out", "w = w + lr * y * x and b = b + lr * y",
                              {"w": w + y * x, "b": b + y}),
                      Mistake("the update's sign flipped", "w = w + lr * y * x and b = b + lr * y",
                              {"w": w - lr * y * x, "b": b - lr * y})]
        return found


def _train(X, y, epochs, lr, rule="mistake", learn_bias=True, reset=False):
    """A perceptron trainer with one rule broken, for the mistake variants: `rule` says when to update
    ("mistake", "always", "nonpositive": y * score <= 0)."""
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        if reset:
            w, b = np.zeros(X.shape[1]), 0.0
        count = 0
        for x_i, y_i in zip(X, y):
            score = x_i @ w + b
            wrong = (1 if score >= 0 else -1) != y_i
            update = {"mistake": wrong, "always": True, "nonpositive": y_i * score <= 0}[rule]
            count += int(update if rule != "always" else wrong)
            if update:
                w, b = w + lr * y_i * x_i, b + (lr * y_i if learn_bias else 0.0)
        mistakes.append(count)
    return w, b, np.array(mistakes)


@register
class PerceptronTrain(Check):
    exercise_id = "perceptron.perceptron_train"
    functions = ("perceptron_train",)
    uses = ("perceptron.perceptron_predict", "perceptron.perceptron_update")
    parts = {"w": 1, "b": 1, "mistakes": 1}
    # (seed, N, D, epochs, lr, kind); lr None calls perceptron_train without it, to use the default 1.0
    visible = ((0, 12, 2, 4, None, "separable"), (1, 10, 3, 3, 0.5, "separable"), (2, 8, 2, 5, 1.0, "xor"),
               (3, 1, 2, 3, 1.0, "separable"), (4, 9, 4, 1, 0.25, "separable"))
    hidden = ((100, 20, 2, 6, 0.25, "separable"), (101, 12, 2, 6, 0.5, "xor"), (102, 1, 3, 2, 2.0, "separable"),
              (103, 7, 4, 1, 1.0, "separable"), (104, 15, 3, 5, None, "separable"))

    def cases(self, hidden):
        cases = []
        for seed, N, D, epochs, lr, kind in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            if kind == "xor":
                X = rng.choice([-1.0, 1.0], size=(N, D)) + 0.2 * rng.standard_normal((N, D))
                y = np.where(X[:, 0] * X[:, 1] >= 0, 1, -1)
                note = "XOR: not linearly separable"
            else:
                y = np.where(rng.random(N) < 0.5, 1, -1)
                y[0] = 1  # the first sample meets w = 0, b = 0: a score of exactly 0 that is right for y = +1
                X = y[:, None] * 1.5 + rng.standard_normal((N, D))
                note = "linearly separable blobs" if N > 1 else "a single sample"
            if epochs == 1:
                note += ", one epoch"
            inputs = {"X": X, "y": y.astype(np.int64), "epochs": epochs}
            if lr is None:
                note += ", lr left at its default"
            else:
                inputs["lr"] = lr
            cases.append(Case(describe_case(seed, inputs, note), inputs, hidden=seed >= 100,
                              sizes={"N (the number of samples)": N}))
        return cases

    def call_learner(self, caller, case):
        w, b, mistakes = caller.call("perceptron_train", *case.inputs.values(),
                                     returns=("w:array", "b:scalar", "mistakes:array"))
        return {"w": w, "b": b, "mistakes": mistakes}

    def expected(self, case):
        i = case.inputs
        w, b, mistakes = reference.perceptron_train(i["X"].copy(), i["y"].copy(), i["epochs"], i.get("lr", 1.0))
        return {"w": to_numpy(w), "b": float(b), "mistakes": np.asarray(mistakes, dtype=np.int64)}

    def compare(self, part, expected, got, case):
        if part != "mistakes":
            return compare_arrays(expected, got, tolerance_for(case.dtype), name=part)
        got = np.asarray(got)
        if got.ndim == 0:
            return Comparison(False, "shape", "mistakes is a single number; it must be a list with one count per "
                              f"epoch ({case.inputs['epochs']} here)", {"shape_got": (), "shape_expected": expected.shape})
        if got.shape != expected.shape:
            return Comparison(False, "shape", f"mistakes has {got.size} counts for {case.inputs['epochs']} epochs; "
                              "it needs one count per epoch (0 for an epoch without mistakes, and keep going)",
                              {"shape_got": got.shape, "shape_expected": expected.shape})
        return compare_arrays(expected, got, EXACT, name=part)

    def mistakes(self, case, expected):
        X, y, epochs = (case.inputs[k] for k in ("X", "y", "epochs"))
        lr = case.inputs.get("lr", 1.0)
        found = []
        for name, fix, options in [
                ("an update on every sample", "update only on a mistake, when the prediction differs from y",
                 {"rule": "always"}),
                (_ZERO_SCORE_MISTAKE, _ZERO_SCORE_FIX, {"rule": "nonpositive"}),
                ("w and b reset to zeros at every epoch", "start from zeros once, before the first epoch: each "
                 "epoch goes on from where the last one left the line", {"reset": True}),
                ("the bias never updated", "on a mistake b changes too: b = b + lr * y", {"learn_bias": False})]:
            w, b, mistakes = _train(X, y, epochs, lr, **options)
            found.append(Mistake(name, fix, {"w": w, "b": b, "mistakes": None if options.get("rule") == "always"
                                             else mistakes}))
        if lr != 1.0:
            w, b, _ = _train(X, y, epochs, 1.0)
            found.append(Mistake("the learning rate left out", "update with w + lr * y * x and b + lr * y",
                                 {"w": w, "b": b}))
        counts = expected["mistakes"]
        found.append(Mistake("running totals of mistakes", "count each epoch's mistakes from 0",
                             {"mistakes": np.cumsum(counts)}))
        found.append(Mistake("every sample counted", "count only the samples that caused an update",
                             {"mistakes": np.full(epochs, len(y))}))
        return found
