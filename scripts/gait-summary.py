#!/usr/bin/env python3
"""Short human summary of a dancer result JSON, optionally beside the truth of a
synthetic walker video (tests/walker/walker.py --truth), optionally checked.

    scripts/gait-summary.py RESULT.json [--truth TRUTH.json] [--check]

--check exits 1 unless the result is a real gait report: no error, a gait cycle
detected, cadence, step/stride time, stance and normalised step length present,
and (with --truth) each within a plausibility band of the walker's truth. The
bands are wider than the gait tests' accuracy bounds (tests/gait): this guards
the quickstart and CI against placeholder or broken numbers, not accuracy.
Standard library only, so it runs with any python3.
"""
import argparse
import json
import sys

# (label, result gait key, truth gait key, unit, plausibility band: abs or "rel")
ROWS = [
    ("cadence", "cadence_steps_per_min", "cadence_steps_per_min", "steps/min", (6.0, None)),
    ("step time", "step_time_s", "step_time_s", "s", (0.05, None)),
    ("stride time", "stride_time_s", "stride_time_s", "s", (0.08, None)),
    ("stance", "stance_pct", "stance_pct", "%", (8.0, None)),
    ("swing", "swing_pct", "swing_pct", "%", None),
    ("double support", "double_support_pct", "double_support_pct", "%", None),
    ("step length", "step_length", "step_length_norm", "leg lengths", (None, 0.2)),
    ("stride length", "stride_length", "stride_length_norm", "leg lengths", None),
    ("walking speed", "walking_speed", "walking_speed_leg_lengths_per_s", "leg lengths/s", None),
    ("step length", "step_length_m", "step_length_m", "m", None),
    ("walking speed", "walking_speed_m_s", "walking_speed_m_s", "m/s", None),
    ("knee flexion ROM", "knee_flexion_rom_deg", "knee_flexion_rom_deg", "deg", None),
]
REQUIRED = ["cadence_steps_per_min", "step_time_s", "stride_time_s", "stance_pct", "step_length"]


def fmt(v):
    if v is None:
        return "null"
    return f"{v:.3g}" if abs(v) < 10 else f"{v:.1f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("result")
    ap.add_argument("--truth")
    ap.add_argument("--check", action="store_true")
    a = ap.parse_args()
    doc = json.load(open(a.result))
    truth = dict(json.load(open(a.truth))["gait"]) if a.truth else {}
    sides = truth.get("joint_angles", {}).values()
    if sides:
        truth["knee_flexion_rom_deg"] = sum(s["knee_flexion_rom_deg"] for s in sides) / len(sides)
    problems = []

    src, video = doc.get("source") or {}, doc.get("video") or {}
    print(f"source: s3://{src.get('bucket')}/{src.get('key')}" if src.get("bucket") else
          f"source: {src.get('uri')}")
    if video:
        print(f"video:  {video.get('width')}x{video.get('height')} {video.get('codec')}, "
              f"{fmt(video.get('duration_s'))} s at {fmt(video.get('fps'))} fps, {video.get('frames')} frames")
    if doc.get("error"):
        problems.append(f"error: {doc['error'].get('class')}: {doc['error'].get('message')}")
    g = doc.get("gait") or {}
    q = doc.get("quality") or {}
    proc = doc.get("processing") or {}
    print(f"gait:   cycle detected: {g.get('gait_cycle_detected')}, view: {g.get('view')}, "
          f"scale: {g.get('scale_source') or 'unknown (lengths in leg lengths)'}"
          + (f" ({g.get('reason')})" if g.get("reason") else ""))
    print(f"\n  {'parameter':<18} {'dancer':>9} {'truth' if truth else '':>9}  unit")
    for label, key, tkey, unit, band in ROWS:
        v = g.get(key)
        t = truth.get(tkey) if tkey else None
        if v is None and key.endswith("_m") or v is None and key.endswith("_m_s"):
            continue  # lengths in metres only when the scale is known
        print(f"  {label:<18} {fmt(v):>9} {fmt(t) if truth else '':>9}  {unit}")
        if band and v is not None and t is not None:
            tol = band[0] if band[0] is not None else band[1] * abs(t)
            if abs(v - t) > tol:
                problems.append(f"{label} {fmt(v)} {unit} is not within {fmt(tol)} of the truth {fmt(t)}")
    print(f"\nquality: confidence {q.get('confidence')}, pose in {q.get('frames_with_pose_pct')} % of frames, "
          f"{q.get('complete_strides')} complete strides")
    if proc:
        print(f"processing: dancer {proc.get('version')}, device {proc.get('device')}, "
              f"decoder {proc.get('decoder')}, timings (ms) {json.dumps(proc.get('timings_ms'))}")

    if not g.get("gait_cycle_detected"):
        problems.append("no gait cycle detected")
    problems += [f"{k} is null" for k in REQUIRED if g.get(k) is None]
    if a.check:
        for p in problems:
            print(f"check: FAIL {p}", file=sys.stderr)
        print("check: " + ("FAIL" if problems else "ok: real gait numbers, plausible against the truth"
                           if truth else "ok: real gait numbers"))
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
