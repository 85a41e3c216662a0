#!/usr/bin/env python3
"""The session end to end on decoded video (pose_run video: media decode →
session → tracks), on synthetic walker clips:
  - videos tracked together in one session give the same tracks as each
    tracked alone (batching across videos changes nothing);
  - a clip stored turned with a rotation flag (re-encoded, so its pixels
    differ slightly) lands in upright pixels as close to the ground truth as
    the upright clip;
  - batching by temporal segments (what the GPU path does) stays close to
    sequential tracking, and no further from the ground truth. After each cut
    the new lane's ROI comes from the detector and its auxiliary filter has no
    history, so landmarks differ by ~1-2 px for a dozen frames (src/pose/README.md).

    python3 test_session.py POSE_RUN
"""
import os
import subprocess
import sys

from posetest import Checker, need, read_run_csv, read_truth_csv, skip, tmpdir, truth_error

np = need("numpy")

WALKER = os.path.join(os.environ.get("DN_SOURCE_DIR", "."), "tests", "walker", "walker.py")
SEGMENTED = ["--chunk", "64", "--min-segment", "16", "--target", "16", "--warmup", "4", "--batch", "16"]


def run(tool, files, opts, d):
    csv = os.path.join(d, "out.csv")
    r = subprocess.run([tool, "video", *files, *opts, csv], capture_output=True, text=True)
    if r.returncode == 77:
        skip("converted models missing (models/fetch.sh)")
    if r.returncode:
        raise RuntimeError(r.stderr)
    stats = dict(kv.split("=") for kv in r.stdout.split())
    return stats, read_run_csv(np, csv, len(files))


def diff(a, b):
    (va, xa), (vb, xb) = a, b
    both = va & vb
    return np.hypot(*(xa[both] - xb[both]).transpose(2, 0, 1)), int((va != vb).sum())


def truth(path):
    return read_truth_csv(np, path)


def truth_err(track, t):
    return truth_error(np, track, t)


def main():
    tool = sys.argv[1]
    if not os.path.exists(WALKER):
        skip("tests/walker/walker.py missing")
    c = Checker()
    d = tmpdir()
    clips = []
    for name, args in (("ltr", ["--direction", "ltr"]), ("toward", ["--direction", "toward", "--seed", "1"]),
                       ("ltr_rot90", ["--direction", "ltr", "--rotate", "90"])):
        mp4, csv = os.path.join(d, name + ".mp4"), os.path.join(d, name + ".csv")
        subprocess.run([sys.executable, WALKER, "-o", mp4, "--truth-landmarks", csv, "--duration", "3",
                        *args, "--quiet"], check=True)
        clips.append((mp4, csv))
    files = [m for m, _ in clips]
    _, together = run(tool, files, [], d)
    alone = [run(tool, [f], [], d)[1][0] for f in files[:2]]
    for k in range(2):
        e, n = diff(together[k], alone[k])
        c.check(n == 0 and e.max() < 1e-3, f"{os.path.basename(files[k])}: together vs alone: "
                                            f"max {e.max():.2g} px, {n} frames differ in validity")
    e, n = diff(together[2], together[0])
    t_up, t_rot = truth_err(together[0], truth(clips[0][1])), truth_err(together[2], truth(clips[2][1]))
    c.check(n == 0 and e.mean() < 2.0 and t_rot.mean() <= 1.15 * t_up.mean(),
            f"stored turned 90° + flag vs upright clip: mean {e.mean():.3f} px apart, validity differs in "
            f"{n} frames; vs truth {t_rot.mean():.2f} px (upright clip {t_up.mean():.2f})")
    stats, seg = run(tool, files, SEGMENTED, d)
    c.check(int(stats["max_step"]) >= 12, f"segmented: {stats['max_step']} lanes per step (≥ 12: 3 videos × 4)")
    for k in range(3):
        e, n = diff(seg[k], together[k])
        t_seq, t_seg = truth_err(together[k], truth(clips[k][1])), truth_err(seg[k], truth(clips[k][1]))
        name = os.path.basename(files[k])
        c.check(n <= 2 and e.mean() < 1.5 and (e <= 2).mean() >= 0.85,
                f"{name}: segmented vs sequential: mean {e.mean():.3f} px, {(e <= 2).mean() * 100:.1f} % ≤ 2 px, "
                f"max {e.max():.1f}; validity differs in {n} frames")
        c.check(t_seg.mean() <= t_seq.mean() * 1.05 + 0.1,
                f"{name}: error vs truth: sequential {t_seq.mean():.2f} px, segmented {t_seg.mean():.2f} px")
    c.done()


if __name__ == "__main__":
    main()
