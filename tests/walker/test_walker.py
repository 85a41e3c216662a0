#!/usr/bin/env python3
"""Self-test of the synthetic walker (ctest label unit; exits non-zero on failure).

Checks the kinematics (planted foot does not slide, nothing goes through the
floor, events alternate and reproduce the parameters), the encoded files
(ffprobe: size, frame rate, frame count, rotation, VFR timestamps, codec and
bit depth), that the rotation flag restores the rendered picture, and the
landmark CSV. Needs numpy and the ffmpeg/ffprobe CLIs; renders tiny clips only.
"""

import json
import os
import subprocess
import sys
import tempfile
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import truth                                            # noqa: E402
import walker                                           # noqa: E402
from body import Cone                                   # noqa: E402
from kinematics import LEFT, RIGHT, GaitParams, Walker  # noqa: E402
from skeleton import LM                                 # noqa: E402

GAITS = [dict(), dict(cadence=90, step_length=0.55, stance_pct=63),
         dict(cadence=130, step_length=0.85, stance_pct=58, height=1.9),
         dict(cadence=100, step_length=0.45, stance_pct=65, height=1.55, phase=0.7)]
FAILS = []


def check(cond, msg):
    if not cond:
        FAILS.append(msg)
        print("FAIL:", msg)


def ffprobe(path, *entries):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-of", "json",
                          *entries, path], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def decode(path, w, h):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3).astype(float)


# ---- kinematics ----------------------------------------------------------------
def test_no_slide_and_no_penetration():
    for kw in GAITS:
        w = Walker(GaitParams(**kw))
        f = w.foot
        for side in (RIGHT, LEFT):
            for k in (0, 3):
                t0 = float(w.hs_time(side, k))
                t = t0 + w.T * w.s * np.linspace(0, 1, 800, endpoint=False)
                heel = w.foot_point(side, t, [0.0, 0.0])
                toe = w.foot_point(side, t, f.toe_c)
                _, p = w.phase_of(side, t)
                # contact point: bottom of the heel sphere until heel rise, then of the toe
                on_heel = p < w.p_hr
                contact = np.where(on_heel[:, None], heel - [0, f.r_heel], toe - [0, f.r_toe])
                first = contact[on_heel][0]
                check(np.abs(contact[on_heel] - first).max() < 1e-9,
                      "%s: heel contact slides" % kw)
                rise = contact[~on_heel]
                check(np.abs(rise - rise[0]).max() < 1e-9, "%s: toe contact slides" % kw)
                check(np.allclose(first[1], 0) and np.allclose(rise[0][1], 0),
                      "%s: stance contact not on the floor" % kw)
                # swing: both spheres above the floor (touching only at its ends)
                ts = t0 + w.T * np.linspace(w.s, 1, 500)[1:-1]
                lo = min((w.foot_point(side, ts, [0, 0])[:, 1] - f.r_heel).min(),
                         (w.foot_point(side, ts, f.toe_c)[:, 1] - f.r_toe).min())
                check(lo > -1e-9, "%s: swing foot below the floor (%.4f m)" % (kw, lo))
            tt = w.hs_time(side, 0) + w.T * np.linspace(0, 2, 3000)
            reach = w.leg(side, tt)[3]
            check(reach.max() < 1, "%s: leg over-stretched (IK reach %.4f)" % (kw, reach.max()))


def test_events_reproduce_parameters():
    for kw in GAITS:
        w = Walker(GaitParams(**kw))
        ev = truth.event_list(w, 0.0, 8.0)
        # with stance > 50 % the order is HS(a), TO(b), HS(b), TO(a), HS(a), ...
        seq = [(e["side"], e["type"]) for e in ev]
        for prev, nxt in zip(seq, seq[1:]):
            want_side = prev[0] if prev[1] == "toe_off" else \
                ("left" if prev[0] == "right" else "right")
            want_type = "heel_strike" if prev[1] == "toe_off" else "toe_off"
            check(nxt == (want_side, want_type), "%s: event order %s -> %s" % (kw, prev, nxt))
        s = truth.events_summary(ev)
        gp = w.gp
        check(abs(s["stance_pct"] - gp.stance_pct) < 1e-9, "%s: stance %% from events" % kw)
        check(abs(s["cadence_steps_per_min"] - gp.cadence) < 1e-9, "%s: cadence" % kw)
        check(abs(s["stride_time_s"] - gp.stride_time) < 1e-9, "%s: stride time" % kw)
        hs = [e for e in ev if e["type"] == "heel_strike"]
        steps = np.diff([e["contact_x_m"] for e in hs])
        check(np.allclose(steps, gp.step_length), "%s: step length from contacts" % kw)
        ang = truth.joint_angle_truth(w, np.linspace(0, 3, 90))
        for side in ("left", "right"):
            a = ang[side]
            check(abs(a["knee_flexion_max_deg"] - gp.knee_peak_deg) < 0.2,
                  "%s: peak knee flexion %.2f" % (kw, a["knee_flexion_max_deg"]))
            check(abs(a["knee_flexion_min_deg"] - gp.knee_min_deg) < 0.2,
                  "%s: min knee flexion %.2f" % (kw, a["knee_flexion_min_deg"]))


def test_refuses_what_it_cannot_walk():
    for kw in (dict(step_length=1.0, stance_pct=66), dict(step_length=0.25, stance_pct=54)):
        try:
            Walker(GaitParams(**kw))
            check(False, "%s accepted" % kw)
        except ValueError:
            pass


