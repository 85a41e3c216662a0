"""Helpers for the pose pipeline's Python tests: running pose_tool, the
MediaPipe reference (custom graphs of its own calculators, pinned wheel),
frame formats, exit codes (0 pass, 1 fail, 77 skip)."""

import os
import subprocess
import sys
import tempfile

SKIP = 77


def skip(why):
    print("SKIP:", why)
    sys.exit(SKIP)


def need(module):
    try:
        return __import__(module)
    except ImportError:
        skip(f"python module {module} missing (scripts/install-deps installs it)")


class Checker:
    """Collects failures so a test reports all of them, then exits 1."""

    def __init__(self):
        self.failures = 0

    def check(self, ok, msg):
        print(("ok   " if ok else "FAIL ") + msg)
        if not ok:
            self.failures += 1

    def done(self):
        print("FAILED" if self.failures else "PASSED", f"({self.failures} failures)")
        sys.exit(1 if self.failures else 0)


def run_tool(tool, *args):
    out = subprocess.run([tool, *map(str, args)], capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"{tool} {' '.join(map(str, args))}: {out.stderr.strip()}")
    return out.stdout


def tmpdir():
    root = os.environ.get("DN_TEST_TMP_ROOT") or tempfile.gettempdir()
    os.makedirs(root, exist_ok=True)
    return tempfile.mkdtemp(prefix="pose-", dir=root)


# ---- frame formats (pose_tool's packed layout) ------------------------------

FORMATS = ("yuv420p", "yuv420p10", "nv12", "p010")


def pack_planes(np, fmt, y, u, v):
    """y (h, w), u, v ((h+1)/2, (w+1)/2) integer sample values of the format's
    bit depth (P010: the 10-bit value; shifted here) → bytes."""
    wide = fmt in ("yuv420p10", "p010")
    dt = np.dtype("<u2") if wide else np.uint8
    shift = 6 if fmt == "p010" else 0
    y = (y.astype(np.uint32) << shift).astype(dt)
    u = (u.astype(np.uint32) << shift).astype(dt)
    v = (v.astype(np.uint32) << shift).astype(dt)
    if fmt in ("nv12", "p010"):
        uv = np.stack([u, v], axis=-1).reshape(u.shape[0], -1)
        return y.tobytes() + uv.tobytes()
    return y.tobytes() + u.tobytes() + v.tobytes()


# ---- MediaPipe -------------------------------------------------------------

def mediapipe():
    """(mp, helpers) with the resource dir set so graphs find the models."""
    mp = need("mediapipe")
    from mediapipe.python._framework_bindings import resource_util
    resource_util.set_resource_dir(os.path.dirname(os.path.dirname(mp.__file__)))
    return mp


def graph(mp, text):
    from google.protobuf import text_format
    from mediapipe.framework import calculator_pb2
    return mp.CalculatorGraph(graph_config=text_format.Parse(text, calculator_pb2.CalculatorGraphConfig()))


def image_packet(mp, rgb, ts):
    from mediapipe.python import packet_creator
    return packet_creator.create_image_frame(image_format=mp.ImageFormat.SRGB, data=rgb).at(ts)


def norm_rect(xc, yc, w, h, rot):
    from mediapipe.framework.formats import rect_pb2
    return rect_pb2.NormalizedRect(x_center=xc, y_center=yc, width=w, height=h, rotation=rot)


# ---- CSV files ---------------------------------------------------------------

def read_run_csv(np, path, n_videos):
    """pose_run video's CSV -> per video (valid (n,), xy (n, 33, 2) px)."""
    rows = np.genfromtxt(path, delimiter=",", skip_header=1)
    out = []
    for v in range(n_videos):
        r = rows[rows[:, 0] == v]
        n = int(r[:, 1].max()) + 1
        valid = np.zeros(n, bool)
        xy = np.full((n, 33, 2), np.nan)
        f, k = r[:, 1].astype(int), r[:, 5].astype(int)
        valid[f] = r[:, 3] > 0
        xy[f, k] = r[:, 6:8]
        out.append((valid, xy))
    return out


def read_truth_csv(np, path):
    """The walker's --truth-landmarks CSV -> xy (n, 33, 2) px, visibility (n, 33)."""
    rows = np.loadtxt(path, delimiter=",", skiprows=1)
    n = int(rows[:, 0].max()) + 1
    xy = np.full((n, 33, 2), np.nan)
    vis = np.zeros((n, 33))
    f, k = rows[:, 0].astype(int), rows[:, 2].astype(int)
    xy[f, k], vis[f, k] = rows[:, 3:5], rows[:, 6]
    return xy, vis


def truth_error(np, track, truth):
    """px errors of a track's landmarks the truth marks visible."""
    (valid, xy), (txy, tvis) = track, truth
    n = min(len(valid), len(txy))
    m = valid[:n, None] & (tvis[:n] > 0.5)
    return np.hypot(*(xy[:n] - txy[:n]).transpose(2, 0, 1))[m]
