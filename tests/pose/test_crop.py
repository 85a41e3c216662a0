#!/usr/bin/env python3
"""The crop kernel's C reference (pose_tool crop) against
  1. an independent numpy implementation of the documented semantics, for
     every pixel format, rotation flag, odd sizes, both networks' settings;
  2. MediaPipe's own ImageToTensorCalculator (pinned wheel), fed the upright
     RGB picture the same gray frames show, for the geometry (corner mapping,
     letterbox, rotated ROI, borders) — MediaPipe warps 8-bit pixels with
     OpenCV's fixed-point bilinear, so it agrees within about one 8-bit level.

    python3 test_crop.py POSE_TOOL
"""
import os
import sys

from posetest import FORMATS, Checker, graph, image_packet, mediapipe, need, norm_rect, \
    pack_planes, run_tool, tmpdir

np = need("numpy")

KR_KB = {0: (0.299, 0.114), 1: (0.2126, 0.0722), 2: (0.2627, 0.0593)}
# ROIs in upright-normalised coordinates: one inside, one rotated and sticking out.
ROIS = [None, (0.45, 0.55, 0.5, 0.6, 0.0), (0.3, 0.7, 0.9, 1.3, -2.3)]


def content(h, w, bits, seed, gray):
    rng = np.random.default_rng(seed)
    hi = (1 << bits) - 1
    y = rng.integers(0, hi + 1, (h, w))
    cw, ch = (w + 1) // 2, (h + 1) // 2
    mid = 1 << (bits - 1)
    u = np.full((ch, cw), mid) if gray else rng.integers(0, hi + 1, (ch, cw))
    v = np.full((ch, cw), mid) if gray else rng.integers(0, hi + 1, (ch, cw))
    return y, u, v


def smooth_gray(h, w):
    """Smooth but steep (up to ~30 levels/px): a half-pixel slip in the
    geometry would cost ~15 levels, far above the 8-bit rounding."""
    yy, xx = np.mgrid[0:h, 0:w]
    return np.clip(128 + 120 * np.sin(xx / 4.0) * np.cos(yy / 5.6), 0, 255).astype(np.int64)


def bilinear(p, x, y, replicate, zero):
    h, w = p.shape
    x0, y0 = np.floor(x), np.floor(y)
    ax, ay = x - x0, y - y0
    acc = np.zeros_like(x)
    for dy in (0, 1):
        for dx in (0, 1):
            xi, yi = (x0 + dx).astype(np.int64), (y0 + dy).astype(np.int64)
            wgt = (ax if dx else 1 - ax) * (ay if dy else 1 - ay)
            val = p[np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)].astype(np.float64)
            if not replicate:
                inside = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                val = np.where(inside, val, zero)
            acc += wgt * val
    return acc


def expected(y, u, v, bits, rot, matrix, full, size, roi):
    """The documented semantics (pose_kernels.h), in float64."""
    H, W = y.shape
    uw, uh = (H, W) if rot % 180 else (W, H)
    if roi is None:
        cx, cy, rw, rh, th, lo, hi, rep = uw / 2, uh / 2, uw, uh, 0.0, -1.0, 1.0, False
    else:
        cx, cy, rw, rh, th = roi[0] * uw, roi[1] * uh, roi[2] * uw, roi[3] * uh, roi[4]
        lo, hi, rep = 0.0, 1.0, True
    if rh / rw < 1.0:  # PadRoi to the square tensor
        rh = rw
    else:
        rw = rh
    vv, uu = np.mgrid[0:size, 0:size].astype(np.float64)
    px, py = (uu / size - 0.5) * rw, (vv / size - 0.5) * rh
    X = cx + np.cos(th) * px - np.sin(th) * py
    Y = cy + np.sin(th) * px + np.cos(th) * py
    x, yy = {0: (X, Y), 90: (Y, H - 1 - X), 180: (W - 1 - X, H - 1 - Y), 270: (W - 1 - Y, X)}[rot]
    unit = 1 << (bits - 8)
    if full:
        yoff, ysc, coff, csc = 0.0, 1.0 / ((1 << bits) - 1), 128.0 * unit, 1.0 / ((1 << bits) - 1)
    else:
        yoff, ysc, coff, csc = 16.0 * unit, 1 / (219.0 * unit), 128.0 * unit, 1 / (224.0 * unit)
    Yn = (bilinear(y, x, yy, rep, yoff) - yoff) * ysc
    Cb = (bilinear(u, x / 2, yy / 2 - 0.25, rep, coff) - coff) * csc
    Cr = (bilinear(v, x / 2, yy / 2 - 0.25, rep, coff) - coff) * csc
    kr, kb = KR_KB[matrix]
    kg = 1 - kr - kb
    r = Yn + 2 * (1 - kr) * Cr
    g = Yn - 2 * kb * (1 - kb) / kg * Cb - 2 * kr * (1 - kr) / kg * Cr
    b = Yn + 2 * (1 - kb) * Cb
    rgb = np.clip(np.stack([r, g, b], -1), 0, 1)
    return rgb * (hi - lo) + lo


