#!/usr/bin/env python3
"""Synthetic walker: renders an mp4 of a walking figure with exact gait ground truth.

    python3 tests/walker/walker.py -o walk.mp4 --truth walk.json \
        --truth-landmarks walk.csv --direction ltr --cadence 110 --step-length 0.7

Runtime needs: Python 3.11, numpy, the ffmpeg CLI. See README.md in this folder
for the model, the truth definitions and measured accuracy of BlazePose on it.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from body import BodyModel, Outfit                       # noqa: E402
from kinematics import GaitParams, Walker               # noqa: E402
from scene import DIRECTIONS, Scene, SceneParams        # noqa: E402
from skeleton import LANDMARKS, Skeleton                # noqa: E402
from render import Frame, visibility                    # noqa: E402
import truth                                            # noqa: E402
import video                                            # noqa: E402

VERSION = "1.0"

# How far a landmark may sit behind the nearest surface and still count as
# visible: about the radius of the body part it belongs to (m, 1.75 m figure).
# Heel and toe points lie on the shoe's surface, but a slightly oblique ray to
# them crosses the shoe itself, hence the shoe's half-width.
_TOL = {"nose": 0.01, "eye_inner": 0.015, "eye": 0.015, "eye_outer": 0.015, "ear": 0.02,
        "mouth": 0.01, "shoulder": 0.07, "elbow": 0.045, "wrist": 0.035, "pinky": 0.02,
        "index": 0.02, "thumb": 0.02, "hip": 0.10, "knee": 0.06, "ankle": 0.05,
        "heel": 0.05, "foot_index": 0.05}


def _tolerances(s):
    parts = [n.split("_", 1)[1] if n.startswith(("left_", "right_")) else n.split("_")[0]
             for n in LANDMARKS]
    return np.array([s * _TOL[p] for p in parts])


def _size(text):
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError("size must look like 640x360")
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("width and height must be positive and even")
    return w, h


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[1],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    g = p.add_argument_group("gait")
    g.add_argument("--cadence", type=float, default=110.0, help="steps per minute")
    g.add_argument("--step-length", type=float, default=0.70, help="m")
    g.add_argument("--stance-pct", type=float, default=60.0, help="stance %% of the stride")
    g.add_argument("--subject-height", type=float, default=1.75, help="m")
    g.add_argument("--phase", type=float, default=0.1, help="right-foot gait phase at t=0")
    g.add_argument("--knee-peak", type=float, default=62.0, help="peak swing knee flexion, deg")
    g.add_argument("--arm-swing", type=float, default=18.0, help="shoulder swing amplitude, deg")
    c = p.add_argument_group("camera and scene")
    c.add_argument("--direction", choices=DIRECTIONS, default="ltr",
                   help="screen direction; ltr/rtl = side view, toward = front, away = back")
    c.add_argument("--camera-height", type=float, default=1.1, help="m")
    c.add_argument("--camera-distance", type=float, default=0.0,
                   help="m (side: to the walking line; front/back: closest approach); 0 = fit")
    c.add_argument("--focal-mm", type=float, default=0.0,
                   help="35 mm-equivalent focal length; 0 = 26 mm, or framed for BlazePose "
                        "in front/back views")
    c.add_argument("--shake", type=float, default=0.0, help="camera shake amplitude, deg")
    c.add_argument("--noise", type=float, default=0.0, help="pixel noise sigma, 8-bit levels")
    c.add_argument("--seed", type=int, default=0, help="outfit, room and noise")
    c.add_argument("--ssaa", type=int, default=0,
                   help="supersampling factor (anti-aliasing); 0 = 2 up to 0.5 MP, else 1")
    v = p.add_argument_group("video")
    v.add_argument("-o", "--output", help="output .mp4 (without it: truth files only, no "
                   "pixels drawn)")
    v.add_argument("--size", type=_size, default=(640, 360), metavar="WxH",
                   help="upright (displayed) frame size in pixels, even numbers")
    v.add_argument("--fps", type=float, default=30.0)
    v.add_argument("--vfr", action="store_true", help="variable frame rate timestamps")
    v.add_argument("--duration", type=float, default=5.0, help="s")
    v.add_argument("--rotate", type=int, default=0, choices=(0, 90, 180, 270),
                   help="display rotation (clockwise, like a phone's rotate tag); frames "
                        "are stored turned the other way")
    v.add_argument("--codec", choices=("h264", "hevc"), default="h264")
    v.add_argument("--bits", type=int, choices=(8, 10), default=8)
    v.add_argument("--crf", type=int, default=18)
    v.add_argument("--faststart", action="store_true", help="moov atom at the start")
    o = p.add_argument_group("ground truth")
    o.add_argument("--truth", help="write ground-truth JSON here")
    o.add_argument("--truth-landmarks", help="write per-frame landmark CSV here")
    o.add_argument("--quiet", action="store_true")
    return p


def _shadow_blobs(pose, i, s):
    """Soft contact shadows: one under the body, one per foot fading with height."""
    blobs = [(pose["pelvis"][i, 0], 0.0, 0.30 * s, 0.22)]
    for side in ("left", "right"):
        for key, r in (("heel_c", 0.07), ("toe_c", 0.07)):
            x, y, z = pose[side][key][i]
            blobs.append((x, z, r * s * (1 + 2 * y), 0.45 * np.exp(-y / 0.08)))
    return blobs


class Clip:
    """Everything needed to render one clip and describe its truth."""

    def __init__(self, args):
        self.args = args
        self.width, self.height = args.size
        self.gp = GaitParams(cadence=args.cadence, step_length=args.step_length,
                             stance_pct=args.stance_pct, height=args.subject_height, phase=args.phase,
                             t_center=args.duration / 2, knee_peak_deg=args.knee_peak,
                             arm_swing_deg=args.arm_swing)
        self.walker = Walker(self.gp)
        self.skeleton = Skeleton(self.walker)
        self.body = BodyModel(self.skeleton, Outfit.from_seed(args.seed))
        self.scene = Scene(SceneParams(
            direction=args.direction, width=self.width, height=self.height,
            duration=args.duration, speed=self.gp.speed, subject_height=args.subject_height,
            camera_height=args.camera_height, camera_distance=args.camera_distance,
            focal_mm=args.focal_mm, shake_deg=args.shake, seed=args.seed))
        if args.ssaa <= 0:
            # anti-aliased edges look like a camera's; BlazePose scored the same
            # with 1 or 2 (README), and from 720p up 2x would cost ~4x the time
            args.ssaa = 2 if self.width * self.height <= 500_000 else 1
        n = int(round(args.duration * args.fps))
        self.times = video.frame_times(n, args.fps, args.vfr)
        self.pose = self.skeleton.pose(self.times)
        self.lm3d = self.skeleton.landmarks(self.pose)
        self.tol = _tolerances(self.walker.a.s)
        self.rng = np.random.default_rng(args.seed + 7)
        self.backdrop = None

    def _light(self, cam):
        right, down, fwd = cam.R
        return -0.45 * fwd - 0.80 * down - 0.35 * right    # above, behind, left of camera

    def _backdrop(self, cam):
        """Rays, empty-room colour/depth and floor points for a (supersampled) camera;
        computed once when the camera never moves."""
        if self.backdrop is not None:
            return self.backdrop
        dirs = cam.rays()
        rgb, z, xz, floor = self.scene.background(cam, dirs)
        bd = (dirs, rgb, z, xz, floor)
        if self.args.shake == 0:
            self.backdrop = bd
        return bd

    def render_frame(self, i):
        """Upright float RGB frame i, plus landmark pixels, z and visibility."""
        a = self.args
        cam = self.scene.camera(self.times[i])
        big = cam.scaled(a.ssaa)
        dirs, rgb, z, xz, floor = self._backdrop(big)
        frame = Frame(big, self._light(cam), dirs, rgb, z)
        blobs = _shadow_blobs(self.pose, i, self.walker.a.s)
        region, shade = self.scene.shadow(big, xz, floor, blobs)
        frame.rgb[region] *= shade[..., None]
        prims = self.body.primitives(self.pose, i, cam.pos)
        frame.draw(prims)
        img = frame.downsample(a.ssaa)
        if a.noise > 0:
            img = img + self.rng.normal(0, a.noise / 255.0, img.shape)
        return (img,) + self.landmarks_at(i, cam, prims)

    def landmarks_at(self, i, cam, prims):
        """Landmark pixels (33,2), z (33,) and visibility (33,) of frame i."""
        vis = visibility(cam, prims, self.lm3d[i], self.tol)
        x, y, depth = cam.project(self.lm3d[i])
        mid = 0.5 * (self.lm3d[i, 23] + self.lm3d[i, 24])
        d_mid = cam.project(mid[None])[2][0]
        z = (depth - d_mid) * cam.f / d_mid     # BlazePose-like: px at hip depth, - = nearer
        return np.stack([x, y], -1), z, vis.astype(float)

    def landmarks(self):
        """Truth landmarks of every frame without drawing any pixel (fast): what
        render() returns alongside the video."""
        out = [self.landmarks_at(i, cam, self.body.primitives(self.pose, i, cam.pos))
               for i, cam in ((i, self.scene.camera(t)) for i, t in enumerate(self.times))]
        return tuple(np.array(v) for v in zip(*out))

    def render(self, path):
        a = self.args
        n = len(self.times)
        xy = np.zeros((n, len(LANDMARKS), 2))
        z = np.zeros((n, len(LANDMARKS)))
        vis = np.zeros((n, len(LANDMARKS)))
        t0 = time.perf_counter()
        with video.Encoder(path, self.width, self.height, a.fps, a.codec, a.bits, a.rotate,
                           a.vfr, a.crf, a.faststart) as enc:
            for i in range(n):
                img, xy[i], z[i], vis[i] = self.render_frame(i)
                enc.write(img)
        self.elapsed = time.perf_counter() - t0
        return xy, z, vis

    def truth_record(self, path):
        a, w, sc = self.args, self.walker, self.scene
        duration = a.duration
        events = truth.event_list(w, 0.0, self.times[-1], None if a.vfr else a.fps)
        swapped = a.rotate in (90, 270)
        return {
            "schema": "dancer-walker-truth/1",
            "generator": {"name": "tests/walker/walker.py", "version": VERSION,
                          "argv": sys.argv[1:]},
            "params": {k: v for k, v in vars(a).items() if k not in ("quiet",)},
            "video": {"path": path, "width": self.width, "height": self.height,
                      "stored_width": self.height if swapped else self.width,
                      "stored_height": self.width if swapped else self.height,
                      "fps": a.fps, "vfr": a.vfr, "frames": len(self.times),
                      "duration_s": duration, "codec": a.codec, "bits": a.bits,
                      "rotate_tag_deg": a.rotate,
                      "display_matrix_rotation_deg": (-a.rotate + 180) % 360 - 180,
                      "frame_times_s": [round(float(t), 6) for t in self.times] if a.vfr
                      else None},
            "camera": {"view": sc.view, "direction": a.direction,
                       "position_m": sc.cam_pos.tolist(), "target_m": sc.cam_target.tolist(),
                       "distance_m": sc.distance, "focal_px": sc.focal_px,
                       "shake_deg": a.shake},
            "subject": dict(height_m=a.subject_height, height_cm=a.subject_height * 100,
                            **truth.leg_lengths(w)),
            "gait": truth.gait_truth(w, self.times),
            "events": events,
            "events_summary": truth.events_summary(events),
        }


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        clip = Clip(args)
    except ValueError as e:             # parameters the model cannot walk or frame
        parser.error(str(e))
    if not (args.output or args.truth or args.truth_landmarks):
        parser.error("nothing to write: give -o, --truth or --truth-landmarks")
    if args.output:
        xy, z, vis = clip.render(args.output)
    else:
        xy, z, vis = clip.landmarks()
    if args.truth:
        with open(args.truth, "w") as fh:
            json.dump(clip.truth_record(args.output), fh, indent=1)
    if args.truth_landmarks:
        truth.write_landmarks_csv(args.truth_landmarks, clip.times, xy, z, vis)
    if args.output and not args.quiet:
        n = len(clip.times)
        print("%s: %d frames %dx%d in %.1f s (%.1f ms/frame)" % (
            args.output, n, clip.width, clip.height, clip.elapsed,
            1000 * clip.elapsed / n), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
