"""Lesson 04 (cnn): convolution, im2col and col2im, max pooling, flatten.

Every case passes the hyper-parameters (HH, WW, stride, pad, pool, x_shape) positionally, in the
contract's order, and a backward check hands them all to the learner's own forward. The visible cases
between them have several channels, filters and images, H != W and a non-square kernel, stride 2 with
pad 1 and pad 2, sizes where (H + 2 pad - HH) is not a multiple of the stride, overlapping and
non-overlapping windows, ties inside pooling windows, a batch of 1 and float32: each simplification a
learner might make gives a wrong answer on one of them.
"""
import numpy as np

from reference_impl import cnn as reference
from reference_impl.backend import to_numpy

from ..engine import register
from ..mistakes import Mistake
from .layers import CaseSpec, LayerBackwardCheck, LayerForwardCheck


def _attempt(make):
    """make()'s result, or None when the mistake cannot even run on these inputs (a learner's code would
    raise there, and the report says so without a variant)."""
    try:
        return make()
    except (ValueError, IndexError):
        return None


def _variants(found):
    return [(name, fix, out) for name, fix, out in found if out is not None]


def _grads_variants(found):
    kept = []
    for name, fix, outputs in found:
        outputs = {part: value for part, value in outputs.items() if value is not None}
        if outputs:
            kept.append((name, fix, outputs))
    return kept


def _padded(x, pad):
    return np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))


def _windows_top_left(out_H, out_W, step):
    """[(r, s, top, left)] of every window in row-major output order, `step` pixels apart."""
    return [(r, s, r * step, s * step) for r in range(out_H) for s in range(out_W)]


def _put_back(windows, x_shape, pad, step):
    """col2im with the windows (N, C, HH, WW, out_H, out_W) added back `step` pixels apart (the stride
    given, or 1 for a learner who forgot it), then the padding cropped off."""
    N, C, H, W = x_shape
    HH, WW, out_H, out_W = windows.shape[2:]
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=windows.dtype)
    for r, s, top, left in _windows_top_left(out_H, out_W, step):
        padded[:, :, top:top + HH, left:left + WW] += windows[:, :, :, :, r, s]
    return padded[:, :, pad:pad + H, pad:pad + W]  # (N, C, H, W)


# -- im2col and col2im ------------------------------------------------------------------------------
def _im2col_mistakes(x, HH, WW, stride, pad):
    N, C, H, W = x.shape
    cols = reference.im2col(x, HH, WW, stride, pad)  # (N, K, L)
    out_H, out_W = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    L = out_H * out_W
    found = [
        ("im2col's rows in channels-last order (row i*WW*C + j*C + c)", "row c*HH*WW + i*WW + j holds channel c at "
         "offset (i, j): put the channel axis first, windows (N, C, HH, WW, out_H, out_W) before the reshape",
         windows.transpose(0, 2, 3, 1, 4, 5).reshape(N, C * HH * WW, L)),
        ("the window offsets in column-major order (row c*HH*WW + j*HH + i)", "within a channel the window is read "
         "row by row: row c*HH*WW + i*WW + j", windows.transpose(0, 1, 3, 2, 4, 5).reshape(N, C * HH * WW, L)),
        ("im2col's columns in column-major order (column s*out_H + r)", "column r*out_W + s is the window at output "
         "row r, column s (row-major, as F.unfold)", windows.transpose(0, 1, 2, 3, 5, 4).reshape(N, C * HH * WW, L)),
        ("the stride ignored (every window 1 pixel apart)", "the window at output (r, s) starts at (r*stride, "
         "s*stride); out_H = 1 + (H + 2*pad - HH) // stride",
         reference.im2col(x, HH, WW, 1, pad) if stride > 1 else None),
        ("the output size off by one (the 1 + missing)", "out_H = 1 + (H + 2*pad - HH) // stride, and likewise "
         "out_W", windows[..., :out_H - 1, :out_W - 1].reshape(N, C * HH * WW, -1)),
        ("HH and WW swapped (the window read as WW x HH)", "HH is the window's height (rows), WW its width",
         _attempt(lambda: reference.im2col(x, WW, HH, stride, pad)) if HH != WW else None),
    ]
    if pad:
        found += [
            ("the padding forgotten", "zero-pad the image by pad on every side first: np.pad(x, ((0, 0), (0, 0), "
             "(pad, pad), (pad, pad)))", _attempt(lambda: reference.im2col(x, HH, WW, stride, 0))),
            ("the padding applied on one side only (2*pad after the image)", "pad rows before the image and pad "
             "after it: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))",
             reference.im2col(np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad))), HH, WW, stride, 0)),
            ("the padding applied on one side only (pad before the image, none after)", "np.pad(x, ((0, 0), (0, 0), "
             "(pad, pad), (pad, pad))) pads both sides",
             _attempt(lambda: reference.im2col(np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0))), HH, WW, stride, 0))),
        ]
    return _variants(found)


