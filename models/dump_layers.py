#!/usr/bin/env python3
"""Run the upstream TFLite interpreter and write every layer's output.

    dump_layers.py MODEL.tflite OUTDIR [--input X.npy | --seed N] [--range LO HI]

OUTDIR gets input.npy, one LLL_OPNAME.npy per computing op, and index.tsv
with columns  dnm_op  tflite_op  op  shape  file  tensor  (shape as 1,28,28,24).
dnm_op is the op's index in the converted .dnm file (the folded DEQUANTIZE and
DENSIFY ops are skipped, the rest keep their order), so the C executor's
per-layer debug tool can diff its op i against row i.
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert  # noqa: E402

# Input value ranges of the pinned networks (models/README.md), by input shape.
RANGES = {(1, 224, 224, 3): (-1.0, 1.0), (1, 256, 256, 3): (0.0, 1.0)}


def interpreter(path, preserve_all=True, threads=1):
    """The upstream interpreter. With preserve_all every intermediate tensor stays
    readable after invoke() and each op runs as TFLite's builtin kernel: the
    default delegate is switched off explicitly, because ai-edge-litert 2.3
    still applies XNNPACK under experimental_preserve_all_tensors, and XNNPACK
    consumes the float16 weights itself, leaving the DEQUANTIZE outputs zero."""
    try:
        from ai_edge_litert.interpreter import Interpreter, OpResolverType
    except ImportError:
        from tflite_runtime.interpreter import Interpreter, OpResolverType
    kw = {}
    if preserve_all:
        kw = dict(experimental_preserve_all_tensors=True,
                  experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    it = Interpreter(model_path=path, num_threads=threads, **kw)
    it.allocate_tensors()
    return it


def make_input(shape, seed=0, lo=None, hi=None):
    """Seeded uniform input in the network's documented range."""
    dlo, dhi = RANGES.get(tuple(shape), (0.0, 1.0))
    lo, hi = dlo if lo is None else lo, dhi if hi is None else hi
    return np.random.default_rng(seed).uniform(lo, hi, shape).astype(np.float32)


def dump(model, outdir, x):
    g = convert.read_tflite(model)
    it = interpreter(model)
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], x.astype(np.float32).reshape(inp["shape"]))
    it.invoke()
    os.makedirs(outdir, exist_ok=True)
    np.save(os.path.join(outdir, "input.npy"), x)
    rows, n = [], 0
    for op in g["ops"]:
        if op["name"] in convert.FOLDED:
            continue
        t = op["outputs"][0]
        val = it.get_tensor(t)
        fname = f"{n:03d}_{op['name']}.npy"
        np.save(os.path.join(outdir, fname), val)
        shape = ",".join(str(d) for d in val.shape)
        rows.append(f"{n}\t{op['index']}\t{op['name']}\t{shape}\t{fname}\t{g['tensors'][t]['name']}")
        n += 1
    with open(os.path.join(outdir, "index.tsv"), "w") as f:
        f.write("dnm_op\ttflite_op\top\tshape\tfile\ttensor\n" + "\n".join(rows) + "\n")
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("outdir")
    ap.add_argument("--input", help=".npy float32 input (default: seeded random)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--range", type=float, nargs=2, metavar=("LO", "HI"))
    a = ap.parse_args()
    if a.input:
        x = np.load(a.input).astype(np.float32)
    else:
        shape = interpreter(a.model, preserve_all=False).get_input_details()[0]["shape"]
        x = make_input(tuple(int(d) for d in shape), a.seed, *(a.range or (None, None)))
    n = dump(a.model, a.outdir, x)
    print(f"{a.outdir}: {n} layers", file=sys.stderr)


if __name__ == "__main__":
    main()
