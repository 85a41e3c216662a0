#!/usr/bin/env python3
"""Convert a MediaPipe pose .tflite into dancer's .dnm format (models/FORMAT.md).

    convert.py IN.tflite OUT.dnm     convert (writes OUT atomically)
    convert.py --summary IN.tflite   print op set, options seen, params and MACs

The C executor should only ever see float32 activations and float32 constants,
so everything TFLite computes from constants (DENSIFY of sparse weights,
DEQUANTIZE of float16 weights) is evaluated here, and integer parameter tensors
(PAD paddings, RESHAPE shape, RESIZE size) become op options.
"""
import argparse
import collections
import os
import struct
import sys

import numpy as np
import tflite

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dnm  # noqa: E402

TFL_OP_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
TFL_DTYPES = {0: "<f4", 1: "<f2", 2: "<i4"}   # FLOAT32, FLOAT16, INT32: all the pinned files use
TFL_SAME, TFL_VALID = 0, 1
FOLDED = ("DEQUANTIZE", "DENSIFY")


class ConvertError(Exception):
    pass


# ---------------------------------------------------------------- reading

def _options(op, cls):
    tab = op.BuiltinOptions()
    if tab is None:
        return None
    o = cls()
    o.Init(tab.Bytes, tab.Pos)
    return o


def _index_vector(dm, which):
    """A DimensionMetadata segments/indices union as a numpy array."""
    kind = getattr(dm, which + "Type")()
    cls = {1: tflite.Int32Vector, 2: tflite.Uint16Vector, 3: tflite.Uint8Vector}[kind]
    tab = getattr(dm, which)()
    v = cls()
    v.Init(tab.Bytes, tab.Pos)
    return v.ValuesAsNumpy().astype(np.int64)


def _read_sparsity(sp):
    dims = []
    for i in range(sp.DimMetadataLength()):
        dm = sp.DimMetadata(i)
        if dm.Format() == 0:                     # DENSE
            dims.append(("dense", dm.DenseSize()))
        else:                                    # SPARSE_CSR
            dims.append(("csr", _index_vector(dm, "ArraySegments"),
                         _index_vector(dm, "ArrayIndices")))
    order = list(sp.TraversalOrderAsNumpy())
    block_map = list(sp.BlockMapAsNumpy()) if sp.BlockMapLength() else []
    return order, block_map, dims