class _Im2col:
    reference = reference
    forward = "im2col"
    visible = (
        CaseSpec(0, N=2, C=3, H=5, W=7, HH=2, WW=3, stride=1, pad=0, note="3 channels, H != W, a 2x3 kernel"),
        CaseSpec(1, N=2, C=2, H=6, W=5, HH=3, WW=2, stride=2, pad=1,
                 note="stride 2, pad 1, H + 2 pad - HH not a multiple of the stride"),
        CaseSpec(2, N=1, C=2, H=4, W=6, HH=3, WW=3, stride=2, pad=2, note="a batch of 1, stride 2, pad 2"),
        CaseSpec(3, N=3, C=2, H=5, W=4, HH=2, WW=2, stride=1, pad=1, dtype=np.float32, note="float32, pad 1"),
    )
    hidden = (
        CaseSpec(100, N=3, C=4, H=6, W=8, HH=3, WW=2, stride=1, pad=0, note="4 channels, H != W, a 3x2 kernel"),
        CaseSpec(101, N=2, C=3, H=7, W=6, HH=2, WW=3, stride=2, pad=1,
                 note="stride 2, pad 1, H + 2 pad - HH not a multiple of the stride"),
        CaseSpec(102, N=1, C=3, H=5, W=7, HH=3, WW=3, stride=2, pad=2, note="a batch of 1, stride 2, pad 2"),
        CaseSpec(103, N=2, C=3, H=4, W=5, HH=2, WW=2, stride=1, pad=1, dtype=np.float32, note="float32, pad 1"),
    )

    def hyper(self, spec):
        return {name: int(spec.sizes[name]) for name in ("HH", "WW", "stride", "pad")}


@register
class Im2col(_Im2col, LayerForwardCheck):
    exercise_id = "cnn.im2col"
    functions = ("im2col",)
    parts = {"cols": 2}

    def draw(self, rng, spec):
        s = spec.sizes
        return {"x": rng.standard_normal((s["N"], s["C"], s["H"], s["W"])).astype(spec.dtype), **self.hyper(spec)}

    def call_learner(self, caller, case):
        return {"cols": caller.call("im2col", *case.inputs.values(), returns="cols:array")}

    def expected(self, case):
        return {"cols": to_numpy(self.reference_forward(case))}

    def mistakes(self, case, expected):
        i = case.inputs
        return [Mistake(name, fix, {"cols": out})
                for name, fix, out in _im2col_mistakes(i["x"], i["HH"], i["WW"], i["stride"], i["pad"])]


def _col2im_overwritten(cols, x_shape, HH, WW, stride, pad, window_by_window):
    """col2im that assigns where it should add: each pixel keeps the last value written to it."""
    N, C, H, W = x_shape
    out_H, out_W = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    padded = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=cols.dtype)
    if window_by_window:
        for r, s, top, left in _windows_top_left(out_H, out_W, stride):
            padded[:, :, top:top + HH, left:left + WW] = windows[:, :, :, :, r, s]
    else:
        for i in range(HH):
            for j in range(WW):
                padded[:, :, i:i + stride * out_H:stride, j:j + stride * out_W:stride] = windows[:, :, i, j]
    return padded[:, :, pad:pad + H, pad:pad + W]


def _col2im_averaged(cols, x_shape, HH, WW, stride, pad):
    """col2im dividing each pixel by the number of windows that cover it (a mean where the sum belongs)."""
    covering = reference.col2im(np.ones_like(cols), x_shape, HH, WW, stride, pad)  # (N, C, H, W)
    return reference.col2im(cols, x_shape, HH, WW, stride, pad) / np.maximum(covering, 1)


