"""Scene set-up: camera placement per view, the room (textured floor and wall),
soft contact shadows and camera shake.

The subject always walks along world +X (see kinematics); the camera is placed
to give the requested screen direction:

  ltr    camera on the subject's right (+Z), the figure moves left -> right
  rtl    camera on the subject's left (-Z), the figure moves right -> left
  toward camera ahead on the path looking back: front view
  away   camera behind on the path: back view
"""

from dataclasses import dataclass

import numpy as np

from render import UP, Camera

DIRECTIONS = ("ltr", "rtl", "toward", "away")
VIEW_OF = {"ltr": "side", "rtl": "side", "toward": "front", "away": "back"}

DEFAULT_FOCAL_MM = 26.0    # a phone's main camera
MAX_FOCAL_MM = 80.0
FAR_FRACTION = 0.22        # auto framing: figure height / long side, at least (front/back: far end)

FLOORS = [(0.62, 0.60, 0.56), (0.55, 0.45, 0.35), (0.48, 0.50, 0.50), (0.66, 0.56, 0.44)]
WALLS = [(0.80, 0.78, 0.72), (0.70, 0.76, 0.80), (0.82, 0.74, 0.64), (0.74, 0.78, 0.70)]
ACCENTS = [(0.35, 0.45, 0.55), (0.60, 0.35, 0.30), (0.30, 0.50, 0.40), (0.55, 0.50, 0.30)]


@dataclass
class SceneParams:
    direction: str = "ltr"
    width: int = 640            # upright (displayed) frame size in pixels
    height: int = 360
    duration: float = 5.0
    speed: float = 1.28         # walking speed, m/s (to size the path)
    subject_height: float = 1.75
    camera_height: float = 1.1  # m above the floor
    camera_distance: float = 0.0  # m; 0 = automatic (whole path in view)
    focal_mm: float = 0.0       # 35 mm-equivalent focal length; 0 = auto (26 mm side view)
    shake_deg: float = 0.0      # camera shake amplitude
    seed: int = 0


