#!/usr/bin/env python3
"""What batching by temporal segments costs in landmark accuracy.

Renders synthetic walker clips (tests/walker/walker.py: four directions, with
ground truth), tracks them all in one session with plain sequential tracking
(MediaPipe's, --chunk 1) and with segmented configurations, and prints a
markdown table: per configuration the largest network batch, the extra
network work, the landmark difference from sequential tracking (px, upright
frame) and each one's error against the ground truth.

    python3 bench/pose/segments.py BUILD/tests/pose/pose_run [--duration 6] [--gpu] [--sweep 256:32:4,...]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "pose"))
from posetest import read_run_csv, read_truth_csv, truth_error  # noqa: E402
WALKER = os.path.join(HERE, "..", "..", "tests", "walker", "walker.py")
DIRECTIONS = ("ltr", "rtl", "toward", "away")
# chunk frames, shortest segment, warm-up frames (target batch 64); 256:32:4 is the GPU default
SWEEP = "128:32:0,128:32:4,128:16:0,128:16:4,128:16:8,128:8:4,256:32:4,256:32:8"


def configs(sweep):
    out = [("sequential (MediaPipe)", ["--chunk", "1"])]
    for c in sweep.split(","):
        chunk, ms, w = c.split(":")
        out.append((f"chunk {chunk}, segments ≥ {ms}, warm-up {w}",
                    ["--chunk", chunk, "--min-segment", ms, "--target", "64", "--warmup", w, "--batch", "64"]))
    return out


def clips(d, duration):
    out = []
    for i, direction in enumerate(DIRECTIONS):
        mp4, csv = os.path.join(d, f"{direction}.mp4"), os.path.join(d, f"{direction}.csv")
        subprocess.run([sys.executable, WALKER, "-o", mp4, "--truth-landmarks", csv, "--direction",
                        direction, "--duration", str(duration), "--seed", str(i), "--quiet"], check=True)
        out.append((mp4, csv))
    return out


def run(tool, files, opts, d, gpu):
    csv = os.path.join(d, "out.csv")
    cmd = [tool, "video", *files, *opts, *(["--gpu"] if gpu else []), csv]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        sys.exit(f"{' '.join(cmd)}: {r.stderr}")
    stats = dict(kv.split("=") for kv in r.stdout.split())
    return stats, read_run_csv(np, csv, len(files))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pose_run")
    ap.add_argument("--duration", type=float, default=6.0)
    ap.add_argument("--gpu", action="store_true")
    ap.add_argument("--sweep", default=SWEEP, help="CHUNK:MIN_SEGMENT:WARMUP,...")
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="segments-")
    cl = clips(d, a.duration)
    files = [m for m, _ in cl]
    truths = [read_truth_csv(np, c) for _, c in cl]
    base = None
    print(f"{len(files)} walker clips ({', '.join(DIRECTIONS)}), {a.duration:g} s at 30 fps, 640×360\n")
    print("| configuration | max batch | detector items | landmark items | frames/s | "
          "vs sequential: mean / p95 / max px | frames differing > 2 px | vs truth: mean px (visible) |")
    print("|---|---|---|---|---|---|---|---|")
    for label, opts in configs(a.sweep):
        stats, res = run(a.pose_run, files, opts, d, a.gpu)
        if base is None:
            base = res
        diffs, truth_err, differing, frames = [], [], 0, 0
        for (valid, xy), (bvalid, bxy), t in zip(res, base, truths):
            both = valid & bvalid
            e = np.hypot(*(xy[both] - bxy[both]).transpose(2, 0, 1))
            diffs.append(e.ravel())
            differing += int((e.max(axis=1) > 2).sum()) + int((valid != bvalid).sum())
            frames += len(valid)
            truth_err.append(truth_error(np, (valid, xy), t))
        e, t = np.concatenate(diffs), np.concatenate(truth_err)
        print(f"| {label} | {stats['max_step']} | {stats['detector_items']} | {stats['landmark_items']} | "
              f"{float(stats['fps']):.1f} | {e.mean():.3f} / {np.percentile(e, 95):.2f} / {e.max():.1f} | "
              f"{differing}/{frames} | {t.mean():.2f} |")


if __name__ == "__main__":
    main()