def _col2im_mistakes(cols, x_shape, HH, WW, stride, pad):
    N, C, H, W = x_shape
    out_H, out_W = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    windows = cols.reshape(N, C, HH, WW, out_H, out_W)
    as_channels_last = windows.reshape(N, HH, WW, C, out_H, out_W).transpose(0, 3, 1, 2, 4, 5)
    as_column_major = windows.reshape(N, C, HH, WW, out_W, out_H).transpose(0, 1, 2, 3, 5, 4)
    padded_shape = (N, C, H + 2 * pad, W + 2 * pad)
    full = reference.col2im(cols, padded_shape, HH, WW, stride, 0)  # (N, C, H + 2 pad, W + 2 pad)
    overlap = HH > stride or WW > stride
    found = [
        ("cols read in channels-last row order (row i*WW*C + j*C + c)", "row c*HH*WW + i*WW + j of a column is "
         "channel c at offset (i, j) of its window: reshape cols to (N, C, HH, WW, out_H, out_W)",
         reference.col2im(as_channels_last.reshape(cols.shape), x_shape, HH, WW, stride, pad)),
        ("cols read in column-major column order (column s*out_H + r)", "column r*out_W + s is the window at output "
         "row r, column s: reshape to (..., out_H, out_W)",
         reference.col2im(as_column_major.reshape(cols.shape), x_shape, HH, WW, stride, pad)),
        ("the stride ignored (windows put back 1 pixel apart)", "the window at output (r, s) goes back to "
         "(r*stride, s*stride) of the padded image", _put_back(windows, x_shape, pad, step=1) if stride > 1 else None),
        ("overlapping windows overwritten instead of added (window by window)", "windows overlap when the stride is "
         "smaller than the kernel: add each window in, x_padded[..., window] += column, as F.fold does",
         _col2im_overwritten(cols, x_shape, HH, WW, stride, pad, True) if overlap else None),
        ("overlapping windows overwritten instead of added (offset by offset)", "add, do not assign: x_padded[:, :, "
         "i::stride, j::stride] += ... (or np.add.at with repeated indices; a fancy-index += keeps one value only)",
         _col2im_overwritten(cols, x_shape, HH, WW, stride, pad, False) if overlap else None),
        ("overlaps averaged instead of added", "col2im sums every window's value at a pixel; it does not divide by "
         "how many windows cover it", _col2im_averaged(cols, x_shape, HH, WW, stride, pad) if overlap else None),
    ]
    if pad:
        found += [
            ("the padding not cropped off", "return x_padded[:, :, pad:pad + H, pad:pad + W], shape (N, C, H, W)",
             full),
            ("the padding cropped from one side only (x_padded[:, :, :H, :W])", "crop pad rows and columns on every "
             "side: x_padded[:, :, pad:pad + H, pad:pad + W]", full[:, :, :H, :W]),
        ]
    return _variants(found)




class _Col2im(_Im2col):
    def draw(self, rng, spec):
        s = spec.sizes
        hyper = self.hyper(spec)
        out_H = 1 + (s["H"] + 2 * hyper["pad"] - hyper["HH"]) // hyper["stride"]
        out_W = 1 + (s["W"] + 2 * hyper["pad"] - hyper["WW"]) // hyper["stride"]
        cols = rng.standard_normal((s["N"], s["C"] * hyper["HH"] * hyper["WW"], out_H * out_W)).astype(spec.dtype)
        return {"cols": cols, "x_shape": (s["N"], s["C"], s["H"], s["W"]), **hyper}


def _col2im_specs(specs):
    """im2col's cases for col2im, each note saying x_shape (the label shows arrays and numbers only) and
    whether windows overlap."""
    made = []
    for spec in specs:
        s = spec.sizes
        overlap = "windows overlap" if s["HH"] > s["stride"] or s["WW"] > s["stride"] else "no overlap"
        note = f"x_shape ({s['N']}, {s['C']}, {s['H']}, {s['W']}), {overlap}, {spec.note}"
        made.append(CaseSpec(spec.seed, dtype=spec.dtype, note=note, **s))
    return tuple(made)


@register
class Col2im(_Col2im, LayerForwardCheck):
    exercise_id = "cnn.col2im"
    functions = ("col2im",)
    forward = "col2im"
    parts = {"x": 2}
    visible = _col2im_specs(_Im2col.visible)
    hidden = _col2im_specs(_Im2col.hidden)

    def call_learner(self, caller, case):
        return {"x": caller.call("col2im", *case.inputs.values(), returns="x:array")}

    def expected(self, case):
        return {"x": to_numpy(self.reference_forward(case))}

    def mistakes(self, case, expected):
        i = case.inputs
        return [Mistake(name, fix, {"x": out}) for name, fix, out in
                _col2im_mistakes(i["cols"], i["x_shape"], i["HH"], i["WW"], i["stride"], i["pad"])]


