"""Forward+backward time of every reference layer next to torch autograd on the same device.

    python -m reference_impl.bench [--only NAME ...] [--repeats R]

For each layer at a realistic size and each backend present (numpy, torch-cpu, torch-cuda), the
reference pair `forward` then `backward` is timed next to torch autograd doing the same work on the
same device (torch CPU for the NumPy rows). The two are timed alternately, one repeat each, so a noisy
machine slows both alike; the table gives medians and their ratio.
"""
import argparse
import statistics
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch

import reference_impl as ri
from reference_impl.backend import backends, random_normal, to_backend


@dataclass
class Case:
    """One row per backend: `forward(*inputs)` then `backward(dout, cache)` against `torch_forward`.

    make_inputs(rng) returns the forward's positional arguments as NumPy arrays, plain values,
    or dicts of arrays. torch_forward takes the same arguments as torch tensors (floating ones with
    requires_grad) and returns the output tensor that autograd differentiates.
    """
    layer: str
    size: str
    make_inputs: Callable
    forward: Callable
    backward: Callable
    torch_forward: Callable


def _convert(value, backend, requires_grad=False):
    if isinstance(value, dict):
        return {k: _convert(v, backend, requires_grad) for k, v in value.items()}
    if not isinstance(value, np.ndarray):
        return value
    array = to_backend(value, backend)
    if requires_grad and backend != "numpy" and array.is_floating_point():
        array.requires_grad_(True)
    return array


def _leaves(value):
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in _leaves(v)]
    return [value] if isinstance(value, torch.Tensor) and value.requires_grad else []


def _sync(backend):
    if backend == "torch-cuda":
        torch.cuda.synchronize()


def _seconds(step, backend, iterations):
    _sync(backend)
    start = time.perf_counter()
    for _ in range(iterations):
        step()
    _sync(backend)
    return (time.perf_counter() - start) / iterations


def time_case(case, backend, repeats):
    """Median seconds per forward+backward: (reference on `backend`, torch autograd on its device)."""
    rng = np.random.default_rng(0)
    inputs = case.make_inputs(rng)
    torch_backend = "torch-cpu" if backend == "numpy" else backend

    ref_args = [_convert(v, backend) for v in inputs]
    out, _ = case.forward(*ref_args)
    dout = random_normal(rng, tuple(out.shape), out)

    def reference_step():
        _, cache = case.forward(*ref_args)
        case.backward(dout, cache)

    torch_args = [_convert(v, torch_backend, requires_grad=True) for v in inputs]
    torch_dout = to_backend(ri.backend.to_numpy(dout), torch_backend)
    leaves = [leaf for v in torch_args for leaf in _leaves(v)]

    def torch_step():
        for leaf in leaves:
            leaf.grad = None
        case.torch_forward(*torch_args).backward(torch_dout)

    # Warm up both (allocators, kernels, caches), then size the runs to about 50 ms each.
    for step in (reference_step, torch_step):
        step()
    iterations = max(1, int(0.05 / max(_seconds(reference_step, backend, 1), 1e-6)))
    torch_iterations = max(1, int(0.05 / max(_seconds(torch_step, torch_backend, 1), 1e-6)))
    ref_times, torch_times = [], []
    for _ in range(repeats):
        ref_times.append(_seconds(reference_step, backend, iterations))
        torch_times.append(_seconds(torch_step, torch_backend, torch_iterations))
    return statistics.median(ref_times), statistics.median(torch_times)


CASES = []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="layers to time (default: all)")
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats per row (default 7)")
    args = parser.parse_args(argv)
    cases = [c for c in CASES if not args.only or c.layer in args.only]
    if not cases:
        parser.error(f"no layer named {args.only}; known: {', '.join(c.layer for c in CASES)}")

    device = torch.cuda.get_device_name() if torch.cuda.is_available() else "no GPU"
    print(f"torch {torch.__version__}, numpy {np.__version__}, {torch.get_num_threads()} CPU threads, {device}")
    header = f"{'layer':<26} {'size':<34} {'backend':<11} {'reference ms':>12} {'torch ms':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for case in cases:
        for backend in backends():
            ref, ref_torch = time_case(case, backend, args.repeats)
            print(f"{case.layer:<26} {case.size:<34} {backend:<11} {ref * 1e3:>12.3f} "
                  f"{ref_torch * 1e3:>9.3f} {ref / ref_torch:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
