"""Checks shared by every layer exercise: a forward `(out, cache)` and a backward `(dout, cache)`.

A lesson's module subclasses these with the layer's names, how to draw its inputs, and its known
mistakes; the calling, comparing and diagnosing is the same for every layer in the course.
"""
import numpy as np

from reference_impl.backend import to_numpy

from ..engine import Case, Check, describe_case
from ..inputs import generator
from ..mistakes import Mistake

__all__ = ["CaseSpec", "LayerForwardCheck", "LayerBackwardCheck"]


class CaseSpec:
    """How to draw one case: a seed, the sizes, the dtype and a note for the label."""

    def __init__(self, seed, dtype=np.float64, note="", **sizes):
        self.seed = seed
        self.sizes = sizes
        self.dtype = np.dtype(dtype)
        self.note = note


class _LayerCheck(Check):
    reference = None  # the reference_impl module the layer lives in
    forward = ""
    visible = ()
    hidden = ()

    def draw(self, rng, spec):
        """The forward's arguments, in order, as a dict of NumPy arrays and numbers."""
        raise NotImplementedError

    def sizes(self, inputs):
        """Named sizes a wrong constant factor may come from."""
        first = next(iter(inputs.values()))
        return {"N (the batch size)": first.shape[0]} if getattr(first, "ndim", 0) >= 1 else {}

    def cases(self, hidden):
        specs = list(self.visible) + (list(self.hidden) if hidden else [])
        cases = []
        for spec in specs:
            rng = generator(self.exercise_id, spec.seed)
            inputs = self.draw(rng, spec)
            case = Case(describe_case(spec.seed, inputs, spec.note), inputs, dtype=spec.dtype,
                        sizes=self.sizes(inputs), hidden=spec in self.hidden)
            self.add_extra(rng, case)
            cases.append(case)
        return cases

    def add_extra(self, rng, case):
        pass

    def reference_forward(self, case):
        return getattr(self.reference, self.forward)(*[_copy(v) for v in case.inputs.values()])


def _copy(value):
    return value.copy() if isinstance(value, np.ndarray) else value


class LayerForwardCheck(_LayerCheck):
    parts = {"out": 1}

    def call_learner(self, caller, case):
        out, _ = caller.call(self.forward, *case.inputs.values(), returns=("out:array", "cache:cache"))
        return {"out": out}

    def expected(self, case):
        out, _ = self.reference_forward(case)
        return {"out": to_numpy(out)}

    def mistakes(self, case, expected):
        return [Mistake(name, fix, {"out": np.asarray(out)})
                for name, fix, out in self.forward_mistakes(dict(case.inputs))]

    def forward_mistakes(self, inputs):
        """[(name, fix, out)]: what a learner making each mistake returns on these inputs."""
        return []


class LayerBackwardCheck(_LayerCheck):
    backward = ""
    grads = ()  # the backward's results, in order, e.g. ("dx", "dW", "db")

    @property
    def parts(self):
        return {name: 1 for name in self.grads}

    @property
    def uses(self):
        """The forward's exercise: the check runs the learner's own forward to get the cache."""
        return (f"{self.lesson}.{self.forward}",)

    def add_extra(self, rng, case):
        out, _ = self.reference_forward(case)
        out = to_numpy(out)
        # A random upstream gradient, never all ones, which would hide a transposed or mis-summed result.
        case.extra["dout"] = rng.standard_normal(out.shape).astype(out.dtype)

    def call_learner(self, caller, case):
        _, cache = caller.call(self.forward, *case.inputs.values(), returns=("out:array", "cache:cache"))
        returns = tuple(f"{g}:array" for g in self.grads)
        grads = caller.call(self.backward, case.extra["dout"], cache,
                            returns=returns if len(returns) > 1 else returns[0])
        if len(self.grads) == 1:
            grads = (grads,)
        return dict(zip(self.grads, grads))

    def expected(self, case):
        _, cache = self.reference_forward(case)
        grads = getattr(self.reference, self.backward)(case.extra["dout"].copy(), cache)
        if len(self.grads) == 1:
            grads = (grads,)
        return {name: to_numpy(g) for name, g in zip(self.grads, grads)}

    def mistakes(self, case, expected):
        return [Mistake(name, fix, {k: np.asarray(v) for k, v in outputs.items()})
                for name, fix, outputs in self.backward_mistakes(dict(case.inputs), case.extra["dout"], expected)]

    def backward_mistakes(self, inputs, dout, expected):
        """[(name, fix, {grad name: value})]: what a learner making each mistake returns."""
        return []
