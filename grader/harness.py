"""Code that runs on the learner's side of a call: turning plain data into the callables and
objects an exercise needs, and the learner's objects back into plain data.

A check never hands the learner a trusted object. When an exercise takes a function
(numerical_gradient's `f`) the check sends a `ScalarFunction` description; when it takes a class
(`Value`) the check sends a `ValueProgram` and gets back numbers. Both are plain data, so a
sandboxed process (batch grading) can run this module next to the learner's code and exchange
only arrays with the trusted grader.
"""
from dataclasses import dataclass, field

import numpy as np

__all__ = ["ScalarFunction", "make_scalar_function", "ValueProgram", "run_value_program", "ADAPTERS"]


@dataclass(frozen=True)
class ScalarFunction:
    """A test function f: array -> float, by name and parameters (arrays).

    kinds:
      quadratic  f(x) = 0.5 * x.A.x + c.x          (x 1-D; A (D, D), c (D,))
      sin_cubic  f(x) = sum(W * sin(x)) + sum(x**3) / 3   (x any shape; W like x)
      exp_mix    f(x) = sum(exp(a * x)) + (x * B).sum()**2   (x any shape; a a number, B like x)
    """

    kind: str
    params: dict = field(default_factory=dict)
    shape: tuple = ()

    def describe(self):
        return {
            "quadratic": "f(x) = 0.5 * x @ A @ x + c @ x",
            "sin_cubic": "f(x) = sum(W * sin(x)) + sum(x**3) / 3",
            "exp_mix": "f(x) = sum(exp(a * x)) + sum(x * B)**2",
        }[self.kind]


def evaluate_scalar_function(spec, x):
    p = spec.params
    if spec.kind == "quadratic":
        return float(0.5 * x @ p["A"] @ x + p["c"] @ x)
    if spec.kind == "sin_cubic":
        return float(np.sum(p["W"] * np.sin(x)) + np.sum(x**3) / 3)
    if spec.kind == "exp_mix":
        return float(np.sum(np.exp(p["a"] * x)) + np.sum(x * p["B"]) ** 2)
    raise ValueError(f"unknown test function {spec.kind!r}")


def make_scalar_function(spec):
    """The Python callable the learner's code receives for `spec`.

    It refuses an argument of the wrong shape with a message that says what went wrong: a learner
    who flattens x and then calls f on the flat copy is told so, instead of seeing a broadcasting error.
    """

    def f(x):
        x = np.asarray(x, dtype=np.float64)
        if x.shape != tuple(spec.shape):
            raise ValueError(
                f"f was called with an array of shape {x.shape}, but x has shape {tuple(spec.shape)}: "
                "call f on an array shaped like x (step one element of a copy of x at a time)"
            )
        return evaluate_scalar_function(spec, x)

    return f


@dataclass(frozen=True)
class ValueProgram:
    """A small computation on scalars, written as plain data.

    leaves: {name: number} becomes Value(number) for each name.
    steps: (target, op, left, right): op is one of + - * / ** (right a number for **) or tanh exp relu
    (right None). left/right are names of earlier nodes or numbers, so "3 - x" is ("t", "-", 3.0, "x").
    The last target is the output; its backward() is called.
    """

    leaves: dict
    steps: tuple

    def text(self):
        lines = [", ".join(f"{name} = Value({value:g})" for name, value in self.leaves.items())]
        for target, op, left, right in self.steps:
            if right is None:
                lines.append(f"{target} = {left}.{op}()")
            else:
                lines.append(f"{target} = {_operand_text(left)} {op} {_operand_text(right)}")
        lines.append(f"{self.steps[-1][0]}.backward()")
        return "; ".join(lines)

    def node_names(self):
        return list(self.leaves) + [step[0] for step in self.steps]


def _operand_text(operand):
    return operand if isinstance(operand, str) else f"{operand:g}"


_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
}


def run_value_program(value_class, program):
    """Run `program` with `value_class`; returns {"data": (nodes,), "grad": (leaves,)} as float arrays."""
    nodes = {name: value_class(float(value)) for name, value in program.leaves.items()}

    def operand(x):
        return nodes[x] if isinstance(x, str) else x

    for target, op, left, right in program.steps:
        if right is None:
            nodes[target] = getattr(nodes[left], op)()
        else:
            nodes[target] = _BINARY[op](operand(left), operand(right))
    nodes[program.steps[-1][0]].backward()
    data = [_as_float(nodes[name].data, f"{name}.data") for name in program.node_names()]
    grad = [_as_float(nodes[name].grad, f"{name}.grad") for name in program.leaves]
    return {"data": np.array(data), "grad": np.array(grad)}


def _as_float(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{what} is a {type(value).__name__}, not a number") from None


# Adapters a check may name in Caller.call(..., adapter=...): learner object + plain data -> plain data.
ADAPTERS = {"value_program": run_value_program}
