#!/usr/bin/env python3
"""End to end: our pose pipeline (pose_run: crop kernels, nn engine, host
steps) against MediaPipe's own (pinned wheel, its PoseLandmarkCpu graph) on
the same pixels: the Y'CbCr planes go to us, their RGB reconstruction (numpy,
8-bit) to MediaPipe.

Photos (Debian's opencv-doc: messi5.jpg, basketball1/2.png), as MediaPipe's
static_image_mode:
  - our landmarks vs MediaPipe's, px of the upright frame (≤ 2 px);
  - our landmark stage on MediaPipe's ROI vs its unsmoothed landmarks;
  - our detector ROI vs MediaPipe's;
  - the same photo stored turned (rotation flag) and in NV12/P010/YUV420P10.
Video (a synthetic walker clip from tests/walker, and a few frames of
opencv-doc's vtest.avi), as MediaPipe's video mode with smoothing:
  - our landmark stage on the ROI MediaPipe used for each frame vs its
    unsmoothed landmarks (≤ 2 px; the same-crop comparison);
  - our full tracking vs MediaPipe's smoothed output (reported, bounded).

    python3 test_e2e.py POSE_RUN [photos|video]
"""
import os
import shutil
import subprocess
import sys

from posetest import Checker, graph, image_packet, mediapipe, need, pack_planes, skip, tmpdir

np = need("numpy")
cv2 = need("cv2")

DATA = "/usr/share/doc/opencv-doc/examples/data"
WALKER = os.path.join(os.environ.get("DN_SOURCE_DIR", "."), "tests", "walker", "walker.py")
KR_KB = {0: (0.299, 0.114), 1: (0.2126, 0.0722)}


# ---- pixels ----------------------------------------------------------------

def rgb_to_planes(rgb):
    """BT.709 video range, 2×2-averaged chroma (any downsampling will do: the
    reference RGB is rebuilt from these planes)."""
    kr, kb = KR_KB[1]
    f = rgb.astype(np.float64) / 255
    y = kr * f[..., 0] + (1 - kr - kb) * f[..., 1] + kb * f[..., 2]
    cb = (f[..., 2] - y) / (2 * (1 - kb))
    cr = (f[..., 0] - y) / (2 * (1 - kr))
    h, w = y.shape
    pad = lambda a: np.pad(a, ((0, h % 2), (0, w % 2)), mode="edge")
    sub = lambda a: pad(a).reshape((h + 1) // 2, 2, (w + 1) // 2, 2).mean(axis=(1, 3))
    q = lambda a, off, sc: np.clip(np.rint(off + sc * a), 0, 255).astype(np.int64)
    return q(y, 16, 219), q(sub(cb), 128, 224), q(sub(cr), 128, 224), 1, False


def jpeg_planes(path, d):
    """The JPEG's own Y'CbCr 4:2:0 planes (BT.601, full range), as a decoder gives them."""
    img = cv2.imread(path)
    h, w = img.shape[:2]
    raw = os.path.join(d, "jpeg.yuv")
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", path, "-f", "rawvideo", "-pix_fmt", "yuvj420p",
                    raw], check=True)
    b = np.fromfile(raw, np.uint8)
    cw, ch = (w + 1) // 2, (h + 1) // 2
    y = b[:w * h].reshape(h, w)
    u = b[w * h:w * h + cw * ch].reshape(ch, cw)
    v = b[w * h + cw * ch:].reshape(ch, cw)
    return y.astype(np.int64), u.astype(np.int64), v.astype(np.int64), 0, True


def bilinear_rep(p, x, y):
    h, w = p.shape
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    ax, ay = x - x0, y - y0
    g = lambda yy, xx: p[np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)].astype(np.float64)
    return ((1 - ay) * ((1 - ax) * g(y0, x0) + ax * g(y0, x0 + 1)) +
            ay * ((1 - ax) * g(y0 + 1, x0) + ax * g(y0 + 1, x0 + 1)))


