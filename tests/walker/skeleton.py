"""Whole-body 3D skeleton of the walker and its 33 BlazePose landmarks.

Legs come from kinematics.Walker; this module adds trunk, arms and head, and
defines where each BlazePose landmark sits on the figure. World frame as in
kinematics: X forward, Y up, Z = subject's right.
"""

import numpy as np

from kinematics import LEFT, RIGHT, Walker

# BlazePose topology, index = landmark id (left = subject's left)
LANDMARKS = [
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner",
    "right_eye", "right_eye_outer", "left_ear", "right_ear", "mouth_left",
    "mouth_right", "left_shoulder", "right_shoulder", "left_elbow", "right_elbow",
    "left_wrist", "right_wrist", "left_pinky", "right_pinky", "left_index",
    "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
]
LM = {name: i for i, name in enumerate(LANDMARKS)}


def head_radii(s):
    """Head ellipsoid half-axes (forward, up, lateral) in metres for scale s."""
    return np.array([0.098, 0.115, 0.077]) * s


def _on_head(s, up, lateral, proud=0.0):
    """Head-frame point on the front of the head ellipsoid (plus `proud` outward)."""
    ax, ay, az = head_radii(s)
    y, z = up * s, lateral * s
    x = ax * np.sqrt(max(1 - (y / ay) ** 2 - (z / az) ** 2, 0.0))
    return np.array([x + proud * s, y, z])


def face_points(s):
    """Face features in the head frame (x forward, y up, z right), metres.

    Lateral signs: +z is the subject's right, so 'left_*' features have z < 0.
    """
    ax, ay, az = head_radii(s)
    pts = {
        "nose": _on_head(s, -0.020, 0.0, proud=0.024),
        "mouth_left": _on_head(s, -0.058, -0.024),
        "mouth_right": _on_head(s, -0.058, 0.024),
        "left_ear": np.array([-0.008 * s, 0.0, -az]),
        "right_ear": np.array([-0.008 * s, 0.0, az]),
    }
    for name, sign in (("left", -1), ("right", 1)):
        pts[name + "_eye_inner"] = _on_head(s, 0.014, sign * 0.019)
        pts[name + "_eye"] = _on_head(s, 0.016, sign * 0.033)
        pts[name + "_eye_outer"] = _on_head(s, 0.014, sign * 0.047)
    return pts


