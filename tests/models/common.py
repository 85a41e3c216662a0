"""Shared bits of the models/ tests: locating the fetched models, skip, verdict.

Each test is a standalone script run by ctest; exit 0 = pass, 1 = fail,
77 = skipped because models/fetch.sh has not been run.
"""
import os
import sys
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "models"))

SKIP = 77
MODELS = ("pose_detection", "pose_landmark_full")


def model_dir():
    cache = os.environ.get("DANCER_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dancer"))
    return os.path.join(cache, "models")


def paths(name):
    """(tflite, dnm) paths of a fetched model; exits 77 when either is missing."""
    d = model_dir()
    tfl, dn = os.path.join(d, name + ".tflite"), os.path.join(d, name + ".dnm")
    if not (os.path.exists(tfl) and os.path.exists(dn)):
        print(f"SKIP: {tfl} / {dn} missing; run models/fetch.sh")
        sys.exit(SKIP)
    return tfl, dn


def run(cases):
    """Run (name, fn) cases; a case fails by raising. Prints the verdict line."""
    failed = 0
    for name, fn in cases:
        try:
            fn()
            print(f"ok   {name}")
        except Exception:   # noqa: BLE001 -- any exception is that case's failure
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"{len(cases) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


def expect(cond, msg):
    if not cond:
        raise AssertionError(msg)