def planes_to_rgb(y, u, v, matrix, full):
    """8-bit RGB of planes, chroma sited as the kernel reads it (x/2, y/2 − 1/4)."""
    h, w = y.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    cb, cr = bilinear_rep(u, xx / 2, yy / 2 - 0.25), bilinear_rep(v, xx / 2, yy / 2 - 0.25)
    if full:
        Y, Cb, Cr = y / 255.0, (cb - 128) / 255.0, (cr - 128) / 255.0
    else:
        Y, Cb, Cr = (y - 16) / 219.0, (cb - 128) / 224.0, (cr - 128) / 224.0
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    rgb = np.stack([Y + 2 * (1 - kr) * Cr,
                    Y - 2 * kb * (1 - kb) / kg * Cb - 2 * kr * (1 - kr) / kg * Cr,
                    Y + 2 * (1 - kb) * Cb], -1)
    return np.clip(np.rint(rgb * 255), 0, 255).astype(np.uint8)


def turn(y, u, v, rot):
    """Planes a phone would store for an upright picture shown turned rot° clockwise."""
    k = rot // 90
    return np.rot90(y, k), np.rot90(u, k), np.rot90(v, k)


# ---- the two pipelines -----------------------------------------------------

class Ours:
    def __init__(self, tool, d):
        self.tool, self.d = tool, d

    def _write(self, frames, fmt):
        path = os.path.join(self.d, "frames.bin")
        with open(path, "wb") as f:
            for y, u, v in frames:
                if fmt in ("yuv420p10", "p010"):
                    y, u, v = y * 4, u * 4, v * 4
                f.write(pack_planes(np, fmt, y, u, v))
        return path

    def _run(self, *args):
        r = subprocess.run([self.tool, *map(str, args)], capture_output=True, text=True)
        if r.returncode == 77:
            skip("converted models missing (models/fetch.sh)")
        if r.returncode:
            raise RuntimeError(r.stderr)
        return r.stdout

    def frames(self, frames, matrix, full, fmt="yuv420p", rot=0, extra=()):
        """-> valid (n,), image (n, 33, 5) px, world (n, 33, 5)."""
        h, w = frames[0][0].shape
        path, out = self._write(frames, fmt), os.path.join(self.d, "out.f32")
        self._run("frames", path, fmt, w, h, rot, matrix, int(full), len(frames), *extra, out)
        a = np.fromfile(out, np.float32).reshape(len(frames), 332)
        return a[:, 0] > 0, a[:, 2:167].reshape(-1, 33, 5), a[:, 167:].reshape(-1, 33, 5)

    def roi(self, frames, matrix, full, rois):
        """Landmark stage on given ROIs -> presence (n,), lm (n, 35, 5) normalised,
        world (n, 33, 3) metres."""
        h, w = frames[0][0].shape
        path, out, rp = self._write(frames, "yuv420p"), os.path.join(self.d, "out.f32"), \
            os.path.join(self.d, "rois.f32")
        np.asarray(rois, np.float32).tofile(rp)
        self._run("roi", path, "yuv420p", w, h, 0, matrix, int(full), len(frames), rp, out)
        a = np.fromfile(out, np.float32).reshape(len(frames), -1)
        return a[:, 0], a[:, 1:176].reshape(-1, 35, 5), a[:, 176:].reshape(-1, 33, 3)

    def detect(self, frames, matrix, full):
        h, w = frames[0][0].shape
        path, out = self._write(frames, "yuv420p"), os.path.join(self.d, "out.f32")
        self._run("detect", path, "yuv420p", w, h, 0, matrix, int(full), len(frames), out)
        return np.fromfile(out, np.float32).reshape(len(frames), 19)


