#!/usr/bin/env python3
"""The pinned .tflite files and their conversions have exactly the recorded
structure: op histogram, tensor counts, graph inputs/outputs, and the set of
op configurations the C executor has to implement. A change here means the
pinned model or the converter changed, and FORMAT.md/README.md need a look."""
import collections

import common
import convert
import dnm

SHA = {
    "pose_detection": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_landmark_full": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
}

TFLITE = {
    "pose_detection": dict(
        tensors=442, ops=291,
        hist={"DEQUANTIZE": 144, "CONV_2D": 45, "DENSIFY": 38, "DEPTHWISE_CONV_2D": 28, "ADD": 15,
              "PAD": 8, "RESHAPE": 6, "DEPTH_TO_SPACE": 3, "RESIZE_BILINEAR": 2, "CONCATENATION": 2},
        inputs=[("input_1", (1, 224, 224, 3))],
        outputs=[("Identity", (1, 2254, 12)), ("Identity_1", (1, 2254, 1))]),
    "pose_landmark_full": dict(
        tensors=535, ops=332,
        hist={"DEQUANTIZE": 192, "CONV_2D": 58, "DEPTHWISE_CONV_2D": 38, "ADD": 28, "PAD": 5,
              "RESIZE_BILINEAR": 5, "RESHAPE": 3, "MAX_POOL_2D": 2, "LOGISTIC": 1},
        inputs=[("input_1", (1, 256, 256, 3))],
        outputs=[("Identity", (1, 195)), ("Identity_1", (1, 1)), ("Identity_2", (1, 256, 256, 1)),
                 ("Identity_3", (1, 64, 64, 39)), ("Identity_4", (1, 117))]),
}

# Converted graphs: counts, parameters, conv MACs per frame.
DNM = {
    "pose_detection": dict(tensors=254, ops=109, constants=144, params=2965026, macs=429859360),
    "pose_landmark_full": dict(tensors=333, ops=140, constants=192, params=3169489, macs=386148736),
}

CONV_1X1 = {
    "k1x1 s1x1 SAME pads(t,b,l,r)=(0, 0, 0, 0) act=NONE",
    "k1x1 s1x1 SAME pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6",
    "k1x1 s1x1 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=NONE",
    "k1x1 s1x1 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6",
}
PADS = {"pads=[(0, 0), (1, 1), (1, 1), (0, 0)]", "pads=[(0, 0), (2, 2), (2, 2), (0, 0)]"}

# Every distinct op configuration (dnm.describe) per op.
CONFIGS = {
    "pose_detection": {
        "ADD": {"act=NONE", "act=RELU6"},
        "CONCATENATION": {"axis=1 inputs=3 act=NONE"},
        "CONV_2D": CONV_1X1 | {"k3x3 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6"},
        "DEPTHWISE_CONV_2D": {
            "k3x3 s1x1 SAME pads(t,b,l,r)=(1, 1, 1, 1) act=NONE mult=1",
            "k3x3 s1x1 SAME pads(t,b,l,r)=(1, 1, 1, 1) act=RELU6 mult=1",
            "k3x3 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=NONE mult=1",
            "k3x3 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6 mult=1",
            "k5x5 s1x1 SAME pads(t,b,l,r)=(2, 2, 2, 2) act=RELU6 mult=1",
            "k5x5 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6 mult=1"},
        "DEPTH_TO_SPACE": {"block=2"},
        "PAD": PADS,
        "RESHAPE": {"[1, 14, 14, 24]->[1, 392, 12]", "[1, 14, 14, 2]->[1, 392, 1]",
                    "[1, 28, 28, 24]->[1, 1568, 12]", "[1, 28, 28, 2]->[1, 1568, 1]",
                    "[1, 7, 7, 6]->[1, 294, 1]", "[1, 7, 7, 72]->[1, 294, 12]"},
        "RESIZE_BILINEAR": {"align_corners=0 half_pixel_centers=1 scale=14->28",
                            "align_corners=0 half_pixel_centers=1 scale=7->14"},
    },
    "pose_landmark_full": {
        "ADD": {"act=NONE", "act=RELU6"},
        "CONV_2D": CONV_1X1 | {"k2x2 s1x1 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=NONE",
                               "k3x3 s1x1 SAME pads(t,b,l,r)=(1, 1, 1, 1) act=NONE",
                               "k3x3 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6"},
        "DEPTHWISE_CONV_2D": {
            "k3x3 s1x1 SAME pads(t,b,l,r)=(1, 1, 1, 1) act=RELU6 mult=1",
            "k3x3 s2x2 SAME pads(t,b,l,r)=(0, 1, 0, 1) act=RELU6 mult=1",
            "k3x3 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6 mult=1",
            "k5x5 s1x1 SAME pads(t,b,l,r)=(2, 2, 2, 2) act=RELU6 mult=1",
            "k5x5 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=RELU6 mult=1"},
        "LOGISTIC": {"-"},
        "MAX_POOL_2D": {"k2x2 s2x2 VALID pads(t,b,l,r)=(0, 0, 0, 0) act=NONE"},
        "PAD": PADS,
        "RESHAPE": {"[1, 1, 1, 117]->[1, 117]", "[1, 1, 1, 195]->[1, 195]", "[1, 1, 1, 1]->[1, 1]"},
        "RESIZE_BILINEAR": {f"align_corners=0 half_pixel_centers=1 scale={a}->{2 * a}"
                            for a in (8, 16, 32, 64, 128)},
    },
}


def check_tflite(name):
    tfl, _ = common.paths(name)
    exp = TFLITE[name]
    common.expect(dnm.sha256_file(tfl) == SHA[name], "sha256 differs from the pin")
    g = convert.read_tflite(tfl)
    hist = dict(collections.Counter(op["name"] for op in g["ops"]))
    common.expect(hist == exp["hist"], f"op histogram {hist}")
    common.expect(len(g["tensors"]) == exp["tensors"], f"{len(g['tensors'])} tensors")
    common.expect(len(g["ops"]) == exp["ops"], f"{len(g['ops'])} ops")
    io = [[(g["tensors"][t]["name"], g["tensors"][t]["shape"]) for t in g[k]]
          for k in ("inputs", "outputs")]
    common.expect(io == [exp["inputs"], exp["outputs"]], f"graph io {io}")


def check_dnm(name):
    _, path = common.paths(name)
    m, exp = dnm.load(path), DNM[name]
    common.expect(m.source_sha256 == SHA[name], "source sha256 in header")
    s = dnm.stats(m)
    got = dict(tensors=len(m.tensors), ops=len(m.ops),
               constants=sum(t.kind == dnm.KIND_CONSTANT for t in m.tensors),
               params=s["params"], macs=s["macs"])
    common.expect(got == exp, f"counts {got}")
    configs = {k: set(v) for k, v in dnm.option_sets(m).items()}
    common.expect(configs == CONFIGS[name], f"op configurations {configs}")
    io = [[(m.tensors[t].name, m.tensors[t].shape) for t in ts] for ts in (m.inputs, m.outputs)]
    common.expect(io == [TFLITE[name]["inputs"], TFLITE[name]["outputs"]], f"graph io {io}")
    convs = [op for op in m.ops if op.name in ("CONV_2D", "DEPTHWISE_CONV_2D")]
    common.expect(all(len(op.inputs) == 3 and op.inputs[2] >= 0 for op in convs),
                  "every conv of the pinned models has a bias")


if __name__ == "__main__":
    common.run([(f"{k} {n}", lambda f=f, n=n: f(n)) for n in common.MODELS
                for k, f in (("tflite", check_tflite), ("dnm", check_dnm))])
