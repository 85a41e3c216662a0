#!/usr/bin/env python3
"""Landmark decoding (pose_tool lmdecode, the C reference of the
pose_lm_decode kernel) against a Python port of MediaPipe's
TensorsToLandmarksCalculator + RefineLandmarksFromHeatmapCalculator
(kernel_size 7 as tensors_to_pose_landmarks_and_segmentation.pbtxt sets it,
min_confidence_to_refine 0.5 by default), on random network outputs.

    python3 test_lm_decode.py POSE_TOOL
"""
import os
import sys

from posetest import Checker, need, run_tool, tmpdir

np = need("numpy")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def reference(raw, hm, kernel=7, min_conf=0.5):
    n = raw.shape[0]
    lm = raw.reshape(n, 39, 5).astype(np.float64)
    out = np.empty_like(lm)
    out[..., 0:3] = lm[..., 0:3] / 256.0
    out[..., 3:5] = sigmoid(lm[..., 3:5])
    H, W = hm.shape[1:3]
    off = (kernel - 1) // 2
    for b in range(n):
        for k in range(39):
            col, row = int(out[b, k, 0] * W), int(out[b, k, 1] * H)  # C++ truncation
            if not (0 <= col < W and 0 <= row < H):
                continue
            r0, r1 = max(0, row - off), min(H, row + off + 1)
            c0, c1 = max(0, col - off), min(W, col + off + 1)
            conf = sigmoid(hm[b, r0:r1, c0:c1, k].astype(np.float64))
            s = conf.sum()
            if conf.max() >= min_conf and s > 0:
                rows, cols = np.mgrid[r0:r1, c0:c1]
                out[b, k, 0] = (cols * conf).sum() / W / s
                out[b, k, 1] = (rows * conf).sum() / H / s
    return out


def main():
    c = Checker()
    d = tmpdir()
    rng = np.random.default_rng(7)
    n = 6
    raw = np.empty((n, 195), np.float32)
    lm = raw.reshape(n, 39, 5)
    lm[..., 0:2] = rng.uniform(-30, 290, (n, 39, 2))   # some outside the crop
    lm[..., 2] = rng.uniform(-100, 100, (n, 39))
    lm[..., 3:5] = rng.uniform(-8, 8, (n, 39, 2))
    hm = rng.uniform(-12, 6, (n, 64, 64, 39)).astype(np.float32)
    hm[:3] += 6  # confident peaks in half the items, weak in the rest
    raw.tofile(os.path.join(d, "raw.f32"))
    hm.tofile(os.path.join(d, "hm.f32"))
    run_tool(sys.argv[1], "lmdecode", os.path.join(d, "raw.f32"), os.path.join(d, "hm.f32"), n,
             os.path.join(d, "out.f32"))
    got = np.fromfile(os.path.join(d, "out.f32"), np.float32).reshape(n, 39, 5)
    want = reference(raw, hm)
    err = float(np.abs(got - want).max())
    moved = float(np.abs(want[..., :2] - lm[..., :2] / 256.0).max())
    c.check(moved > 0.01, f"the heatmap refined some landmarks (moved up to {moved:.3f})")
    c.check(err < 2e-6, f"max |ours − port| = {err:.3g} (< 2e-6, normalised units)")
    c.done()


if __name__ == "__main__":
    main()
