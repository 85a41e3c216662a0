#!/usr/bin/env python3
"""Landmark smoothing and the tracking ROI (pose_tool smooth) against
MediaPipe's own subgraphs PoseLandmarkFiltering (pose_landmark_filtering.pbtxt)
and PoseLandmarksToRoi (pose_landmarks_to_roi.pbtxt), run from the pinned
wheel on the same landmark sequence: a walking-like motion with noise, a gap
without a pose (every filter resets) and jittered frame times. Both with
smooth_landmarks on and off (the auxiliary filter runs either way).

    python3 test_smoothing.py POSE_TOOL
"""
import os
import struct
import sys

from posetest import Checker, graph, image_packet, mediapipe, need, run_tool, tmpdir

np = need("numpy")

W, H = 320, 240
GAP = range(14, 17)          # frames without a pose
GRAPH = '''
input_stream: "image" input_stream: "landmarks" input_stream: "aux" input_stream: "world"
input_side_packet: "smooth"
output_stream: "f_lm" output_stream: "f_aux" output_stream: "f_world" output_stream: "roi"
node { calculator: "ImagePropertiesCalculator" input_stream: "IMAGE:image" output_stream: "SIZE:size" }
node { calculator: "PoseLandmarkFiltering" input_side_packet: "ENABLE:smooth"
       input_stream: "IMAGE_SIZE:size" input_stream: "NORM_LANDMARKS:landmarks"
       input_stream: "AUX_NORM_LANDMARKS:aux" input_stream: "WORLD_LANDMARKS:world"
       output_stream: "FILTERED_NORM_LANDMARKS:f_lm" output_stream: "FILTERED_AUX_NORM_LANDMARKS:f_aux"
       output_stream: "FILTERED_WORLD_LANDMARKS:f_world" }
node { calculator: "PoseLandmarksToRoi" input_stream: "LANDMARKS:f_aux" input_stream: "IMAGE_SIZE:size"
       output_stream: "ROI:roi" }
'''


def sequence(n):
    """(t_us, present, lm (68, 5)) per frame: 33 body, 2 aux, 33 world."""
    rng = np.random.default_rng(3)
    base = rng.uniform(0.3, 0.7, (35, 2))
    world0 = rng.uniform(-0.5, 0.5, (33, 3))
    frames, t = [], 0
    for i in range(n):
        t += 33333 + int(rng.integers(-3000, 3000))
        lm = np.zeros((68, 5), np.float32)
        sway = np.array([0.15 * np.sin(i / 5.0), 0.03 * np.cos(i / 3.0)])
        lm[:35, :2] = base + sway + rng.normal(0, 0.004, (35, 2))
        lm[:35, 2] = rng.normal(0, 0.05, 35)
        lm[:35, 3:] = rng.uniform(0, 1, (35, 2))
        lm[35:, :3] = world0 + 0.1 * np.sin(i / 4.0) + rng.normal(0, 0.01, (33, 3))
        lm[35:, 3:] = lm[:33, 3:]
        frames.append((t, i not in GAP, lm))
    return frames


def ours(tool, d, frames, smooth):
    src, dst = os.path.join(d, "seq.bin"), os.path.join(d, "out.bin")
    with open(src, "wb") as f:
        for t, present, lm in frames:
            f.write(struct.pack("<qii", t, int(present), 0) + lm.astype("<f4").tobytes())
    run_tool(tool, "smooth", src, dst, W, H, int(smooth))
    rec = 16 + 68 * 5 * 4 + 20
    raw = open(dst, "rb").read()
    out = []
    for i in range(len(frames)):
        r = raw[i * rec:(i + 1) * rec]
        lm = np.frombuffer(r[16:16 + 68 * 20], "<f4").reshape(68, 5)
        out.append((lm, np.frombuffer(r[16 + 68 * 20:], "<f4")))
    return out


