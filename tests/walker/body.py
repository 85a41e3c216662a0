"""Body model: turns a skeleton pose into shaded 3D primitives for the renderer.

Shapes are round cones (two spheres and their tangent cone: tapered limbs) and
ellipsoids (pelvis, trunk, head, hands, face features). Sizes are for the 1.75 m
reference figure and scale with height. Colours come from a seeded outfit so
every clip of a test matrix can look a little different.
"""

from dataclasses import dataclass

import numpy as np

from skeleton import head_radii

# Palettes keep clothes well apart in brightness from the light walls and
# mid-grey floors of scene.py: BlazePose's detector finds a yellow shirt in front
# of a beige wall only when the figure is ~50 % larger than a blue one.
SKIN = [(0.87, 0.69, 0.56), (0.76, 0.57, 0.42), (0.55, 0.38, 0.26), (0.93, 0.78, 0.66)]
HAIR = [(0.16, 0.11, 0.07), (0.08, 0.07, 0.06), (0.45, 0.30, 0.15), (0.30, 0.20, 0.12)]
SHIRT = [(0.16, 0.35, 0.70), (0.70, 0.16, 0.14), (0.15, 0.45, 0.26), (0.45, 0.20, 0.55),
         (0.25, 0.27, 0.30), (0.10, 0.45, 0.50)]
TROUSERS = [(0.20, 0.28, 0.45), (0.30, 0.40, 0.62), (0.45, 0.40, 0.32), (0.35, 0.35, 0.37)]
SHOES = [(0.92, 0.92, 0.90), (0.12, 0.12, 0.13), (0.45, 0.28, 0.16), (0.75, 0.20, 0.18)]


@dataclass
class Outfit:
    skin: tuple
    hair: tuple
    shirt: tuple
    trousers: tuple
    shoes: tuple

    @staticmethod
    def from_seed(seed):
        rng = np.random.default_rng(seed)

        def pick(lst):
            return lst[rng.integers(len(lst))]
        return Outfit(pick(SKIN), pick(HAIR), pick(SHIRT), pick(TROUSERS), pick(SHOES))


@dataclass
class Cone:
    """Round cone: spheres (a, ra) and (b, rb) joined by their tangent cone."""
    a: np.ndarray
    b: np.ndarray
    ra: float
    rb: float
    color: np.ndarray
    occluder: bool = True       # counts for landmark visibility (render.visibility)


@dataclass
class Ellipsoid:
    center: np.ndarray
    axes: np.ndarray        # (3,3) rows = unit axis directions
    radii: np.ndarray       # (3,) half-lengths along those axes
    color: np.ndarray
    occluder: bool = True


def _frame(fwd, up):
    """Orthonormal rows (forward, up, right) from approximate forward/up vectors."""
    fwd = fwd / np.linalg.norm(fwd)
    up = up - fwd * np.dot(up, fwd)
    up = up / np.linalg.norm(up)
    return np.stack([fwd, up, np.cross(fwd, up)])


def _yawed(yaw, lean=0.0):
    """Trunk frame rows (forward, up, right) for a thorax yaw and forward lean."""
    c, s = np.cos(yaw), np.sin(yaw)
    fwd = np.array([c * np.cos(lean), -np.sin(lean), -s])
    up = np.array([np.sin(lean), np.cos(lean), 0.0])
    return _frame(fwd, up)


