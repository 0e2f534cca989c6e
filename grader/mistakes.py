"""Naming the mistake behind a wrong answer.

Two kinds of evidence, both computed from the reference on the learner's own inputs:

1. Known mistakes. Each check lists variants of the reference that make one mistake learners
   really make (dW transposed, bias gradient averaged, softmax without the max subtracted, ...). When
   the learner's output matches a variant and not the reference, the message names that mistake and
   says what to fix.
2. Shape-level relations that hold for any exercise: the answer is the expected one times a constant
   (N, 1/N, 2, -1, ...), transposed, not summed over an axis, or all zeros.
"""
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Mistake", "match_mistakes", "generic_diagnosis"]

# Looser than the grading tolerance: a variant computed in another order may differ in the last digits.
_MATCH_RTOL, _MATCH_ATOL = 1e-5, 1e-7


@dataclass
class Mistake:
    """What a learner making `name` returns (`outputs`, by part), and how to fix it."""

    name: str
    fix: str
    outputs: dict = field(default_factory=dict)

    def describe(self):
        return f"this looks like {self.name}: {self.fix}"


def _close(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) or isinstance(b, list):
        return isinstance(a, list) and isinstance(b, list) and len(a) == len(b) and all(map(_close, a, b))
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return False
    with np.errstate(all="ignore"):
        return bool(np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=_MATCH_RTOL, atol=_MATCH_ATOL,
                                equal_nan=True))


def _distance(a, b):
    """Largest absolute difference between two outputs (arrays, numbers, dicts or lists of them);
    NaN matches NaN and inf matches the same inf; a shape or structure mismatch is infinitely far."""
    if isinstance(a, dict) or isinstance(b, dict):
        if not (isinstance(a, dict) and isinstance(b, dict) and set(a) == set(b)):
            return np.inf
        return max((_distance(a[k], b[k]) for k in a), default=0.0)
    if isinstance(a, list) or isinstance(b, list):
        if not (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)):
            return np.inf
        return max((_distance(x, y) for x, y in zip(a, b)), default=0.0)
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype.kind not in "biuf" or b.dtype.kind not in "biuf":
        return np.inf
    if a.size == 0:
        return 0.0
    a, b = a.astype(np.float64), b.astype(np.float64)
    with np.errstate(all="ignore"):
        same = (a == b) | (np.isnan(a) & np.isnan(b))
        gap = np.where(same, 0.0, np.abs(a - b))
    return float(np.nan_to_num(gap, nan=np.inf).max())


def match_mistakes(part, got, expected, mistakes):
    """The mistakes whose output for `part` is far closer to `got` than to `expected` (the learner's answer
    lies at least 100 times nearer the variant than the variant lies from the right answer), in the
    check's order; on some inputs two mistakes give the same answer."""
    found = []
    for mistake in mistakes:
        variant = mistake.outputs.get(part)
        if variant is None:
            continue
        apart = _distance(variant, expected)
        near = _distance(got, variant)
        if apart > 0 and np.isfinite(near) and near <= 0.01 * apart:
            found.append(mistake)
    return found


def _factor_name(factor, sizes):
    """Name a constant factor from the case's sizes ({"N (the batch size)": 4, ...}), or None."""
    candidates = {"-1 (the sign is flipped)": -1.0, "2": 2.0, "1/2": 0.5, "-2": -2.0, "-1/2": -0.5}
    for label, size in sizes.items():
        if size not in (0, 1, -1):
            candidates[f"{label}"] = float(size)
            candidates[f"1/{label}"] = 1.0 / size
            candidates[f"-{label}"] = -float(size)
    for label, value in candidates.items():
        if np.isclose(factor, value, rtol=1e-4):
            return label
    return None


def generic_diagnosis(got, expected, sizes=None):
    """A sentence relating `got` to `expected` by shape or scale, or None when nothing simple fits."""
    sizes = sizes or {}
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    expected = np.asarray(expected, dtype=np.float64)
    if not np.all(np.isfinite(got)) or not np.all(np.isfinite(expected)) or expected.size == 0:
        return None
    if got.shape == expected.shape:
        if not np.any(got) and np.any(expected):
            return "it is all zeros: is the result computed but not stored or returned (a variable never filled)?"
        if expected.ndim == 2 and expected.shape[0] == expected.shape[1] and _close(got.T, expected):
            return "it is the transpose of the right answer: check the order in the matrix product (A.T @ B vs B.T @ A)"
        scale = float(np.vdot(expected, expected))
        if scale > 0:
            factor = float(np.vdot(got, expected)) / scale
            if abs(factor) > 1e-12 and not np.isclose(factor, 1.0) and _close(got, factor * expected):
                name = _factor_name(factor, sizes)
                if name:
                    return f"it is the right answer times {name}: look for a missing or extra factor (or sign)"
                if expected.size > 1:  # any wrong single number is some multiple of the right one
                    return f"it is the right answer times {factor:.4g}: a constant factor is missing or extra"
        return None
    if got.ndim == expected.ndim and got.shape == expected.shape[::-1] and _close(got.T, expected):
        return (f"it is the transpose of the right answer (shape {got.shape} instead of {expected.shape}): "
                "swap the operands of the matrix product and transpose them (x.T @ dout, not dout.T @ x)")
    if got.ndim == expected.ndim + 1:
        for axis in range(got.ndim):
            if got.shape[:axis] + got.shape[axis + 1:] != expected.shape:
                continue
            if _close(got.sum(axis=axis), expected):
                return (f"it is not summed over axis {axis} (shape {got.shape} instead of {expected.shape}): "
                        f"sum over the batch, e.g. .sum(axis={axis})")
            if _close(got.mean(axis=axis), expected):
                return (f"it keeps axis {axis} (shape {got.shape} instead of {expected.shape}); "
                        f"the gradient is the sum over that axis, .sum(axis={axis})")
    return None
