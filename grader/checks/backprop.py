"""Lesson 03 (backprop): gradient checking, a scalar autodiff `Value`, SGD with momentum, Adam."""
import numpy as np

from reference_impl import backprop as reference
from reference_impl.backend import to_numpy

from ..calling import LearnerError
from ..compare import Comparison, Tolerance, compare_arrays, tolerance_for
from ..engine import Case, Check, describe_case, register
from ..harness import ScalarFunction, ValueProgram, evaluate_scalar_function, run_value_program
from ..inputs import generator, normal
from ..mistakes import Mistake

# The learner's central difference and the reference's take the same steps, so they agree far more
# closely than a one-sided difference does (its error is about h * f'' / 2).
_GRADIENT_TOLERANCE = Tolerance(rtol=1e-7, atol=1e-9)


@register
class NumericalGradient(Check):
    exercise_id = "backprop.numerical_gradient"
    functions = ("numerical_gradient",)
    parts = {"1-D x": 1, "x of any shape": 1}
    # (seed, shape of x, h or None for the default, test function)
    visible = ((0, (4,), None, "quadratic"), (1, (3,), 1e-3, "sin_cubic"), (2, (2, 3), None, "sin_cubic"),
               (3, (2, 2, 2), 1e-2, "exp_mix"), (4, (1,), 1e-2, "exp_mix"))
    hidden = ((100, (5,), 1e-4, "quadratic"), (101, (6,), 1e-2, "exp_mix"), (102, (3, 1), None, "sin_cubic"),
              (103, (2, 1, 3), 1e-3, "exp_mix"), (104, (1,), 1e-3, "exp_mix"))

    def cases(self, hidden):
        cases = []
        for seed, shape, h, kind in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            x = rng.uniform(0.5, 1.5, size=shape)
            if kind == "quadratic":
                params = {"A": normal(rng, (shape[0], shape[0])), "c": normal(rng, shape)}
            elif kind == "sin_cubic":
                params = {"W": normal(rng, shape)}
            else:
                params = {"a": float(rng.uniform(1.0, 2.0)), "B": normal(rng, shape)}
            f = ScalarFunction(kind, params, shape)
            inputs = {"x": x} if h is None else {"x": x, "h": h}
            note = f"{f.describe()}" + ("" if h is not None else ", default h")
            part = "1-D x" if len(shape) == 1 else "x of any shape"
            case = Case(describe_case(seed, inputs, note), inputs, parts=(part,), hidden=seed >= 100,
                        sizes={"h": h or 1e-5, "2h": 2 * (h or 1e-5)})
            case.extra["f"] = f
            cases.append(case)
        return cases

    def call_learner(self, caller, case):
        args = [case.extra["f"], case.inputs["x"]] + ([case.inputs["h"]] if "h" in case.inputs else [])
        return {case.parts[0]: caller.call("numerical_gradient", *args, returns="grad:array")}

    def expected(self, case):
        spec = case.extra["f"]
        f = lambda x: evaluate_scalar_function(spec, x)  # noqa: E731
        args = [case.inputs["x"].copy()] + ([case.inputs["h"]] if "h" in case.inputs else [])
        return {part: to_numpy(reference.numerical_gradient(f, *args)) for part in case.parts}

    def compare(self, part, expected, got, case):
        return compare_arrays(expected, got, _GRADIENT_TOLERANCE, name="grad")

    def mistakes(self, case, expected):
        spec, x = case.extra["f"], case.inputs["x"]
        h = case.inputs.get("h", 1e-5)
        f = lambda v: evaluate_scalar_function(spec, v)  # noqa: E731
        forward, backward, drifting = np.zeros_like(x), np.zeros_like(x), np.zeros_like(x)
        base = f(x)
        nudged = x.copy()
        for i in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[i] = h
            forward[i] = (f(x + step) - base) / h
            backward[i] = (base - f(x - step)) / h
            # A copy whose entries are nudged and never put back: each entry is left at x[i] - h.
            nudged[i] += h
            plus = f(nudged)
            nudged[i] -= 2 * h
            drifting[i] = (plus - f(nudged)) / (2 * h)
        part = case.parts[0]
        all_at_once = np.full_like(x, (f(x + h) - f(x - h)) / (2 * h))
        return [Mistake("a one-sided difference (f(x + h) - f(x)) / h", "use central differences: "
                        "(f(x + h) - f(x - h)) / (2 * h), whose error shrinks like h**2", {part: forward}),
                Mistake("a one-sided difference (f(x) - f(x - h)) / h", "use central differences: "
                        "(f(x + h) - f(x - h)) / (2 * h)", {part: backward}),
                Mistake("the difference divided by h where 2 * h belongs", "the two points are 2 * h apart: "
                        "(f(x + h) - f(x - h)) / (2 * h)", {part: 2 * expected[part]}),
                Mistake("h ignored (a step of 1e-5 where another h was given)", "step by the h argument",
                        {part: to_numpy(reference.numerical_gradient(f, x.copy())) if "h" in case.inputs else None}),
                Mistake("every entry of x nudged at once", "nudge one entry at a time: a copy of x with only "
                        "x[i] raised by h, then only x[i] lowered by h", {part: all_at_once}),
                Mistake("the nudged entry never put back", "restore x[i] to its original value before moving on "
                        "to the next entry, so that the nudges do not pile up", {part: drifting})]


