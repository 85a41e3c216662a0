"""Plain numpy executor of a .dnm graph: FORMAT.md's op semantics made runnable.

Slow and simple on purpose. It exists so the spec is checked against the TFLite
interpreter before any C is written (tests/models/test_dnm_ref.py), and so a
parity tool has a third opinion when the C executor and TFLite disagree.
"""
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnm  # noqa: E402


def _act(x, code):
    if code == dnm.ACT_RELU:
        return np.maximum(x, 0)
    if code == dnm.ACT_RELU6:
        return np.clip(x, 0, 6)
    return x


def _taps(x, o, oh, ow, fill):
    """Yield (ky, kx, window) with window[n, y, x, c] = padded input under tap (ky, kx)."""
    x = np.pad(x, ((0, 0), (o[dnm.O_PAD_T], o[dnm.O_PAD_B]), (o[dnm.O_PAD_L], o[dnm.O_PAD_R]),
                   (0, 0)), constant_values=fill)
    sh, sw, dh, dw = o[dnm.O_STRIDE_H], o[dnm.O_STRIDE_W], o[dnm.O_DIL_H], o[dnm.O_DIL_W]
    for ky in range(o[dnm.O_KH]):
        for kx in range(o[dnm.O_KW]):
            y0, x0 = ky * dh, kx * dw
            yield ky, kx, x[:, y0:y0 + sh * (oh - 1) + 1:sh, x0:x0 + sw * (ow - 1) + 1:sw, :]


def _window(op, args, out_shape):
    x, o, oh, ow = args[0], op.opts, out_shape[1], out_shape[2]
    if op.code == dnm.OPS["MAX_POOL_2D"]:
        # TFLite's pool skips padded pixels; -inf padding is the same for max.
        y = np.full((x.shape[0], oh, ow, x.shape[3]), -np.inf, np.float32)
        for _, _, win in _taps(x, o, oh, ow, -np.inf):
            y = np.maximum(y, win)
        return y
    w, bias = args[1], args[2] if len(args) > 2 else None
    if op.code == dnm.OPS["DEPTHWISE_CONV_2D"]:
        # output channel c reads input channel c // depth_multiplier
        x = np.repeat(x, o[dnm.O_DEPTH_MULT], axis=3)
    y = np.zeros((x.shape[0], oh, ow, out_shape[3]), np.float32)
    for ky, kx, win in _taps(x, o, oh, ow, 0.0):
        if op.code == dnm.OPS["CONV_2D"]:
            y += win @ w[:, ky, kx, :].T          # weights OHWI
        else:
            y += win * w[0, ky, kx, :]            # weights 1HWC
    if bias is not None:
        y += bias
    return y


def _resize_bilinear(x, o):
    """TFLite reference_ops::ResizeBilinear (ComputeInterpolationValues)."""
    n, ih, iw, c = x.shape
    oh, ow = o[dnm.O_OUT_H], o[dnm.O_OUT_W]

    def axis(insz, outsz):
        if o[dnm.O_ALIGN] and outsz > 1:
            scale = (insz - 1) / (outsz - 1)
        else:
            scale = insz / outsz
        v = np.arange(outsz, dtype=np.float32)
        v = (v + 0.5) * np.float32(scale) - 0.5 if o[dnm.O_HALF] else v * np.float32(scale)
        lo = np.maximum(np.floor(v), 0).astype(int)
        hi = np.minimum(np.ceil(v), insz - 1).astype(int)
        return lo, hi, (v - lo).astype(np.float32)

    y0, y1, dy = axis(ih, oh)
    x0, x1, dx = axis(iw, ow)
    dy, dx = dy[None, :, None, None], dx[None, None, :, None]
    r0, r1 = x[:, y0], x[:, y1]
    return (r0[:, :, x0] * (1 - dy) * (1 - dx) + r1[:, :, x0] * dy * (1 - dx)
            + r0[:, :, x1] * (1 - dy) * dx + r1[:, :, x1] * dy * dx)


def run_op(m, op, args):
    """One op; args holds the value of each op input in order (None for an
    absent optional input), activations with batch N. Returns the output."""
    o, x = op.opts, args[0]
    out_shape = (x.shape[0],) + m.tensors[op.outputs[0]].shape[1:]
    name = op.name
    if op.code in dnm.WINDOW_OPS:
        y = _window(op, args, out_shape)
    elif name == "ADD":
        y = x + args[1]
    elif name == "PAD":
        y = np.pad(x, [(o[dnm.O_PADS + 2 * i], o[dnm.O_PADS + 2 * i + 1]) for i in range(4)])
    elif name == "RESHAPE":
        y = x.reshape(out_shape)
    elif name == "CONCATENATION":
        y = np.concatenate(args, axis=o[dnm.O_AXIS])
    elif name == "DEPTH_TO_SPACE":
        b = o[dnm.O_BLOCK]
        n, h, w, c = x.shape
        # output[n, h*b + i, w*b + j, k] = input[n, h, w, (i*b + j) * c/b^2 + k]
        y = x.reshape(n, h, w, b, b, c // (b * b)).transpose(0, 1, 3, 2, 4, 5)
        y = y.reshape(n, h * b, w * b, c // (b * b))
    elif name == "RESIZE_BILINEAR":
        y = _resize_bilinear(x, o)
    elif name == "LOGISTIC":
        y = np.exp(-np.logaddexp(0, -x))      # 1/(1+e^-x) without overflow warnings
    else:
        raise ValueError(f"dnm_ref: no implementation of {name}")
    y = _act(y.astype(np.float32), o[dnm.O_ACT])
    assert y.shape == out_shape, (name, y.shape, out_shape)
    return y


def args_of(m, op, activation):
    """Input values of op: constants from the file, activations via activation(index)."""
    return [None if t < 0 else m.tensors[t].data if m.tensors[t].kind == dnm.KIND_CONSTANT
            else activation(t) for t in op.inputs]


def run(m, inputs, keep_all=False):
    """Execute the graph on {input tensor index: array} (any batch size N).

    Returns {tensor index: array} for the graph outputs, or for every activation
    when keep_all (per-layer comparison).
    """
    vals = {i: np.asarray(v, np.float32) for i, v in inputs.items()}
    for op in m.ops:
        vals[op.outputs[0]] = run_op(m, op, args_of(m, op, vals.__getitem__))
    return vals if keep_all else {t: vals[t] for t in m.outputs}