def test_body_stays_above_floor():
    args = walker.build_parser().parse_args(["-o", "/dev/null", "--duration", "1.2"])
    clip = walker.Clip(args)
    lo = np.inf
    for i in range(len(clip.times)):
        for p in clip.body.primitives(clip.pose, i, clip.scene.cam_pos):
            if isinstance(p, Cone):
                lo = min(lo, p.a[1] - p.ra, p.b[1] - p.rb)
            else:
                lo = min(lo, p.center[1] - np.sqrt(((p.radii * p.axes[:, 1]) ** 2).sum()))
    check(lo > -1e-9, "a body primitive reaches %.4f m below the floor" % lo)


# ---- encoded files ---------------------------------------------------------------
def _render(tmp, name, *extra):
    out = os.path.join(tmp, name + ".mp4")
    tj, tc = out[:-4] + ".json", out[:-4] + ".csv"
    walker.main(["-o", out, "--truth", tj, "--truth-landmarks", tc, "--quiet", *extra])
    with open(tj) as fh:
        return out, json.load(fh), tc


def test_rotation_and_cfr(tmp):
    # portrait upright 180x320 stored as 320x180 with a -90 display matrix, like a phone
    common = ["--size", "180x320", "--duration", "1", "--fps", "30",
              "--seed", "3"]
    rot, tr, _ = _render(tmp, "rot", *common, "--rotate", "90")
    up, _, csv_path = _render(tmp, "up", *common)
    st = ffprobe(rot, "-count_packets", "-show_entries",
                 "stream=width,height,r_frame_rate,nb_read_packets:stream_side_data=rotation")
    s = st["streams"][0]
    check((s["width"], s["height"]) == (320, 180), "stored size %sx%s" % (s["width"], s["height"]))
    check(s["r_frame_rate"] == "30/1", "frame rate %s" % s["r_frame_rate"])
    check(int(s["nb_read_packets"]) == 30 == tr["video"]["frames"], "frame count")
    rot_sd = [d.get("rotation") for d in s.get("side_data_list", [])]
    check(rot_sd == [-90] and tr["video"]["display_matrix_rotation_deg"] == -90,
          "display matrix rotation %s" % rot_sd)
    a, b = decode(rot, 180, 320), decode(up, 180, 320)
    check(a.shape == b.shape and np.abs(a - b).mean() < 2.0,
          "rotated clip does not decode to the upright picture (mean diff %.2f)"
          % np.abs(a - b).mean())
    times, xy, z, vis = truth.read_landmarks_csv(csv_path)
    check(xy.shape == (30, 33, 2) and np.allclose(times, np.arange(30) / 30), "landmark CSV")
    only = os.path.join(tmp, "only.csv")
    walker.main(["--truth-landmarks", only, *common])     # no video: same landmarks
    _, xy2, z2, vis2 = truth.read_landmarks_csv(only)
    check(np.array_equal(xy, xy2) and np.array_equal(z, z2) and np.array_equal(vis, vis2),
          "truth-only landmarks differ from the rendered clip's")


def test_vfr_timestamps(tmp):
    path, tr, _ = _render(tmp, "vfr", "--size", "320x180",
                          "--duration", "1", "--fps", "60", "--vfr")
    pk = ffprobe(path, "-show_entries", "packet=pts_time")["packets"]
    pts = np.sort([float(p["pts_time"]) for p in pk])
    want = np.array(tr["video"]["frame_times_s"])
    check(len(pts) == len(want) and np.abs(pts - want).max() < 1e-5,
          "VFR packet times differ from the rendered times")
    check(np.ptp(np.diff(want)) > 0.5 / 60, "VFR times are not variable")


def test_hevc_10bit_side_view_visibility(tmp):
    path, tr, csv_path = _render(tmp, "hevc", "--size", "320x180",
                                 "--duration", "0.5", "--codec", "hevc", "--bits", "10",
                                 "--direction", "ltr")
    s = ffprobe(path, "-show_entries", "stream=codec_name,pix_fmt")["streams"][0]
    check((s["codec_name"], s["pix_fmt"]) == ("hevc", "yuv420p10le"), "codec %s" % s)
    _, _, _, vis = truth.read_landmarks_csv(csv_path)
    # left->right shows the subject's right side: right hip seen, left hip hidden
    check(vis[:, LM["right_hip"]].mean() > 0.9 and vis[:, LM["left_hip"]].mean() < 0.1,
          "side-view hip visibility")
    g = tr["gait"]
    check(abs(g["double_support_pct"] - (2 * g["stance_pct"] - 100)) < 1e-9, "double support")
    # side view: the knee angle measured on the truth landmarks is the 3D one
    _, xy, _, _ = truth.read_landmarks_csv(csv_path)
    for side, (h, k, a) in (("left", (23, 25, 27)), ("right", (24, 26, 28))):
        u, v = xy[:, k] - xy[:, h], xy[:, a] - xy[:, k]
        cos = np.sum(u * v, 1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        flex2d = np.degrees(np.arccos(np.clip(cos, -1, 1)))
        want = g["joint_angles"][side]["knee_flexion_rom_frames_deg"]
        check(abs(np.ptp(flex2d) - want) < 0.05,
              "2D knee ROM %.3f != 3D %.3f (%s)" % (np.ptp(flex2d), want, side))


def main():
    tests = [test_no_slide_and_no_penetration, test_events_reproduce_parameters,
             test_refuses_what_it_cannot_walk, test_body_stays_above_floor]
    file_tests = [test_rotation_and_cfr, test_vfr_timestamps, test_hevc_10bit_side_view_visibility]
    with tempfile.TemporaryDirectory() as tmp:
        for t in tests + file_tests:
            before = len(FAILS)
            try:
                t(tmp) if t in file_tests else t()
            except Exception:
                traceback.print_exc()
                FAILS.append(t.__name__ + " raised")
            print("%s %s" % ("ok  " if len(FAILS) == before else "FAIL", t.__name__))
    if FAILS:
        print("%d check(s) failed" % len(FAILS))
        return 1
    print("all walker checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
