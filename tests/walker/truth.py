"""Ground truth of a rendered clip: events, gait parameters, per-frame landmarks.

Definitions (also in README.md):

heel strike   instant the heel sphere of the shoe first touches the floor
toe off       instant the toe sphere of the shoe leaves the floor
step time     heel strike of one foot -> next heel strike of the other foot
stride time   heel strike -> next heel strike of the same foot
cadence       60 / step time (steps per minute)
stance %      (toe off - heel strike) of a foot / its stride time * 100
swing %       100 - stance %
double support %  time both feet are on the floor / stride time * 100
              (two periods per stride; = 2 * stance % - 100 here)
step length   distance along the walking direction between the heel contact
              points of consecutive heel strikes (opposite feet)
stride length two step lengths (same foot, consecutive heel strikes)
leg length    |hip - knee| + |knee - ankle| + (ankle - heel landmark) height with
              the foot flat: what a pose model's hip, knee, ankle and heel
              landmarks measure (hip = hip joint centre)
knee flexion  180 deg - angle(hip, knee, ankle); 0 = straight leg
hip flexion   angle of the thigh (hip -> knee) from the downward vertical in the
              sagittal plane, + = knee in front of the hip (flexion), - = extension
"""

import csv

import numpy as np

from kinematics import LEFT, RIGHT, Walker
from skeleton import LANDMARKS


def leg_lengths(w: Walker):
    a, f = w.a, w.foot
    ankle_heel = f.ankle[1] - f.heel_lm[1]      # heel centre frame: both relative to it
    return {
        "leg_length_m": a.thigh + a.shank + ankle_heel,
        "leg_length_definition": "hip joint centre-knee + knee-ankle + vertical ankle-heel "
                                 "landmark distance with the foot flat",
        "hip_joint_height_standing_m": a.thigh + a.shank + a.ankle_height,
        "thigh_m": a.thigh, "shank_m": a.shank, "ankle_heel_vertical_m": ankle_heel,
        "ankle_height_m": a.ankle_height, "shoe_length_m": a.shoe_length,
        "hip_joint_width_m": 2 * a.hip_half_width,
    }


def _angles(w: Walker, side, t):
    hip, knee, ankle, _ = w.leg(side, t)
    knee_flex = w.knee_flexion(hip, knee, ankle)
    thigh = knee - hip
    hip_flex = np.degrees(np.arctan2(thigh[:, 0], -thigh[:, 1]))
    return knee_flex, hip_flex


def joint_angle_truth(w: Walker, frame_times):
    """Knee and hip angle extremes over a densely sampled stride and over the frames."""
    out = {}
    dense = w.hs_time(RIGHT, 0) + w.T * np.arange(4000) / 4000.0
    for name, side in (("left", LEFT), ("right", RIGHT)):
        kf, hf = _angles(w, side, dense)
        kf_frames, _ = _angles(w, side, frame_times)
        out[name] = {
            "knee_flexion_min_deg": float(kf.min()), "knee_flexion_max_deg": float(kf.max()),
            "knee_flexion_rom_deg": float(kf.max() - kf.min()),
            "knee_flexion_rom_frames_deg": float(kf_frames.max() - kf_frames.min()),
            "hip_flexion_max_deg": float(hf.max()), "hip_extension_max_deg": float(-hf.min()),
            "hip_flexion_rom_deg": float(hf.max() - hf.min()),
        }
    return out