# -- convolution ------------------------------------------------------------------------------------
class _Conv:
    reference = reference
    forward = "conv2d_forward"
    visible = (
        CaseSpec(0, N=2, C=3, H=5, W=7, F=4, HH=3, WW=2, stride=1, pad=0,
                 note="3 channels, 4 filters, H != W, a 3x2 kernel, no padding"),
        CaseSpec(1, N=2, C=2, H=6, W=7, F=3, HH=3, WW=3, stride=2, pad=1,
                 note="stride 2, pad 1, windows overlap, H + 2 pad - HH not a multiple of the stride"),
        CaseSpec(2, N=3, C=2, H=5, W=6, F=2, HH=2, WW=3, stride=2, pad=2,
                 note="stride 2, pad 2, a 2x3 kernel, neither size a multiple of the stride"),
        CaseSpec(3, N=1, C=3, H=4, W=5, F=2, HH=3, WW=2, stride=1, pad=1, note="a batch of 1, pad 1"),
        CaseSpec(4, N=2, C=2, H=5, W=4, F=3, HH=2, WW=2, stride=1, pad=1, dtype=np.float32, note="float32, pad 1"),
    )
    hidden = (
        CaseSpec(100, N=3, C=2, H=6, W=8, F=3, HH=2, WW=3, stride=1, pad=0,
                 note="2 channels, 3 filters, H != W, a 2x3 kernel, no padding"),
        CaseSpec(101, N=2, C=3, H=8, W=6, F=2, HH=3, WW=3, stride=2, pad=1,
                 note="stride 2, pad 1, windows overlap, H + 2 pad - HH not a multiple of the stride"),
        CaseSpec(102, N=2, C=3, H=6, W=5, F=4, HH=3, WW=2, stride=2, pad=2,
                 note="stride 2, pad 2, a 3x2 kernel, neither size a multiple of the stride"),
        CaseSpec(103, N=1, C=2, H=5, W=4, F=3, HH=2, WW=3, stride=1, pad=1, note="a batch of 1, pad 1"),
        CaseSpec(104, N=3, C=3, H=4, W=6, F=2, HH=3, WW=2, stride=1, pad=1, dtype=np.float32, note="float32, pad 1"),
    )

    def draw(self, rng, spec):
        s = spec.sizes
        return {"x": rng.standard_normal((s["N"], s["C"], s["H"], s["W"])).astype(spec.dtype),
                "w": rng.standard_normal((s["F"], s["C"], s["HH"], s["WW"])).astype(spec.dtype),
                "b": rng.standard_normal(s["F"]).astype(spec.dtype),
                "stride": int(s["stride"]), "pad": int(s["pad"])}


def _conv(x, w, b, stride, pad):
    return reference.conv2d_forward(x, w, b, stride, pad)[0]