def mediapipe_pose(mp, rgbs, video):
    """MediaPipe's PoseLandmarkCpu (model_complexity 1) as Pose(static_image_mode=
    not video) runs it; per frame: landmarks (smoothed in video mode), the ROI
    it cropped, its unsmoothed landmarks (body + aux), world landmarks."""
    from mediapipe.python import packet_creator, packet_getter
    g = graph(mp, '''
        input_stream: "image" output_stream: "lm" output_stream: "world"
        input_side_packet: "mc" input_side_packet: "smooth" input_side_packet: "seg" input_side_packet: "prev"
        node { calculator: "PoseLandmarkCpu" input_stream: "IMAGE:image"
               input_side_packet: "MODEL_COMPLEXITY:mc" input_side_packet: "SMOOTH_LANDMARKS:smooth"
               input_side_packet: "ENABLE_SEGMENTATION:seg" input_side_packet: "USE_PREV_LANDMARKS:prev"
               output_stream: "LANDMARKS:lm" output_stream: "WORLD_LANDMARKS:world" }''')
    streams = {"lm": "lm", "world": "world", "roi": "poselandmarkcpu__pose_rect",
               "raw": "poselandmarkcpu__unfiltered_pose_landmarks",
               "aux": "poselandmarkcpu__unfiltered_auxiliary_landmarks"}
    got = {k: {} for k in streams}
    for k, s in streams.items():
        g.observe_output_stream(s, lambda _, p, k=k: got[k].__setitem__(p.timestamp.value,
                                                                       packet_getter.get_proto(p)))
    g.start_run({"mc": packet_creator.create_int(1), "smooth": packet_creator.create_bool(video),
                 "seg": packet_creator.create_bool(False), "prev": packet_creator.create_bool(video)})
    for i, rgb in enumerate(rgbs):
        g.add_packet_to_input_stream("image", image_packet(mp, np.ascontiguousarray(rgb), 33333 * (i + 1)))
    g.close()
    lms = lambda p: np.array([[l.x, l.y, l.z, l.visibility, l.presence] for l in p.landmark])
    out = []
    for i in range(len(rgbs)):
        t = 33333 * (i + 1)
        r = got["roi"].get(t)
        out.append(None if t not in got["lm"] else {
            "lm": lms(got["lm"][t]), "world": lms(got["world"][t]),
            "raw": np.vstack([lms(got["raw"][t]), lms(got["aux"][t])]),
            "roi": (r.x_center, r.y_center, r.width, r.height, r.rotation)})
    return out


def px_err(a, b, w, h):
    """Euclidean error per landmark, px; a, b normalised (n, 2+)."""
    return np.hypot((a[:, 0] - b[:, 0]) * w, (a[:, 1] - b[:, 1]) * h)


def agree(c, label, e, cell, share_min=0.95, mean_max=0.3):
    """Landmarks within 2 px, but for the one way past it both pipelines share:
    RefineLandmarksFromHeatmap centres a 7×7 window on the truncated heatmap
    cell of the raw landmark and refines only when the window's peak
    confidence is ≥ 0.5, so where the heatmap is weak or has two bumps an
    input difference of a fraction of an 8-bit level (MediaPipe warps 8-bit
    RGB with OpenCV's fixed-point bilinear; we sample the planes in float)
    can move the window, or switch refinement on or off, and the landmark by
    up to the window's half-width plus a cell (cell = ROI side / 64).
    tests/pose/README.md shows one such case traced through both networks.
    Such flips must stay rare (share_min) and small on average (mean_max)."""
    e = np.asarray(e, np.float64).ravel()
    share = float((e <= 2.0).mean())
    cap = max(2.0, 4.5 * cell)
    ok = share >= share_min and e.max() <= cap and e.mean() <= mean_max
    c.check(ok, f"{label}: mean {e.mean():.3f} px, {share * 100:.1f} % ≤ 2 px, max {e.max():.2f} px "
                f"(≥ {share_min * 100:.0f} %, mean ≤ {mean_max}, max ≤ {cap:.1f} = 4.5 heatmap cells)")
    return e


def cell_px(roi, w):
    return roi[2] * w / 64.0


# ---- photos ---------------------------------------------------------------

def photo_planes(d, name):
    path = os.path.join(DATA, name)
    if name.endswith(".jpg"):
        return jpeg_planes(path, d)
    return rgb_to_planes(cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB))


