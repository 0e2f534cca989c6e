"""Forward+backward time of every reference layer next to torch autograd on the same device.

    python -m reference_impl.bench [--only NAME ...] [--repeats R] [--batch-seconds S]

For each layer at a realistic size and each backend present (numpy, torch-cpu, torch-cuda), the
reference pair `forward` then `backward` is timed next to torch autograd doing the same work on the
same device (torch CPU for the NumPy rows). The two are timed alternately, one repeat each, so a noisy
machine slows both alike; the table gives medians and their ratio. Each repeat runs a batch of about
S seconds (default 0.2): switching between the two sides costs the next few milliseconds (on a CPU,
the other side's threads go on spinning a while), and short batches would bill that to whichever
side runs second.
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


def time_case(case, backend, repeats, batch_seconds=0.2):
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

    # Warm up both (allocators, kernels, caches), then size the batches to batch_seconds each.
    for step in (reference_step, torch_step):
        step()
    iterations = max(1, int(batch_seconds / max(_seconds(reference_step, backend, 1), 1e-6)))
    torch_iterations = max(1, int(batch_seconds / max(_seconds(torch_step, torch_backend, 1), 1e-6)))
    ref_times, torch_times = [], []
    for _ in range(repeats):
        ref_times.append(_seconds(reference_step, backend, iterations))
        torch_times.append(_seconds(torch_step, torch_backend, torch_iterations))
    return statistics.median(ref_times), statistics.median(torch_times)


CASES = []


# lesson 02
def _dense_inputs(rng, N, D_in, D_out):
    x = rng.standard_normal((N, D_in)).astype(np.float32)
    W = (rng.standard_normal((D_in, D_out)) / np.sqrt(D_in)).astype(np.float32)
    return [x, W, (0.1 * rng.standard_normal(D_out)).astype(np.float32)]


def _mlp_inputs(rng):
    X, W1, b1 = _dense_inputs(rng, 256, 1024, 1024)
    _, W2, b2 = _dense_inputs(rng, 1, 1024, 10)
    return [X, dict(W1=W1, b1=b1, W2=W2, b2=b2)]


def _torch_mlp(X, p):
    # mlp_backward returns no gradient for the data X, so torch must not compute one either.
    return torch.relu(X.detach() @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


CASES += [
    Case("affine", "x 256x1024, W 1024x1024 float32", lambda rng: _dense_inputs(rng, 256, 1024, 1024),
         ri.affine_forward, ri.affine_backward, lambda x, W, b: x @ W + b),
    Case("relu", "x 256x1024 float32", lambda rng: [rng.standard_normal((256, 1024)).astype(np.float32)],
         ri.relu_forward, ri.relu_backward, torch.relu),
    # The loss returns its gradient with it: "forward" times both, "backward" scales it by the upstream number.
    Case("softmax_cross_entropy", "scores 256x1000 float32",
         lambda rng: [rng.standard_normal((256, 1000)).astype(np.float32), rng.integers(0, 1000, 256)],
         ri.softmax_cross_entropy, lambda dloss, dscores: dscores * dloss, torch.nn.functional.cross_entropy),
    Case("mlp", "256x1024 -> 1024 -> 10 float32", _mlp_inputs, ri.mlp_forward, ri.mlp_backward, _torch_mlp),
]


# lessons 04-05
def _conv_inputs(rng):
    x = rng.standard_normal((32, 16, 32, 32)).astype(np.float32)
    w = (rng.standard_normal((32, 16, 3, 3)) / np.sqrt(16 * 9)).astype(np.float32)
    b = (0.1 * rng.standard_normal(32)).astype(np.float32)
    return [x, w, b, 1, 1]


def _recurrent_inputs(rng, gates):
    N, T, D, H = 32, 64, 128, 256
    x, h0, c0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    Wx = rng.standard_normal((D, gates * H)) / np.sqrt(D)
    Wh = rng.standard_normal((H, gates * H)) / np.sqrt(H)
    b = 0.1 * rng.standard_normal(gates * H)
    arrays = [x, h0, c0, Wx, Wh, b] if gates == 4 else [x, h0, Wx, Wh, b]
    return [a.astype(np.float32) for a in arrays]


def _torch_rnn(x, h0, Wx, Wh, b):
    """nn.RNN's own kernel (tanh, batch first) on the course's (D_in, D_out) weights."""
    weights = [Wx.T, Wh.T, b, torch.zeros_like(b)]  # weight_ih, weight_hh, bias_ih, bias_hh
    out, _ = torch._VF.rnn_tanh(x, h0[None], weights, True, 1, 0.0, True, False, True)
    return out


def _torch_lstm(x, h0, c0, Wx, Wh, b):
    """nn.LSTM's own kernel (batch first) on the course's packed i, f, g, o weights."""
    weights = [Wx.T, Wh.T, b, torch.zeros_like(b)]  # weight_ih, weight_hh, bias_ih, bias_hh
    out, _, _ = torch._VF.lstm(x, (h0[None], c0[None]), weights, True, 1, 0.0, True, False, True)
    return out


CASES += [
    Case("conv2d", "x 32x16x32x32, 32 3x3 pad 1 float32", _conv_inputs,
         ri.conv2d_forward, ri.conv2d_backward,
         lambda x, w, b, stride, pad: torch.nn.functional.conv2d(x, w, b, stride=stride, padding=pad)),
    Case("maxpool2d", "x 32x16x32x32, 2x2 stride 2 float32",
         lambda rng: [rng.standard_normal((32, 16, 32, 32)).astype(np.float32), 2, 2],
         ri.maxpool2d_forward, ri.maxpool2d_backward, torch.nn.functional.max_pool2d),
    Case("rnn", "N32 T64 D128 H256 float32", lambda rng: _recurrent_inputs(rng, 1),
         ri.rnn_forward, ri.rnn_backward, _torch_rnn),
    Case("lstm", "N32 T64 D128 H256 float32", lambda rng: _recurrent_inputs(rng, 4),
         ri.lstm_forward, ri.lstm_backward, _torch_lstm),
]


# lessons 06-07
def _attention_inputs(rng):
    q, k, v = (rng.standard_normal((16 * 8, 256, 64)).astype(np.float32) for _ in range(3))
    return [q, k, v]


def _torch_mha(x, Wqkv, bqkv, Wo, bo, num_heads, mask=None):
    """nn.MultiheadAttention's own functional path, with the course's (D_in, D_out) weights."""
    x = x.transpose(0, 1)  # (N, T, D) -> (T, N, D), torch's sequence-first layout
    out, _ = torch.nn.functional.multi_head_attention_forward(
        x, x, x, x.shape[-1], num_heads, Wqkv.T, bqkv, None, None, False, 0.0, Wo.T, bo,
        need_weights=False, attn_mask=None if mask is None else ~mask)
    return out.transpose(0, 1)  # (N, T, D)


def _mha_inputs(rng, N, T, D):
    x = rng.standard_normal((N, T, D))
    Wqkv, Wo = rng.standard_normal((D, 3 * D)) / np.sqrt(D), rng.standard_normal((D, D)) / np.sqrt(D)
    bqkv, bo = 0.1 * rng.standard_normal(3 * D), 0.1 * rng.standard_normal(D)
    return [a.astype(np.float32) for a in (x, Wqkv, bqkv, Wo, bo)]


def _block_inputs(rng):
    N, T, D, Dff = 16, 128, 256, 1024
    x, Wqkv, bqkv, Wo, bo = _mha_inputs(rng, N, T, D)
    params = dict(ln1_gamma=1 + 0.1 * rng.standard_normal(D), ln1_beta=0.1 * rng.standard_normal(D),
                  Wqkv=Wqkv, bqkv=bqkv, Wo=Wo, bo=bo,
                  ln2_gamma=1 + 0.1 * rng.standard_normal(D), ln2_beta=0.1 * rng.standard_normal(D),
                  W1=rng.standard_normal((D, Dff)) / np.sqrt(D), b1=0.1 * rng.standard_normal(Dff),
                  W2=rng.standard_normal((Dff, D)) / np.sqrt(Dff), b2=0.1 * rng.standard_normal(D))
    return [x, {key: np.asarray(value, dtype=np.float32) for key, value in params.items()}, 4]


def _torch_block(x, p, num_heads):
    F = torch.nn.functional
    D = x.shape[-1]
    y = x + _torch_mha(F.layer_norm(x, (D,), p["ln1_gamma"], p["ln1_beta"]),
                       p["Wqkv"], p["bqkv"], p["Wo"], p["bo"], num_heads)
    return y + F.relu(F.layer_norm(y, (D,), p["ln2_gamma"], p["ln2_beta"]) @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]


def _gcn_inputs(rng):
    V, E, F_in, F_out = 10_000, 100_000, 64, 64
    edge_index, edge_weight = ri.normalize_adjacency(rng.integers(0, V, (2, E)), V)
    H = rng.standard_normal((V, F_in)).astype(np.float32)
    W = (rng.standard_normal((F_in, F_out)) / np.sqrt(F_in)).astype(np.float32)
    b = (0.1 * rng.standard_normal(F_out)).astype(np.float32)
    return [H, edge_index, edge_weight.astype(np.float32), W, b]


def _torch_gcn(H, edge_index, edge_weight, W, b):
    HW = H @ W  # (V, F_out)
    messages = HW[edge_index[0]] * edge_weight[:, None]  # (E, F_out)
    return torch.zeros_like(HW).index_add(0, edge_index[1], messages) + b


CASES += [
    Case("attention", "(16*8, 256, 64) float32, SDPA", _attention_inputs,
         ri.attention_forward, ri.attention_backward, torch.nn.functional.scaled_dot_product_attention),
    Case("multihead_attention", "N16 T256 D512 h8 float32", lambda rng: _mha_inputs(rng, 16, 256, 512) + [8],
         ri.multihead_attention_forward, ri.multihead_attention_backward, _torch_mha),
    Case("layernorm", "(16*256, 512) float32",
         lambda rng: [rng.standard_normal((16 * 256, 512)).astype(np.float32),
                      (1 + 0.1 * rng.standard_normal(512)).astype(np.float32),
                      (0.1 * rng.standard_normal(512)).astype(np.float32)],
         ri.layernorm_forward, ri.layernorm_backward,
         lambda x, gamma, beta: torch.nn.functional.layer_norm(x, (x.shape[-1],), gamma, beta)),
    Case("transformer_block", "N16 T128 D256 h4 Dff1024 float32", _block_inputs,
         ri.transformer_block_forward, ri.transformer_block_backward, _torch_block),
    Case("gcn", "V10k E100k(+V loops) 64->64 float32", _gcn_inputs,
         ri.gcn_forward, ri.gcn_backward, _torch_gcn),
]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="layers to time (default: all)")
    parser.add_argument("--repeats", type=int, default=7, help="alternating repeats per row (default 7)")
    parser.add_argument("--batch-seconds", type=float, default=0.2,
                        help="length of one timed batch of steps (default 0.2)")
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
            ref, ref_torch = time_case(case, backend, args.repeats, args.batch_seconds)
            print(f"{case.layer:<26} {case.size:<34} {backend:<11} {ref * 1e3:>12.3f} "
                  f"{ref_torch * 1e3:>9.3f} {ref / ref_torch:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
