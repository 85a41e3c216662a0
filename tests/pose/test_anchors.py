#!/usr/bin/env python3
"""SSD anchors of the pose detector: our C (pose_tool anchors) against an
independent Python port of MediaPipe's SsdAnchorsCalculator::GenerateAnchors
(mediapipe/calculators/tflite/ssd_anchors_calculator.cc) run with the options
of mediapipe/modules/pose_detection/pose_detection_cpu.pbtxt.

    python3 test_anchors.py POSE_TOOL
"""
import math
import sys

from posetest import Checker, run_tool

OPTIONS = dict(num_layers=5, min_scale=0.1484375, max_scale=0.75, input_size_height=224,
               input_size_width=224, anchor_offset_x=0.5, anchor_offset_y=0.5,
               strides=[8, 16, 32, 32, 32], aspect_ratios=[1.0], fixed_anchor_size=True,
               interpolated_scale_aspect_ratio=1.0, reduce_boxes_in_lowest_layer=False)


def calculate_scale(lo, hi, i, n):
    return (lo + hi) * 0.5 if n == 1 else lo + (hi - lo) * i / (n - 1.0)


def generate(o):
    anchors, layer = [], 0
    strides = o["strides"]
    while layer < o["num_layers"]:
        heights, widths, ratios, scales = [], [], [], []
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            scale = calculate_scale(o["min_scale"], o["max_scale"], last, len(strides))
            if last == 0 and o["reduce_boxes_in_lowest_layer"]:
                ratios += [1.0, 2.0, 0.5]
                scales += [0.1, scale, scale]
            else:
                for r in o["aspect_ratios"]:
                    ratios.append(r)
                    scales.append(scale)
                if o["interpolated_scale_aspect_ratio"] > 0:
                    nxt = 1.0 if last == len(strides) - 1 else \
                        calculate_scale(o["min_scale"], o["max_scale"], last + 1, len(strides))
                    scales.append(math.sqrt(scale * nxt))
                    ratios.append(o["interpolated_scale_aspect_ratio"])
            last += 1
        for r, s in zip(ratios, scales):
            heights.append(s / math.sqrt(r))
            widths.append(s * math.sqrt(r))
        fh = math.ceil(o["input_size_height"] / strides[layer])
        fw = math.ceil(o["input_size_width"] / strides[layer])
        for y in range(fh):
            for x in range(fw):
                for k in range(len(heights)):
                    xc = (x + o["anchor_offset_x"]) / fw
                    yc = (y + o["anchor_offset_y"]) / fh
                    w, h = (1.0, 1.0) if o["fixed_anchor_size"] else (widths[k], heights[k])
                    anchors.append((xc, yc, w, h))
        layer = last
    return anchors


def main():
    c = Checker()
    want = generate(OPTIONS)
    got = [tuple(map(float, line.split())) for line in run_tool(sys.argv[1], "anchors").splitlines()]
    c.check(len(want) == 2254, f"python port gives {len(want)} anchors (2254 expected)")
    c.check(len(got) == len(want), f"C gives {len(got)} anchors")
    worst = max((abs(a - b) for g, w in zip(got, want) for a, b in zip(g, w)), default=1.0)
    c.check(worst < 1e-6, f"largest difference {worst:.3g} (< 1e-6)")
    c.done()


if __name__ == "__main__":
    main()