def read_tflite(path):
    """Parse the one subgraph into plain dicts: tensors (with constant data) and ops."""
    buf = open(path, "rb").read()
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise ConvertError(f"{path}: {model.SubgraphsLength()} subgraphs, expected 1")
    g = model.Subgraphs(0)
    tensors = []
    for i in range(g.TensorsLength()):
        t = g.Tensors(i)
        b = model.Buffers(t.Buffer())
        raw = None
        if b.Offset() > 1:                       # large-model layout: data after the flatbuffer
            raw = buf[b.Offset():b.Offset() + b.Size()]
        elif b.DataLength():
            raw = b.DataAsNumpy().tobytes()
        data = None
        if raw is not None:
            if t.Type() not in TFL_DTYPES:
                raise ConvertError(f"tensor {i} {t.Name()!r}: constant of type {t.Type()}")
            data = np.frombuffer(raw, TFL_DTYPES[t.Type()])
        q = t.Quantization()
        if q is not None and q.ScaleLength():
            raise ConvertError(f"tensor {i} {t.Name()!r}: quantized tensors are not supported")
        tensors.append({
            "name": t.Name().decode(),
            "type": t.Type(),
            "shape": tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else (),
            "data": data,
            "sparsity": _read_sparsity(t.Sparsity()) if t.Sparsity() is not None else None,
        })
        if data is not None and tensors[-1]["sparsity"] is None:
            tensors[-1]["data"] = data.reshape(tensors[-1]["shape"])
    ops = []
    for i in range(g.OperatorsLength()):
        op = g.Operators(i)
        oc = model.OperatorCodes(op.OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        if code == tflite.BuiltinOperator.CUSTOM:
            raise ConvertError(f"op {i}: custom op {oc.CustomCode()!r} is not supported")
        ops.append({
            "index": i,
            "name": TFL_OP_NAMES.get(code, f"builtin{code}"),
            "inputs": [int(x) for x in op.InputsAsNumpy()] if op.InputsLength() else [],
            "outputs": [int(x) for x in op.OutputsAsNumpy()],
            "raw": op,
        })
    return {"tensors": tensors, "ops": ops,
            "inputs": [int(x) for x in g.InputsAsNumpy()],
            "outputs": [int(x) for x in g.OutputsAsNumpy()]}


# ---------------------------------------------------------------- folding

def densify(values, shape, sparsity):
    """TFLite's sparse -> dense conversion (tensorflow/lite/kernels/internal/utils/
    sparsity_format_converter.cc): walk the dims in traversal order; a dense dim
    enumerates its size, a CSR dim its stored indices; block dims (block_map)
    expand a block-count dim into count*block_size."""
    order, block_map, dims = sparsity
    n = len(shape)
    out = np.zeros(shape, values.dtype)
    coord = [0] * len(order)
    block_size = {n + j: dims[order.index(n + j)][1] for j in range(len(block_map))}

    def walk(level, pos):
        if level == len(order):
            idx = list(coord[:n])
            for j, d in enumerate(block_map):
                idx[d] = idx[d] * block_size[n + j] + coord[n + j]
            out[tuple(idx)] = values[pos]
            return
        dm = dims[level]
        if dm[0] == "dense":
            for k in range(dm[1]):
                coord[order[level]] = k
                walk(level + 1, pos * dm[1] + k)
        else:
            seg, ind = dm[1], dm[2]
            for k in range(seg[pos], seg[pos + 1]):
                coord[order[level]] = ind[k]
                walk(level + 1, k)

    walk(0, 0)
    return out


def fold_constants(g):
    """Evaluate DENSIFY and DEQUANTIZE on constants; return the ops that remain."""
    kept = []
    for op in g["ops"]:
        if op["name"] not in FOLDED:
            kept.append(op)
            continue
        src, dst = g["tensors"][op["inputs"][0]], g["tensors"][op["outputs"][0]]
        if src["data"] is None:
            raise ConvertError(f"op {op['index']} {op['name']}: input is not constant")
        if op["name"] == "DENSIFY":
            if src["sparsity"] is None:
                raise ConvertError(f"op {op['index']}: DENSIFY of a dense tensor")
            dst["data"] = densify(src["data"], src["shape"], src["sparsity"])
        else:
            if src["sparsity"] is not None or src["type"] != 1:
                raise ConvertError(f"op {op['index']}: DEQUANTIZE only from dense float16")
            # float16 -> float32 is exact, the same widening the TFLite kernel does.
            dst["data"] = src["data"].astype(np.float32)
    return kept


# ---------------------------------------------------------------- lowering

def _same_pads(size, k, stride, dil):
    """TFLite ComputePaddingWithOffset: the odd pixel goes after (bottom/right)."""
    eff = (k - 1) * dil + 1
    out = (size + stride - 1) // stride
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def _act(op, value):
    if value not in dnm.ACTS:
        raise ConvertError(f"op {op['index']} {op['name']}: fused activation {value}")
    return value


def _window(op, x_shape, padding, sh, sw, dh, dw, kh, kw, act):
    o = [0] * dnm.N_OPTS
    o[dnm.O_ACT] = _act(op, act)
    o[dnm.O_PADDING], o[dnm.O_STRIDE_H], o[dnm.O_STRIDE_W] = padding, sh, sw
    o[dnm.O_DIL_H], o[dnm.O_DIL_W], o[dnm.O_KH], o[dnm.O_KW] = dh, dw, kh, kw
    if padding == TFL_SAME:
        o[dnm.O_PAD_T], o[dnm.O_PAD_B] = _same_pads(x_shape[1], kh, sh, dh)
        o[dnm.O_PAD_L], o[dnm.O_PAD_R] = _same_pads(x_shape[2], kw, sw, dw)
    elif padding != TFL_VALID:
        raise ConvertError(f"op {op['index']}: padding {padding}")
    return o


def _const_ints(g, op, slot):
    t = g["tensors"][op["inputs"][slot]]
    if t["data"] is None or t["type"] != 2:
        raise ConvertError(f"op {op['index']} {op['name']}: input {slot} is not a constant int32")
    return [int(v) for v in t["data"].ravel()]


def lower(g, op):
    """One TFLite op -> (dnm op code, activation/weight inputs, options)."""
    name, ins, T = op["name"], op["inputs"], g["tensors"]
    x = T[ins[0]]["shape"]
    o = [0] * dnm.N_OPTS
    raw = op["raw"]
    if name == "CONV_2D":
        p = _options(raw, tflite.Conv2DOptions)
        kh, kw = T[ins[1]]["shape"][1:3]
        o = _window(op, x, p.Padding(), p.StrideH(), p.StrideW(), p.DilationHFactor(),
                    p.DilationWFactor(), kh, kw, p.FusedActivationFunction())
        ins = (ins + [-1])[:3]
    elif name == "DEPTHWISE_CONV_2D":
        p = _options(raw, tflite.DepthwiseConv2DOptions)
        kh, kw = T[ins[1]]["shape"][1:3]
        o = _window(op, x, p.Padding(), p.StrideH(), p.StrideW(), p.DilationHFactor(),
                    p.DilationWFactor(), kh, kw, p.FusedActivationFunction())
        # TFLite derives the multiplier from the weight shape (the option can be stale).
        o[dnm.O_DEPTH_MULT] = T[ins[1]]["shape"][3] // x[3]
        ins = (ins + [-1])[:3]
    elif name == "MAX_POOL_2D":
        p = _options(raw, tflite.Pool2DOptions)
        o = _window(op, x, p.Padding(), p.StrideH(), p.StrideW(), 1, 1,
                    p.FilterHeight(), p.FilterWidth(), p.FusedActivationFunction())
    elif name == "ADD":
        p = _options(raw, tflite.AddOptions)
        o[dnm.O_ACT] = _act(op, p.FusedActivationFunction() if p else 0)
        if T[ins[0]]["shape"] != T[ins[1]]["shape"]:
            raise ConvertError(f"op {op['index']}: broadcasting ADD is not supported")
    elif name == "CONCATENATION":
        p = _options(raw, tflite.ConcatenationOptions)
        o[dnm.O_ACT] = _act(op, p.FusedActivationFunction())
        o[dnm.O_AXIS] = p.Axis() % len(x)
        if o[dnm.O_AXIS] == 0:
            raise ConvertError(f"op {op['index']}: CONCATENATION along the batch axis")
    elif name == "DEPTH_TO_SPACE":
        o[dnm.O_BLOCK] = _options(raw, tflite.DepthToSpaceOptions).BlockSize()
    elif name == "PAD":
        pads = _const_ints(g, op, 1)
        if len(x) != 4 or len(pads) != 8 or pads[0] or pads[1]:
            raise ConvertError(f"op {op['index']}: PAD needs rank 4 and no batch padding")
        o[dnm.O_PADS:dnm.O_PADS + 8] = pads
        ins = ins[:1]
    elif name == "RESHAPE":
        ins = ins[:1]        # the new shape is the output tensor's recorded shape
    elif name == "RESIZE_BILINEAR":
        p = _options(raw, tflite.ResizeBilinearOptions)
        o[dnm.O_ALIGN], o[dnm.O_HALF] = int(p.AlignCorners()), int(p.HalfPixelCenters())
        o[dnm.O_OUT_H], o[dnm.O_OUT_W] = _const_ints(g, op, 1)
        ins = ins[:1]
    elif name == "LOGISTIC":
        pass
    else:
        raise ConvertError(f"op {op['index']}: {name} is not supported by dancer "
                           f"(supported: {', '.join(sorted(dnm.OPS))})")
    return dnm.OPS[name], ins, o


# ---------------------------------------------------------------- writing

def build(g, source_sha256):
    """Lowered graph -> dnm.Model with tensors renumbered to the ones still used."""
    ops = fold_constants(g)
    lowered = [lower(g, op) + (op["outputs"], op["index"]) for op in ops]
    used = set(g["inputs"]) | set(g["outputs"])
    for _, ins, _, outs, _ in lowered:
        used |= {t for t in ins if t >= 0} | set(outs)
    remap = {old: new for new, old in enumerate(sorted(used))}
    tensors = []
    for old in sorted(used):
        t = g["tensors"][old]
        const = t["data"] is not None
        if (t["type"] != 0 and not const) or (const and t["data"].dtype != np.float32):
            raise ConvertError(f"tensor {old} {t['name']!r}: not float32 after folding")
        if not 1 <= len(t["shape"]) <= dnm.MAX_RANK:
            raise ConvertError(f"tensor {old} {t['name']!r}: rank {len(t['shape'])}")
        tensors.append(dnm.Tensor(
            t["name"], dnm.KIND_CONSTANT if const else dnm.KIND_ACTIVATION, t["shape"],
            np.ascontiguousarray(t["data"], "<f4") if const else None, src_index=old))
    out_ops = [dnm.Op(code, [remap.get(t, -1) for t in ins], [remap[t] for t in outs], o, src)
               for code, ins, o, outs, src in lowered]
    m = dnm.Model(dnm.VERSION, source_sha256, tensors, out_ops,
                  [remap[t] for t in g["inputs"]], [remap[t] for t in g["outputs"]], 0)
    dnm.verify(m)
    return m


def _align(n):
    return (n + dnm.ALIGN - 1) // dnm.ALIGN * dnm.ALIGN


def serialize(m):
    strings = bytearray()
    name_at = []
    for t in m.tensors:
        name_at.append((len(strings), len(t.name.encode())))
        strings += t.name.encode() + b"\0"
    t_off = dnm.HEADER.size
    op_off = t_off + len(m.tensors) * dnm.TENSOR.size
    io_off = op_off + len(m.ops) * dnm.OP.size
    s_off = io_off + 4 * (len(m.inputs) + len(m.outputs))
    d_off = _align(s_off + len(strings))
    pos = d_off
    for t in m.tensors:
        if t.kind == dnm.KIND_CONSTANT:
            t.data_off, t.data_size = pos, t.data.nbytes
            pos = _align(pos + t.data.nbytes)
    size = pos
    out = bytearray(size)
    dnm.HEADER.pack_into(out, 0, dnm.MAGIC, dnm.VERSION, dnm.HEADER.size, len(m.tensors),
                         len(m.ops), len(m.inputs), len(m.outputs), t_off, op_off, io_off,
                         s_off, len(strings), d_off, size - d_off, size,
                         bytes.fromhex(m.source_sha256))
    for i, t in enumerate(m.tensors):
        dims = list(t.shape) + [0] * (dnm.MAX_RANK - len(t.shape))
        dnm.TENSOR.pack_into(out, t_off + i * dnm.TENSOR.size, *name_at[i], t.kind,
                             dnm.DTYPE_FLOAT32, len(t.shape), *dims, t.src_index, t.data_off,
                             t.data_size, 0)
        if t.kind == dnm.KIND_CONSTANT:
            out[t.data_off:t.data_off + t.data_size] = t.data.tobytes()
    for i, op in enumerate(m.ops):
        ins = op.inputs + [-1] * (dnm.MAX_INPUTS - len(op.inputs))
        outs = op.outputs + [-1] * (dnm.MAX_OUTPUTS - len(op.outputs))
        dnm.OP.pack_into(out, op_off + i * dnm.OP.size, op.code, len(op.inputs),
                         len(op.outputs), op.src_index, *ins, *outs, *op.opts)
    struct.pack_into(f"<{len(m.inputs) + len(m.outputs)}I", out, io_off, *m.inputs, *m.outputs)
    out[s_off:s_off + len(strings)] = strings
    return bytes(out)


def convert(src, dst):
    m = build(read_tflite(src), dnm.sha256_file(src))
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(serialize(m))
    os.replace(tmp, dst)     # a reader never sees a half-written model
    return m


# ---------------------------------------------------------------- summary

def summary(src):
    """Op histogram of the source and per-op option sets of the converted graph."""
    g = read_tflite(src)
    hist = collections.Counter(op["name"] for op in g["ops"])
    m = build(g, dnm.sha256_file(src))
    lines = [f"source {src}", f"sha256 {m.source_sha256}",
             f"tflite: {len(g['tensors'])} tensors, {len(g['ops'])} ops: "
             + ", ".join(f"{k} {v}" for k, v in hist.most_common())]
    s = dnm.stats(m)
    lines.append(f"dnm: {len(m.tensors)} tensors, {len(m.ops)} ops, "
                 f"{s['params']} params, {s['macs']} MACs")
    for t in m.inputs:
        lines.append(f"input  {m.tensors[t].name} {list(m.tensors[t].shape)}")
    for t in m.outputs:
        lines.append(f"output {m.tensors[t].name} {list(m.tensors[t].shape)}")
    for name, configs in sorted(dnm.option_sets(m).items()):
        lines.append(f"{name}:")
        lines.extend(f"  {n:3d} x {c}" for c, n in sorted(configs.items()))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("src")
    ap.add_argument("dst", nargs="?")
    ap.add_argument("--summary", action="store_true")
    a = ap.parse_args()
    try:
        if a.summary:
            print(summary(a.src))
        if a.dst:
            m = convert(a.src, a.dst)
            print(f"{a.dst}: {len(m.tensors)} tensors, {len(m.ops)} ops", file=sys.stderr)
        elif not a.summary:
            ap.error("need DST or --summary")
    except ConvertError as e:
        sys.exit(f"convert.py: {a.src}: {e}")


if __name__ == "__main__":
    main()
