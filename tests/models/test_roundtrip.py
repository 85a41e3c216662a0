#!/usr/bin/env python3
"""Every float32 constant in a .dnm equals, bit for bit, the tensor the TFLite
interpreter itself computes from the .tflite (its DEQUANTIZE / DENSIFY outputs),
so folding changed no weight. Covers float16-dequantized weights and biases and,
for the detector, weights that were sparse behind DENSIFY."""
import numpy as np

import common
import convert
import dnm
import dump_layers


def origins(g):
    """{tflite tensor index: 'dense fp16' | 'sparse fp16' | 'fp32'} for weight tensors."""
    out, densified = {}, set()
    for op in g["ops"]:
        if op["name"] == "DENSIFY":
            densified.add(op["outputs"][0])
        elif op["name"] == "DEQUANTIZE":
            src = op["inputs"][0]
            out[op["outputs"][0]] = "sparse fp16" if src in densified else "dense fp16"
    return out


def check(name):
    tfl, path = common.paths(name)
    m = dnm.load(path)
    it = dump_layers.interpreter(tfl)
    inp = it.get_input_details()[0]
    it.set_tensor(inp["index"], dump_layers.make_input(tuple(inp["shape"])))
    it.invoke()
    origin = origins(convert.read_tflite(tfl))
    seen = {}
    for t in m.tensors:
        if t.kind != dnm.KIND_CONSTANT:
            continue
        ref = it.get_tensor(t.src_index)
        common.expect(it.get_tensor_details()[t.src_index]["name"] == t.name,
                      f"src_index {t.src_index} does not name {t.name}")
        common.expect(ref.dtype == np.float32 and ref.shape == t.data.shape,
                      f"{t.name}: interpreter has {ref.dtype} {ref.shape}")
        # Bit equality, not a tolerance: folding must be the interpreter's own widening.
        common.expect(np.array_equal(ref.view(np.uint32), t.data.view(np.uint32)),
                      f"{t.name}: differs from the interpreter's tensor")
        kind = origin.get(t.src_index, "fp32")
        kind += " bias" if len(t.shape) == 1 else " weight"
        seen[kind] = seen.get(kind, 0) + 1
    print(f"  {name}: {sum(seen.values())} constants bit-equal: {seen}")
    want = {"dense fp16 weight", "dense fp16 bias"}
    if name == "pose_detection":
        want.add("sparse fp16 weight")
    common.expect(want <= set(seen), f"kinds compared {set(seen)} lack {want - set(seen)}")
    # An interpreter that hands back zeros would pass trivially (a delegate that
    # swallows DEQUANTIZE does exactly that); no weight of these models is zero.
    # Some biases legitimately are (six in the detector), so only weights count.
    common.expect(all(np.abs(t.data).max() > 0 for t in m.tensors
                      if t.kind == dnm.KIND_CONSTANT and len(t.shape) > 1), "an all-zero weight")


if __name__ == "__main__":
    common.run([(n, lambda n=n: check(n)) for n in common.MODELS])
