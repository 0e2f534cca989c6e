"""Offline data for the lessons. Every loader is deterministic for a seed and never downloads.

The 8x8 digits come from scikit-learn's bundled copy (sklearn/datasets/data/digits.csv.gz, a
preprocessed test set of the UCI "Optical Recognition of Handwritten Digits" data), read from the
installed package; the two photographs (lesson 04) from its bundled sample images, and Zachary's karate
club (lesson 07) from networkx.
"""
import functools

import numpy as np

__all__ = ["blobs", "xor", "sine_1d", "digits", "photo", "karate_club"]


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
    X, y = _all_digits()
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == label))
        test[members[:round(test_fraction * len(members))]] = True
    train_order, test_order = rng.permutation(np.flatnonzero(~test)), rng.permutation(np.flatnonzero(test))
    return X[train_order], y[train_order], X[test_order], y[test_order]  # fancy indexing: copies, never the cache


@functools.cache
def _all_digits():
    """Every digit, read once per process (parsing the bundled CSV costs 40 ms, and a check asks often)."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    X = bunch.data.astype(np.float64) / 16.0  # pixel intensities 0..16 -> [0, 1]
    return X, bunch.target.astype(np.int64)


PHOTOS = ("china.jpg", "flower.jpg")


def photo(name="china.jpg", shrink=2):
    """One of scikit-learn's two bundled photographs, in grey: (H, W) float64 in [0, 1].

    name: "china.jpg" (a temple, 427 x 640 pixels) or "flower.jpg" (427 x 640).
    shrink: average each shrink x shrink block of pixels, so the image is (427 // shrink, 640 // shrink).
    """
    if name not in PHOTOS:
        raise ValueError(f"photo: name must be one of {', '.join(PHOTOS)}, got {name!r}")
    if int(shrink) != shrink or shrink < 1:
        raise ValueError(f"photo: shrink must be an integer >= 1, got {shrink!r}")
    from sklearn.datasets import load_sample_image

    rgb = load_sample_image(name).astype(np.float64) / 255.0  # (H, W, 3)
    grey = rgb @ np.array([0.299, 0.587, 0.114])  # (H, W): the luma weights of ITU-R BT.601
    H, W = (grey.shape[0] // shrink) * shrink, (grey.shape[1] // shrink) * shrink
    return grey[:H, :W].reshape(H // shrink, shrink, W // shrink, shrink).mean(axis=(1, 3))


def karate_club():
    """Zachary's karate club: 34 members, their 78 friendships and the club each joined after it split.

    Returns edge_index (2, 156) int64 with both directions of every friendship (source row, target row),
    and labels (34,) int64: 0 for Mr. Hi's club, 1 for the Officer's. Node 0 is Mr. Hi, node 33 the Officer.
    """
    import networkx as nx

    graph = nx.karate_club_graph()
    edges = np.array(sorted(graph.edges()), dtype=np.int64).T  # (2, 78), each friendship once
    edge_index = np.concatenate([edges, edges[::-1]], axis=1)  # (2, 156): messages flow both ways
    labels = np.array([graph.nodes[n]["club"] != "Mr. Hi" for n in sorted(graph.nodes)], dtype=np.int64)
    return edge_index, labels


def _require_count(func, n, minimum):
    if int(n) != n or n < minimum:
        raise ValueError(f"{func}: n must be an integer >= {minimum}, got {n!r}")
