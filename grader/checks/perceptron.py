"""Lesson 01 (perceptron): predicting with sign(0) = +1, the mistake-driven update, training."""
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

    def cases(self, hidden):
        specs = [(0, "random"), (1, "ties")]
        if hidden:
            specs += [(100, "batch1"), (101, "zero"), (102, "wide"), (103, "ties")]
        cases = []
        for seed, kind in specs:
            rng = generator(self.exercise_id, seed)
            note = ""
            if kind == "ties":
                # Integer points and weights put some points exactly on the boundary, where sign(0) = +1.
                X = rng.integers(-3, 4, size=(8, 2)).astype(np.float64)
                X[:2] = [[2.0, 2.0], [-1.0, -1.0]]
                w, b = np.array([1.0, -1.0]), 0.0
                note = "points exactly on the boundary"
            elif kind == "batch1":
                X, w, b = normal(rng, (1, 4)), normal(rng, (4,)), float(rng.standard_normal())
                note = "a batch of 1"
            elif kind == "zero":
                X, w, b = normal(rng, (5, 3)), np.zeros(3), 0.0
                note = "w = 0 and b = 0: every score is 0"
            elif kind == "wide":
                X, w, b = normal(rng, (30, 5)), normal(rng, (5,)), -2.0
            else:
                X, w, b = normal(rng, (6, 2)), normal(rng, (2,)), float(rng.standard_normal())
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
        return [Mistake("np.sign, which gives 0 on the boundary", "the course's rule is sign(0) = +1: "
                        "np.where(scores >= 0, 1, -1)", {"y_hat": np.sign(scores)}),
                Mistake("scores > 0 where scores >= 0 belongs", "a score of exactly 0 predicts +1",
                        {"y_hat": np.where(scores > 0, 1, -1)}),
                Mistake("the bias b left out", "the score is X @ w + b", {"y_hat": _labels(X @ w)}),
                Mistake("labels 0 and 1 where -1 and +1 belong", "np.where(scores >= 0, 1, -1)",
                        {"y_hat": (scores >= 0).astype(np.int64)}),
                Mistake("the raw scores returned", "return labels: np.where(scores >= 0, 1, -1)",
                        {"y_hat": scores})]


@register
class PerceptronUpdate(Check):
    exercise_id = "perceptron.perceptron_update"
    functions = ("perceptron_update",)
    parts = {"w": 1, "b": 1}

    def cases(self, hidden):
        specs = [(0, "mistake", 1.0, 2), (1, "right", 0.5, 3), (2, "boundary-", 1.0, 2)]
        if hidden:
            specs += [(100, "boundary+", 1.0, 2), (101, "mistake", 0.1, 5), (102, "right", 1.0, 1),
                      (103, "mistake", 0.25, 1)]
        notes = {"mistake": "x is misclassified", "right": "x is classified correctly",
                 "boundary-": "score exactly 0 with y = -1: a mistake",
                 "boundary+": "score exactly 0 with y = +1: no mistake"}
        cases = []
        for seed, kind, lr, D in specs:
            rng = generator(self.exercise_id, seed)
            if kind.startswith("boundary"):
                w, b, x = np.array([1.0, -1.0]), 0.0, np.array([2.0, 2.0])
                y = -1 if kind.endswith("-") else 1
            else:
                w, x, b = normal(rng, (D,)), normal(rng, (D,)), float(rng.standard_normal())
                predicted = 1 if x @ w + b >= 0 else -1
                y = -predicted if kind == "mistake" else predicted
            inputs = {"w": w, "b": b, "x": x, "y": y, "lr": lr}
            cases.append(Case(describe_case(seed, inputs, notes[kind]), inputs, hidden=seed >= 100))
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
        # Most specific first: on a boundary case both of the first two fit, and the first is the likelier.
        found = [
            Mistake("y * score <= 0 taken as a mistake", "at a score of exactly 0 the prediction is +1 "
                    "(sign(0) = +1), so with y = +1 it is right and nothing changes",
                    updated if y * score <= 0 else kept),
            Mistake("an update on every sample", "update only on a mistake, when perceptron_predict(x) != y",
                    updated),
            Mistake("the condition inverted", "update on a mistake (prediction != y), keep w and b otherwise",
                    kept if mistake else updated),
        ]
        if mistake:
            found += [Mistake("b moved by lr instead of lr * y", "b = b + lr * y", {"b": b + lr}),
                      Mistake("the learning rate left out", "w = w + lr * y * x and b = b + lr * y",
                              {"w": w + y * x, "b": b + y}),
                      Mistake("the update's sign flipped", "w = w + lr * y * x and b = b + lr * y",
                              {"w": w - lr * y * x, "b": b - lr * y})]
        return found