def check_photo(c, mp, ours, d, name, errors):
    y, u, v, matrix, full = photo_planes(d, name)
    h, w = y.shape
    ref = mediapipe_pose(mp, [planes_to_rgb(y, u, v, matrix, full)], video=False)[0]
    valid, img, world = ours.frames([(y, u, v)], matrix, full)
    c.check(ref is not None and bool(valid[0]), f"{name}: both find a pose")
    if ref is None or not valid[0]:
        return
    cell = cell_px(ref["roi"], w)
    e = np.hypot(img[0, :, 0] - ref["lm"][:, 0] * w, img[0, :, 1] - ref["lm"][:, 1] * h)
    errors["photos"].append(agree(c, f"{name}: landmarks vs MediaPipe", e, cell, 0.8, 1.5))
    # z and the world landmarks follow the crop closely: a ROI a fraction of
    # a percent different (the detector's) moves them by tens of px / mm.
    ez = np.abs(img[0, :, 2] - ref["lm"][:, 2] * w)
    ew = np.linalg.norm(world[0, :, :3] - ref["world"][:, :3], axis=1)
    c.check(np.median(ez) <= 40 and np.median(ew) <= 0.06,
            f"{name}: median z {np.median(ez):.2f} px, world {np.median(ew) * 1000:.1f} mm (≤ 40 px, 60 mm)")
    # Our landmark stage on MediaPipe's ROI, against its unsmoothed output.
    pres, lm, lw = ours.roi([(y, u, v)], matrix, full, [ref["roi"]])
    errors["same_roi"].append(agree(c, f"{name}: same ROI, 35 landmarks", px_err(lm[0], ref["raw"], w, h), cell))
    ez = np.abs(lm[0, :33, 2] - ref["raw"][:33, 2]) * w
    ev = np.abs(lm[0, :33, 3] - ref["raw"][:33, 3])
    ew = np.linalg.norm(lw[0] - ref["world"][:, :3], axis=1)
    c.check(np.median(ez) <= 3 and ev.max() <= 0.02 and np.median(ew) <= 0.005,
            f"{name}: same ROI: median z {np.median(ez):.2f} px, visibility max {ev.max():.4f}, "
            f"world median {np.median(ew) * 1000:.1f} mm (≤ 3 px, 0.02, 5 mm)")
    det = ours.detect([(y, u, v)], matrix, full)[0]
    droi = det[14:19]
    dc = np.hypot((droi[0] - ref["roi"][0]) * w, (droi[1] - ref["roi"][1]) * h)
    ds, dr = abs(droi[2] / ref["roi"][2] - 1), abs(droi[4] - ref["roi"][4])
    c.check(dc <= 3 and ds <= 0.02 and dr <= 0.02,
            f"{name}: detector ROI vs MediaPipe's: centre {dc:.2f} px, size {ds * 100:.2f} %, "
            f"rotation {dr:.4f} rad (≤ 3 px, 2 %, 0.02)")
    # Stored turned + rotation flag, against MediaPipe on the same pixels turned upright.
    for rot in (90, 180, 270):
        ty, tu, tv = turn(y, u, v, rot)
        ok, t_img, _ = ours.frames([(ty, tu, tv)], matrix, full, rot=rot)
        up = np.ascontiguousarray(np.rot90(planes_to_rgb(ty, tu, tv, matrix, full), -(rot // 90)))
        r = mediapipe_pose(mp, [up], video=False)[0]
        if not ok[0] or r is None:
            c.check(False, f"{name}: turned {rot}: a pose on both sides")
            continue
        e = np.hypot(t_img[0, :, 0] - r["lm"][:, 0] * w, t_img[0, :, 1] - r["lm"][:, 1] * h)
        errors["photos"].append(agree(c, f"{name}: stored turned {rot}° + flag vs MediaPipe", e, cell,
                                      0.8, 1.5))
    for fmt in ("nv12", "yuv420p10", "p010"):
        ok, f_img, _ = ours.frames([(y, u, v)], matrix, full, fmt=fmt)
        e = np.hypot(*(f_img[0, :, :2] - img[0, :, :2]).T) if ok[0] else [1e9]
        agree(c, f"{name}: {fmt} vs yuv420p (same values)", e, cell, 0.95, 0.2)


# ---- video -----------------------------------------------------------------

def decode(path, d, n, size=None, start=0.0, crop=""):
    """n frames from start as yuv420p planes (ffmpeg CLI), optionally cropped
    (ffmpeg crop=w:h:x:y) and scaled to size."""
    raw = os.path.join(d, "video.yuv")
    filters = ([f"crop={crop}"] if crop else []) + ([f"scale={size[0]}:{size[1]}"] if size else [])
    vf = ["-vf", ",".join(filters)] if filters else []
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-ss", str(start), "-i", path, *vf, "-frames:v", str(n),
                    "-f", "rawvideo", "-pix_fmt", "yuv420p", raw], check=True)
    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                            "stream=width,height", "-of", "csv=p=0", path], capture_output=True,
                           text=True, check=True).stdout.strip().split(",")
    w, h = size if size else (int(probe[0]), int(probe[1]))
    cw, ch = (w + 1) // 2, (h + 1) // 2
    b = np.fromfile(raw, np.uint8).reshape(-1, w * h + 2 * cw * ch).astype(np.int64)
    return [(f[:w * h].reshape(h, w), f[w * h:w * h + cw * ch].reshape(ch, cw),
             f[w * h + cw * ch:].reshape(ch, cw)) for f in b]


