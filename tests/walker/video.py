"""Frame timing and encoding: raw RGB frames piped into the ffmpeg CLI.

Rotation: frames are stored rotated and the MP4 track header (tkhd) gets the
display matrix a phone would write, so a player that applies the rotation shows
the upright picture that was rendered. FFmpeg 5.1's CLI cannot set that matrix
(`-metadata rotate=` no longer reaches the muxer; `-display_rotation` arrived in
6.0), so the matrix is patched into the finished file; it is a fixed-size field.

Variable frame rate: frame n is shown at round(90000 * (n + 0.25 sin(1.7 n)) / fps)
ticks of 1/90000 s; consecutive frames are 0.5..1.5 nominal intervals apart.
ffmpeg's setpts evaluates the same expression, so the timestamps in the file are
exactly the times that were rendered (the self-test checks this with ffprobe).
"""

import math
import struct
import subprocess

import numpy as np

VFR_TICKS = 90000


def frame_times(n, fps, vfr=False):
    """Presentation times (s) of n frames."""
    if not vfr:
        return np.arange(n) / fps
    # floor(x + 0.5) is C's round() for x >= 0, which is what setpts uses
    ticks = [math.floor(VFR_TICKS * (k + 0.25 * math.sin(1.7 * k)) / fps + 0.5) for k in range(n)]
    return np.array(ticks, float) / VFR_TICKS


CODECS = {
    ("h264", 8): ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-profile:v", "high"],
    ("h264", 10): ["-c:v", "libx264", "-pix_fmt", "yuv420p10le", "-profile:v", "high10"],
    ("hevc", 8): ["-c:v", "libx265", "-pix_fmt", "yuv420p", "-tag:v", "hvc1",
                  "-x265-params", "log-level=error"],
    ("hevc", 10): ["-c:v", "libx265", "-pix_fmt", "yuv420p10le", "-tag:v", "hvc1",
                   "-x265-params", "log-level=error"],
}


class Encoder:
    """Write upright float RGB frames (h, w, 3) in [0,1]; use as a context manager."""

    def __init__(self, path, width, height, fps, codec="h264", bits=8, rotate=0,
                 vfr=False, crf=18, faststart=False):
        if (codec, bits) not in CODECS:
            raise ValueError("codec must be h264 or hevc, bits 8 or 10")
        if rotate not in (0, 90, 180, 270):
            raise ValueError("rotate must be 0, 90, 180 or 270")
        if width % 2 or height % 2:
            raise ValueError("width and height must be even (4:2:0 chroma)")
        self.path, self.rotate, self.bits = path, rotate, bits
        sw, sh = (height, width) if rotate in (90, 270) else (width, height)
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "rawvideo", "-pix_fmt", "rgb48le" if bits == 10 else "rgb24",
               "-s", "%dx%d" % (sw, sh), "-framerate", repr(float(fps)), "-i", "-"]
        if vfr:
            expr = "round(%d*(N+0.25*sin(1.7*N))/%r)" % (VFR_TICKS, float(fps))
            cmd += ["-vf", "settb=1/%d,setpts='%s'" % (VFR_TICKS, expr),
                    "-fps_mode", "passthrough", "-enc_time_base", "1/%d" % VFR_TICKS,
                    "-video_track_timescale", str(VFR_TICKS)]
        cmd += CODECS[(codec, bits)] + ["-crf", str(crf), "-preset", "fast"]
        if faststart:
            cmd += ["-movflags", "+faststart"]
        cmd += [path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE)

    def write(self, rgb):
        # stored = upright turned counter-clockwise by `rotate`; the display matrix
        # turns it clockwise by the same angle on playback
        img = np.rot90(rgb, k=self.rotate // 90)
        if self.bits == 10:
            data = np.round(np.clip(img, 0, 1) * 65535).astype("<u2")
        else:
            data = np.round(np.clip(img, 0, 1) * 255).astype(np.uint8)
        self.proc.stdin.write(np.ascontiguousarray(data).tobytes())

    def close(self):
        self.proc.stdin.close()
        if self.proc.wait() != 0:
            raise RuntimeError("ffmpeg failed encoding %s" % self.path)
        if self.rotate:
            set_mp4_rotation(self.path, self.rotate)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.close()
        else:
            self.proc.kill()
            self.proc.wait()


def _boxes(buf, start, end):
    """ISO BMFF boxes in buf[start:end] as (type, payload start, end)."""
    off = start
    while off + 8 <= end:
        size, typ = struct.unpack(">I4s", buf[off:off + 8])
        hdr = 8
        if size == 1:
            size, hdr = struct.unpack(">Q", buf[off + 8:off + 16])[0], 16
        elif size == 0:
            size = end - off
        if size < hdr:
            raise ValueError("corrupt MP4 box at offset %d" % off)
        yield typ, off + hdr, off + size
        off += size


def set_mp4_rotation(path, rotate):
    """Write the tkhd display matrix of every track for a clockwise display rotation.

    Same matrices FFmpeg's mov muxer wrote for the old `rotate` tag; ffprobe then
    reports side data rotation = -rotate (counter-clockwise degrees).
    """
    with open(path, "r+b") as f:
        buf = bytearray(f.read())
        done = 0
        for typ, p, e in _boxes(buf, 0, len(buf)):
            if typ != b"moov":
                continue
            for t2, p2, e2 in _boxes(buf, p, e):
                if t2 != b"trak":
                    continue
                for t3, p3, _ in _boxes(buf, p2, e2):
                    if t3 != b"tkhd":
                        continue
                    m = p3 + (52 if buf[p3] == 1 else 40)   # version 1 has 64-bit times
                    w = struct.unpack(">I", buf[m + 36:m + 40])[0] >> 16
                    h = struct.unpack(">I", buf[m + 40:m + 44])[0] >> 16
                    a, b, c, d, tx, ty = {90: (0, 1, -1, 0, h, 0), 180: (-1, 0, 0, -1, w, h),
                                          270: (0, -1, 1, 0, 0, w)}[rotate]
                    buf[m:m + 36] = struct.pack(">9i", a << 16, b << 16, 0, c << 16, d << 16,
                                                0, tx << 16, ty << 16, 1 << 30)
                    done += 1
        if not done:
            raise ValueError("no track header in %s" % path)
        f.seek(0)
        f.write(buf)