def _train(X, y, epochs, lr, rule):
    """A perceptron trainer with a choice of update rule, for the mistake variants."""
    w, b, mistakes = np.zeros(X.shape[1]), 0.0, []
    for _ in range(epochs):
        count = 0
        for x_i, y_i in zip(X, y):
            score = x_i @ w + b
            wrong = (1 if score >= 0 else -1) != y_i
            update = {"mistake": wrong, "always": True, "nonpositive": y_i * score <= 0, "sign": np.sign(score) != y_i}[rule]
            count += int(update if rule != "always" else wrong)
            if update:
                w, b = w + lr * y_i * x_i, b + lr * y_i
        mistakes.append(count)
    return w, b, np.array(mistakes)


@register
class PerceptronTrain(Check):
    exercise_id = "perceptron.perceptron_train"
    functions = ("perceptron_train",)
    parts = {"w": 1, "b": 1, "mistakes": 1}

    def cases(self, hidden):
        specs = [(0, 12, 2, 4, 1.0, "separable"), (1, 10, 3, 3, 0.5, "separable")]
        if hidden:
            specs += [(100, 8, 2, 5, 1.0, "xor"), (101, 1, 2, 3, 1.0, "separable"),
                      (102, 20, 2, 6, 0.25, "separable"), (103, 9, 4, 1, 1.0, "separable")]
        cases = []
        for seed, N, D, epochs, lr, kind in specs:
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
            inputs = {"X": X, "y": y.astype(np.int64), "epochs": epochs, "lr": lr}
            cases.append(Case(describe_case(seed, inputs, note), inputs, hidden=seed >= 100,
                              sizes={"N (the number of samples)": N}))
        return cases

    def call_learner(self, caller, case):
        i = case.inputs
        w, b, mistakes = caller.call("perceptron_train", i["X"], i["y"], i["epochs"], i["lr"],
                                     returns=("w:array", "b:scalar", "mistakes:array"))
        return {"w": w, "b": b, "mistakes": mistakes}

    def expected(self, case):
        i = case.inputs
        w, b, mistakes = reference.perceptron_train(i["X"].copy(), i["y"].copy(), i["epochs"], i["lr"])
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
        X, y, epochs, lr = (case.inputs[k] for k in ("X", "y", "epochs", "lr"))
        found = []
        for rule, name, fix in [
                ("always", "an update on every sample", "update only on a mistake, when the prediction differs from y"),
                ("sign", "np.sign for the prediction, so a score of 0 always counts as a mistake",
                 "predict with sign(0) = +1, as perceptron_predict does"),
                ("nonpositive", "y * score <= 0 taken as a mistake",
                 "at a score of exactly 0 the prediction is +1, which is right when y = +1")]:
            w, b, mistakes = _train(X, y, epochs, lr, rule)
            found.append(Mistake(name, fix, {"w": w, "b": b, "mistakes": None if rule == "always" else mistakes}))
        counts = expected["mistakes"]
        found.append(Mistake("running totals of mistakes", "count each epoch's mistakes from 0",
                             {"mistakes": np.cumsum(counts)}))
        found.append(Mistake("every sample counted", "count only the samples that caused an update",
                             {"mistakes": np.full(epochs, len(y))}))
        return found
