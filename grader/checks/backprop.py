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

    def cases(self, hidden):
        specs = [(0, (4,), None, "quadratic"), (1, (3,), 1e-3, "sin_cubic"), (2, (2, 3), None, "sin_cubic")]
        if hidden:
            specs += [(100, (1,), 1e-4, "exp_mix"), (101, (6,), 1e-2, "exp_mix"), (102, (2, 2, 2), 1e-4, "exp_mix"),
                      (103, (3, 1), None, "exp_mix")]
        cases = []
        for seed, shape, h, kind in specs:
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
        forward, backward = np.zeros_like(x), np.zeros_like(x)
        base = f(x)
        for i in np.ndindex(x.shape):
            step = np.zeros_like(x)
            step[i] = h
            forward[i] = (f(x + step) - base) / h
            backward[i] = (base - f(x - step)) / h
        part = case.parts[0]
        return [Mistake("a one-sided difference (f(x + h) - f(x)) / h", "use central differences: "
                        "(f(x + h) - f(x - h)) / (2 * h), whose error shrinks like h**2", {part: forward}),
                Mistake("a one-sided difference (f(x) - f(x - h)) / h", "use central differences: "
                        "(f(x + h) - f(x - h)) / (2 * h)", {part: backward}),
                Mistake("h ignored (a step of 1e-5 where another h was given)", "step by the h argument",
                        {part: to_numpy(reference.numerical_gradient(f, x.copy())) if "h" in case.inputs else None})]


@register
class RelativeError(Check):
    exercise_id = "backprop.relative_error"
    functions = ("relative_error",)
    parts = {"value": 1}

    def cases(self, hidden):
        specs = [(0, "close"), (1, "apart"), (2, "zeros")]
        if hidden:
            specs += [(100, "equal"), (101, "opposite"), (102, "scales"), (103, "single")]
        notes = {"zeros": "a and b both all zeros", "equal": "a == b", "opposite": "b = -a",
                 "scales": "entries of very different sizes", "single": "one element"}
        cases = []
        for seed, kind in specs:
            rng = generator(self.exercise_id, seed)
            a = normal(rng, (3, 4))
            b = {"close": a + 1e-6 * normal(rng, (3, 4)), "apart": normal(rng, (3, 4))}.get(kind)
            if kind == "zeros":
                a, b = np.zeros(5), np.zeros(5)
            elif kind == "equal":
                b = a.copy()
            elif kind == "opposite":
                b = -a
            elif kind == "scales":
                a = a * np.logspace(-6, 3, 12).reshape(3, 4)
                b = a * (1 + 1e-3 * normal(rng, (3, 4)))
            elif kind == "single":
                a, b = np.array([2.0]), np.array([2.5])
            inputs = {"a": a, "b": b}
            cases.append(Case(describe_case(seed, inputs, notes.get(kind, "")), inputs, hidden=seed >= 100))
        return cases

    def call_learner(self, caller, case):
        return {"value": caller.call("relative_error", case.inputs["a"], case.inputs["b"], returns="value:scalar")}

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
                        {"value": float((diff / np.maximum(1e-8, np.abs(a))).max())})]


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
    ("tanh's derivative as 1 - t where 1 - t**2 belongs", "d tanh(x)/dx = 1 - tanh(x)**2", "tanh"),
    ("the power rule without the -1", "d x**n / dx = n * x**(n - 1)", "pow"),
    ("exp's derivative left out", "d exp(x)/dx = exp(x): out.grad times out.data", "exp"),
    ("each factor's own value used in *", "for out = a * b, a.grad += b.data * out.grad and b.grad += a.data * out.grad",
     "mul"),
    ("subtraction passing +grad to the right operand", "for out = a - b, b.grad -= out.grad", "sub"),
    ("relu passing the gradient where the input is negative", "relu passes out.grad only where out.data > 0", "relu"),
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
        if op == "+":
            out, local = a + b, [(left, 1.0), (right, 1.0)]
        elif op == "-":
            out, local = a - b, [(left, 1.0), (right, 1.0 if variant == "sub" else -1.0)]
        elif op == "*":
            out, local = a * b, [(left, a if variant == "mul" else b), (right, b if variant == "mul" else a)]
        elif op == "/":
            out, local = a / b, [(left, 1.0 / b), (right, -a / b**2)]
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
            local = [(left, 1.0 if variant == "relu" else float(a > 0))]
        data[target] = out
        parents[target] = [(node, g) for node, g in local if isinstance(node, str)]

    grad = {name: 0.0 for name in data}
    output = program.steps[-1][0]
    grad[output] = 1.0

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
        for node in reversed(program.node_names()):  # creation order is a topological order
            pass_on(node)
    return {"data": np.array([data[n] for n in program.node_names()]),
            "grad": np.array([grad[n] for n in program.leaves])}


# -- optimizers -----------------------------------------------------------------------------------
@register
class SgdMomentumStep(Check):
    exercise_id = "backprop.sgd_momentum_step"
    functions = ("sgd_momentum_step",)
    parts = {"w": 1, "v": 1}

    def cases(self, hidden):
        specs = [(0, (5,), 0.1, None, ""), (1, (3, 4), 0.05, 0.5, "")]
        if hidden:
            specs += [(100, (4,), 0.1, None, "v = 0: the first step"), (101, (2, 3), 0.2, 0.0, "momentum 0"),
                      (102, (1,), 1.0, 0.99, ""), (103, (6,), 0.01, 0.9, "float32")]
        cases = []
        for seed, shape, lr, momentum, note in specs:
            rng = generator(self.exercise_id, seed)
            dtype = np.float32 if note == "float32" else np.float64
            w, dw = normal(rng, shape, dtype), normal(rng, shape, dtype)
            v = np.zeros(shape, dtype) if seed == 100 else normal(rng, shape, dtype)
            inputs = {"w": w, "dw": dw, "v": v, "lr": lr}
            if momentum is not None:
                inputs["momentum"] = momentum
            cases.append(Case(describe_case(seed, inputs, note or ("default momentum" if momentum is None else "")),
                              inputs, dtype=np.dtype(dtype), hidden=seed >= 100))
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
                Mistake("the step taken uphill", "w = w - lr * v", {"w": w + lr * (mu * v + dw)})]


@register
class AdamStep(Check):
    exercise_id = "backprop.adam_step"
    functions = ("adam_step",)
    parts = {"w": 1, "m": 1, "v": 1}

    def cases(self, hidden):
        specs = [(0, (5,), 1, {}, "the first step, m = v = 0"), (1, (3, 4), 3, {"lr": 0.01}, ""),
                 (2, (4,), 10, {"lr": 0.1, "eps": 0.1}, "a large eps")]
        if hidden:
            specs += [(100, (2, 3), 100, {}, "t = 100"), (101, (1,), 2, {"beta1": 0.5, "beta2": 0.9}, ""),
                      (102, (6,), 5, {"lr": 0.05, "eps": 1e-3}, "")]
        cases = []
        for seed, shape, t, options, note in specs:
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
        return [Mistake("no bias correction", "divide by (1 - beta1**t) and (1 - beta2**t) before the step",
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
                        {"w": w - lr * mh / (vh + eps)})]
