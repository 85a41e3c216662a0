"""dancer network model (.dnm): layout constants, a reader and a structural check.

This module is the single Python definition of the byte layout described in
models/FORMAT.md: the converter packs with these structs and every Python tool
(tests, parity scripts) reads through load(). Keep it in step with FORMAT.md.
"""
import hashlib
import struct
from dataclasses import dataclass, field

import numpy as np

MAGIC = b"DNMODEL\0"
VERSION = 1
ALIGN = 64          # every constant's data starts on a 64-byte boundary
MAX_RANK = 4
MAX_INPUTS = 8
MAX_OUTPUTS = 4
N_OPTS = 16

# Fixed-size little-endian records, so a C reader can check sizes and index
# arrays directly instead of parsing.
HEADER = struct.Struct("<8s6I8Q32s")        # 128 bytes
TENSOR = struct.Struct("<5I4iIQQQ")          # 64 bytes
OP = struct.Struct("<4I8i4i16i")             # 128 bytes
assert (HEADER.size, TENSOR.size, OP.size) == (128, 64, 128)

KIND_ACTIVATION = 0
KIND_CONSTANT = 1
DTYPE_FLOAT32 = 0   # same value as TFLite's TensorType.FLOAT32

# Op codes are TFLite's BuiltinOperator numbers so the spec can point at the
# TFLite kernel of the same number.
OPS = {
    "ADD": 0,
    "CONCATENATION": 2,
    "CONV_2D": 3,
    "DEPTHWISE_CONV_2D": 4,
    "DEPTH_TO_SPACE": 5,
    "LOGISTIC": 14,
    "MAX_POOL_2D": 17,
    "RESHAPE": 22,
    "RESIZE_BILINEAR": 23,
    "PAD": 34,
}
OP_NAMES = {v: k for k, v in OPS.items()}

# Fused activations keep TFLite's ActivationFunctionType numbers.
ACT_NONE, ACT_RELU, ACT_RELU6 = 0, 1, 3
ACTS = {ACT_NONE: "NONE", ACT_RELU: "RELU", ACT_RELU6: "RELU6"}

# Option slots of the window ops (CONV_2D, DEPTHWISE_CONV_2D, MAX_POOL_2D).
# Slot 0 is the fused activation for every op.
O_ACT = 0
O_PADDING, O_STRIDE_H, O_STRIDE_W, O_DIL_H, O_DIL_W = 1, 2, 3, 4, 5
O_KH, O_KW, O_PAD_T, O_PAD_B, O_PAD_L, O_PAD_R, O_DEPTH_MULT = 6, 7, 8, 9, 10, 11, 12
# Single-purpose slots of the other ops.
O_AXIS = 1                                        # CONCATENATION
O_BLOCK = 1                                       # DEPTH_TO_SPACE
O_PADS = 1                                        # PAD: slots 1..8
O_ALIGN, O_HALF, O_OUT_H, O_OUT_W = 1, 2, 3, 4    # RESIZE_BILINEAR
WINDOW_OPS = {OPS["CONV_2D"], OPS["DEPTHWISE_CONV_2D"], OPS["MAX_POOL_2D"]}


@dataclass
class Tensor:
    name: str
    kind: int
    shape: tuple
    data: np.ndarray = None      # float32, shape `shape`; constants only
    data_off: int = 0
    data_size: int = 0
    src_index: int = 0           # tensor index in the source .tflite subgraph


@dataclass
class Op:
    code: int
    inputs: list                 # tensor indices, -1 for an absent optional input
    outputs: list
    opts: list = field(default_factory=lambda: [0] * N_OPTS)
    src_index: int = 0           # operator index in the source .tflite subgraph

    @property
    def name(self):
        return OP_NAMES.get(self.code, f"op{self.code}")


@dataclass
class Model:
    version: int
    source_sha256: str
    tensors: list
    ops: list
    inputs: list
    outputs: list
    file_size: int

    def tensor(self, name):
        return next(t for t in self.tensors if t.name == name)

    def params(self):
        return sum(t.data.size for t in self.tensors if t.kind == KIND_CONSTANT)


class FormatError(ValueError):
    pass


def _check(cond, msg):
    if not cond:
        raise FormatError(msg)