def check_video(c, mp, ours, name, frames, errors, matrix=1, full=False, hard=False):
    """hard: footage where BlazePose itself is unsure (small, blurred,
    occluded people): the same-ROI bound is looser and tracking may diverge
    (one frame's presence on the other side of 0.5 changes the next ROIs), so
    the tracked comparison is only reported."""
    h, w = frames[0][0].shape
    ref = mediapipe_pose(mp, [planes_to_rgb(*f, matrix, full) for f in frames], video=True)
    have = [i for i, r in enumerate(ref) if r is not None]
    c.check(len(have) >= len(frames) // 2, f"{name}: MediaPipe tracks {len(have)}/{len(frames)} frames")
    if not have:
        return
    # Same crop: our landmark stage on the ROI MediaPipe used.
    pres, lm, _ = ours.roi([frames[i] for i in have], matrix, full, [ref[i]["roi"] for i in have])
    e = np.array([px_err(lm[k], ref[i]["raw"], w, h) for k, i in enumerate(have)])
    cell = min(cell_px(ref[i]["roi"], w) for i in have)
    errors["same_roi"].append(agree(c, f"{name}: same ROI, {len(have)} frames × 35", e, cell,
                                    *((0.85, 1.0) if hard else (0.95, 0.3))))
    # Whole pipeline, sequential tracking with smoothing, against MediaPipe's output.
    valid, img, _ = ours.frames(frames, matrix, full)
    both = [i for i in have if valid[i]]
    c.check(hard or (len(both) == len(have) and valid.sum() == len(have)),
            f"{name}: we track the same frames ({int(valid.sum())} vs {len(have)})")
    if both:
        e = np.array([np.hypot(img[i, :, 0] - ref[i]["lm"][:, 0] * w, img[i, :, 1] - ref[i]["lm"][:, 1] * h)
                      for i in both])
        label = f"{name}: tracked + smoothed vs MediaPipe, {len(both)} frames"
        if hard:
            print(f"note {label}: mean {e.mean():.2f} px, {(e <= 2).mean() * 100:.1f} % ≤ 2 px, "
                  f"max {e.max():.1f} (reported only)")
        else:
            errors["tracked"].append(agree(c, label, e, cell, 0.9, 1.0))


def main():
    tool = sys.argv[1]
    what = sys.argv[2] if len(sys.argv) > 2 else "all"
    mp = mediapipe()
    c = Checker()
    d = tmpdir()
    ours = Ours(tool, d)
    errors = {"photos": [], "same_roi": [], "tracked": []}
    if what in ("all", "photos"):
        if not os.path.isdir(DATA):
            skip(f"{DATA} missing (apt package opencv-doc; scripts/install-deps)")
        for name in ("messi5.jpg", "basketball1.png", "basketball2.png"):
            check_photo(c, mp, ours, d, name, errors)
    if what in ("all", "video"):
        if os.path.exists(WALKER) and shutil.which("ffmpeg"):
            clip = os.path.join(d, "walk.mp4")
            subprocess.run([sys.executable, WALKER, "-o", clip, "--duration", "1.5", "--quiet"], check=True)
            check_video(c, mp, ours, "walker", decode(clip, d, 45), errors)
        else:
            print("note: tests/walker/walker.py not found: walker clip skipped")
        vtest = os.path.join(DATA, "vtest.avi")
        if os.path.exists(vtest):
            # Two people walking past a sign, 2-4 s in, cropped and enlarged 3.2x
            # so BlazePose sees them (they are ~90 px tall in the original).
            frames = decode(vtest, d, 20, size=(640, 480), start=2.0, crop="200:150:330:180")
            check_video(c, mp, ours, "vtest.avi (crop)", frames, errors, matrix=0, hard=True)
    for k, v in errors.items():
        if v:
            e = np.concatenate(v)
            print(f"summary {k}: n={e.size} mean {e.mean():.3f} px, median {np.median(e):.3f}, "
                  f"p95 {np.percentile(e, 95):.3f}, max {e.max():.2f}")
    c.done()


if __name__ == "__main__":
    main()
