#!/usr/bin/env python3
"""Byte-level damage for the media test set (standard library only).

    media_tools.py text OUT                  a text file named like a video
    media_tools.py random OUT BYTES          seeded pseudo-random bytes
    media_tools.py cut IN OUT SHARE          the first SHARE (0..1) of IN
    media_tools.py nomoov IN OUT             IN without its moov box (moov at end)
    media_tools.py corrupt IN OUT I,J,...    video packets I, J... garbled
"""
import json
import random
import struct
import subprocess
import sys


def boxes(data):
    """Top-level ISO BMFF boxes as (type, offset, size)."""
    at = 0
    while at + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8:at + 16])[0]
        elif size == 0:
            size = len(data) - at
        yield kind.decode("latin-1"), at, size
        at += size


def video_packets(path):
    out = subprocess.check_output(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "packet=pos,size", "-of", "json", path])
    return [(int(p["pos"]), int(p["size"])) for p in json.loads(out)["packets"]]


def main(argv):
    cmd = argv[1]
    if cmd == "text":
        open(argv[2], "w").write("This is not a video, just text named .mp4.\n" * 40)
    elif cmd == "random":
        rng = random.Random(7)
        open(argv[2], "wb").write(bytes(rng.randrange(256) for _ in range(int(argv[3]))))
    elif cmd == "cut":
        data = open(argv[2], "rb").read()
        open(argv[3], "wb").write(data[:int(len(data) * float(argv[4]))])
    elif cmd == "nomoov":
        data = open(argv[2], "rb").read()
        moov = [at for kind, at, _ in boxes(data) if kind == "moov"]
        assert moov and moov[0] > len(data) // 2, "expected a moov-at-end file"
        open(argv[3], "wb").write(data[:moov[0]])
    elif cmd == "corrupt":
        data = bytearray(open(argv[2], "rb").read())
        packets = video_packets(argv[2])
        for i in (int(x) for x in argv[4].split(",")):
            pos, size = packets[i]
            # Keep the 4-byte NAL length and the slice header's first bytes,
            # garble the slice data: the decoder sees a damaged picture, not
            # a broken container.
            for k in range(pos + 8, pos + size, 3):
                data[k] ^= 0x5A
        open(argv[3], "wb").write(data)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