def load(path):
    """Read a .dnm file fully; raises FormatError on any layout violation."""
    with open(path, "rb") as f:
        buf = f.read()
    _check(len(buf) >= HEADER.size, "file shorter than header")
    (magic, version, hsize, nt, nop, nin, nout, t_off, op_off, io_off, s_off, s_size,
     d_off, d_size, f_size, sha) = HEADER.unpack_from(buf, 0)
    _check(magic == MAGIC, f"bad magic {magic!r}")
    _check(version == VERSION, f"unsupported version {version}")
    _check(hsize == HEADER.size, f"bad header size {hsize}")
    _check(f_size == len(buf), f"file size {len(buf)} != header {f_size}")
    _check(t_off + nt * TENSOR.size <= len(buf) and op_off + nop * OP.size <= len(buf),
           "tables out of bounds")
    _check(io_off + 4 * (nin + nout) <= len(buf) and s_off + s_size <= len(buf),
           "io/string table out of bounds")
    _check(d_off % ALIGN == 0 and d_off + d_size <= len(buf), "bad data section")

    tensors = []
    for i in range(nt):
        (name_off, name_len, kind, dtype, rank, d0, d1, d2, d3, src, doff, dsize,
         _reserved) = TENSOR.unpack_from(buf, t_off + i * TENSOR.size)
        _check(name_off + name_len < s_size and buf[s_off + name_off + name_len] == 0,
               f"tensor {i}: bad name")
        name = buf[s_off + name_off:s_off + name_off + name_len].decode()
        _check(dtype == DTYPE_FLOAT32, f"tensor {i}: dtype {dtype}")
        _check(1 <= rank <= MAX_RANK, f"tensor {i}: rank {rank}")
        shape = (d0, d1, d2, d3)[:rank]
        _check(all(d > 0 for d in shape), f"tensor {i}: shape {shape}")
        t = Tensor(name, kind, shape, data_off=doff, data_size=dsize, src_index=src)
        if kind == KIND_CONSTANT:
            _check(doff % ALIGN == 0 and d_off <= doff and doff + dsize <= d_off + d_size,
                   f"tensor {i}: data out of section or misaligned")
            _check(dsize == 4 * int(np.prod(shape)), f"tensor {i}: data size {dsize}")
            t.data = np.frombuffer(buf, "<f4", int(np.prod(shape)), doff).reshape(shape)
        else:
            _check(kind == KIND_ACTIVATION and doff == 0 and dsize == 0,
                   f"tensor {i}: kind {kind}")
        tensors.append(t)

    ops = []
    for i in range(nop):
        rec = OP.unpack_from(buf, op_off + i * OP.size)
        code, n_in, n_out, src = rec[0:4]
        _check(n_in <= MAX_INPUTS and 1 <= n_out <= MAX_OUTPUTS, f"op {i}: io counts")
        ins, outs = list(rec[4:12]), list(rec[12:16])
        _check(all(x == -1 for x in ins[n_in:] + outs[n_out:]), f"op {i}: unused slots not -1")
        ops.append(Op(code, ins[:n_in], outs[:n_out], list(rec[16:32]), src))

    io = struct.unpack_from(f"<{nin + nout}I", buf, io_off)
    return Model(version, sha.hex(), tensors, ops, list(io[:nin]), list(io[nin:]), len(buf))


def _window_out(size, k, stride, dil, pad_before, pad_after):
    return (size + pad_before + pad_after - ((k - 1) * dil + 1)) // stride + 1