class Skeleton:
    """Evaluates joint positions (metres, world) at arrays of times."""

    def __init__(self, walker: Walker):
        self.w = walker
        self.a = walker.a
        self.face = face_points(self.a.s)

    def _leg3d(self, side, t):
        w, f = self.w, self.w.foot
        hip, knee, ankle, _ = w.leg(side, t)
        heel, pitch = w.foot_pose(side, t)
        z = np.full(len(t), side * self.a.hip_half_width)

        def lift3(xy):
            return np.stack([xy[:, 0], xy[:, 1], z], -1)
        c, s = np.cos(pitch)[:, None], np.sin(pitch)[:, None]

        def foot(local):
            return lift3(heel + np.concatenate([c * local[0] - s * local[1],
                                                s * local[0] + c * local[1]], -1))
        return {"hip": lift3(hip), "knee": lift3(knee), "ankle": lift3(ankle),
                "heel_c": lift3(heel), "toe_c": foot(f.toe_c), "heel": foot(f.heel_lm),
                "toe": foot(f.toe_lm), "pitch": pitch}

    def _arm(self, side, t, shoulder, yaw):
        """Shoulder flexion swings opposite to the same-side leg (peak at phase 0.5)."""
        a, gp = self.a, self.w.gp
        _, p = self.w.phase_of(side, t)
        swing = np.cos(2 * np.pi * (p - 0.5))
        flex = np.radians(-4.0 + gp.arm_swing_deg * swing)
        elbow_flex = np.radians(22.0 + 10.0 * swing)
        abd = np.radians(7.0)

        def direction(angle):
            return np.stack([np.sin(angle) * np.cos(abd), -np.cos(angle) * np.cos(abd),
                             np.full(len(t), side * np.sin(abd))], -1)
        elbow = shoulder + a.upper_arm * direction(flex)
        d_fore = direction(flex + elbow_flex)
        wrist = elbow + a.forearm * d_fore
        # palm faces the thigh: thumb and index on the front edge of the hand.
        # BlazePose's pinky/index/thumb points are knuckles (MCP joints of the
        # little and index fingers, thumb IP joint), not fingertips.
        front = np.stack([np.cos(flex + elbow_flex), np.sin(flex + elbow_flex),
                          np.zeros(len(t))], -1)
        medial = np.array([0.0, 0.0, -side])
        h, s = a.hand, self.a.s
        return {"shoulder": shoulder, "elbow": elbow, "wrist": wrist, "hand_dir": d_fore,
                "hand_front": front,
                "index": wrist + 0.46 * h * d_fore + 0.026 * s * front,
                "pinky": wrist + 0.42 * h * d_fore - 0.028 * s * front,
                "thumb": wrist + 0.34 * h * d_fore + 0.045 * s * front + 0.010 * s * medial}

    def pose(self, t):
        """Dict of joint arrays (N,3) plus nested per-side dicts 'right'/'left'."""
        t = np.atleast_1d(np.asarray(t, float))
        a, gp, n = self.a, self.w.gp, len(t)
        pelvis = np.stack([self.w.pelvis_x(t), self.w.pelvis_y(t), np.zeros(n)], -1)
        lean = np.radians(gp.trunk_lean_deg)
        _, p_r = self.w.phase_of(RIGHT, t)
        # the thorax turns with the arms: right shoulder forward near left heel strike
        yaw = np.radians(4.0) * np.cos(2 * np.pi * (p_r - 0.5))
        axis = np.array([np.sin(lean), np.cos(lean), 0.0])
        chest = pelvis + a.trunk * axis
        out = {"pelvis": pelvis, "chest": chest, "yaw": yaw, "lean": lean}
        for name, side in (("right", RIGHT), ("left", LEFT)):
            leg = self._leg3d(side, t)
            shoulder = chest + a.shoulder_half_width * np.stack(
                [side * np.sin(yaw), np.zeros(n), side * np.cos(yaw)], -1)
            leg.update(self._arm(side, t, shoulder, yaw))
            out[name] = leg
        # head kept upright over a slightly forward neck; it rides with the trunk
        out["neck"] = chest + np.array([0.01, 0.035, 0.0]) * a.s
        out["head"] = chest + np.array([0.025, 0.117 * a.height / a.s, 0.0]) * a.s
        out["head_pitch"] = np.radians(4.0)     # looking slightly down the path
        return out

    def head_to_world(self, pose, local):
        """Head-frame points (..., 3) -> world (N, ..., 3)."""
        c, s = np.cos(pose["head_pitch"]), np.sin(pose["head_pitch"])
        rot = np.array([[c, s, 0.0], [-s, c, 0.0], [0.0, 0.0, 1.0]])  # pitch nose-down
        return pose["head"][:, None, :] + (np.asarray(local).reshape(-1, 3) @ rot.T)[None]

    def landmarks(self, pose):
        """(N, 33, 3) world positions of the BlazePose landmarks."""
        n = len(pose["pelvis"])
        out = np.zeros((n, 33, 3))
        names = list(self.face)
        face = self.head_to_world(pose, np.stack([self.face[k] for k in names]))
        for i, k in enumerate(names):
            out[:, LM[k]] = face[:, i]
        for side in ("left", "right"):
            s = pose[side]
            for lm, key in (("shoulder", "shoulder"), ("elbow", "elbow"), ("wrist", "wrist"),
                            ("pinky", "pinky"), ("index", "index"), ("thumb", "thumb"),
                            ("hip", "hip"), ("knee", "knee"), ("ankle", "ankle"),
                            ("heel", "heel"), ("foot_index", "toe")):
                out[:, LM[side + "_" + lm]] = s[key]
        return out
