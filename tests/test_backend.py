"""The backend module: what the array API lacks, the same on every backend."""
import numpy as np
import pytest
import torch

from reference_impl.backend import asarray_like, device, namespace, pad_spatial, scatter_add, to_numpy


def test_scatter_add_accumulates_repeated_indices(backend, rng):
    values = rng.standard_normal((7, 3))
    index = np.array([0, 2, 2, 4, 0, 0, 2])
    out = scatter_add(backend.asarray(values), backend.asarray(index), 6)
    expected = np.zeros((6, 3))
    for e, row in enumerate(index):
        expected[row] += values[e]
    np.testing.assert_allclose(backend.to_numpy(out), expected, rtol=1e-12)
    assert tuple(out.shape) == (6, 3)


def test_arrays_made_like_an_input_keep_its_library_device_and_dtype(backend, rng):
    like = backend.asarray(rng.standard_normal(3).astype(np.float32))
    made = asarray_like([1.0, 2.0], like)
    assert type(made) is type(like) and made.dtype == like.dtype and device(made) == device(like)
    padded = pad_spatial(backend.asarray(np.ones((1, 1, 2, 2))), 1)
    np.testing.assert_array_equal(backend.to_numpy(padded)[0, 0], np.pad(np.ones((2, 2)), 1))


def test_mixing_libraries_is_refused_with_a_hint():
    with pytest.raises(TypeError, match="all NumPy or all torch.*numpy.asarray"):
        namespace(np.zeros(2), torch.zeros(2))
    assert isinstance(to_numpy(torch.ones(2, requires_grad=True)), np.ndarray)