def gait_truth(w: Walker, frame_times):
    """Design values of the spatiotemporal parameters (identical for both sides)."""
    gp = w.gp
    legs = leg_lengths(w)
    L = legs["leg_length_m"]
    stance = gp.stance_pct
    y = w.pelvis_y(w.hs_time(RIGHT, 0) + w.T * np.arange(2000) / 2000.0)
    return {
        "cadence_steps_per_min": gp.cadence,
        "step_time_s": gp.step_time, "stride_time_s": gp.stride_time,
        "stance_pct": stance, "swing_pct": 100.0 - stance,
        "double_support_pct": 2 * stance - 100.0, "single_support_pct": 200.0 - 2 * stance,
        "step_length_m": gp.step_length, "stride_length_m": 2 * gp.step_length,
        "step_length_norm": gp.step_length / L, "stride_length_norm": 2 * gp.step_length / L,
        "walking_speed_m_s": gp.speed,
        "walking_speed_leg_lengths_per_s": gp.speed / L,
        "walking_speed_froude": gp.speed / np.sqrt(9.81 * L),
        "pelvis_vertical_excursion_m": float(y.max() - y.min()),
        "joint_angles": joint_angle_truth(w, frame_times),
    }


def event_list(w: Walker, t0, t1, fps=None):
    """Events in [t0, t1] with the contact point's x (m) and, for CFR video, the
    fractional frame index (time * fps)."""
    f = w.foot
    out = []
    for e in w.events(t0, t1):
        side = RIGHT if e["side"] == "right" else LEFT
        t = np.array([e["time_s"]])
        if e["type"] == "heel_strike":
            x = w.foot_point(side, t, [0.0, 0.0])[0, 0]         # heel sphere centre
        else:
            x = w.foot_point(side, t, f.toe_c)[0, 0]
        e["contact_x_m"] = float(x)
        if fps:
            e["frame"] = e["time_s"] * fps
        out.append(e)
    return out


def events_summary(events):
    """Recompute the temporal parameters from an event list (complete cycles only)."""
    hs = {s: [e["time_s"] for e in events if e["side"] == s and e["type"] == "heel_strike"]
          for s in ("left", "right")}
    to = {s: [e["time_s"] for e in events if e["side"] == s and e["type"] == "toe_off"]
          for s in ("left", "right")}
    all_hs = sorted(hs["left"] + hs["right"])
    strides, stance = [], []
    for s in ("left", "right"):
        for a, b in zip(hs[s], hs[s][1:]):
            strides.append(b - a)
            tos = [t for t in to[s] if a < t < b]
            if len(tos) == 1:
                stance.append((tos[0] - a) / (b - a) * 100)
    steps = np.diff(all_hs)
    return {"step_time_s": float(np.mean(steps)) if len(steps) else None,
            "stride_time_s": float(np.mean(strides)) if strides else None,
            "stance_pct": float(np.mean(stance)) if stance else None,
            "cadence_steps_per_min": 60.0 / float(np.mean(steps)) if len(steps) else None,
            "complete_strides": len(strides)}


def write_landmarks_csv(path, times, xy, z, vis):
    """CSV in dancer's --landmarks-csv format: frame,time_s,landmark,x,y,z,visibility."""
    with open(path, "w", newline="") as fh:
        wr = csv.writer(fh)
        wr.writerow(["frame", "time_s", "landmark", "x", "y", "z", "visibility"])
        for i, t in enumerate(times):
            for k in range(len(LANDMARKS)):
                wr.writerow([i, "%.6f" % t, k, "%.3f" % xy[i, k, 0], "%.3f" % xy[i, k, 1],
                             "%.3f" % z[i, k], "%.1f" % vis[i, k]])


def read_landmarks_csv(path):
    """-> times (N,), xy (N,33,2), z (N,33), visibility (N,33)."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    n = int(rows[:, 0].max()) + 1
    xy = np.full((n, len(LANDMARKS), 2), np.nan)
    z = np.full((n, len(LANDMARKS)), np.nan)
    vis = np.zeros((n, len(LANDMARKS)))
    times = np.zeros(n)
    f, k = rows[:, 0].astype(int), rows[:, 2].astype(int)
    times[f] = rows[:, 1]
    xy[f, k] = rows[:, 3:5]
    z[f, k] = rows[:, 5]
    vis[f, k] = rows[:, 6]
    return times, xy, z, vis