@register
class Conv2dForward(_Conv, LayerForwardCheck):
    exercise_id = "cnn.conv2d_forward"
    functions = ("conv2d_forward",)
    parts = {"out": 2}
    uses = ("cnn.im2col",)

    def forward_mistakes(self, inputs):
        x, w, b, stride, pad = inputs["x"], inputs["w"], inputs["b"], inputs["stride"], inputs["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        out = _conv(x, w, b, stride, pad)  # (N, F, out_H, out_W)
        out_H, out_W = out.shape[2:]
        cols = reference.im2col(x, HH, WW, stride, pad)  # (N, K, L)
        windows = cols.reshape(N, C, HH, WW, out_H, out_W)
        w_rows = w.reshape(F, C * HH * WW)  # (F, K)
        channels_last = windows.transpose(0, 2, 3, 1, 4, 5).reshape(cols.shape)  # rows i*WW*C + j*C + c
        column_major = windows.transpose(0, 1, 2, 3, 5, 4).reshape(cols.shape)  # columns s*out_H + r
        found = [
            ("the kernel flipped (true convolution)", "deep-learning 'convolution' is cross-correlation: out = "
             "sum x * w over each window, without flipping w", _conv(x, w[:, :, ::-1, ::-1].copy(), b, stride, pad)),
            ("the bias left out", "add b[f] to every output of filter f: out + b[None, :, None, None]",
             _conv(x, w, np.zeros_like(b), stride, pad)),
            ("the stride ignored (windows 1 pixel apart)", "the window of output (r, s) starts at (r*stride, s*stride); "
             "out_H = 1 + (H + 2*pad - HH) // stride", _conv(x, w, b, 1, pad) if stride > 1 else None),
            ("the output size off by one (the 1 + missing)", "out_H = 1 + (H + 2*pad - HH) // stride, and likewise "
             "out_W", out[:, :, :-1, :-1]),
            ("im2col's rows in channels-last order, unlike w.reshape(F, -1)", "the rows of cols must follow w's "
             "layout, c*HH*WW + i*WW + j: channel first", (w_rows @ channels_last + b[:, None]).reshape(out.shape)),
            ("im2col's columns in column-major order", "column r*out_W + s is output position (r, s), so the product "
             "reshapes to (N, F, out_H, out_W)", (w_rows @ column_major + b[:, None]).reshape(out.shape)),
            ("the output reshaped from (F, N, ...) to (N, F, ...) without moving the axes", "a product over all images "
             "at once is (F, N*L): reshape it to (F, N, out_H, out_W), then transpose(1, 0, 2, 3)",
             out.transpose(1, 0, 2, 3).reshape(out.shape) if N > 1 else None),
        ]
        if pad:
            one_side = np.pad(x, ((0, 0), (0, 0), (0, 2 * pad), (0, 2 * pad)))
            found += [
                ("the padding forgotten", "zero-pad x by pad on every side first: np.pad(x, ((0, 0), (0, 0), "
                 "(pad, pad), (pad, pad)))", _attempt(lambda: _conv(x, w, b, stride, 0))),
                ("the padding applied on one side only (2*pad after the image)", "pad rows and columns before and "
                 "after: np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))", _conv(one_side, w, b, stride, 0)),
                ("the padding applied on one side only (pad before the image, none after)", "np.pad(x, ((0, 0), "
                 "(0, 0), (pad, pad), (pad, pad))) pads both sides",
                 _attempt(lambda: _conv(np.pad(x, ((0, 0), (0, 0), (pad, 0), (pad, 0))), w, b, stride, 0))),
            ]
        return _variants(found)


@register
class Conv2dBackward(_Conv, LayerBackwardCheck):
    exercise_id = "cnn.conv2d_backward"
    functions = ("conv2d_forward", "conv2d_backward")
    backward = "conv2d_backward"
    grads = ("dx", "dw", "db")
    uses = ("cnn.conv2d_forward", "cnn.col2im")

    def backward_mistakes(self, inputs, dout, expected):
        x, w, b, stride, pad = inputs["x"], inputs["w"], inputs["b"], inputs["stride"], inputs["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        _, _, out_H, out_W = dout.shape
        K, L = C * HH * WW, out_H * out_W
        cols = reference.im2col(x, HH, WW, stride, pad)  # (N, K, L)
        dout_rows = dout.reshape(N, F, L)
        dcols = w.reshape(F, K).T @ dout_rows  # (K, F) @ (N, F, L) -> (N, K, L)
        dw_rows = (dout_rows @ cols.transpose(0, 2, 1)).sum(axis=0)  # (F, K)
        _, flipped_cache = reference.conv2d_forward(x, w[:, :, ::-1, ::-1].copy(), b, stride, pad)
        dx_unflipped = reference.conv2d_backward(dout, flipped_cache)[0]
        overlap = HH > stride or WW > stride
        padded_shape = (N, C, H + 2 * pad, W + 2 * pad)
        dx_padded = reference.col2im(dcols, padded_shape, HH, WW, stride, 0)  # (N, C, H + 2 pad, W + 2 pad)
        found = [
            ("dx from a full correlation with the kernel unflipped", "dx is the full convolution of dout with the "
             "kernel flipped (rotated 180 degrees); with im2col: dcols = w_rows.T @ dout_rows, then col2im",
             {"dx": dx_unflipped}),
            ("dw flipped (rotated 180 degrees)", "dw[f, c, i, j] = sum over n, r, s of dout[n, f, r, s] * "
             "x_padded[n, c, r*stride + i, s*stride + j]", {"dw": expected["dw"][:, :, ::-1, ::-1]}),
            ("db averaged over the batch (divided by N)", "db = dout.sum(axis=(0, 2, 3)): layers sum over the "
             "batch, only the loss divides by N", {"db": expected["db"] / N}),
            ("db averaged (a mean over the batch and the positions)", "db = dout.sum(axis=(0, 2, 3)): every "
             "output position adds its gradient to the bias", {"db": dout.mean(axis=(0, 2, 3))}),
            ("db summed over the batch only, not the output positions", "db = dout.sum(axis=(0, 2, 3)), shape (F,)",
             {"db": dout.sum(axis=0)}),
            ("db summed over the output positions only, not the batch", "db = dout.sum(axis=(0, 2, 3)), shape (F,)",
             {"db": dout.sum(axis=(2, 3))}),
            ("the gradients averaged over the batch (divided by N)", "layers never divide by N; the 1/N is already "
             "in dout", {name: value / N for name, value in expected.items()}),
            ("dw from the last image only (dw = where dw += belongs)", "the filters are shared by every image: "
             "add each image's dw, dw += ... (or .sum(axis=0) over the batch)",
             {"dw": (dout_rows[-1] @ cols[-1].T).reshape(w.shape)} if N > 1 else {}),
            ("dw kept per image, not summed over the batch", "sum the images' contributions: "
             "(dout_rows @ cols.transpose(0, 2, 1)).sum(axis=0), then reshape to (F, C, HH, WW)",
             {"dw": (dout_rows @ cols.transpose(0, 2, 1)).reshape(N, F, C, HH, WW)}),
            ("dw from the transposed product (K, F) reshaped as if it were (F, K)", "dw_rows = dout_rows @ "
             "cols.transpose(0, 2, 1) summed over the batch is (F, K): reshape that to (F, C, HH, WW), not cols @ "
             "dout.T", {"dw": np.ascontiguousarray(dw_rows.T).reshape(w.shape)}),
            ("dcols from the transposed product (N, L, K) reshaped as if it were (N, K, L)", "dcols = w_rows.T @ "
             "dout_rows has shape (N, K, L), the layout col2im expects",
             {"dx": reference.col2im(np.ascontiguousarray(dcols.transpose(0, 2, 1)).reshape(N, K, L), x.shape,
                                     HH, WW, stride, pad)}),
            ("the stride ignored in the backward (windows put back 1 pixel apart)", "window (r, s) of dout sits at "
             "(r*stride, s*stride) of the padded input, in dx as in dw (col2im with the stride)",
             {"dx": _put_back(dcols.reshape(N, C, HH, WW, out_H, out_W), x.shape, pad, step=1),
              "dw": _dw_at_stride_one(x, dout, HH, WW, pad)} if stride > 1 else {}),
            ("overlapping windows overwritten in dx instead of added", "where windows overlap a pixel collects the "
             "gradient of every window it lies in: dx_padded[..., window] += ...",
             {"dx": _col2im_overwritten(dcols, x.shape, HH, WW, stride, pad, True)} if overlap else {}),
        ]
        if pad:
            found += [("dx returned with the padding still on", "crop it: dx_padded[:, :, pad:pad + H, pad:pad + W], "
                       "shape (N, C, H, W) like x", {"dx": dx_padded}),
                      ("dx cropped from one side only (dx_padded[:, :, :H, :W])", "crop pad on every side: "
                       "dx_padded[:, :, pad:pad + H, pad:pad + W]", {"dx": dx_padded[:, :, :H, :W]})]
        return _grads_variants(found)


def _dw_at_stride_one(x, dout, HH, WW, pad):
    """dw from windows taken 1 pixel apart, as a backward that forgot the stride computes it."""
    _, _, out_H, out_W = dout.shape
    windows = np.lib.stride_tricks.sliding_window_view(_padded(x, pad), (HH, WW), axis=(2, 3))
    windows = windows[:, :, :out_H, :out_W]  # (N, C, out_H, out_W, HH, WW)
    return np.einsum("nfrs,ncrsij->fcij", dout, windows)


# -- max pooling ------------------------------------------------------------------------------------
class _Maxpool:
    reference = reference
    forward = "maxpool2d_forward"
    visible = (
        CaseSpec(0, N=2, C=3, H=6, W=8, pool=2, stride=2, note="3 channels, H != W, windows that do not overlap"),
        CaseSpec(1, N=2, C=2, H=7, W=6, pool=3, stride=2,
                 note="windows overlap (pool 3, stride 2), W - pool not a multiple of the stride"),
        CaseSpec(2, N=2, C=2, H=4, W=6, pool=2, stride=2, ties=True,
                 note="ties in windows (integer values), windows that do not overlap"),
        CaseSpec(3, N=2, C=3, H=7, W=8, pool=3, stride=2, ties=True, note="ties in windows, windows overlap"),
        CaseSpec(4, N=1, C=2, H=5, W=7, pool=2, stride=1, dtype=np.float32,
                 note="a batch of 1, float32, pool 2, stride 1: windows overlap"),
        CaseSpec(5, N=2, C=2, H=8, W=7, pool=2, stride=3, note="pool 2, stride 3: gaps between windows"),
    )
    hidden = (
        CaseSpec(100, N=3, C=2, H=8, W=6, pool=2, stride=2, note="2 channels, H != W, windows that do not overlap"),
        CaseSpec(101, N=2, C=3, H=9, W=8, pool=3, stride=2,
                 note="windows overlap (pool 3, stride 2), W - pool not a multiple of the stride"),
        CaseSpec(102, N=3, C=2, H=6, W=4, pool=2, stride=2, ties=True,
                 note="ties in windows (integer values), windows that do not overlap"),
        CaseSpec(103, N=2, C=2, H=8, W=7, pool=3, stride=2, ties=True, note="ties in windows, windows overlap"),
        CaseSpec(104, N=1, C=3, H=6, W=5, pool=2, stride=1, dtype=np.float32,
                 note="a batch of 1, float32, pool 2, stride 1: windows overlap"),
        CaseSpec(105, N=2, C=3, H=7, W=9, pool=2, stride=3, note="pool 2, stride 3: gaps between windows"),
    )

    def draw(self, rng, spec):
        s = spec.sizes
        shape = (s["N"], s["C"], s["H"], s["W"])
        # Integer values from a small range put several equal maxima in many windows.
        x = rng.integers(-2, 3, size=shape) if s.get("ties") else rng.standard_normal(shape)
        return {"x": x.astype(spec.dtype), "pool": int(s["pool"]), "stride": int(s["stride"])}


def _maxpool(x, pool, stride):
    return reference.maxpool2d_forward(x, pool, stride)[0]


@register
class Maxpool2dForward(_Maxpool, LayerForwardCheck):
    exercise_id = "cnn.maxpool2d_forward"
    functions = ("maxpool2d_forward",)
    uses = ("cnn.im2col",)  # the lesson builds pooling on im2col: each channel's windows as columns

    def forward_mistakes(self, inputs):
        x, pool, stride = inputs["x"], inputs["pool"], inputs["stride"]
        out = _maxpool(x, pool, stride)  # (N, C, out_H, out_W)
        windows = np.lib.stride_tricks.sliding_window_view(x, (pool, pool), axis=(2, 3))[:, :, ::stride, ::stride]
        found = [
            ("average pooling instead of max pooling", "take each window's maximum: windows.max(axis=(-2, -1))",
             windows.mean(axis=(-2, -1))),
            ("the output size off by one (the 1 + missing)", "out_H = 1 + (H - pool) // stride, and likewise out_W",
             out[:, :, :-1, :-1]),
            ("the stride taken to be the pool size (windows that never overlap nor leave gaps)", "window (r, s) "
             "starts at (r*stride, s*stride); out_H = 1 + (H - pool) // stride",
             _attempt(lambda: _maxpool(x, pool, pool)) if stride != pool else None),
            ("pool and stride swapped", "maxpool2d_forward(x, pool, stride): pool is the window's size, stride the "
             "step between windows", _attempt(lambda: _maxpool(x, stride, pool)) if stride != pool else None),
        ]
        return _variants(found)


def _pool_windows(x, pool, stride):
    N, C, H, W = x.shape
    return _windows_top_left(1 + (H - pool) // stride, 1 + (W - pool) // stride, stride)


def _first_max_mask(window):
    """(N, C, pool, pool) -> a one-hot mask of each window's first maximum in row-major order."""
    N, C, pool, _ = window.shape
    first = window.reshape(N, C, -1).argmax(axis=2)  # np.argmax keeps the first of equal maxima
    return (np.arange(pool * pool) == first[..., None]).reshape(window.shape)


def _last_max_mask(window):
    flipped = window[:, :, ::-1, ::-1]
    return _first_max_mask(flipped)[:, :, ::-1, ::-1]


def _every_max_mask(window):
    return window == window.max(axis=(2, 3), keepdims=True)


def _routed(x, pool, stride, dout, mask_of, times_dout=True):
    """maxpool2d's backward with each window's gradient spread by mask_of(window) (N, C, pool, pool)."""
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for r, s, top, left in _pool_windows(x, pool, stride):
        share = mask_of(x[:, :, top:top + pool, left:left + pool]).astype(dout.dtype)
        if times_dout:
            share = share * dout[:, :, r, s][:, :, None, None]
        dx[:, :, top:top + pool, left:left + pool] += share
    return dx


def _switches(x, pool, stride):
    """A boolean mask (N, C, H, W) of every pixel that is some window's first maximum."""
    mask = np.zeros(x.shape, dtype=bool)
    for _, _, top, left in _pool_windows(x, pool, stride):
        mask[:, :, top:top + pool, left:left + pool] |= _first_max_mask(x[:, :, top:top + pool, left:left + pool])
    return mask


def _assigned(x, pool, stride, dout, whole_window):
    """maxpool2d's backward that assigns where it should add: into the maximum alone (a fancy-index += with
    repeated positions keeps one window's gradient), or into the whole window's slice."""
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for r, s, top, left in _pool_windows(x, pool, stride):
        region = dx[:, :, top:top + pool, left:left + pool]  # a view into dx
        mask = _first_max_mask(x[:, :, top:top + pool, left:left + pool])
        share = mask * dout[:, :, r, s][:, :, None, None]
        if whole_window:
            region[...] = share
        else:
            region[mask] = share[mask]
    return dx


@register
class Maxpool2dBackward(_Maxpool, LayerBackwardCheck):
    exercise_id = "cnn.maxpool2d_backward"
    functions = ("maxpool2d_forward", "maxpool2d_backward")
    backward = "maxpool2d_backward"
    grads = ("dx",)
    uses = ("cnn.maxpool2d_forward", "cnn.col2im")

    @property
    def parts(self):
        return {"dx": 2}

    def backward_mistakes(self, inputs, dout, expected):
        x, pool, stride = inputs["x"], inputs["pool"], inputs["stride"]
        overlap = pool > stride
        found = [
            ("the gradient sent to every tied maximum of a window", "ties: only the window's FIRST maximum in "
             "row-major order gets the gradient (np.argmax over the flattened window finds it), as torch does",
             {"dx": _routed(x, pool, stride, dout, _every_max_mask)}),
            ("the gradient sent to the last of tied maxima", "ties: the FIRST maximum in row-major order gets the "
             "gradient; a later one takes over only when strictly greater (np.argmax keeps the first)",
             {"dx": _routed(x, pool, stride, dout, _last_max_mask)}),
            ("the gradient spread evenly over the window (average pooling's gradient)", "max pooling sends each "
             "window's gradient to its maximum alone: dout * (one-hot mask of the first maximum)",
             {"dx": _routed(x, pool, stride, dout, lambda window: np.full(window.shape, 1.0 / pool**2))}),
            ("the mask returned without dout", "multiply the switch mask by the window's upstream gradient",
             {"dx": _routed(x, pool, stride, dout, _first_max_mask, times_dout=False)}),
            ("the stride taken to be the pool size in the backward", "window (r, s) starts at (r*stride, s*stride)",
             {"dx": _attempt(lambda: _routed(x, pool, pool, dout, _first_max_mask))} if pool != stride else {}),
        ]
        if overlap:
            found += [
                ("one switch mask for all windows (a pixel that is any window's maximum takes the gradient of every "
                 "window it lies in)", "find each window's own maximum: where windows overlap, a window's switch is "
                 "its first maximum, not any pixel that is the maximum of some window",
                 {"dx": _shared_switch_gradient(x, pool, stride, dout, _switches(x, pool, stride))}),
                ("the gradients of windows sharing a maximum overwritten instead of added", "a pixel that is the "
                 "maximum of several windows collects all their gradients: dx[...] += ..., or np.add.at (a fancy-index "
                 "+= with repeated positions keeps only one)", {"dx": _assigned(x, pool, stride, dout, False)}),
                ("each window's slice of dx assigned instead of added", "windows overlap: dx[..., window] += "
                 "mask * dout, not =", {"dx": _assigned(x, pool, stride, dout, True)}),
            ]
        return _grads_variants(found)


def _shared_switch_gradient(x, pool, stride, dout, switches):
    dx = np.zeros(x.shape, dtype=dout.dtype)
    for r, s, top, left in _pool_windows(x, pool, stride):
        dx[:, :, top:top + pool, left:left + pool] += (switches[:, :, top:top + pool, left:left + pool]
                                                       * dout[:, :, r, s][:, :, None, None])
    return dx


# -- flatten ----------------------------------------------------------------------------------------
class _Flatten:
    reference = reference
    forward = "flatten_forward"
    visible = (
        CaseSpec(0, shape=(2, 3, 4, 5), note="4-D, 3 channels"),
        CaseSpec(1, shape=(3, 4, 2), note="3-D"),
        CaseSpec(2, shape=(1, 2, 3, 4), note="a batch of 1"),
        CaseSpec(3, shape=(4, 2, 3, 3), dtype=np.float32, note="float32"),
        CaseSpec(4, shape=(3, 5), note="2-D, already flat"),
    )
    hidden = (
        CaseSpec(100, shape=(3, 2, 5, 4), note="4-D, 2 channels"),
        CaseSpec(101, shape=(2, 5, 3), note="3-D"),
        CaseSpec(102, shape=(1, 3, 2, 2), note="a batch of 1"),
        CaseSpec(103, shape=(2, 3, 2, 4), dtype=np.float32, note="float32"),
        CaseSpec(104, shape=(4, 6), note="2-D, already flat"),
    )

    def draw(self, rng, spec):
        return {"x": rng.standard_normal(spec.sizes["shape"]).astype(spec.dtype)}


@register
class FlattenForward(_Flatten, LayerForwardCheck):
    exercise_id = "cnn.flatten_forward"
    functions = ("flatten_forward",)

    def forward_mistakes(self, inputs):
        x = inputs["x"]
        N = x.shape[0]
        return _variants([
            ("flattened in Fortran (column-major) order", "use NumPy's default C order: x.reshape(N, -1)",
             x.reshape(N, -1, order="F")),
            ("flattened channels-last (the channel axis moved last first)", "keep the axes in order: x.reshape(N, -1)",
             np.moveaxis(x, 1, -1).reshape(N, -1)),
            ("the batch axis flattened too", "keep one row per example: x.reshape(x.shape[0], -1), shape (N, D)",
             x.reshape(-1)),
            ("reshaped to (D, N) and transposed", "reshape to (N, D) directly: x.reshape(N, -1)",
             x.reshape(-1, N).T),
        ])


@register
class FlattenBackward(_Flatten, LayerBackwardCheck):
    exercise_id = "cnn.flatten_backward"
    functions = ("flatten_forward", "flatten_backward")
    backward = "flatten_backward"
    grads = ("dx",)

    def backward_mistakes(self, inputs, dout, expected):
        x = inputs["x"]
        N = x.shape[0]
        channels_last = (N,) + x.shape[2:] + x.shape[1:2]
        return _grads_variants([
            ("the flat gradient returned", "reshape dout back to the forward's input shape: dout.reshape(x_shape)",
             {"dx": dout}),
            ("reshaped back in Fortran (column-major) order", "the forward flattened in C order, so reshape back in "
             "C order: dout.reshape(x_shape)", {"dx": dout.reshape(x.shape, order="F")}),
            ("reshaped back channels-last", "undo the forward exactly: dout.reshape(x_shape)",
             {"dx": np.moveaxis(dout.reshape(channels_last), -1, 1)}),
            ("transposed to (D, N) and reshaped", "reshape dout (N, D) directly: dout.reshape(x_shape)",
             {"dx": dout.T.reshape(x.shape)}),
        ])