def infer_shape(m, op):
    """Output shape implied by an op's inputs and options (batch as stored).

    Independent of the converter's own bookkeeping, so verify() catches a
    converter that writes options inconsistent with the recorded shapes.
    """
    o, x = op.opts, m.tensors[op.inputs[0]].shape
    if op.code in WINDOW_OPS:
        oh = _window_out(x[1], o[O_KH], o[O_STRIDE_H], o[O_DIL_H], o[O_PAD_T], o[O_PAD_B])
        ow = _window_out(x[2], o[O_KW], o[O_STRIDE_W], o[O_DIL_W], o[O_PAD_L], o[O_PAD_R])
        if op.code == OPS["CONV_2D"]:
            c = m.tensors[op.inputs[1]].shape[0]
        elif op.code == OPS["DEPTHWISE_CONV_2D"]:
            c = x[3] * o[O_DEPTH_MULT]
        else:
            c = x[3]
        return (x[0], oh, ow, c)
    if op.code == OPS["PAD"]:
        return tuple(d + o[O_PADS + 2 * i] + o[O_PADS + 2 * i + 1] for i, d in enumerate(x))
    if op.code == OPS["RESIZE_BILINEAR"]:
        return (x[0], o[O_OUT_H], o[O_OUT_W], x[3])
    if op.code == OPS["DEPTH_TO_SPACE"]:
        b = o[O_BLOCK]
        return (x[0], x[1] * b, x[2] * b, x[3] // (b * b))
    if op.code == OPS["CONCATENATION"]:
        ax = o[O_AXIS]
        return x[:ax] + (sum(m.tensors[i].shape[ax] for i in op.inputs),) + x[ax + 1:]
    if op.code == OPS["RESHAPE"]:
        return m.tensors[op.outputs[0]].shape   # checked by element count below
    return x                                    # ADD, LOGISTIC


def verify(m):
    """Structural checks a loader relies on; raises FormatError on the first failure."""
    nt = len(m.tensors)
    produced = set(m.inputs)
    for t in m.inputs:
        _check(m.tensors[t].kind == KIND_ACTIVATION, f"graph input {t} is not an activation")
    for i, op in enumerate(m.ops):
        _check(op.code in OP_NAMES, f"op {i}: unknown code {op.code}")
        _check(op.opts[O_ACT] in ACTS, f"op {i}: activation {op.opts[O_ACT]}")
        for t in op.inputs:
            if t == -1:
                continue   # only the optional conv bias may be absent
            _check(0 <= t < nt, f"op {i}: input {t} out of range")
            _check(m.tensors[t].kind == KIND_CONSTANT or t in produced,
                   f"op {i} ({op.name}): input {t} used before it is produced")
        for t in op.outputs:
            _check(0 <= t < nt and m.tensors[t].kind == KIND_ACTIVATION and t not in produced,
                   f"op {i}: output {t} is not a fresh activation")
            produced.add(t)
        out = m.tensors[op.outputs[0]].shape
        _check(infer_shape(m, op) == out,
               f"op {i} ({op.name}): options imply {infer_shape(m, op)}, tensor says {out}")
        if op.code == OPS["RESHAPE"]:
            _check(np.prod(out) == np.prod(m.tensors[op.inputs[0]].shape),
                   f"op {i}: reshape changes element count")
        # Batch folding (the executor scales dim 0) is only sound if dim 0 is the
        # batch and no op moves data across it.
        _check(m.tensors[op.inputs[0]].shape[0] == 1 and out[0] == 1, f"op {i}: batch dim != 1")
        _check(op.code != OPS["CONCATENATION"] or 0 < op.opts[O_AXIS] < len(out),
               f"op {i}: concatenation axis {op.opts[O_AXIS]}")
        _check(op.code != OPS["PAD"] or op.opts[O_PADS] == op.opts[O_PADS + 1] == 0,
               f"op {i}: PAD pads the batch dim")
    for t in m.outputs:
        _check(t in produced, f"graph output {t} never produced")
    return True


def describe(m, op):
    """Short text of the options that matter for an op, for summaries and tests."""
    o = op.opts
    act = ACTS.get(o[O_ACT], o[O_ACT])
    if op.code in WINDOW_OPS:
        pad = "SAME" if o[O_PADDING] == 0 else "VALID"
        dil = f" d{o[O_DIL_H]}x{o[O_DIL_W]}" if (o[O_DIL_H], o[O_DIL_W]) != (1, 1) else ""
        return (f"k{o[O_KH]}x{o[O_KW]} s{o[O_STRIDE_H]}x{o[O_STRIDE_W]}{dil} {pad} "
                f"pads(t,b,l,r)={tuple(o[O_PAD_T:O_PAD_R + 1])} act={act}"
                + (f" mult={o[O_DEPTH_MULT]}" if op.code == OPS["DEPTHWISE_CONV_2D"] else ""))
    if op.code == OPS["PAD"]:
        return f"pads={[tuple(o[O_PADS + 2 * i:O_PADS + 2 * i + 2]) for i in range(4)]}"
    if op.code == OPS["RESIZE_BILINEAR"]:
        return (f"align_corners={o[O_ALIGN]} half_pixel_centers={o[O_HALF]} "
                f"scale={m.tensors[op.inputs[0]].shape[1]}->{o[O_OUT_H]}")
    if op.code == OPS["DEPTH_TO_SPACE"]:
        return f"block={o[O_BLOCK]}"
    if op.code == OPS["CONCATENATION"]:
        return f"axis={o[O_AXIS]} inputs={len(op.inputs)} act={act}"
    if op.code == OPS["RESHAPE"]:
        return f"{list(m.tensors[op.inputs[0]].shape)}->{list(m.tensors[op.outputs[0]].shape)}"
    return f"act={act}" if op.code == OPS["ADD"] else "-"


def option_sets(m):
    """{op name: {description: count}} over the whole graph."""
    out = {}
    for op in m.ops:
        d = out.setdefault(op.name, {})
        key = describe(m, op)
        d[key] = d.get(key, 0) + 1
    return out


def stats(m):
    """Parameter count and multiply-accumulates per inference (batch 1).

    MACs count CONV_2D and DEPTHWISE_CONV_2D only (out elements x taps); the
    other ops are elementwise or copies and matter for bandwidth, not compute.
    """
    macs = {"CONV_2D": 0, "DEPTHWISE_CONV_2D": 0}
    for op in m.ops:
        if op.name in macs:
            out = int(np.prod(m.tensors[op.outputs[0]].shape))
            w = m.tensors[op.inputs[1]].shape
            taps = w[1] * w[2] * (w[3] if op.name == "CONV_2D" else 1)
            macs[op.name] += out * taps
    return {"params": m.params(), "macs": sum(macs.values()), "macs_by_op": macs}


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
