#!/usr/bin/env python3
"""Per-layer comparison of our executor with the TFLite interpreter.

    tests/pose/nn_layers.py MODEL [--input X.npy | --seed N] [--gpu] [--keep DIR]
                            [--atol A] [--rtol R] [--nn-run PATH]

MODEL is a name (pose_detection, pose_landmark_full: looked up in
$DANCER_CACHE/models) or a .dnm path with its .tflite beside it. Runs
models/dump_layers.py (the upstream interpreter's builtin kernels, every
intermediate kept) and build/tests/pose/nn_run --layers (our executor, C
reference or with --gpu the CUDA kernels) on the same input, then prints one
line per op:

    op  name               shape           max|ref|     max|d|    rel       first bad index
and names the first op whose max |ours - ref| exceeds atol + rtol * max|ref|
(default 1e-3 + 1e-2). Each op sees its own predecessors' outputs, so
float32 summation-order differences accumulate along the graph (~1e-5 of
max|ref| early, up to ~3e-3 in the landmark decoder at 256x256, see the
rel column); a wrong kernel shows up as a jump to ~1 at one op. Tighten
--rtol to watch the accumulation itself. Exit 0 when no op
diverges, 1 otherwise, 77 when the model is missing.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))


def model_paths(model):
    if model.endswith(".dnm"):
        dnm = model
    else:
        cache = os.environ.get("DANCER_CACHE", os.path.expanduser("~/.cache/dancer"))
        dnm = os.path.join(cache, "models", model + ".dnm")
    tfl = dnm[:-4] + ".tflite"
    if not (os.path.exists(dnm) and os.path.exists(tfl)):
        print(f"SKIP: {dnm} / {tfl} missing; run models/fetch.sh")
        sys.exit(77)
    return dnm, tfl


def read_index(path):
    with open(path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f][1:]
    return {int(r[0]): r for r in rows}


def compare(ref_dir, our_dir, atol, rtol):
    """Prints the per-op table; returns the index of the first diverging op or None."""
    ref, ours = read_index(os.path.join(ref_dir, "index.tsv")), read_index(os.path.join(our_dir, "index.tsv"))
    first = None
    print(f"{'op':>4} {'name':<18} {'shape':<18} {'max|ref|':>10} {'max|d|':>10} {'rel':>9}  worst at")
    for i in sorted(ref):
        r = np.load(os.path.join(ref_dir, ref[i][4]))
        if i not in ours:
            print(f"{i:4d} {ref[i][2]:<18} missing in our dump")
            return i if first is None else first
        o = np.load(os.path.join(our_dir, ours[i][3]))
        if o.shape != r.shape:
            o = o.reshape(r.shape) if o.size == r.size else o
        if o.shape != r.shape:
            print(f"{i:4d} {ref[i][2]:<18} shape {o.shape} != ref {r.shape}")
            return i if first is None else first
        d = np.abs(o.astype(np.float64) - r)
        scale = float(np.abs(r).max())
        worst = tuple(int(v) for v in np.unravel_index(int(np.argmax(d)), d.shape))
        bad = not np.isfinite(d).all() or d.max() > atol + rtol * scale
        shape = "x".join(str(s) for s in r.shape)
        print(f"{i:4d} {ref[i][2]:<18} {shape:<18} {scale:10.4g} {d.max():10.3g} "
              f"{d.max() / max(scale, 1e-30):9.2g}  {worst}{'  <-- diverges' if bad and first is None else ''}")
        if bad and first is None:
            first = i
    return first


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--input", help=".npy input; its first item is used (default: seeded uniform in the net's range)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gpu", action="store_true", help="run our CUDA kernels instead of the C reference")
    ap.add_argument("--keep", help="write both dumps under this directory and keep them")
    ap.add_argument("--atol", type=float, default=1e-3)
    ap.add_argument("--rtol", type=float, default=1e-2)
    ap.add_argument("--nn-run", default=os.environ.get("DN_NN_RUN", os.path.join(ROOT, "build/tests/pose/nn_run")))
    a = ap.parse_args()
    import dump_layers  # models/: needs numpy + the interpreter

    dnm, tfl = model_paths(a.model)
    work = a.keep or tempfile.mkdtemp(prefix="nn_layers.")
    os.makedirs(work, exist_ok=True)
    if a.input:
        x = np.load(a.input).astype(np.float32)[:1]  # first item
    else:
        shape = dump_layers.interpreter(tfl, preserve_all=False).get_input_details()[0]["shape"]
        x = dump_layers.make_input(tuple(int(s) for s in shape), a.seed)
    xin = os.path.join(work, "input.npy")
    np.save(xin, x)
    ref_dir, our_dir = os.path.join(work, "tflite"), os.path.join(work, "ours")
    dump_layers.dump(tfl, ref_dir, x)
    cmd = [a.nn_run, dnm, "--input", xin, "--layers", our_dir] + (["--gpu"] if a.gpu else [])
    rc = subprocess.run(cmd).returncode
    if rc:
        print(f"nn_run failed ({rc}): {' '.join(cmd)}")
        sys.exit(rc)
    first = compare(ref_dir, our_dir, a.atol, a.rtol)
    print(f"dumps in {work}" if a.keep else "")
    if first is None:
        print("no op diverges")
        return 0
    print(f"first diverging op: {first}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