def ours(tool, d, fmt, y, u, v, rot, matrix, full, size, roi):
    H, W = y.shape
    planes = os.path.join(d, "planes.bin")
    out = os.path.join(d, "out.f32")
    with open(planes, "wb") as f:
        f.write(pack_planes(np, fmt, y, u, v))
    args = ["crop", planes, fmt, W, H, rot, matrix, int(full), size, out]
    if roi is not None:
        args += list(roi)
    run_tool(tool, *args)
    return np.fromfile(out, np.float32).reshape(size, size, 3)


def check_numpy(c, tool, d):
    worst = 0.0
    for fi, fmt in enumerate(FORMATS):
        bits = 10 if fmt in ("yuv420p10", "p010") else 8
        for rot in (0, 90, 180, 270):
            for ri, roi in enumerate(ROIS):
                H, W = (37, 54) if (fi + ri) % 2 else (48, 31)
                y, u, v = content(H, W, bits, fi * 100 + rot + ri, False)
                matrix, full = (fi + ri) % 3, (rot // 90) % 2
                size = 224 if roi is None else 64
                got = ours(tool, d, fmt, y, u, v, rot, matrix, full, size, roi)
                err = float(np.max(np.abs(got - expected(y, u, v, bits, rot, matrix, full, size, roi))))
                worst = max(worst, err)
                if err > 1e-4:
                    c.check(False, f"{fmt} rot {rot} roi {roi}: max |ours − numpy| = {err:.3g}")
    c.check(worst <= 1e-4, f"all formats/rotations/ROIs: max |ours − numpy| = {worst:.3g} (≤ 1e-4)")


def mediapipe_crop(mp, rgb, size, roi):
    """MediaPipe's tensor for an upright RGB picture, with the pose graphs'
    ImageToTensorCalculator options."""
    if roi is None:
        opts = (f"output_tensor_width: {size} output_tensor_height: {size} keep_aspect_ratio: true "
                "output_tensor_float_range { min: -1 max: 1 } border_mode: BORDER_ZERO")
        rect_in = ""
    else:
        opts = (f"output_tensor_width: {size} output_tensor_height: {size} keep_aspect_ratio: true "
                "output_tensor_float_range { min: 0 max: 1 }")
        rect_in = 'input_stream: "NORM_RECT:roi"'
    g = graph(mp, f'''
        input_stream: "image" {'input_stream: "roi"' if roi else ''} output_stream: "floats"
        node {{ calculator: "ImageToTensorCalculator" input_stream: "IMAGE:image" {rect_in}
                output_stream: "TENSORS:t"
                options {{ [mediapipe.ImageToTensorCalculatorOptions.ext] {{ {opts} }} }} }}
        node {{ calculator: "TensorsToFloatsCalculator" input_stream: "TENSORS:t" output_stream: "FLOATS:floats" }}''')
    from mediapipe.python import packet_creator, packet_getter
    out = []
    g.observe_output_stream("floats", lambda _, p: out.append(packet_getter.get_float_list(p)))
    g.start_run()
    g.add_packet_to_input_stream("image", image_packet(mp, np.ascontiguousarray(rgb), 0))
    if roi is not None:
        g.add_packet_to_input_stream("roi", packet_creator.create_proto(norm_rect(*roi)).at(0))
    g.close()
    return np.array(out[0], np.float32).reshape(size, size, 3)


def check_mediapipe(c, tool, d):
    mp = mediapipe()
    worst, worst_mean, control = 0.0, 0.0, 1e9
    H, W = 90, 120
    y = smooth_gray(H, W)
    u = np.full(((H + 1) // 2, (W + 1) // 2), 128)
    for fmt in ("yuv420p", "nv12"):
        for rot in (0, 90, 180, 270):
            for roi in ROIS:
                size = 224 if roi is None else 96
                got = ours(tool, d, fmt, y, u, u, rot, 0, True, size, roi)  # BT.601 full: RGB = Y
                upright = np.rot90(y, k=-(rot // 90)).astype(np.uint8)
                want = mediapipe_crop(mp, np.stack([upright] * 3, -1), size, roi)
                scale = 2.0 if roi is None else 1.0
                diff = np.abs(got - want) / scale * 255  # in 8-bit levels
                worst = max(worst, float(diff.max()))
                worst_mean = max(worst_mean, float(diff.mean()))
                if roi is not None and fmt == "nv12":
                    # Control: the same ROI half a pixel off must be caught.
                    uw = H if rot % 180 else W
                    off = (roi[0] + 0.5 / uw,) + roi[1:]
                    slip = ours(tool, d, fmt, y, u, u, rot, 0, True, size, off)
                    control = min(control, float((np.abs(slip - want) * 255).mean()))
    c.check(worst <= 2.0, f"vs MediaPipe ImageToTensor: max {worst:.2f} 8-bit levels (≤ 2)")
    c.check(worst_mean <= 0.3, f"vs MediaPipe ImageToTensor: mean {worst_mean:.3f} levels (≤ 0.3)")
    c.check(control > 1.0, f"control, ROI half a pixel off: mean {control:.2f} levels (> 1)")


def main():
    c = Checker()
    d = tmpdir()
    check_numpy(c, sys.argv[1], d)
    check_mediapipe(c, sys.argv[1], d)
    c.done()


if __name__ == "__main__":
    main()
