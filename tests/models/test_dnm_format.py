#!/usr/bin/env python3
"""models/dnm.py reads back what models/convert.py writes, the layout rules of
FORMAT.md hold in the real files, and damaged files are rejected. Also the
converter pieces that the pinned files exercise only partly: sparse formats
with blocks, and the error for an op dancer does not know."""
import os
import struct
import tempfile

import numpy as np

import common
import convert
import dnm


def layout(name):
    tfl, path = common.paths(name)
    m = dnm.load(path)
    dnm.verify(m)
    buf = open(path, "rb").read()
    hdr = dnm.HEADER.unpack_from(buf, 0)
    common.expect(hdr[0] == dnm.MAGIC and hdr[1] == 1 and hdr[2] == 128, "magic/version/size")
    common.expect(m.source_sha256 == dnm.sha256_file(tfl), "header sha256 != source file")
    common.expect(hdr[7] == 128 and hdr[12] % 64 == 0 and hdr[14] == len(buf), "section offsets")
    consts = sorted((t.data_off, t.data_size) for t in m.tensors if t.kind == dnm.KIND_CONSTANT)
    common.expect(consts[0][0] == hdr[12], "data section starts with the first constant")
    for (a, n), (b, _) in zip(consts, consts[1:]):
        common.expect(a % 64 == 0 and a + n <= b, f"constant at {a} misaligned or overlapping")
    common.expect(all(t.kind == dnm.KIND_ACTIVATION for t in m.tensors
                      if t.kind != dnm.KIND_CONSTANT), "only two tensor kinds")
    # The cached file must be what the current converter writes.
    fresh = convert.serialize(convert.build(convert.read_tflite(tfl), dnm.sha256_file(tfl)))
    common.expect(fresh == buf, "cached .dnm is stale or conversion is not deterministic; "
                  "rerun models/fetch.sh")


def _rejected(buf, what):
    with tempfile.NamedTemporaryFile(suffix=".dnm", delete=False) as f:
        f.write(buf)
    try:
        m = dnm.load(f.name)
        dnm.verify(m)
    except dnm.FormatError:
        return
    finally:
        os.unlink(f.name)
    raise AssertionError(f"{what} was accepted")


def damaged():
    _, path = common.paths("pose_landmark_full")
    good = open(path, "rb").read()
    m = dnm.load(path)
    t_off, op_off = dnm.HEADER.unpack_from(good, 0)[7:9]

    def patched(off, fmt, *vals):
        b = bytearray(good)
        struct.pack_into(fmt, b, off, *vals)
        return bytes(b)

    _rejected(b"X" + good[1:], "bad magic")
    _rejected(patched(8, "<I", 2), "version 2")
    _rejected(good[:-64], "truncated file")
    ci = next(i for i, t in enumerate(m.tensors) if t.kind == dnm.KIND_CONSTANT)
    _rejected(patched(t_off + ci * 64 + 40, "<Q", m.tensors[ci].data_off + 4), "misaligned data")
    # op 1 is the stem CONV_2D k3x3 s2; opts start at byte 64 of the record.
    common.expect(m.ops[1].name == "CONV_2D" and m.ops[1].opts[dnm.O_STRIDE_H] == 2, "op 1")
    _rejected(patched(op_off + 128 + 64 + 4 * dnm.O_STRIDE_H, "<i", 1),
              "stride changed under the shapes")
    _rejected(patched(op_off + 0 * 128 + 16, "<i", m.ops[5].outputs[0]),
              "input read before it is produced")
    _rejected(patched(op_off + 3 * 128, "<I", 99), "unknown op code")


def densify():
    # TFLite's sparsity_format_converter_test vectors: plain CSR, and 2x2 blocks.
    csr = ([0, 1], [], [("dense", 3), ("csr", np.array([0, 2, 2, 3]), np.array([0, 2, 1]))])
    got = convert.densify(np.array([6, 9, 5], np.float16), (3, 4), csr)
    common.expect(np.array_equal(got, [[6, 0, 9, 0], [0, 0, 0, 0], [0, 5, 0, 0]]), f"CSR {got}")
    bcsr = ([0, 1, 2, 3], [0, 1], [("dense", 2), ("csr", np.array([0, 2, 3]), np.array([0, 1, 1])),
                                   ("dense", 2), ("dense", 2)])
    vals = np.array([1, 0, 0, 4, 2, 3, 0, 0, 5, 0, 0, 6], np.float32)
    got = convert.densify(vals, (4, 4), bcsr)
    want = [[1, 0, 2, 3], [0, 4, 0, 0], [0, 0, 5, 0], [0, 0, 0, 6]]
    common.expect(np.array_equal(got, want), f"block CSR {got}")


def unknown_op():
    g = {"tensors": [{"name": "x", "shape": (1, 4), "type": 0, "data": None}]}
    op = {"index": 7, "name": "SOFTMAX", "inputs": [0], "outputs": [0], "raw": None}
    try:
        convert.lower(g, op)
    except convert.ConvertError as e:
        common.expect("SOFTMAX is not supported" in str(e) and "op 7" in str(e), str(e))
        return
    raise AssertionError("SOFTMAX was lowered")


if __name__ == "__main__":
    common.run([(f"layout {n}", lambda n=n: layout(n)) for n in common.MODELS]
               + [("damaged files rejected", damaged), ("densify", densify),
                  ("unknown op", unknown_op)])