class BodyModel:
    def __init__(self, skeleton, outfit: Outfit, far_shade=0.60):
        self.sk = skeleton
        self.s = skeleton.a.s
        self.outfit = outfit
        # the limbs further from the camera are drawn darker, a depth cue that real
        # lighting gives too (the far side is in the body's shadow); it makes
        # BlazePose swap the legs less often in side views (README.md)
        self.far_shade = far_shade

    def primitives(self, pose, i, cam_pos):
        """All primitives of frame i of a pose dict, as a list."""
        s, o = self.s, self.outfit
        prims = []
        dist = {side: np.linalg.norm(pose[side]["hip"][i] - cam_pos) for side in ("left", "right")}
        far = max(dist, key=dist.get) if abs(dist["left"] - dist["right"]) > 0.05 * s else None
        for side in ("left", "right"):
            k = self.far_shade if side == far else 1.0
            prims += self._leg(pose[side], i, k)
            prims += self._arm(pose[side], i, k)
        prims += self._trunk(pose, i)
        prims += self._head(pose, i)
        return prims

    def _leg(self, leg, i, k):
        s, o = self.s, self.outfit
        tr, sh = np.array(o.trousers) * k, np.array(o.shoes) * k
        hip, knee, ankle = leg["hip"][i], leg["knee"][i], leg["ankle"][i]
        heel_c, toe_c = leg["heel_c"][i], leg["toe_c"][i]
        f = self.sk.w.foot
        shin = ankle - knee
        down = shin / np.linalg.norm(shin)
        front = np.array([-down[1], down[0], 0.0])      # shin normal in the leg's plane
        axes = _frame(front, -down)
        calf = Ellipsoid(knee + 0.32 * shin - 0.010 * s * front, axes,
                         np.array([0.052, 0.13, 0.050]) * s, tr)
        foot_dir = toe_c - heel_c
        foot_dir /= np.linalg.norm(foot_dir)
        foot_up = np.array([-foot_dir[1], foot_dir[0], 0.0])
        return [
            Cone(hip + np.array([0, 0.02, 0]) * s, knee, 0.083 * s, 0.055 * s, tr),
            Cone(knee, ankle + 0.02 * s * foot_up, 0.052 * s, 0.040 * s, tr),
            calf,
            Cone(heel_c, toe_c, f.r_heel, f.r_toe, sh),
            # shoe upper over the instep, up to the ankle collar
            Cone(heel_c + 0.35 * (toe_c - heel_c) + 0.012 * s * foot_up,
                 ankle - 0.01 * s * foot_up, 0.036 * s, 0.040 * s, sh),
            # wide, low shoe body; its side profile stays inside the heel/toe spheres'
            # hull, so the spheres alone touch the floor and the events stay exact
            Ellipsoid(0.5 * (heel_c + toe_c) + 0.008 * s * foot_up,
                      np.stack([foot_dir, foot_up, np.cross(foot_dir, foot_up)]),
                      np.array([0.5 * np.linalg.norm(toe_c - heel_c) + 0.018 * s,
                                0.034 * s, 0.047 * s]), sh),
        ]

    def _arm(self, arm, i, k):
        s, o = self.s, self.outfit
        shirt, skin = np.array(o.shirt) * k, np.array(o.skin) * k
        sh, el, wr = arm["shoulder"][i], arm["elbow"][i], arm["wrist"][i]
        d, front = arm["hand_dir"][i], arm["hand_front"][i]
        hand_len = self.sk.a.hand
        # flat hand, palm towards the thigh: long along the forearm, wide to the front
        hand = Ellipsoid(wr + 0.42 * hand_len * d, _frame(d, front),
                         np.array([0.50 * hand_len, 0.042 * s, 0.016 * s]), skin)
        prims = [
            Cone(sh, sh + 0.55 * (el - sh), 0.056 * s, 0.047 * s, shirt),   # sleeve
            Cone(sh, el, 0.044 * s, 0.034 * s, skin),
            Cone(el, wr, 0.035 * s, 0.025 * s, skin),
            hand,
            Cone(wr + 0.15 * hand_len * d + 0.02 * s * front,          # thumb
                 wr + 0.50 * hand_len * d + 0.045 * s * front, 0.012 * s, 0.009 * s, skin),
        ]
        for p in prims:
            p.occluder = False
        return prims

    def _trunk(self, pose, i):
        s, o = self.s, self.outfit
        shirt, tr, skin = np.array(o.shirt), np.array(o.trousers), np.array(o.skin)
        pelvis, chest = pose["pelvis"][i], pose["chest"][i]
        yaw, lean = pose["yaw"][i], pose["lean"]
        straight = _yawed(0.0, lean)
        thorax = _yawed(yaw, lean)
        up = straight[1]
        sh_l, sh_r = pose["left"]["shoulder"][i], pose["right"]["shoulder"][i]
        return [
            Ellipsoid(pelvis + 0.03 * s * up, straight,
                      np.array([0.112, 0.13, 0.175]) * s, tr),
            Ellipsoid(pelvis + 0.24 * s * up, _yawed(0.5 * yaw, lean),
                      np.array([0.108, 0.21, 0.160]) * s, shirt),
            Ellipsoid(chest - 0.17 * s * up, thorax, np.array([0.120, 0.22, 0.178]) * s, shirt),
            # shoulder girdle: joins the deltoids to the chest in front/back views
            Cone(sh_l - 0.015 * s * up, sh_r - 0.015 * s * up, 0.062 * s, 0.062 * s, shirt),
            Cone(chest + np.array([0.0, -0.01, 0]) * s, pose["neck"][i] + 0.07 * s * up,
                 0.056 * s, 0.050 * s, skin),
        ]

    def _head(self, pose, i):
        s, o = self.s, self.outfit
        skin, hair = np.array(o.skin), np.array(o.hair)
        face = self.sk.face
        pitch = pose["head_pitch"]
        rot = np.array([[np.cos(pitch), -np.sin(pitch), 0.0],
                        [np.sin(pitch), np.cos(pitch), 0.0], [0.0, 0.0, 1.0]])

        def world(local):
            return self.sk.head_to_world({"head": pose["head"][i:i + 1], "head_pitch": pitch},
                                         local)[0, 0]
        axes = rot                                  # rows: head forward, up, right
        dark = np.array([0.10, 0.07, 0.06])
        lips = np.array(o.skin) * np.array([0.85, 0.55, 0.55])
        white = np.array([0.95, 0.95, 0.93])
        prims = [
            Ellipsoid(pose["head"][i], axes, head_radii(s), skin),
            Ellipsoid(world(np.array([-0.016, 0.022, 0.0]) * s), axes,
                      head_radii(s) * np.array([1.05, 0.98, 1.06]), hair),
            Ellipsoid(world(face["nose"] - np.array([0.016, -0.006, 0]) * s), axes,
                      np.array([0.017, 0.024, 0.010]) * s, skin * 0.95),
            Ellipsoid(world(0.5 * (face["mouth_left"] + face["mouth_right"])
                            - np.array([0.002, 0, 0]) * s), axes,
                      np.array([0.006, 0.006, 0.023]) * s, lips),
        ]
        for side in ("left", "right"):
            eye = face[side + "_eye"]
            prims.append(Ellipsoid(world(eye - np.array([0.004, 0, 0]) * s), axes,
                                   np.array([0.006, 0.007, 0.013]) * s, white))
            prims.append(Ellipsoid(world(eye + np.array([0.002, 0, 0]) * s), axes,
                                   np.array([0.004, 0.0055, 0.0055]) * s, dark))
            prims.append(Ellipsoid(world(eye + np.array([-0.002, 0.017, 0]) * s), axes,
                                   np.array([0.005, 0.0035, 0.017]) * s, hair))
            prims.append(Ellipsoid(world(face[side + "_ear"]), axes,
                                   np.array([0.014, 0.030, 0.010]) * s, skin * 0.95))
        return prims
