#!/usr/bin/env python3
"""Gait accuracy on the synthetic walker's exact ground truth (issue #5 bounds).

For each condition the walker (tests/walker, Clip.landmarks: truth-only
mode, no pixels drawn) gives the exact per-frame 2D landmarks of its figure
as its renderer reports them, plus its truth record: events, parameters,
joint angles. The landmarks are then degraded the way a pose
model degrades them, written as a landmarks CSV, analysed by gait_tool (the
C gait stage, CPU path) and compared with the truth:

  jitter     Gaussian, sd = 1 % of the leg length in px per landmark and frame
             on x and y (BlazePose's frame-to-frame jitter on sharp video is of
             that order), 2 % on the relative depth z (a noisier estimate)
  occlusion  landmarks the truth marks hidden get visibility 0.5, visible ones
             0.95: pose models keep predicting occluded landmarks, with lower
             visibility, rather than dropping them
  dropouts   no pose in 2 % of frames at random and for 0.13 s every 2 s
  glitches   0.3 % of landmark samples jump up to half a leg away, visibility
             0.05 (must be rejected by the visibility gate and spike filter)
  swaps      left and right leg landmarks exchanged for 2-3 frames around
             half of the instants the ankles pass each other (BlazePose did
             so in 2-9 % of side-view frames on the walker, mostly there,
             tests/walker/README.md)

Bounds asserted (issue #5): cadence within 1 step/min; step and stride time
mean absolute error <= 0.02 s (per detected step/stride against the design
value; where the result's method.temporal is "periodicity" there are no
per-step times and the error of the reported mean step/stride time is
scored against the same bound); stance within 3 points; normalised step
length within 5 %; knee flexion ROM within 5 deg. Front/back views give no
stance, swing, double support, step length or joint angles (the gait stage
reports null with a reason; asserted here).

usage: walker_accuracy.py GAIT_TOOL [--walker-dir DIR] [--table FILE] [--only NAME]
Exit 77 (skipped) when the walker is not in the tree.
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

# name, walker arguments, subject height given to the gait stage (cm, 0 = none)
CONDITIONS = [
    ("normal ltr 30fps", ["--direction", "ltr", "--cadence", "110", "--step-length", "0.70",
                          "--stance-pct", "60"], 175),
    ("slow ltr", ["--direction", "ltr", "--cadence", "88", "--step-length", "0.55",
                  "--stance-pct", "64", "--duration", "8"], 0),
    ("fast rtl", ["--direction", "rtl", "--cadence", "128", "--step-length", "0.85",
                  "--stance-pct", "57"], 0),
    ("normal rtl 60fps", ["--direction", "rtl", "--fps", "60"], 0),
    ("front (toward)", ["--direction", "toward", "--cadence", "105", "--step-length", "0.65",
                        "--duration", "7"], 0),
    ("back (away)", ["--direction", "away", "--cadence", "112", "--duration", "7"], 0),
    ("portrait rot90 ltr", ["--direction", "ltr", "--size", "360x640", "--rotate", "90"], 0),
    ("low res 320x180", ["--direction", "ltr", "--size", "320x180", "--cadence", "100",
                         "--step-length", "0.62"], 0),
    ("1080p 60fps rtl", ["--direction", "rtl", "--size", "1920x1080", "--fps", "60",
                         "--cadence", "118", "--step-length", "0.78", "--subject-height", "1.80"], 180),
    ("vfr 30fps ltr", ["--direction", "ltr", "--vfr", "--cadence", "104"], 0),
]

# Issue #5's bounds; the hip's ROM bound is ours (the issue bounds the knee's
# only), the same 5 degrees, so a hip number is checked like a knee number.
BOUNDS = {"cadence": 1.0, "step_time_mae": 0.02, "stride_time_mae": 0.02, "stance": 3.0,
          "step_length_rel": 0.05, "knee_rom": 5.0, "hip_rom": 5.0}


def degrade(xy, z, vis, times, rng):
    """Pose-model-like jitter, visibility, dropouts and glitches (module doc)."""
    n = len(times)
    thigh = np.linalg.norm(xy[:, 23] - xy[:, 25], axis=1) + np.linalg.norm(xy[:, 25] - xy[:, 27], axis=1)
    leg = float(np.median(thigh))
    out = xy + rng.normal(0, 0.01 * leg, xy.shape)
    zout = z + rng.normal(0, 0.02 * leg, z.shape)
    v = np.where(vis > 0, 0.95, 0.5)
    glitch = rng.random(vis.shape) < 0.003
    out[glitch] += rng.uniform(-0.5 * leg, 0.5 * leg, (glitch.sum(), 2))
    v[glitch] = 0.05
    drop = rng.random(n) < 0.02
    drop |= (times % 2.0) >= 2.0 - 0.13
    swap(out, zout, v, xy, rng)
    return out, zout, v, drop, leg


LEGS_L, LEGS_R = [23, 25, 27, 29, 31], [24, 26, 28, 30, 32]


def swap(xy, z, vis, truth_xy, rng):
    """Exchanges the legs' landmarks in place (see the module doc)."""
    n = len(xy)
    gap = truth_xy[:, 27, 0] - truth_xy[:, 28, 0]
    crossings = np.nonzero(np.sign(gap[1:]) != np.sign(gap[:-1]))[0]
    starts = [c - 1 for c in crossings if rng.random() < 0.5]
    for s in starts:
        sl = slice(max(s, 0), min(s + int(rng.integers(2, 4)), n))
        for arr in (xy, z, vis):
            arr[sl, LEGS_L], arr[sl, LEGS_R] = arr[sl, LEGS_R].copy(), arr[sl, LEGS_L].copy()


