"""Fixtures shared by every test: the backends to run each layer on, and a seeded generator."""
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from reference_impl.backend import backends, to_backend, to_numpy

# nbgrader starts `alembic` from PATH when it creates a gradebook; a run through .venv/bin/python
# without an activated venv would not find it.
os.environ["PATH"] = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")

ALL_BACKENDS = ("numpy", "torch-cpu", "torch-cuda")


class Backend:
    """One place for the arrays a test makes: NumPy arrays in, this backend's arrays out."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def asarray(self, array):
        return to_backend(array, self.name)

    def to_numpy(self, array):
        return to_numpy(array)

    @property
    def is_torch(self):
        return self.name.startswith("torch")

    @property
    def torch_device(self):
        return "cuda" if self.name == "torch-cuda" else "cpu"


@pytest.fixture(params=[pytest.param(name, marks=[pytest.mark.gpu] if name == "torch-cuda" else [])
                        for name in ALL_BACKENDS])
def backend(request):
    """Each test that takes `backend` runs on NumPy, torch CPU and (with a GPU) torch CUDA."""
    if request.param not in backends():
        pytest.skip(f"{request.param} is not available on this machine")
    return Backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
