"""Ray-cast z-buffer renderer in numpy: perspective camera, textured room, primitives.

Every pixel of a primitive's screen bounding box casts one ray from the camera
centre and intersects the primitive analytically, so edges and depths are exact
and the cost scales with the figure's size, not the frame's. Colour is Lambert
shading under one light that sits above and behind the camera.

Pixel convention: continuous image coordinates with the origin at the top-left
corner of the top-left pixel, so pixel (i, j) has its centre at (i + 0.5, j + 0.5);
MediaPipe's normalised landmarks times the frame size use the same convention.
"""

import numpy as np

from body import Cone, Ellipsoid

UP = np.array([0.0, 1.0, 0.0])


def rotation(yaw, pitch, roll):
    """Small camera-frame rotation (radians) about its down, right and view axes."""
    cy, sy, cp, sp, cr, sr = (np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch),
                              np.cos(roll), np.sin(roll))
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rp = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    rr = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rr @ rp @ ry


class Camera:
    """Pinhole camera; R rows are the camera's right, down and viewing axes in world."""

    def __init__(self, pos, target, width, height, focal_px, shake=None):
        self.pos = np.asarray(pos, float)
        fwd = np.asarray(target, float) - self.pos
        fwd /= np.linalg.norm(fwd)
        right = np.cross(fwd, UP)
        right /= np.linalg.norm(right)
        down = np.cross(fwd, right)
        self.R = np.stack([right, down, fwd])
        if shake is not None:
            self.R = rotation(*shake) @ self.R
        self.w, self.h, self.f = width, height, focal_px
        self.cx, self.cy = width / 2.0, height / 2.0

    def scaled(self, k):
        """The same camera with k times the resolution (for supersampling)."""
        c = Camera.__new__(Camera)
        c.pos, c.R, c.w, c.h, c.f = self.pos, self.R, self.w * k, self.h * k, self.f * k
        c.cx, c.cy = self.cx * k, self.cy * k
        return c

    def to_cam(self, pts):
        return (np.asarray(pts, float) - self.pos) @ self.R.T

    def project(self, pts):
        """World points (..., 3) -> pixel x, y and depth along the view axis."""
        pc = self.to_cam(pts)
        z = pc[..., 2]
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.f * pc[..., 0] / z + self.cx, self.f * pc[..., 1] / z + self.cy, z

    def rays(self):
        """(h, w, 3) unit world directions through the pixel centres."""
        u = (np.arange(self.w) + 0.5 - self.cx) / self.f
        v = (np.arange(self.h) + 0.5 - self.cy) / self.f
        d = np.empty((self.h, self.w, 3))
        d[..., 0] = u[None, :]
        d[..., 1] = v[:, None]
        d[..., 2] = 1.0
        d /= np.linalg.norm(d, axis=-1, keepdims=True)
        return d @ self.R


