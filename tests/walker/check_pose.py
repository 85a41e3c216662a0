#!/usr/bin/env python3
"""Run MediaPipe's own BlazePose over a walker video and score it against the truth.

    $HOME/.cache/dancer/venv/bin/python tests/walker/check_pose.py walk.mp4 walk.csv

Reports the share of frames with a pose, per landmark group the median and 95th
percentile pixel error (all frames with a pose, and landmarks the truth marks
visible only), the median signed offset of each hip/knee/ankle/heel/toe landmark
(pixels and in thigh lengths), how often the legs come back left/right swapped,
and the leg length a gait stage would measure from the detected landmarks
relative to the truth (side views). Needs the venv of CONTEXT.md with
mediapipe==0.10.14 (scripts/requirements.txt). Frames are decoded by the ffmpeg
CLI, which applies the rotation, so errors are in upright-frame pixels.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from truth import read_landmarks_csv      # noqa: E402

GROUPS = {"face": range(0, 11), "shoulders": (11, 12), "elbows": (13, 14),
          "wrists": (15, 16), "hands": range(17, 23), "hips": (23, 24), "knees": (25, 26),
          "ankles": (27, 28), "heels": (29, 30), "toes": (31, 32)}
LEG = {"hip": (23, 24), "knee": (25, 26), "ankle": (27, 28), "heel": (29, 30),
       "foot_index": (31, 32)}


def upright_size(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height:stream_side_data=rotation", "-of", "json", path],
                         check=True, capture_output=True, text=True).stdout
    st = json.loads(out)["streams"][0]
    rot = next((int(s.get("rotation", 0)) for s in st.get("side_data_list", [])), 0)
    w, h = st["width"], st["height"]
    return (h, w) if rot % 180 else (w, h)


def frames(path):
    """Yield upright RGB frames (ffmpeg applies the display matrix)."""
    w, h = upright_size(path)
    proc = subprocess.Popen(["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough",
                             "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    size = w * h * 3
    while True:
        buf = proc.stdout.read(size)
        if len(buf) < size:
            break
        yield np.frombuffer(buf, np.uint8).reshape(h, w, 3)
    proc.wait()


def detect(path, complexity=1):
    """(N,33,2) pixel landmarks (NaN where no pose) and (N,33) visibility."""
    import mediapipe as mp
    pts, vis = [], []
    with mp.solutions.pose.Pose(model_complexity=complexity, static_image_mode=False) as pose:
        for img in frames(path):
            h, w = img.shape[:2]
            res = pose.process(img)
            if res.pose_landmarks is None:
                pts.append(np.full((33, 2), np.nan))
                vis.append(np.zeros(33))
                continue
            lm = res.pose_landmarks.landmark
            pts.append(np.array([[p.x * w, p.y * h] for p in lm]))
            vis.append(np.array([p.visibility for p in lm]))
    return np.array(pts), np.array(vis)


def _leg_length(xy):
    """Per frame and side: |hip-knee| + |knee-ankle| + vertical ankle-heel (pixels)."""
    out = []
    for k in (0, 1):
        hip, knee, ankle, heel = (xy[:, LEG[n][k]] for n in ("hip", "knee", "ankle", "heel"))
        out.append(np.linalg.norm(hip - knee, axis=1) + np.linalg.norm(knee - ankle, axis=1)
                   + np.abs(heel[:, 1] - ankle[:, 1]))
    return np.stack(out, 1)


def score(det, tru, tvis):
    n = min(len(det), len(tru))
    det, tru, tvis = det[:n], tru[:n], tvis[:n]
    found = ~np.isnan(det[:, 0, 0])
    err = np.linalg.norm(det - tru, axis=2)
    rep = {"frames": int(n), "detected_pct": 100.0 * found.mean(), "groups": {}, "offsets": {}}
    for g, idx in GROUPS.items():
        e = err[found][:, list(idx)]
        v = tvis[found][:, list(idx)] > 0.5
        rep["groups"][g] = {"median_px": float(np.median(e)), "p95_px": float(np.percentile(e, 95)),
                            "visible_median_px": float(np.median(e[v])) if v.any() else None,
                            "visible_p95_px": float(np.percentile(e[v], 95)) if v.any() else None}
    thigh = np.linalg.norm(tru[found][:, 23] - tru[found][:, 25], axis=1)
    for name, (li, ri) in LEG.items():
        for side, i in (("left", li), ("right", ri)):
            d = (det[found][:, i] - tru[found][:, i])
            # medians: the frames with swapped legs would drag a mean about
            rep["offsets"]["%s_%s" % (side, name)] = {
                "dx_px": float(np.median(d[:, 0])), "dy_px": float(np.median(d[:, 1])),
                "dx_thigh": float(np.median(d[:, 0] / thigh)),
                "dy_thigh": float(np.median(d[:, 1] / thigh))}
    # swapped legs: the other side's truth fits the detection clearly better
    legs_l = [LEG[k][0] for k in ("knee", "ankle", "heel", "foot_index")]
    legs_r = [LEG[k][1] for k in ("knee", "ankle", "heel", "foot_index")]
    same = err[found][:, legs_l + legs_r].mean(1)
    cross = np.linalg.norm(det[found][:, legs_l + legs_r] - tru[found][:, legs_r + legs_l],
                           axis=2).mean(1)
    rep["legs_swapped_pct"] = 100.0 * float(np.mean(cross < 0.5 * same)) if found.any() else None
    ratio = _leg_length(det[found]) / _leg_length(tru[found])
    rep["leg_length_ratio_median"] = [float(np.median(ratio[:, 0])), float(np.median(ratio[:, 1]))]
    rep["figure_height_px_median"] = float(np.median(
        tru[found][:, [29, 30], 1].max(1) - tru[found][:, 0, 1])) if found.any() else None
    return rep


def print_report(rep, label):
    print("%s: %d frames, pose found in %.1f %%, legs swapped %.1f %%, leg length ratio "
          "L %.3f R %.3f, figure ~%.0f px" % (label, rep["frames"], rep["detected_pct"],
                                             rep["legs_swapped_pct"] or 0,
                                             *rep["leg_length_ratio_median"],
                                             rep["figure_height_px_median"] or 0))
    print("  %-10s %8s %8s %10s %10s" % ("group", "med px", "p95 px", "vis med", "vis p95"))
    for g, r in rep["groups"].items():
        vm = "%10.1f" % r["visible_median_px"] if r["visible_median_px"] is not None else " " * 10
        vp = "%10.1f" % r["visible_p95_px"] if r["visible_p95_px"] is not None else " " * 10
        print("  %-10s %8.1f %8.1f %s %s" % (g, r["median_px"], r["p95_px"], vm, vp))
    print("  median offset detected - truth (px; thigh lengths):")
    for k, o in rep["offsets"].items():
        print("    %-17s dx %6.1f dy %6.1f  (%+.3f, %+.3f)" % (k, o["dx_px"], o["dy_px"],
                                                            o["dx_thigh"], o["dy_thigh"]))


# The conditions of README.md's table: name -> walker.py arguments.
MATRIX = {
    "side-ltr": ["--direction", "ltr"],
    "side-rtl": ["--direction", "rtl"],
    "front": ["--direction", "toward"],
    "back": ["--direction", "away"],
    "side-slow": ["--cadence", "90", "--step-length", "0.55", "--stance-pct", "63"],
    "side-fast": ["--cadence", "130", "--step-length", "0.85", "--stance-pct", "58",
                  "--direction", "rtl"],
    "side-60fps": ["--fps", "60", "--seed", "2"],
    "side-720p": ["--size", "1280x720", "--seed", "3"],
    "portrait-rot90": ["--size", "360x640", "--rotate", "90",
                       "--direction", "toward", "--seed", "4"],
    "side-lowres": ["--size", "320x180", "--seed", "5"],
    "side-noise-shake": ["--noise", "4", "--shake", "0.5", "--vfr", "--codec", "hevc",
                         "--seed", "6"],
}

SUMMARY = ("hips", "knees", "ankles", "heels", "toes")


def run_matrix(outdir, names, complexity):
    """Render each condition, score it, print one summary line per condition."""
    import walker
    os.makedirs(outdir, exist_ok=True)
    print("%-17s %6s %5s  %s  %s" % ("condition", "det%", "swap%",
                                     "  ".join("%-11s" % g for g in SUMMARY),
                                     "leglen L/R"))
    print("%-17s %6s %5s  %s" % ("", "", "", "  ".join("%-11s" % "med/p95 px" for _ in SUMMARY)))
    reports = {}
    for name in names:
        base = os.path.join(outdir, name)
        walker.main(["-o", base + ".mp4", "--truth", base + ".json",
                     "--truth-landmarks", base + ".csv", "--quiet", *MATRIX[name]])
        _, tru, _, tvis = read_landmarks_csv(base + ".csv")
        rep = score(detect(base + ".mp4", complexity)[0], tru, tvis)
        reports[name] = rep
        cells = ["%4.1f/%-6.1f" % (rep["groups"][g]["median_px"], rep["groups"][g]["p95_px"])
                 for g in SUMMARY]
        print("%-17s %6.1f %5.1f  %s  %.3f/%.3f" % (name, rep["detected_pct"],
                                                   rep["legs_swapped_pct"] or 0,
                                                   "  ".join(cells),
                                                   *rep["leg_length_ratio_median"]), flush=True)
    return reports


def main(argv=None):
    p = argparse.ArgumentParser(description="BlazePose vs walker ground truth")
    p.add_argument("video", nargs="?")
    p.add_argument("truth_csv", nargs="?", help="--truth-landmarks output of walker.py")
    p.add_argument("--matrix", metavar="DIR",
                   help="render README's conditions into DIR and score each instead")
    p.add_argument("--only", nargs="*", choices=list(MATRIX), help="with --matrix: these")
    p.add_argument("--json", help="also write the report(s) here")
    p.add_argument("--complexity", type=int, default=1)
    p.add_argument("--min-detected", type=float, default=0.0,
                   help="exit 1 when fewer %% of frames have a pose")
    a = p.parse_args(argv)
    if a.matrix:
        reps = run_matrix(a.matrix, a.only or list(MATRIX), a.complexity)
    elif a.video and a.truth_csv:
        _, tru, _, tvis = read_landmarks_csv(a.truth_csv)
        reps = {"video": score(detect(a.video, a.complexity)[0], tru, tvis)}
        print_report(reps["video"], os.path.basename(a.video))
    else:
        p.error("give VIDEO TRUTH_CSV, or --matrix DIR")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(reps, fh, indent=1)
    return 0 if min(r["detected_pct"] for r in reps.values()) >= a.min_detected else 1


if __name__ == "__main__":
    sys.exit(main())