@register
class RelativeError(Check):
    exercise_id = "backprop.relative_error"
    functions = ("relative_error",)
    parts = {"value": 1}
    # (seed, kind, shape)
    visible = ((0, "close", (3, 4)), (1, "apart", (3, 4)), (2, "zeros", (5,)), (3, "equal", (2, 3)),
               (4, "opposite", (4,)), (5, "scales", (3, 4)), (6, "apart", (1,)))
    hidden = ((100, "close", (6,)), (101, "apart", (1,)), (102, "zeros", (2, 2)), (103, "equal", (7,)),
              (104, "opposite", (2, 3)), (105, "scales", (10,)), (106, "close", (1,)))
    notes = {"zeros": "a and b both all zeros", "equal": "a == b, with exact zeros in both", "opposite": "b = -a",
             "scales": "entries of very different sizes"}

    def cases(self, hidden):
        cases = []
        for seed, kind, shape in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            a = normal(rng, shape)
            if kind == "close":
                b = a + 1e-6 * normal(rng, shape)
            elif kind == "apart":
                b = normal(rng, shape)
            elif kind == "zeros":
                a, b = np.zeros(shape), np.zeros(shape)
            elif kind == "equal":
                a.reshape(-1)[::2] = 0.0  # exact zeros in both, where the floor keeps 0 / 0 away
                b = a.copy()
            elif kind == "opposite":
                b = -a
            else:
                a = a * np.logspace(-6, 3, a.size).reshape(shape)
                b = a * (1 + 1e-3 * normal(rng, shape))
            inputs = {"a": a, "b": b}
            notes = [self.notes.get(kind, "")] + ["one element"] * (a.size == 1)
            note = ", ".join(n for n in notes if n)
            cases.append(Case(describe_case(seed, inputs, note), inputs, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        try:
            return {"value": caller.call("relative_error", case.inputs["a"], case.inputs["b"],
                                         returns="value:scalar")}
        except LearnerError as err:
            if "truth value of an array" in err.message:
                err.message += ("; Python's max(1e-8, array) compares the whole array at once: "
                                "np.maximum(1e-8, array) floors each entry")
            raise

    def expected(self, case):
        return {"value": float(reference.relative_error(case.inputs["a"].copy(), case.inputs["b"].copy()))}

    def mistakes(self, case, expected):
        a, b = case.inputs["a"], case.inputs["b"]
        diff, total = np.abs(a - b), np.abs(a) + np.abs(b)
        return [Mistake("the mean over elements where the max belongs", "take the max over elements",
                        {"value": float((diff / np.maximum(1e-8, total)).mean())}),
                Mistake("no floor on the denominator, so 0 / 0 gives NaN", "divide by np.maximum(1e-8, |a| + |b|)",
                        {"value": float((diff / total).max())}),
                Mistake("max|a - b| / max(|a| + |b|)", "divide element by element, then take the max",
                        {"value": float(diff.max() / max(1e-8, total.max()))}),
                Mistake("a denominator of |a| alone", "divide by |a| + |b| (floored at 1e-8): the error is symmetric",
                        {"value": float((diff / np.maximum(1e-8, np.abs(a))).max())}),
                Mistake("max(|a|, |b|) in the denominator", "this course divides by |a| + |b|, floored at 1e-8",
                        {"value": float((diff / np.maximum(1e-8, np.maximum(np.abs(a), np.abs(b)))).max())}),
                Mistake("|a + b| in the denominator", "divide by |a| + |b|: where b = -a, |a + b| is 0",
                        {"value": float((diff / np.maximum(1e-8, np.abs(a + b))).max())}),
                Mistake("the absolute value of a - b left out", "the numerator is |a - b|",
                        {"value": float(((a - b) / np.maximum(1e-8, total)).max())})]


# -- Value: a scalar autodiff ---------------------------------------------------------------------
def _programs():
    """Each part's programs: {part: [ValueProgram]} covering every operation of the contract."""
    p = ValueProgram
    x, y, z = 1.5, -0.75, 0.4
    return {
        "+ and -": [p({"x": x, "y": y}, (("out", "+", "x", "y"),)),
                    p({"x": x}, (("out", "+", "x", 2.0),)),
                    p({"x": x}, (("out", "+", 2.0, "x"),)),
                    p({"x": x, "y": y}, (("out", "-", "x", "y"),)),
                    p({"x": x}, (("out", "-", "x", 3.0),)),
                    p({"x": x}, (("out", "-", 3.0, "x"),))],
        "* and /": [p({"x": x, "y": y}, (("out", "*", "x", "y"),)),
                    p({"x": x}, (("out", "*", "x", 3.0),)),
                    p({"x": x}, (("out", "*", 3.0, "x"),)),
                    p({"x": x, "y": y}, (("out", "/", "x", "y"),)),
                    p({"x": x}, (("out", "/", "x", 4.0),)),
                    p({"x": x}, (("out", "/", 2.0, "x"),))],
        "**": [p({"x": x}, (("out", "**", "x", 2.0),)),
               p({"x": x}, (("out", "**", "x", 3.0),)),
               p({"x": x}, (("out", "**", "x", -1.0),)),
               p({"x": x}, (("out", "**", "x", 0.5),))],
        "tanh and exp": [p({"x": x}, (("out", "tanh", "x", None),)),
                         p({"x": y}, (("out", "exp", "x", None),)),
                         p({"x": x, "y": y, "z": z}, (("a", "*", "x", "y"), ("b", "+", "a", "z"), ("out", "tanh", "b", None)))],
        "relu": [p({"x": x}, (("out", "relu", "x", None),)),
                 p({"x": y}, (("out", "relu", "x", None),)),
                 p({"x": 0.0}, (("out", "relu", "x", None),)),
                 p({"x": x, "y": y}, (("a", "*", "x", "y"), ("out", "relu", "a", None)))],
        "a node used twice": [p({"x": x}, (("out", "*", "x", "x"),)),
                              p({"x": x}, (("out", "+", "x", "x"),)),
                              p({"x": x, "y": y}, (("a", "*", "x", "y"), ("out", "+", "a", "x")))],
        "topological order": [p({"x": x, "y": y}, (("a", "*", "x", "y"), ("b", "tanh", "a", None), ("c", "*", "a", 2.0),
                                                   ("d", "*", "b", "c"), ("out", "+", "d", "a"))),
                              p({"x": z}, (("a", "exp", "x", None), ("b", "*", "a", "a"), ("c", "+", "b", "a"),
                                           ("d", "tanh", "c", None), ("out", "*", "d", "b")))],
    }


@register
class ValueCheck(Check):
    exercise_id = "backprop.Value"
    functions = ("Value",)
    parts = {name: 1 for name in _programs()}

    def cases(self, hidden):
        cases = [Case("the operations on Value(1.5), Value(-0.75), Value(0.4)", {})]
        if hidden:
            cases.append(Case("the same graphs at other points (hidden)", {"shift": 0.3}, hidden=True))
        return cases

    def _programs(self, case):
        shift = case.inputs.get("shift", 0.0)
        return {part: [ValueProgram({k: v + shift for k, v in prog.leaves.items()}, prog.steps) for prog in programs]
                for part, programs in _programs().items()}

    def call_learner(self, caller, case):
        outputs = {}
        for part, programs in self._programs(case).items():
            results = []
            for program in programs:
                try:
                    results.append(caller.call("Value", program, returns="result:raw", adapter="value_program"))
                except LearnerError as err:
                    if err.stop:
                        raise
                    err.message = f"{err.message}, running `{program.text()}`{_operator_hint(err.message)}"
                    results = err
                    break
            outputs[part] = results
        return outputs

    def expected(self, case):
        return {part: [run_value_program(reference.Value, prog) for prog in programs]
                for part, programs in self._programs(case).items()}

    def compare(self, part, expected, got, case):
        programs = self._programs(case)[part]
        for program, want, have in zip(programs, expected, got):
            names = program.node_names()
            for key, labels in (("data", names), ("grad", list(program.leaves))):
                comparison = compare_arrays(want[key], have[key], tolerance_for(np.float64), name=key)
                if not comparison.ok:
                    if comparison.problem in ("values", "nonfinite"):
                        i = comparison.figures["where"][0]
                        what = f"{labels[i]}.{key}"
                        comparison.text = (f"after `{program.text()}`, {what} is {have[key][i]:.6g}, "
                                           f"expected {want[key][i]:.6g}")
                    comparison.figures["program"] = program.text()
                    return comparison
        return Comparison(True)

    def mistakes(self, case, expected):
        found = []
        for name, fix, variant in _VALUE_MISTAKES:
            outputs = {}
            for part, programs in self._programs(case).items():
                outputs[part] = [_interpret(prog, variant) for prog in programs]
            found.append(Mistake(name, fix, outputs))
        return found


def _operator_hint(message):
    if "unsupported operand" not in message:
        return ""
    return ("; a number on the left (2.0 + x, 3.0 - x, 2.0 / x) needs the reflected methods __radd__, __rsub__, "
            "__rmul__, __rtruediv__, and a number on the right needs the others to wrap it in a Value")


# (name, fix, variant) for the Value interpreter below; the variant names the one rule it breaks.
_VALUE_MISTAKES = [
    ("gradients assigned (=) instead of accumulated (+=)", "a node used twice gets a gradient from each use: "
     "self.grad += ...", "assign"),
    ("backward() without a topological order", "collect the nodes in topological order, then call each "
     "node's _backward in reverse of it, so a node's gradient is complete before it is passed on", "no_topo"),
    ("the _backward functions called in topological order, not in reverse", "the output comes last in a "
     "topological order; call _backward from the output back to the leaves: for node in reversed(order)",
     "forward_order"),
    ("tanh's derivative as 1 - t where 1 - t**2 belongs", "d tanh(x)/dx = 1 - tanh(x)**2", "tanh"),
    ("the power rule without the -1", "d x**n / dx = n * x**(n - 1)", "pow"),
    ("exp's derivative left out", "d exp(x)/dx = exp(x): out.grad times out.data", "exp"),
    ("each factor's own value used in *", "for out = a * b, a.grad += b.data * out.grad and b.grad += a.data * out.grad",
     "mul"),
    ("subtraction passing +grad to the right operand", "for out = a - b, b.grad -= out.grad", "sub"),
    ("relu passing the gradient where the input is negative", "relu passes out.grad only where out.data > 0", "relu"),
    ("relu's derivative taken as 1 at 0", "relu passes out.grad only where the input is > 0: its derivative at 0 is 0",
     "relu_zero"),
    ("__rsub__ computing x - 3 where 3 - x belongs", "3 - x calls x.__rsub__(3), which must return Value(3) - self, "
     "not self - 3", "rsub"),
    ("__rtruediv__ computing x / 2 where 2 / x belongs", "2 / x calls x.__rtruediv__(2), which must return "
     "Value(2) / self", "rdiv"),
    ("division passing no gradient to the denominator", "for out = a / b, b.grad += -a.data / b.data**2 * out.grad "
     "(or write a / b as a * b**-1)", "div"),
    ("backward() without self.grad = 1.0", "the output's gradient with respect to itself is 1: set self.grad = 1.0 "
     "before calling the _backward functions", "seed"),
]


def _interpret(program, variant):
    """Run a ValueProgram on plain floats with one rule of reverse-mode autodiff broken (`variant`)."""
    data = {name: float(value) for name, value in program.leaves.items()}
    parents = {name: [] for name in program.leaves}  # node -> [(input node, local derivative)]

    def value(operand):
        return data[operand] if isinstance(operand, str) else float(operand)

    for target, op, left, right in program.steps:
        a = value(left)
        b = None if right is None else value(right)
        reflected = not isinstance(left, str)  # a number on the left: Python calls the right operand's __r*__
        if op == "+":
            out, local = a + b, [(left, 1.0), (right, 1.0)]
        elif op == "-" and reflected and variant == "rsub":
            out, local = b - a, [(right, 1.0)]
        elif op == "-":
            out, local = a - b, [(left, 1.0), (right, 1.0 if variant == "sub" else -1.0)]
        elif op == "*":
            out, local = a * b, [(left, a if variant == "mul" else b), (right, b if variant == "mul" else a)]
        elif op == "/" and reflected and variant == "rdiv":
            out, local = b / a, [(right, 1.0 / a)]
        elif op == "/":
            out, local = a / b, [(left, 1.0 / b), (right, 0.0 if variant == "div" else -a / b**2)]
        elif op == "**":
            out, local = a**b, [(left, b * a ** (b if variant == "pow" else b - 1))]
        elif op == "tanh":
            out = float(np.tanh(a))
            local = [(left, 1 - out if variant == "tanh" else 1 - out**2)]
        elif op == "exp":
            out = float(np.exp(a))
            local = [(left, 1.0 if variant == "exp" else out)]
        else:
            out = max(a, 0.0)
            local = [(left, {"relu": 1.0, "relu_zero": float(a >= 0)}.get(variant, float(a > 0)))]
        data[target] = out
        parents[target] = [(node, g) for node, g in local if isinstance(node, str)]

    grad = {name: 0.0 for name in data}
    output = program.steps[-1][0]
    grad[output] = 0.0 if variant == "seed" else 1.0

    def pass_on(node):
        for parent, local in parents[node]:
            if variant == "assign":
                grad[parent] = local * grad[node]
            else:
                grad[parent] += local * grad[node]

    if variant == "no_topo":
        # The recursive backward learners write first: pass a node's gradient on, then recurse into its
        # inputs. Right on trees; where paths meet, a node passes on before all its gradient has arrived.
        def recurse(node):
            pass_on(node)
            for parent in dict.fromkeys(p for p, _ in parents[node]):
                recurse(parent)

        recurse(output)
    else:
        order = program.node_names()  # creation order is a topological order
        for node in order if variant == "forward_order" else reversed(order):
            pass_on(node)
    return {"data": np.array([data[n] for n in program.node_names()]),
            "grad": np.array([grad[n] for n in program.leaves])}


# -- optimizers -----------------------------------------------------------------------------------
@register
class SgdMomentumStep(Check):
    exercise_id = "backprop.sgd_momentum_step"
    functions = ("sgd_momentum_step",)
    parts = {"w": 1, "v": 1}
    # (seed, shape, lr, momentum or None for the default, v starts at zeros, dtype)
    visible = ((0, (5,), 0.1, None, False, np.float64), (1, (3, 4), 0.05, 0.5, False, np.float64),
               (2, (4,), 0.1, 0.9, True, np.float64), (3, (2, 3), 0.2, 0.0, False, np.float64),
               (4, (6,), 0.01, 0.8, False, np.float32))
    hidden = ((100, (2, 2), 0.5, None, False, np.float64), (101, (1,), 1.0, 0.99, False, np.float64),
              (102, (3, 2), 0.05, 0.5, True, np.float64), (103, (7,), 0.3, 0.0, False, np.float64),
              (104, (2, 3), 0.1, 0.9, False, np.float32))

    def cases(self, hidden):
        cases = []
        for seed, shape, lr, momentum, first, dtype in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            w, dw = normal(rng, shape, dtype), normal(rng, shape, dtype)
            v = np.zeros(shape, dtype) if first else normal(rng, shape, dtype)
            inputs = {"w": w, "dw": dw, "v": v, "lr": lr}
            if momentum is not None:
                inputs["momentum"] = momentum
            notes = (["v = 0: the first step"] * first + ["default momentum"] * (momentum is None) +
                     ["momentum 0: plain gradient descent"] * (momentum == 0) + ["float32"] * (dtype == np.float32))
            cases.append(Case(describe_case(seed, inputs, ", ".join(notes)), inputs, dtype=np.dtype(dtype),
                              hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        w, v = caller.call("sgd_momentum_step", *case.inputs.values(), returns=("w:array", "v:array"))
        return {"w": w, "v": v}

    def expected(self, case):
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in case.inputs.values()]
        w, v = reference.sgd_momentum_step(*args)
        return {"w": to_numpy(w), "v": to_numpy(v)}

    def mistakes(self, case, expected):
        i = case.inputs
        w, dw, v, lr, mu = i["w"], i["dw"], i["v"], i["lr"], i.get("momentum", 0.9)
        damped = mu * v + (1 - mu) * dw
        velocity = mu * v - lr * dw
        return [Mistake("the dampened form v = momentum * v + (1 - momentum) * dw",
                        "torch.optim.SGD's rule: v = momentum * v + dw; w = w - lr * v", {"w": w - lr * damped, "v": damped}),
                Mistake("the velocity form v = momentum * v - lr * dw; w = w + v",
                        "the course follows torch.optim.SGD: v = momentum * v + dw; w = w - lr * v",
                        {"w": w + velocity, "v": velocity}),
                Mistake("w stepped with the old v", "update v first, then w = w - lr * v (the new v)",
                        {"w": w - lr * v}),
                Mistake("the momentum argument ignored (0.9 used)", "use the momentum passed in",
                        {"w": w - lr * (0.9 * v + dw), "v": 0.9 * v + dw} if mu != 0.9 else {}),
                Mistake("the step taken uphill", "w = w - lr * v", {"w": w + lr * (mu * v + dw)}),
                Mistake("lr folded into the velocity: v = momentum * v + lr * dw; w = w - v",
                        "the course keeps lr out of v, as torch.optim.SGD: v = momentum * v + dw; w = w - lr * v",
                        {"w": w - (mu * v + lr * dw), "v": mu * v + lr * dw})]


@register
class AdamStep(Check):
    exercise_id = "backprop.adam_step"
    functions = ("adam_step",)
    parts = {"w": 1, "m": 1, "v": 1}
    # (seed, shape, t, keyword arguments, note); the first step starts from m = v = 0
    visible = ((0, (5,), 1, {}, "the first step, m = v = 0, default lr, betas and eps"),
               (1, (3, 4), 3, {"lr": 0.01}, ""), (2, (4,), 10, {"lr": 0.1, "eps": 0.1}, "a large eps"),
               (3, (2, 3), 100, {"beta1": 0.5, "beta2": 0.9}, "t = 100, other betas"))
    hidden = ((100, (1,), 1, {}, "the first step, m = v = 0, default lr, betas and eps"),
              (101, (6,), 5, {"lr": 0.05, "eps": 1e-3}, ""), (102, (2, 2), 20, {"lr": 0.2, "eps": 0.5}, "a large eps"),
              (103, (3,), 50, {"beta1": 0.8, "beta2": 0.99}, "t = 50, other betas"))

    def cases(self, hidden):
        cases = []
        for seed, shape, t, options, note in self.visible + (self.hidden if hidden else ()):
            rng = generator(self.exercise_id, seed)
            w, dw = normal(rng, shape), normal(rng, shape)
            if t == 1:
                m, v = np.zeros(shape), np.zeros(shape)
            else:
                m, v = 0.1 * normal(rng, shape), 0.1 * normal(rng, shape) ** 2
            inputs = {"w": w, "dw": dw, "m": m, "v": v, "t": t, **options}
            cases.append(Case(describe_case(seed, inputs, note), inputs, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        i = dict(case.inputs)
        positional = [i.pop(k) for k in ("w", "dw", "m", "v", "t")]
        w, m, v = caller.call("adam_step", *positional, returns=("w:array", "m:array", "v:array"), **i)
        return {"w": w, "m": m, "v": v}

    def expected(self, case):
        i = {k: (a.copy() if isinstance(a, np.ndarray) else a) for k, a in case.inputs.items()}
        positional = [i.pop(k) for k in ("w", "dw", "m", "v", "t")]
        w, m, v = reference.adam_step(*positional, **i)
        return {"w": to_numpy(w), "m": to_numpy(m), "v": to_numpy(v)}

    def mistakes(self, case, expected):
        i = case.inputs
        w, dw, m, v, t = i["w"], i["dw"], i["m"], i["v"], i["t"]
        lr, b1, b2, eps = i.get("lr", 1e-3), i.get("beta1", 0.9), i.get("beta2", 0.999), i.get("eps", 1e-8)
        m1, v1 = b1 * m + (1 - b1) * dw, b2 * v + (1 - b2) * dw**2

        def step(m_hat, v_hat, inside=False):
            return w - lr * m_hat / (np.sqrt(v_hat + eps) if inside else np.sqrt(v_hat) + eps)

        mh, vh = m1 / (1 - b1**t), v1 / (1 - b2**t)
        found = [Mistake("no bias correction", "divide by (1 - beta1**t) and (1 - beta2**t) before the step",
                        {"w": step(m1, v1)}),
                Mistake("the bias correction with t + 1 (t counted from 0)", "t counts from 1: use beta**t",
                        {"w": step(m1 / (1 - b1 ** (t + 1)), v1 / (1 - b2 ** (t + 1)))}),
                Mistake("eps inside the square root", "w - lr * m_hat / (sqrt(v_hat) + eps)",
                        {"w": step(mh, vh, inside=True)}),
                Mistake("v from dw instead of dw**2", "v = beta2 * v + (1 - beta2) * dw**2",
                        {"v": b2 * v + (1 - b2) * dw}),
                Mistake("the (1 - beta) factors left out", "m = beta1 * m + (1 - beta1) * dw, "
                        "v = beta2 * v + (1 - beta2) * dw**2", {"m": b1 * m + dw, "v": b2 * v + dw**2}),
                Mistake("the bias-corrected m and v returned", "return the raw moving averages m and v; "
                        "the corrected ones only shape the step", {"m": mh, "v": vh}),
                Mistake("the square root left out", "divide by sqrt(v_hat) + eps",
                        {"w": w - lr * mh / (vh + eps)}),
                Mistake("m not bias-corrected", "divide m by (1 - beta1**t) as well", {"w": step(m1, vh)}),
                Mistake("v not bias-corrected", "divide v by (1 - beta2**t) as well", {"w": step(mh, v1)}),
                Mistake("the bias correction as beta**t where 1 - beta**t belongs", "m_hat = m / (1 - beta1**t), "
                        "v_hat = v / (1 - beta2**t)", {"w": step(m1 / b1**t, v1 / b2**t)})]
        if (b1, b2) != (0.9, 0.999):
            m9, v9 = 0.9 * m + 0.1 * dw, 0.999 * v + 0.001 * dw**2
            found.append(Mistake("beta1 and beta2 ignored (0.9 and 0.999 used)", "use the beta1 and beta2 passed in",
                                 {"w": w - lr * (m9 / (1 - 0.9**t)) / (np.sqrt(v9 / (1 - 0.999**t)) + eps),
                                  "m": m9, "v": v9}))
        return found
