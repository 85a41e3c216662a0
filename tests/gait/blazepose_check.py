#!/usr/bin/env python3
"""The gait stage on real BlazePose landmarks of rendered walker videos.

walker_accuracy.py feeds the gait stage the walker's exact landmarks with
simulated pose-model errors; this script renders the walker's videos
(tests/walker/walker.py), runs MediaPipe's own BlazePose on them
(mediapipe 0.10.14, model_complexity 1, tracking mode: the upstream of
dancer's pose stage), and scores the gait stage on those landmarks against
the walker's truth, with the same table and bounds. A manual check (renders
and runs a network: about a minute per condition on 2 cores), not a ctest;
its last results are in tests/gait/ACCURACY.md.

usage: blazepose_check.py GAIT_TOOL [--only NAME] [--keep DIR]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from walker_accuracy import CONDITIONS, check, compare, table  # noqa: E402


def detect(frames):
    """Per frame: (33,3) x, y, z in px (None when no pose) and (33,) visibility."""
    import mediapipe as mp
    out = []
    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose:
        for img in frames:
            h, w = img.shape[:2]
            res = pose.process(img)
            if res.pose_landmarks is None:
                out.append((None, None))
                continue
            lm = res.pose_landmarks.landmark
            out.append((np.array([[p.x * w, p.y * h, p.z * w] for p in lm]),
                        np.array([p.visibility for p in lm])))
    return out


def write_csv(path, times, det):
    with open(path, "w") as fh:
        fh.write("frame,time_s,landmark,x,y,z,visibility\n")
        for i, (xyz, vis) in enumerate(det):
            if xyz is None:
                continue
            for k in range(33):
                fh.write("%d,%.6f,%d,%.3f,%.3f,%.3f,%.4f\n" % (i, times[i], k, *xyz[k], vis[k]))


def run(name, wargs, height, tool, walker_dir, out):
    sys.path.insert(0, walker_dir)
    import check_pose  # noqa: E402  (the walker's BlazePose helpers: frame decoding)
    import walker  # noqa: E402
    video, truth_path = os.path.join(out, "clip.mp4"), os.path.join(out, "truth.json")
    subprocess.run([sys.executable, os.path.join(walker_dir, "walker.py"), "-o", video, "--truth",
                    truth_path, "--quiet"] + wargs, check=True)
    truth = json.load(open(truth_path))
    args = walker.build_parser().parse_args(wargs)
    clip = walker.Clip(args)
    det = detect(check_pose.frames(video))
    csv = os.path.join(out, "lm.csv")
    write_csv(csv, clip.times, det)
    cmd = [tool, "analyze", "--fps", str(args.fps)] + (["--height", str(height)] if height else [])
    res = subprocess.run(cmd + [str(truth["video"]["width"]), str(truth["video"]["height"]), csv],
                         capture_output=True, text=True, check=True).stdout
    with open(os.path.join(out, "result.json"), "w") as fh:
        fh.write(res)
    xy = np.array([d[0][:, :2] if d[0] is not None else np.full((33, 2), np.nan) for d in det])
    leg = np.nanmedian(np.linalg.norm(xy[:, 23] - xy[:, 25], axis=1) + np.linalg.norm(xy[:, 25] - xy[:, 27], axis=1))
    row = compare(name, json.loads(res)["gait"], truth, float(leg), args)
    row["detected_pct"] = 100.0 * np.mean([d[0] is not None for d in det])
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tool")
    ap.add_argument("--walker-dir", default=os.path.join(ROOT, "tests", "walker"))
    ap.add_argument("--only", help="run conditions whose name contains this")
    ap.add_argument("--keep", help="keep videos, landmarks and results here")
    a = ap.parse_args()
    rows = []
    for i, (name, wargs, height) in enumerate(CONDITIONS):
        if a.only and a.only not in name:
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(a.keep, str(i)) if a.keep else tmp
            os.makedirs(out, exist_ok=True)
            row = run(name, wargs, height, a.tool, a.walker_dir, out)
        row["violations"] = check(row)
        rows.append(row)
        print("%s: pose in %.0f %% of frames" % (name, row["detected_pct"]), file=sys.stderr)
    print(table(rows))
    failed = [r["name"] for r in rows if r["violations"]]
    print("%d conditions, %d outside the bounds%s" % (len(rows), len(failed),
                                                    (": " + ", ".join(failed)) if failed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