def write_csv(path, times, xy, z, vis, drop):
    with open(path, "w") as fh:
        fh.write("frame,time_s,landmark,x,y,z,visibility\n")
        for i, t in enumerate(times):
            if drop[i]:
                continue
            for k in range(33):
                fh.write("%d,%.6f,%d,%.3f,%.3f,%.3f,%.2f\n" % (i, t, k, xy[i, k, 0], xy[i, k, 1],
                                                                z[i, k], vis[i, k]))


def step_stride_errors(events, truth_step, truth_stride):
    """MAE of step and stride times from detected heel strikes, per bout."""
    steps, strides = [], []
    hs = [e for e in events if e["type"] == "heel_strike"]
    for a, b in zip(hs, hs[1:]):
        if a["bout"] == b["bout"] and a["side"] != b["side"]:
            steps.append(abs(b["time_s"] - a["time_s"] - truth_step))
    for side in ("left", "right"):
        s = [e for e in hs if e["side"] == side]
        for a, b in zip(s, s[1:]):
            if a["bout"] == b["bout"] and b["time_s"] - a["time_s"] < 1.5 * truth_stride:
                strides.append(abs(b["time_s"] - a["time_s"] - truth_stride))
    return (float(np.mean(steps)) if steps else None, float(np.mean(strides)) if strides else None)


def event_error(events, truth_events, kind):
    """Mean |detected - nearest true event of the same foot and type|, s."""
    err = []
    for e in events:
        if e["type"] != kind:
            continue
        ref = [t["time_s"] for t in truth_events if t["type"] == kind and t["side"] == e["side"]]
        if ref:
            err.append(min(abs(e["time_s"] - r) for r in ref))
    return float(np.mean(err)) if err else None


def run_condition(name, wargs, height_cm, tool, walker, tmp, seed):
    args = walker.build_parser().parse_args(wargs)
    clip = walker.Clip(args)
    truth = clip.truth_record(None)
    with open(os.path.join(tmp, "truth.json"), "w") as fh:
        json.dump(truth, fh)
    xy, z, occl = clip.landmarks()
    rng = np.random.default_rng(seed)
    nxy, nz, v, drop, leg_px = degrade(xy, z, occl, clip.times, rng)
    csv = os.path.join(tmp, "lm.csv")
    write_csv(csv, clip.times, nxy, nz, v, drop)
    cmd = [tool, "analyze", "--fps", str(args.fps)]
    if height_cm:
        cmd += ["--height", str(height_cm)]
    w, h = truth["video"]["width"], truth["video"]["height"]
    out = subprocess.run(cmd + [str(w), str(h), csv], capture_output=True, text=True, check=True).stdout
    with open(os.path.join(tmp, "result.json"), "w") as fh:
        fh.write(out)
    return compare(name, json.loads(out)["gait"], truth, leg_px, args)


def compare(name, g, truth, leg_px, args):
    tg = truth["gait"]
    side = truth["camera"]["view"] == "side"
    if g["method"].get("temporal") == "periodicity":
        # One stride period per bout from the feet's periodicity, no per-step
        # times: the "MAE" is then the error of the reported mean itself
        # (same bound; README "Rhythm", ACCURACY.md).
        step_mae = None if g["step_time_s"] is None else abs(g["step_time_s"] - tg["step_time_s"])
        stride_mae = None if g["stride_time_s"] is None else abs(g["stride_time_s"] - tg["stride_time_s"])
    else:
        step_mae, stride_mae = step_stride_errors(g["events"], tg["step_time_s"], tg["stride_time_s"])
    row = {"name": name, "view": truth["camera"]["view"], "fps": args.fps,
           "res": "%dx%d" % (truth["video"]["width"], truth["video"]["height"]), "leg_px": leg_px,
           "detected": g["gait_cycle_detected"], "reason": g["reason"],
           "strides": sum(b["strides"] for b in g["bouts"]),
           "cadence_err": None if g["cadence_steps_per_min"] is None
           else g["cadence_steps_per_min"] - tg["cadence_steps_per_min"],
           "step_time_mae": step_mae, "stride_time_mae": stride_mae,
           "stance_err": None if g["stance_pct"] is None else g["stance_pct"] - tg["stance_pct"],
           "hs_err": event_error(g["events"], truth["events"], "heel_strike"),
           "to_err": event_error(g["events"], truth["events"], "toe_off"),
           "step_len_rel": None if g["step_length"] is None
           else g["step_length"] / tg["step_length_norm"] - 1,
           "knee_rom_err": None if g["knee_flexion_rom_deg"] is None
           else g["knee_flexion_rom_deg"] - tg["joint_angles"]["left"]["knee_flexion_rom_deg"],
           "hip_rom_err": None if g["hip_flexion_rom_deg"] is None
           else g["hip_flexion_rom_deg"] - tg["joint_angles"]["left"]["hip_flexion_rom_deg"],
           "speed_m_s_err": None if g["walking_speed_m_s"] is None
           else g["walking_speed_m_s"] - tg["walking_speed_m_s"],
           "side": side, "null_reasons": g["null_reasons"], "temporal": g["method"].get("temporal")}
    return row


