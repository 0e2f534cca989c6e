"""Offline data for the lessons. Every loader is deterministic for a seed and never downloads.

The 8x8 digits come from scikit-learn's bundled copy (sklearn/datasets/data/digits.csv.gz, a
preprocessed test set of the UCI "Optical Recognition of Handwritten Digits" data), read from the
installed package.
"""
import numpy as np

__all__ = ["blobs", "xor", "sine_1d", "digits"]


def blobs(n=100, seed=0, margin=1.0):
    """Two Gaussian clusters in the plane, separated by a line with a gap of at least `margin`.

    Returns X (n, 2) float64 and y (n,) int64 in {-1, +1}, half of each (one more +1 when n is odd).
    """
    _require_count("blobs", n, 2)
    if margin < 0:
        raise ValueError(f"blobs: margin must be >= 0, got {margin}")
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(n) < (n + 1) // 2, 1, -1)
    angle = rng.uniform(0, 2 * np.pi)
    normal = np.array([np.cos(angle), np.sin(angle)])  # unit normal of the separating line
    along = np.array([-normal[1], normal[0]])
    # Distance from the line: a normal draw around 1 + margin/2, reflected where it falls inside the gap.
    distance = 1.0 + margin / 2 + 0.7 * rng.standard_normal(n)
    distance = np.where(distance < margin / 2, margin - distance, distance)
    spread = 1.2 * rng.standard_normal(n)
    offset = rng.uniform(-1.5, 1.5, size=2)  # the line need not pass through the origin
    X = (y * distance)[:, None] * normal + spread[:, None] * along + offset  # (n, 2)
    order = rng.permutation(n)
    return X[order], y[order].astype(np.int64)


def xor(n=100, seed=0, noise=0.1):
    """Points near the four corners (+-1, +-1); the label is +1 where the coordinates' signs differ.

    No line separates the classes. Returns X (n, 2) float64, y (n,) int64 in {-1, +1}.
    """
    _require_count("xor", n, 4)
    rng = np.random.default_rng(seed)
    corners = np.array([[1.0, 1.0], [-1.0, -1.0], [1.0, -1.0], [-1.0, 1.0]])
    which = rng.permutation(np.arange(n) % 4)
    X = corners[which] + noise * rng.standard_normal((n, 2))  # (n, 2)
    y = np.where(which >= 2, 1, -1).astype(np.int64)
    return X, y


def sine_1d(n=200, seed=0, noise=0.0):
    """A 1-D regression target: x (n, 1) sorted in [-pi, pi], y (n, 1) = sin(x) + noise * N(0, 1)."""
    _require_count("sine_1d", n, 1)
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-np.pi, np.pi, size=n))[:, None]  # (n, 1)
    return x, np.sin(x) + noise * rng.standard_normal((n, 1))


def digits(seed=0, test_fraction=0.25):
    """The 1,797 8x8 handwritten digits, split into training and test sets per class.

    Returns X_train (N_train, 64) float64 in [0, 1], y_train (N_train,) int64 in 0..9, X_test, y_test.
    Each class gives round(test_fraction * its count) examples to the test set, chosen by `seed`.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits: test_fraction must lie strictly between 0 and 1, got {test_fraction}")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = bunch.data.astype(np.float64) / 16.0  # pixel intensities 0..16 -> [0, 1]
    y = bunch.target.astype(np.int64)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[:round(test_fraction * len(members))]] = True
    train_order, test_order = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    return X[train_order], y[train_order], X[test_order], y[test_order]


def _require_count(func, n, minimum):
    if int(n) != n or n < minimum:
        raise ValueError(f"{func}: n must be an integer >= {minimum}, got {n!r}")
