#!/usr/bin/env python3
"""The op semantics of FORMAT.md, as implemented by models/dnm_ref.py on the
converted graph, reproduce the TFLite interpreter: every op fed the
interpreter's own inputs, and whole networks at batch 2 (dim 0 scaled, as the
C executor will). Proves the spec (explicit pads, DEPTH_TO_SPACE order,
half-pixel resize, ...) before C code relies on it."""
import numpy as np

import common
import dnm
import dnm_ref
import dump_layers

# float32 with a different summation order than TFLite: per op ~1e-5 of the
# tensor's largest magnitude (1152-term dot products); 1e-4 leaves headroom
# while a wrong pad, tap or channel order gives O(1).
OP_RTOL = 1e-4
# Whole networks compound 100+ such errors. Measured against the builtin
# kernels: <= 1e-5 everywhere except the landmark segmentation logits (|x| up to
# ~1e3 on random input, 256x256 after five upsamplings): 1.5e-4.
NET_RTOL = 1e-3


def rel_err(ref, got):
    return float(np.abs(ref - got).max() / max(1.0, np.abs(ref).max()))


def interpret(tfl, x):
    it = dump_layers.interpreter(tfl)
    it.set_tensor(it.get_input_details()[0]["index"], x)
    it.invoke()
    return it


def per_op(name):
    tfl, path = common.paths(name)
    m = dnm.load(path)
    x = dump_layers.make_input(m.tensors[m.inputs[0]].shape, seed=1)
    it = interpret(tfl, x)
    worst = {}
    for i, op in enumerate(m.ops):
        args = dnm_ref.args_of(m, op, lambda t: it.get_tensor(m.tensors[t].src_index))
        got = dnm_ref.run_op(m, op, args)
        e = rel_err(it.get_tensor(m.tensors[op.outputs[0]].src_index), got)
        common.expect(e <= OP_RTOL, f"op {i} {op.name} ({dnm.describe(m, op)}): rel err {e:.2e}")
        worst[op.name] = max(worst.get(op.name, 0), e)
    print(f"  {name} worst per-op rel err: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


def whole_net_batch2(name):
    tfl, path = common.paths(name)
    m = dnm.load(path)
    shape = m.tensors[m.inputs[0]].shape
    xs = [dump_layers.make_input(shape, seed=s) for s in (2, 3)]
    got = dnm_ref.run(m, {m.inputs[0]: np.concatenate(xs)})
    report = []
    for b, x in enumerate(xs):
        it = interpret(tfl, x)
        for t in m.outputs:
            e = rel_err(it.get_tensor(m.tensors[t].src_index)[0], got[t][b])
            common.expect(e <= NET_RTOL, f"batch item {b} output {m.tensors[t].name}: {e:.2e}")
            report.append(f"{m.tensors[t].name}[{b}] {e:.1e}")
    print(f"  {name} output rel err: " + ", ".join(report))


if __name__ == "__main__":
    common.run([(f"{k} {n}", lambda f=f, n=n: f(n)) for n in common.MODELS
                for k, f in (("per-op", per_op), ("batch-2 network", whole_net_batch2))])