def check_keyed(row):
    """Bound violations of one condition as (bound, message) pairs; the bound
    is "detected", a BOUNDS-like name or "null_<key>"."""
    bad = []
    if not row["detected"]:
        return [("detected", "no gait cycle: %s" % row["reason"])]

    def over(key, bound, value):
        if value is None:
            bad.append((key, "%s missing" % key))
        elif abs(value) > bound:
            bad.append((key, "%s %.4g beyond %.4g" % (key, value, bound)))
    over("cadence", BOUNDS["cadence"], row["cadence_err"])
    over("step_time_mae", BOUNDS["step_time_mae"], row["step_time_mae"])
    over("stride_time_mae", BOUNDS["stride_time_mae"], row["stride_time_mae"])
    if row["side"]:
        over("stance", BOUNDS["stance"], row["stance_err"])
        over("step_length", BOUNDS["step_length_rel"], row["step_len_rel"])
        over("knee_rom", BOUNDS["knee_rom"], row["knee_rom_err"])
        over("hip_rom", BOUNDS["hip_rom"], row["hip_rom_err"])
    else:
        # Front/back views time no heel strike well enough for stance
        # (ACCURACY.md): it must be null with a reason, not a number.
        for key in ("stance_pct", "swing_pct", "double_support_pct", "step_length", "knee_flexion_rom_deg",
                    "hip_flexion_rom_deg"):
            if key not in row["null_reasons"]:
                bad.append(("null_" + key, "front/back view: %s should be null with a reason" % key))
    return bad


def check(row):
    """Bound violations of one condition, as strings."""
    return [message for _, message in check_keyed(row)]


def fmt(x, spec):
    return "—" if x is None else spec % x


def table(rows):
    head = ("| condition | view | res | fps | leg px | strides | cadence err | step MAE s | "
            "stride MAE s | stance err | HS err s | TO err s | step len err | knee ROM err | "
            "hip ROM err | speed err m/s | pass |\n|" + "---|" * 17 + "\n")
    lines = []
    for r in rows:
        lines.append("| %s | %s | %s | %g | %.0f | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["name"], r["view"], r["res"], r["fps"], r["leg_px"], r["strides"],
            fmt(r["cadence_err"], "%+.2f"), fmt(r["step_time_mae"], "%.4f"),
            fmt(r["stride_time_mae"], "%.4f"), fmt(r["stance_err"], "%+.2f"),
            fmt(r["hs_err"], "%.4f"), fmt(r["to_err"], "%.4f"),
            fmt(None if r["step_len_rel"] is None else 100 * r["step_len_rel"], "%+.1f %%"),
            fmt(r["knee_rom_err"], "%+.1f°"), fmt(r.get("hip_rom_err"), "%+.1f°"),
            fmt(r["speed_m_s_err"], "%+.3f"),
            "yes" if not r["violations"] else "NO: " + "; ".join(r["violations"])))
    return head + "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("tool")
    ap.add_argument("--walker-dir", default=os.path.join(ROOT, "tests", "walker"))
    ap.add_argument("--table", help="also write the markdown table here")
    ap.add_argument("--only", help="run conditions whose name contains this")
    ap.add_argument("--keep", help="keep each condition's CSV, truth and result in this folder")
    ap.add_argument("--seed", type=int, default=0, help="added to each condition's noise seed")
    a = ap.parse_args()
    if not os.path.exists(os.path.join(a.walker_dir, "walker.py")):
        print("skipped: no synthetic walker at %s" % a.walker_dir)
        return 77
    sys.path.insert(0, a.walker_dir)
    import walker  # noqa: E402  (tests/walker/walker.py)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed, (name, wargs, height) in enumerate(CONDITIONS):
            if a.only and a.only not in name:
                continue
            out = a.keep or tmp
            if a.keep:
                os.makedirs(os.path.join(a.keep, str(seed)), exist_ok=True)
                out = os.path.join(a.keep, str(seed))
            row = run_condition(name, wargs, height, a.tool, walker, out, seed + 100 * a.seed)
            row["violations"] = check(row)
            rows.append(row)
    text = table(rows)
    print(text)
    if a.table:
        with open(a.table, "w") as fh:
            fh.write(text)
    failed = [r["name"] for r in rows if r["violations"]]
    print("%d conditions, %d outside the bounds%s" % (len(rows), len(failed),
                                                    (": " + ", ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