def theirs(mp, frames, smooth):
    from mediapipe.framework.formats import landmark_pb2
    from mediapipe.python import packet_creator, packet_getter
    g = graph(mp, GRAPH)
    got = {k: {} for k in ("f_lm", "f_aux", "f_world", "roi")}
    for k in got:
        g.observe_output_stream(k, lambda s, p, k=k: got[k].__setitem__(p.timestamp.value, packet_getter.get_proto(p)))
    g.start_run({"smooth": packet_creator.create_bool(smooth)})
    img = np.zeros((H, W, 3), np.uint8)

    def lm_list(rows, norm):
        cls = landmark_pb2.NormalizedLandmarkList if norm else landmark_pb2.LandmarkList
        out = cls()
        for x, y, z, v, p in rows:
            out.landmark.add(x=x, y=y, z=z, visibility=v, presence=p)
        return out

    for t, present, lm in frames:
        g.add_packet_to_input_stream("image", image_packet(mp, img, t))
        if present:
            g.add_packet_to_input_stream("landmarks", packet_creator.create_proto(lm_list(lm[:33], True)).at(t))
            g.add_packet_to_input_stream("aux", packet_creator.create_proto(lm_list(lm[33:35], True)).at(t))
            g.add_packet_to_input_stream("world", packet_creator.create_proto(lm_list(lm[35:], False)).at(t))
    g.close()
    return got


def compare(c, frames, mine, ref, smooth):
    worst = {"px": 0.0, "z": 0.0, "vis": 0.0, "world": 0.0, "roi": 0.0}
    changed = 0.0
    for (t, present, lm), (olm, oroi) in zip(frames, mine):
        if not present:
            c.check(t not in ref["f_lm"], f"t={t}: no output without a pose")
            continue
        f_lm = np.array([[l.x, l.y, l.z, l.visibility] for l in ref["f_lm"][t].landmark])
        f_aux = np.array([[l.x, l.y, l.z, l.visibility] for l in ref["f_aux"][t].landmark])
        f_w = np.array([[l.x, l.y, l.z, l.visibility] for l in ref["f_world"][t].landmark])
        r = ref["roi"][t]
        both = np.vstack([f_lm, f_aux])
        mine_b = olm[:35]
        worst["px"] = max(worst["px"], float(np.abs((mine_b[:, :2] - both[:, :2]) * [W, H]).max()))
        worst["z"] = max(worst["z"], float(np.abs(mine_b[:, 2] - both[:, 2]).max() * W))
        worst["vis"] = max(worst["vis"], float(np.abs(mine_b[:, 3] - both[:, 3]).max()))
        worst["world"] = max(worst["world"], float(np.abs(olm[35:, :4] - f_w).max()))
        rr = np.array([r.x_center, r.y_center, r.width, r.height, r.rotation])
        worst["roi"] = max(worst["roi"], float(np.abs(oroi - rr).max()))
        changed = max(changed, float(np.abs((both[:, :2] - lm[:35, :2]) * [W, H]).max()))
    name = "smooth" if smooth else "aux only"
    c.check(changed > (0.5 if smooth else 0.05), f"{name}: the filters moved landmarks (up to {changed:.2f} px)")
    c.check(worst["px"] < 1e-3, f"{name}: x, y vs MediaPipe max {worst['px']:.2g} px (< 1e-3)")
    c.check(worst["z"] < 1e-3, f"{name}: z vs MediaPipe max {worst['z']:.2g} px (< 1e-3)")
    c.check(worst["vis"] < 1e-6, f"{name}: visibility vs MediaPipe max {worst['vis']:.2g} (< 1e-6)")
    c.check(worst["world"] < 1e-5, f"{name}: world vs MediaPipe max {worst['world']:.2g} m (< 1e-5)")
    c.check(worst["roi"] < 1e-5, f"{name}: next ROI vs MediaPipe max {worst['roi']:.2g} (< 1e-5)")


def main():
    c = Checker()
    mp = mediapipe()
    d = tmpdir()
    frames = sequence(40)
    for smooth in (True, False):
        compare(c, frames, ours(sys.argv[1], d, frames, smooth), theirs(mp, frames, smooth), smooth)
    c.done()


if __name__ == "__main__":
    main()
