"""Comparing a learner's output with the reference's, and the figures that describe a difference.

Tolerances, by the dtype of the expected output (the inputs' dtype):

    dtype     rtol    atol     used for
    float64   1e-6    1e-8     every forward output, gradient and optimizer state
    float32   1e-4    1e-5     the same with float32 inputs (the learner may also answer in float64)
    exact     -       -        labels (perceptron_predict), counts (mistakes per epoch)

An element is right when |got - expected| <= atol + rtol * |expected| (numpy.isclose's rule).
A check may ask for its own tolerance (numerical_gradient compares against the same central
difference, so it uses rtol 1e-7, atol 1e-9: loose enough for a different order of operations,
tight enough to tell one-sided differences apart).

A float output must be a float array at least as precise as the expected one: float32 for float64
inputs loses digits and fails; float64 for float32 inputs is accepted.
"""
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Tolerance", "TOLERANCES", "tolerance_for", "Comparison", "compare_arrays", "format_index"]


@dataclass(frozen=True)
class Tolerance:
    rtol: float
    atol: float
    exact: bool = False


TOLERANCES = {
    np.dtype(np.float64): Tolerance(rtol=1e-6, atol=1e-8),
    np.dtype(np.float32): Tolerance(rtol=1e-4, atol=1e-5),
}
EXACT = Tolerance(rtol=0.0, atol=0.0, exact=True)


def tolerance_for(dtype):
    """The documented tolerance for outputs of this dtype (float64's for anything not listed)."""
    return TOLERANCES.get(np.dtype(dtype), TOLERANCES[np.dtype(np.float64)])


@dataclass
class Comparison:
    """The verdict on one output. `problem` is "" when right, else one of "type", "shape", "dtype",
    "nonfinite", "values"; `text` says it in words; `figures` holds the numbers."""

    ok: bool
    problem: str = ""
    text: str = ""
    figures: dict = field(default_factory=dict)


def format_index(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def _number(value):
    return f"{float(value):.6g}"


def _pair(expected, got):
    """ "expected E, got G" with enough digits to show that they differ."""
    for digits in (6, 9, 12, 17):
        e, g = f"{float(expected):.{digits}g}", f"{float(got):.{digits}g}"
        if e != g:
            break
    return f"expected {e}, got {g}"


def compare_arrays(expected, got, tolerance, name="output"):
    """Compare a learner's `got` with `expected` (both already plain NumPy values)."""
    expected = np.asarray(expected)
    figures = {
        "shape_expected": tuple(expected.shape),
        "dtype_expected": str(expected.dtype),
    }
    try:
        got = np.asarray(got)
    except Exception:  # a ragged list and the like
        return Comparison(False, "type", f"{name} is not an array of numbers", figures)
    figures.update(shape_got=tuple(got.shape), dtype_got=str(got.dtype))
    if got.dtype.kind not in "biuf":
        return Comparison(False, "dtype", f"{name} holds {got.dtype} values, not numbers", figures)
    if got.shape != expected.shape:
        text = f"{name} has shape {tuple(got.shape)}, expected {tuple(expected.shape)}"
        return Comparison(False, "shape", text, figures)
    dtype_problem = _dtype_problem(expected.dtype, got.dtype, name)
    if dtype_problem:
        return Comparison(False, "dtype", dtype_problem, figures)
    if expected.size == 0:
        return Comparison(True, figures=figures)

    exp = expected.astype(np.float64)
    out = got.astype(np.float64)
    bad_finite = ~np.isfinite(out) & np.isfinite(exp)
    if bad_finite.any():
        where = tuple(np.argwhere(bad_finite)[0])
        figures.update(nonfinite_count=int(bad_finite.sum()), where=where)
        kind = "NaN" if np.isnan(out[where]) else "inf"
        at = f" at {format_index(where)}" if exp.ndim else ""
        text = (f"{name} is {kind}" if not exp.ndim else f"{name} contains {kind}{at} "
                f"({int(bad_finite.sum())} of {out.size} entries are not finite)")
        text += f"; expected {_number(exp[where])}"
        return Comparison(False, "nonfinite", text, figures)

    with np.errstate(all="ignore"):
        abs_err = np.abs(out - exp)
        abs_err = np.where(np.isfinite(exp) | np.isfinite(out), abs_err, 0.0)
        abs_err = np.nan_to_num(abs_err, nan=np.inf)
        # Relative error as lesson 03's relative_error defines it: at most 1, and 1 where the sign is wrong.
        rel_err = abs_err / np.maximum(np.abs(exp) + np.abs(out), 1e-8)
        allowed = tolerance.atol + tolerance.rtol * np.abs(exp)
        excess = abs_err - allowed
    worst = np.unravel_index(int(np.argmax(excess)), exp.shape) if exp.ndim else ()
    figures.update(
        max_abs_error=float(abs_err.max()),
        max_rel_error=float(rel_err.max()),
        where=tuple(int(i) for i in worst),
        expected_at=float(exp[worst]),
        got_at=float(out[worst]),
        rtol=tolerance.rtol,
        atol=tolerance.atol,
    )
    wrong = excess > 0
    if not wrong.any():
        return Comparison(True, figures=figures)
    figures["wrong_count"] = int(wrong.sum())
    at = f" at {format_index(worst)}" if exp.ndim else ""
    text = (f"{name} is wrong in {int(wrong.sum())} of {exp.size} entries: max abs error "
            f"{figures['max_abs_error']:.3g}{at} ({_pair(exp[worst], out[worst])}), "
            f"max rel error {figures['max_rel_error']:.3g}")
    if not exp.ndim:
        text = (f"{name} is wrong: {_pair(exp, out)} (abs error {figures['max_abs_error']:.3g}, "
                f"rel error {figures['max_rel_error']:.3g})")
    elif tolerance.exact:
        text = (f"{name} is wrong in {int(wrong.sum())} of {exp.size} entries: first at "
                f"{format_index(np.argwhere(wrong)[0])} (expected {_number(exp[tuple(np.argwhere(wrong)[0])])}, "
                f"got {_number(out[tuple(np.argwhere(wrong)[0])])})")
    return Comparison(False, "values", text, figures)


def _dtype_problem(expected, got, name):
    if expected.kind == "f":
        if got.kind != "f":
            return (f"{name} has dtype {got} but should hold floats ({expected}): an integer array "
                    "truncates, e.g. np.zeros_like on an int array or np.array([...]) of ints")
        if got.itemsize < expected.itemsize:
            return (f"{name} has dtype {got}, less precise than the {expected} inputs: "
                    "keep the inputs' dtype (no .astype(np.float32))")
    if expected.kind in "iu" and got.kind == "b":
        return f"{name} holds booleans; return numbers"
    return ""