# ---- primitive intersection -------------------------------------------------
def hit_cone(ro, rd, c: Cone):
    """Distance and unit normal of rays (ro, rd (N,3)) with a round cone.

    Inigo Quilez's closed form (iquilezles.org/articles/intersectors, "rounded
    cone"): the first root of the cone body if it lies between the two tangent
    circles, else the nearer of the two end spheres. Misses give t = inf.
    """
    ba = c.b - c.a
    oa = ro - c.a
    ob = ro - c.b
    rr = c.ra - c.rb
    m0, m1, m5, m7 = ba @ ba, ba @ oa, oa @ oa, ob @ ob
    m2, m3, m6 = rd @ ba, rd @ oa, rd @ ob
    d2 = m0 - rr * rr
    k2 = d2 - m2 * m2
    k1 = d2 * m3 - m1 * m2 + m2 * rr * c.ra
    k0 = d2 * m5 - m1 * m1 + m1 * rr * c.ra * 2.0 - m0 * c.ra * c.ra
    h = k1 * k1 - k0 * k2
    n = len(rd)
    t = np.full(n, np.inf)
    nrm = np.zeros((n, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        tb = (-np.sqrt(h) - k1) / k2
        y = m1 - c.ra * rr + tb * m2
        body = (h >= 0) & (y > 0) & (y < d2) & (tb > 0)
        h1 = m3 * m3 - m5 + c.ra * c.ra
        h2 = m6 * m6 - m7 + c.rb * c.rb
        t1 = np.where(h1 > 0, -m3 - np.sqrt(h1), np.inf)
        t2 = np.where(h2 > 0, -m6 - np.sqrt(h2), np.inf)
    use1 = ~body & (t1 <= t2) & np.isfinite(t1)
    use2 = ~body & (t2 < t1) & np.isfinite(t2)
    t[body] = tb[body]
    nb = d2 * (oa + tb[body, None] * rd[body]) - ba * y[body, None]
    nrm[body] = nb / np.linalg.norm(nb, axis=1, keepdims=True)
    t[use1] = t1[use1]
    nrm[use1] = (oa + t1[use1, None] * rd[use1]) / c.ra
    t[use2] = t2[use2]
    nrm[use2] = (ob + t2[use2, None] * rd[use2]) / c.rb
    return t, nrm


def hit_ellipsoid(ro, rd, e: Ellipsoid):
    """Ray/ellipsoid: scale space so the ellipsoid is the unit sphere."""
    o = (e.axes @ (ro - e.center)) / e.radii
    d = (rd @ e.axes.T) / e.radii
    a = np.einsum("ij,ij->i", d, d)
    b = d @ o
    disc = b * b - a * (o @ o - 1.0)
    t = np.full(len(rd), np.inf)
    ok = disc > 0
    t[ok] = (-b[ok] - np.sqrt(disc[ok])) / a[ok]
    ok &= t > 0
    t[~ok] = np.inf
    local = (o + t[ok, None] * d[ok]) / e.radii     # gradient of the implicit form
    nrm = np.zeros((len(rd), 3))
    g = local @ e.axes
    nrm[ok] = g / np.linalg.norm(g, axis=1, keepdims=True)
    return t, nrm


def bounds(p):
    """World axis-aligned box (lo, hi) of a primitive."""
    if isinstance(p, Cone):
        lo = np.minimum(p.a - p.ra, p.b - p.rb)
        hi = np.maximum(p.a + p.ra, p.b + p.rb)
        return lo, hi
    half = np.sqrt(((p.radii[:, None] * p.axes) ** 2).sum(0))
    return p.center - half, p.center + half


def visibility(cam: Camera, prims, pts, tol):
    """Whether world points (N,3) are inside the frame and not hidden by an occluding
    primitive lying more than tol[i] metres in front of them along their ray.

    Arms and hands are not occluders (Cone/Ellipsoid.occluder = False): a hand
    swinging past the near hip does not make a pose model lose the hip, while the
    trunk and the near leg do hide the far side.
    """
    u, v, depth = cam.project(pts)
    inside = (depth > 0) & (u >= 0) & (u < cam.w) & (v >= 0) & (v < cam.h)
    rd = pts - cam.pos
    dist = np.linalg.norm(rd, axis=1)
    rd = rd / dist[:, None]
    nearest = np.full(len(pts), np.inf)
    for p in prims:
        if p.occluder:
            t, _ = (hit_cone if isinstance(p, Cone) else hit_ellipsoid)(cam.pos, rd, p)
            nearest = np.minimum(nearest, t)
    return inside & (nearest >= dist - tol)


# ---- frame buffer -----------------------------------------------------------
class Frame:
    """Colour and depth buffers of one camera view, filled by the background and primitives."""

    def __init__(self, cam: Camera, light, dirs, rgb, z):
        """dirs: cam.rays(); rgb, z: the background (copied, the caller's stay intact)."""
        self.cam = cam
        self.dirs = dirs
        self.rgb = rgb.copy()
        self.z = z.copy()
        self.light = light / np.linalg.norm(light)

    def _box(self, p):
        lo, hi = bounds(p)
        corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                            for z in (lo[2], hi[2])])
        u, v, depth = self.cam.project(corners)
        if np.any(depth <= 0.05):
            return None                 # at or behind the camera: not drawn
        x0, x1 = max(int(np.floor(u.min())), 0), min(int(np.ceil(u.max())) + 1, self.cam.w)
        y0, y1 = max(int(np.floor(v.min())), 0), min(int(np.ceil(v.max())) + 1, self.cam.h)
        if x0 >= x1 or y0 >= y1:
            return None
        return x0, x1, y0, y1

    def draw(self, prims, ambient=0.42, diffuse=0.62):
        for p in prims:
            box = self._box(p)
            if box is None:
                continue
            x0, x1, y0, y1 = box
            rd = self.dirs[y0:y1, x0:x1].reshape(-1, 3)
            hit = hit_cone if isinstance(p, Cone) else hit_ellipsoid
            t, nrm = hit(self.cam.pos, rd, p)
            zsub = self.z[y0:y1, x0:x1]
            t = t.reshape(zsub.shape)
            win = t < zsub
            if not win.any():
                continue
            zsub[win] = t[win]
            lam = np.clip(nrm.reshape(zsub.shape + (3,))[win] @ self.light, 0, None)
            self.rgb[y0:y1, x0:x1][win] = p.color * (ambient + diffuse * lam)[:, None]

    def downsample(self, k):
        """Box-filter k x k supersamples to output pixels, as float RGB in [0, 1]."""
        if k == 1:
            return self.rgb
        # strided sums: several times faster than reshape(...).mean(axis=(1, 3))
        out = sum(self.rgb[i::k, j::k] for i in range(k) for j in range(k))
        return out * (1.0 / (k * k))
