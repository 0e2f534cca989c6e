"""The offline data loaders: deterministic, the promised shapes and labels, and never online."""
import socket

import numpy as np
import pytest
from sklearn.svm import SVC

from reference_impl import data

pytestmark = [pytest.mark.perceptron, pytest.mark.mlp]


@pytest.fixture
def offline(monkeypatch):
    """Any attempt to open a network connection fails the test."""
    def refuse(*args, **kwargs):
        raise AssertionError("a data loader tried to open a network connection")
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("loader", [data.blobs, data.xor, data.sine_1d])
def test_generated_data_is_deterministic_per_seed(loader):
    first, again, other = loader(seed=1), loader(seed=1), loader(seed=2)
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("margin", [0.5, 1.0, 2.0])
def test_blobs_are_separable_with_the_margin(seed, margin):
    X, y = data.blobs(n=101, seed=seed, margin=margin)
    assert X.shape == (101, 2) and X.dtype == np.float64 and y.dtype == np.int64
    assert sorted(set(y.tolist())) == [-1, 1] and (y == 1).sum() == 51
    svm = SVC(kernel="linear", C=1e6).fit(X, y)  # a hard-margin SVM finds the widest gap
    assert (svm.predict(X) == y).all()
    assert 2 / np.linalg.norm(svm.coef_) >= margin * (1 - 1e-6)


def test_xor_is_balanced_and_has_no_separating_line():
    X, y = data.xor(n=200, seed=0)
    assert X.shape == (200, 2) and (y == 1).sum() == 100
    np.testing.assert_array_equal(y, np.where(np.sign(X[:, 0]) != np.sign(X[:, 1]), 1, -1))
    assert SVC(kernel="linear", C=1e3).fit(X, y).score(X, y) < 0.8


def test_sine_targets():
    x, y = data.sine_1d(n=50, seed=0, noise=0.0)
    assert x.shape == y.shape == (50, 1)
    assert (np.diff(x[:, 0]) >= 0).all() and np.abs(x).max() <= np.pi
    np.testing.assert_array_equal(y, np.sin(x))
    assert not np.array_equal(data.sine_1d(n=50, seed=0, noise=0.1)[1], y)


def test_digits_are_read_offline_and_split_per_class(offline):
    X_train, y_train, X_test, y_test = data.digits(seed=0, test_fraction=0.25)
    assert X_train.shape[1] == X_test.shape[1] == 64 and len(y_train) + len(y_test) == 1797
    assert 0.0 <= X_train.min() and X_train.max() <= 1.0 and X_train.dtype == np.float64
    assert y_train.dtype == np.int64 and set(y_test.tolist()) == set(range(10))
    train_counts, test_counts = np.bincount(y_train), np.bincount(y_test)
    np.testing.assert_allclose(test_counts / (train_counts + test_counts), 0.25, atol=0.01)
    # no image is in both sets
    train_rows = {row.tobytes() for row in X_train}
    assert sum(row.tobytes() in train_rows for row in X_test) <= 5  # the data set has a few exact duplicates
    again = data.digits(seed=0, test_fraction=0.25)
    np.testing.assert_array_equal(again[3], y_test)


@pytest.mark.parametrize("name", data.PHOTOS)
def test_photos_are_grey_and_shrunk_by_block_means(offline, name):
    full, half = data.photo(name, shrink=1), data.photo(name, shrink=2)
    assert full.shape == (427, 640) and half.shape == (213, 320) and half.dtype == np.float64
    assert 0.0 <= half.min() and half.max() <= 1.0 and half.std() > 0.1
    np.testing.assert_allclose(half[3, 5], full[6:8, 10:12].mean())


def test_karate_club_has_both_directions_of_every_friendship(offline):
    edge_index, labels = data.karate_club()
    assert edge_index.shape == (2, 156) and edge_index.dtype == np.int64
    assert {tuple(e) for e in edge_index.T} == {tuple(e) for e in edge_index[::-1].T}  # symmetric
    assert not (edge_index[0] == edge_index[1]).any() and set(edge_index.ravel().tolist()) == set(range(34))
    assert labels.shape == (34,) and labels[0] == 0 and labels[33] == 1 and labels.sum() == 17


@pytest.mark.parametrize("call, message", [
    (lambda: data.blobs(n=1), "n must be an integer >= 2, got 1"),
    (lambda: data.blobs(margin=-1), "margin must be >= 0"),
    (lambda: data.digits(test_fraction=1.0), "test_fraction must lie strictly between 0 and 1"),
    (lambda: data.photo("cat.jpg"), "name must be one of china.jpg, flower.jpg"),
    (lambda: data.photo(shrink=0), "shrink must be an integer >= 1"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_digits_read_once_never_share_their_arrays():
    first = data.digits(seed=3)
    for array in first:
        array[...] = 0  # a learner's in-place normalisation must not reach the next call
    again = data.digits(seed=3)
    assert again[0].max() == 1.0 and len(np.unique(again[1])) == 10
