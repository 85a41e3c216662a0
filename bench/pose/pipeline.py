#!/usr/bin/env python3
"""Frames/s of the whole pose pipeline on the CPU — decode, both networks,
pre/post-processing, tracking, smoothing — against its peer measured in the
same run: MediaPipe's own Python solution (mediapipe.solutions.pose, pinned
wheel, model_complexity 1, video mode) on the same clips, decoded by the
ffmpeg CLI into RGB frames ahead of time (its decode is not counted; ours is).

    python3 bench/pose/pipeline.py BUILD/tests/pose/pose_run [--clips 4] [--duration 6]

Prints a markdown table for bench/RESULTS.md. OMP_NUM_THREADS (default: all
cores) applies to our CPU reference; MediaPipe's XNNPACK picks its own.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
WALKER = os.path.join(HERE, "..", "..", "tests", "walker", "walker.py")
DIRECTIONS = ("ltr", "rtl", "toward", "away")


def rgb_frames(path):
    w, h = 640, 360
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def mediapipe_fps(files):
    import mediapipe as mp
    frames = [rgb_frames(f) for f in files]
    n = sum(len(f) for f in frames)
    t0 = time.monotonic()
    for clip in frames:  # one Pose per video, as a worker would run them
        with mp.solutions.pose.Pose(model_complexity=1) as pose:
            for f in clip:
                pose.process(f)
    return n, n / (time.monotonic() - t0)


def ours(tool, files, opts, out):
    r = subprocess.run([tool, "video", *files, *opts, out], capture_output=True, text=True, check=True)
    return dict(kv.split("=") for kv in r.stdout.split())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pose_run")
    ap.add_argument("--clips", type=int, default=4)
    ap.add_argument("--duration", type=float, default=6.0)
    a = ap.parse_args()
    d = tempfile.mkdtemp(prefix="pipeline-")
    files = []
    for i in range(a.clips):
        f = os.path.join(d, f"clip{i}.mp4")
        subprocess.run([sys.executable, WALKER, "-o", f, "--direction", DIRECTIONS[i % 4], "--seed", str(i),
                        "--duration", str(a.duration), "--quiet"], check=True)
        files.append(f)
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count()))
    out = os.path.join(d, "out.csv")
    load = os.getloadavg()[0]
    rows = [("dancer CPU, sequential (default)", ours(a.pose_run, files, [], out)),
            ("dancer CPU, temporal segments", ours(a.pose_run, files, ["--chunk", "128", "--min-segment", "32",
                                                                         "--target", "16", "--batch", "16"], out))]
    n, mp_fps = mediapipe_fps(files)
    print(f"{a.clips} walker clips × {a.duration:g} s, 640×360, {os.cpu_count()} cores, "
          f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']}, load average at start {load:.1f}\n")
    print("| pipeline | frames | frames/s | vs MediaPipe |")
    print("|---|---|---|---|")
    for label, st in rows:
        fps = float(st["fps"])
        print(f"| {label} (max batch {st['max_step']}) | {st['frames']} | {fps:.1f} | {fps / mp_fps:.2f}× |")
    print(f"| MediaPipe 0.10.14 Python solution (frames pre-decoded) | {n} | {mp_fps:.1f} | 1.00× |")


if __name__ == "__main__":
    main()