class Scene:
    def __init__(self, sp: SceneParams):
        if sp.direction not in DIRECTIONS:
            raise ValueError("direction must be one of " + ", ".join(DIRECTIONS))
        self.sp = sp
        rng = np.random.default_rng(sp.seed + 1000)
        self.floor_rgb = np.array(FLOORS[rng.integers(len(FLOORS))])
        self.wall_rgb = np.array(WALLS[rng.integers(len(WALLS))])
        self.accent_rgb = np.array(ACCENTS[rng.integers(len(ACCENTS))])
        self.tile = rng.uniform(0.4, 0.7)
        self.posters = rng.uniform(-1, 1, size=(4, 2))
        # shake: three incommensurate sinusoids per axis, seeded phases
        self.shake_f = rng.uniform(0.4, 2.5, size=(3, 3))
        self.shake_ph = rng.uniform(0, 2 * np.pi, size=(3, 3))
        diag = np.hypot(sp.width, sp.height)
        # 43.267 mm: diagonal of the 35 mm format that "equivalent focal length" refers to
        self.focal_px = (sp.focal_mm or DEFAULT_FOCAL_MM) / 43.267 * diag
        self.t_center = sp.duration / 2.0
        self._place_camera()

    @property
    def view(self):
        return VIEW_OF[self.sp.direction]

    def _fit_distance(self, half_width_m, level=False):
        """Distance at which the whole body (5 % margins) and half_width_m sideways fit,
        the camera aimed at the middle of the body or, if level, straight ahead."""
        sp, f = self.sp, self.focal_px
        h = sp.subject_height
        half_height = 0.56 * h
        if level:
            half_height = max(sp.camera_height, 1.06 * h - sp.camera_height) + 0.05 * h
        return max(half_width_m * f / (sp.width / 2.0), half_height * f / (sp.height / 2.0))

    def _detect_distance(self):
        """Farthest side-view distance at which the figure still spans FAR_FRACTION of
        the long side. A portrait frame that fitted a 5 s walk made the figure 13 %
        of its height, too small for BlazePose's detector in every frame; a phone
        held upright frames the person, who then walks into and out of the picture."""
        sp = self.sp
        return self.focal_px * sp.subject_height / (FAR_FRACTION * max(sp.width, sp.height))

    def _auto_front_focal(self, path):
        """Focal length (px) and closest distance for a front/back view.

        BlazePose's detector needs the figure to span 16-18 % of the frame's
        long side before it finds it (measured: README.md), so the far end of the
        path is framed at FAR_FRACTION of the long side and the near end still shows
        the whole body -- what a phone's 2x lens at the end of a walkway gives.
        """
        sp = self.sp
        k = FAR_FRACTION * max(sp.width, sp.height) / sp.subject_height   # f / far distance
        a = (sp.height / 2.0) / (0.56 * sp.subject_height)                # f / near distance
        if a <= k * 1.05:
            return None
        near = k * path / (a - k)
        f = min(k * (near + path), MAX_FOCAL_MM / 43.267 * np.hypot(sp.width, sp.height))
        return f, f / a

    def _place_camera(self):
        sp = self.sp
        path = sp.speed * sp.duration
        look_y = 0.5 * sp.subject_height
        if self.view == "side":
            d = sp.camera_distance or min(self._fit_distance(path / 2 + 0.35 * sp.subject_height,
                                                             level=True), self._detect_distance())
            zc = d if sp.direction == "ltr" else -d
            self.cam_pos = np.array([0.0, sp.camera_height, zc])
            # level: the image plane stays parallel to the legs' planes, so projected
            # sagittal angles (knee, hip) equal the 3D ones
            self.cam_target = np.array([0.0, sp.camera_height, 0.0])
            self.wall = (np.array([0.0, 0.0, np.sign(zc)]), -2.5)     # 2.5 m behind the path
        else:
            auto = None
            if not sp.focal_mm and not sp.camera_distance:
                auto = self._auto_front_focal(path)
            if auto:
                self.focal_px, d = auto
                d = max(d, self._fit_distance(0.3 * sp.subject_height))
            else:
                d = sp.camera_distance or self._fit_distance(0.3 * sp.subject_height)
            d += 0.15                               # toes lead the pelvis
            half = path / 2
            sign = 1.0 if sp.direction == "toward" else -1.0
            xc = sign * (half + d)
            self.cam_pos = np.array([xc, sp.camera_height, 0.0])
            # aimed at the middle of the body at the closest approach
            self.cam_target = np.array([sign * half, look_y, 0.0])
            self.wall = (np.array([sign, 0.0, 0.0]), -(half + 3.0))  # 3 m beyond the far end
        self.distance = d

    def camera(self, t):
        """Camera at time t (shake included)."""
        sp = self.sp
        shake = None
        if sp.shake_deg > 0:
            ang = np.sin(2 * np.pi * self.shake_f * t + self.shake_ph).sum(axis=1) / 3
            shake = np.radians(sp.shake_deg) * ang * np.array([1.0, 1.0, 0.5])
        return Camera(self.cam_pos, self.cam_target, sp.width, sp.height, self.focal_px, shake)

    # ---- room ---------------------------------------------------------------
    def _floor(self, x, z, dist):
        """Tiled floor with per-tile tint and grout lines that fade with distance."""
        s = self.tile
        ix, iz = np.floor(x / s), np.floor(z / s)
        h = np.sin(ix * 12.9898 + iz * 78.233) * 43758.5453
        tint = 0.92 + 0.10 * (h - np.floor(h))
        fx, fz = x / s - ix, z / s - iz
        edge = np.minimum(np.minimum(fx, 1 - fx), np.minimum(fz, 1 - fz))
        line = np.clip(1 - edge / 0.03, 0, 1) * np.clip(1.2 - dist / 15, 0, 1)
        shade = tint * (1 - 0.35 * line)
        # gentle light fall-off away from the middle of the room
        shade *= 1 - 0.15 * np.clip(np.hypot(x, z) / 12, 0, 1)
        return shade[..., None] * self.floor_rgb

    def _wall(self, u, y):
        """Wall with skirting board, an upper band, and a few posters/doors."""
        rgb = np.broadcast_to(self.wall_rgb, u.shape + (3,)).copy()
        rgb *= (1.0 - 0.04 * y[..., None])
        rgb[y < 0.12] = self.wall_rgb * 0.55
        rgb[y > 2.6] = self.wall_rgb * 1.08
        for k, (pu, ph) in enumerate(self.posters):
            cu = pu * 4.0 + (k - 1.5) * 2.5
            w, lo, hi = (0.9, 0.0, 2.0) if k == 0 else (0.6 + 0.2 * ph, 1.1 + 0.2 * ph, 1.9)
            inside = (np.abs(u - cu) < w / 2) & (y > lo) & (y < hi)
            colour = self.accent_rgb if k % 2 == 0 else self.accent_rgb[::-1]
            rgb[inside] = colour * (0.9 + 0.1 * k / 3)
        return np.clip(rgb, 0, 1)

    def background(self, cam, dirs):
        """Colour (h,w,3), depth (h,w) and floor hit points (h,w,2) of the empty room."""
        pos = cam.pos
        with np.errstate(divide="ignore", invalid="ignore"):
            t_floor = np.where(dirs[..., 1] < 0, -pos[1] / dirs[..., 1], np.inf)
            n, c0 = self.wall
            dn = dirs @ n
            t_wall = np.where(dn < 0, (c0 - pos @ n) / dn, np.inf)
        t_wall = np.where(t_wall > 0, t_wall, np.inf)
        on_floor = t_floor <= t_wall
        t = np.minimum(t_floor, t_wall)
        t = np.where(np.isfinite(t), t, 1e3)
        p = pos + t[..., None] * dirs
        rgb = np.empty(dirs.shape, np.float32)
        rgb[on_floor] = self._floor(p[on_floor, 0], p[on_floor, 2], t[on_floor])
        tangent = np.cross(UP, n)
        wall = ~on_floor
        rgb[wall] = self._wall(p[wall] @ tangent, p[wall, 1])
        return rgb, t, np.stack([p[..., 0], p[..., 2]], -1), on_floor

    @staticmethod
    def shadow(cam, floor_xz, on_floor, blobs):
        """Darkening of floor points under blobs (x, z, radius, strength).

        Returns (region, factor): multiply image[region] by factor[..., None].
        Only the screen box of the floor patch under the blobs is evaluated.
        """
        reach = max(3 * r for _, _, r, _ in blobs)
        xs = [b[0] for b in blobs]
        x0, x1 = min(xs) - reach, max(xs) + reach
        corners = np.array([[x, 0.0, z] for x in (x0, x1) for z in (-reach, reach)])
        u, v, depth = cam.project(corners)
        if np.any(depth <= 0):
            region = np.s_[:, :]
        else:
            region = np.s_[max(int(v.min()), 0):max(int(v.max()) + 2, 0),
                           max(int(u.min()), 0):max(int(u.max()) + 2, 0)]
        xz, m = floor_xz[region], on_floor[region]
        dark = np.zeros(m.shape)
        for x, z, r, k in blobs:
            d2 = ((xz[..., 0] - x) ** 2 + (xz[..., 1] - z) ** 2) / (r * r)
            dark = np.maximum(dark, k * np.exp(-d2))
        return region, np.where(m, 1 - dark, 1.0)


