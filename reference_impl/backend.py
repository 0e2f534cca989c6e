"""What the array API standard lacks, for NumPy arrays and torch tensors alike.

Layers call `namespace(x)` for everything the standard has (matmul, exp, sum, where, ...) and this
module for the rest. Nothing else in reference_impl imports numpy or torch; torch itself is imported
only when a torch tensor arrives, so NumPy-only users never pay for it.
"""
import numpy as np
from array_api_compat import array_namespace, device, is_torch_array

__all__ = [
    "namespace", "namespace_or_numpy", "device", "is_torch_array", "to_numpy", "asarray_like", "random_normal",
    "generator", "random_permutation",
    "scatter_add", "einsum", "pad_spatial", "sliding_windows", "backends", "to_backend",
]


def namespace(*arrays):
    """The array API namespace shared by `arrays` (NumPy's or torch's, wrapped by array-api-compat)."""
    try:
        return array_namespace(*arrays)
    except TypeError as err:
        kinds = sorted({type(a).__module__.split(".")[0] + "." + type(a).__name__ for a in arrays})
        raise TypeError(
            f"expected arrays of one library (all NumPy or all torch), got {', '.join(kinds)}; "
            "convert them with numpy.asarray(...) or torch.as_tensor(...) first"
        ) from err


def namespace_or_numpy(like=None):
    """`like`'s array API namespace, or NumPy's when `like` is None (for functions that make arrays
    from sizes alone, such as a positional encoding)."""
    if like is None:
        import array_api_compat.numpy

        return array_api_compat.numpy
    return namespace(like)


def to_numpy(x):
    """A NumPy copy of `x` (a torch tensor on any device, a NumPy array, or a number)."""
    if is_torch_array(x):
        return x.detach().cpu().numpy()
    return np.asarray(x)


def asarray_like(value, like, dtype=None):
    """`value` as an array of `like`'s library and device, with `like`'s dtype unless `dtype` is given."""
    xp = namespace(like)
    return xp.asarray(value, dtype=like.dtype if dtype is None else dtype, device=device(like))


def random_normal(rng, shape, like):
    """Standard normal draws from a numpy Generator, placed on `like`'s device and dtype.

    Drawing on the host makes the same seed give the same numbers on every backend.
    """
    return asarray_like(rng.standard_normal(shape), like)


def generator(seed):
    """The numpy Generator a function that takes a `seed` draws from."""
    return np.random.default_rng(seed)


def random_permutation(rng, n, like):
    """A random order of range(n) from a numpy Generator, as an index array of `like`'s library and device
    (`like` an integer array, e.g. the labels), so every backend visits the examples in the same order."""
    return asarray_like(rng.permutation(n), like)


def scatter_add(values, index, num_rows):
    """out[index[e]] += values[e] for every e, repeated indices adding up.

    values (E, *F), index (E,) integers in [0, num_rows) -> out (num_rows, *F).
    """
    if is_torch_array(values):
        import torch

        out = torch.zeros((num_rows, *values.shape[1:]), dtype=values.dtype, device=values.device)
        return out.index_add_(0, index.to(values.device, torch.int64), values)
    out = np.zeros((num_rows, *values.shape[1:]), dtype=values.dtype)
    # np.add.at is several times faster on 1-D operands, so add element by element into the flat
    # output: entry (e, j) of values lands at flat position index[e] * width + j.
    width = out[0].size if num_rows else 0
    flat_index = np.asarray(index, dtype=np.intp)[:, None] * width + np.arange(width)  # (E, width)
    np.add.at(out.reshape(-1), flat_index.reshape(-1), values.reshape(-1))
    return out


def einsum(subscripts, *operands):
    """einsum with NumPy's contraction-order search switched on (torch searches by default)."""
    if is_torch_array(operands[0]):
        import torch

        return torch.einsum(subscripts, *operands)
    return np.einsum(subscripts, *operands, optimize=True)


def pad_spatial(x, pad):
    """Zero-pad the last two axes of `x` by `pad` on every side: (..., H, W) -> (..., H+2p, W+2p)."""
    if pad == 0:
        return x
    if is_torch_array(x):
        import torch.nn.functional as F

        return F.pad(x, (pad, pad, pad, pad))
    widths = [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)]
    return np.pad(x, widths)


def sliding_windows(x, HH, WW, stride=1):
    """Every HH x WW window of the last two axes of `x`, taken `stride` apart, as a view (no copy).

    x (..., H, W) -> windows (..., out_H, out_W, HH, WW) with out_H = 1 + (H - HH) // stride and
    out_W = 1 + (W - WW) // stride; windows[..., r, s, i, j] = x[..., r*stride + i, s*stride + j].
    Rows and columns past the last whole window are left out, as torch's unfold does.
    """
    if is_torch_array(x):
        return x.unfold(-2, HH, stride).unfold(-2, WW, stride)
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(x, (HH, WW), axis=(-2, -1))[..., ::stride, ::stride, :, :]


def backends():
    """Names of the backends usable on this machine: numpy, torch-cpu and, with a GPU, torch-cuda."""
    names = ["numpy"]
    try:
        import torch
    except ImportError:
        return names
    names.append("torch-cpu")
    if torch.cuda.is_available():
        names.append("torch-cuda")
    return names


def to_backend(array, name):
    """A NumPy array moved to the backend called `name` (one of `backends()`), dtype kept."""
    if name == "numpy":
        return np.asarray(array)
    import torch

    return torch.as_tensor(np.asarray(array), device="cuda" if name == "torch-cuda" else "cpu")
