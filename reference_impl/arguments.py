"""Argument checks that fail early with a message naming the argument, the shape expected and the
shape received, instead of a broadcasting error three lines further down."""
from .backend import is_torch_array, namespace

__all__ = ["require_array", "require_shape", "require_same_dtype"]


def _is_array(value):
    return is_torch_array(value) or type(value).__module__ == "numpy" and hasattr(value, "shape")


def require_array(func, name, value, ndim=None, kind="float"):
    """Check that `value` is a NumPy array or torch tensor of rank `ndim` holding `kind` numbers.

    func: the public function's name, for the message. kind: "float", "int", "bool" or None (any).
    """
    if not _is_array(value):
        raise TypeError(
            f"{func}: {name} must be a NumPy array or torch tensor, got {type(value).__name__}; "
            f"wrap it with numpy.asarray({name}, dtype=float)"
        )
    if ndim is not None and value.ndim not in (ndim if isinstance(ndim, tuple) else (ndim,)):
        raise ValueError(
            f"{func}: {name} must have {_rank_words(ndim)}, got shape {tuple(value.shape)} "
            f"({value.ndim} dimension{'s' if value.ndim != 1 else ''})"
        )
    if kind is not None:
        xp = namespace(value)
        kinds = {"float": "real floating", "int": "integral", "bool": "bool"}
        if not xp.isdtype(value.dtype, kinds[kind]):
            hint = {"float": f"{name}.astype(float)", "int": f"{name}.astype(int)", "bool": f"{name} != 0"}
            raise TypeError(
                f"{func}: {name} must hold {kinds[kind]} numbers, got dtype {value.dtype}; "
                f"convert it with {hint[kind]}"
            )
    return value


def require_shape(func, name, value, expected, names):
    """Check value.shape against `expected`, a tuple of ints or None (any size).

    names: the dimensions' names as the docstring gives them, e.g. "(D_in, D_out)".
    """
    shape = tuple(value.shape)
    fits = len(shape) == len(expected) and all(e is None or e == s for e, s in zip(expected, shape))
    if not fits:
        want = "(" + ", ".join("*" if e is None else str(e) for e in expected) + ("," if len(expected) == 1 else "") + ")"
        raise ValueError(f"{func}: {name} must have shape {names} = {want}, got {shape}")
    return value


def require_same_dtype(func, **arrays):
    """Check that every floating array has one dtype (float32 with float64 silently upcasts)."""
    dtypes = {name: a.dtype for name, a in arrays.items()}
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{func}: arrays must share one dtype, got {listed}; convert them to one")


def _rank_words(ndim):
    if isinstance(ndim, tuple):
        return " or ".join(str(n) for n in ndim) + " dimensions"
    return f"{ndim} dimension{'s' if ndim != 1 else ''}"
