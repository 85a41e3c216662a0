#!/usr/bin/env python3
"""`dancer analyze` end to end on walker clips: JSON Lines in input order,
every document valid against src/gait/result.schema.json, per-input errors
with their class, side files (--landmarks-csv, --svg) named per input,
--pretty, exit statuses, and no AWS configuration needed for local files.

usage: test_analyze_cli.py DANCER SCHEMA CLIPS_DIR
Exit 77 (skipped) without the converted models or the clips.
"""
import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from jsonschema import Draft202012Validator

DANCER, SCHEMA, CLIPS = sys.argv[1:4]
failures = []


def expect(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def clip(name):
    return os.path.join(CLIPS, name)


def bare_env(**extra):
    """Only what a person without any AWS set-up has (tests' AWS_* removed)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k not in ("SQS_QUEUE_URL", "S3_BUCKET")}
    env.update(extra)
    return env


def analyze(*args, env=None):
    return subprocess.run([DANCER, "analyze", "--log-level", "error", *args], capture_output=True,
                          text=True, env=env or bare_env(), timeout=600)


def models_present():
    d = os.environ.get("DANCER_MODEL_DIR") or os.path.expanduser("~/.cache/dancer/models")
    return all(os.path.exists(os.path.join(d, f)) for f in ("pose_detection.dnm", "pose_landmark_full.dnm"))


def main():
    if not models_present() or not os.path.exists(clip("walk_a.mp4")):
        print("skipped: no converted models (models/fetch.sh) or no walker clips")
        return 77
    validator = Draft202012Validator(json.load(open(SCHEMA)))
    tmp = tempfile.mkdtemp(prefix="dn-analyze-")
    names = ["walk_a.mp4", "walk_b.mp4", "walk_a_bad.mp4", "missing.mp4"]
    r = analyze(*[clip(n) for n in names], "--landmarks-csv", os.path.join(tmp, "lm.csv"),
                "--svg", os.path.join(tmp, "report.svg"), "--subject-height-cm", "175")
    expect(r.returncode == 1, "exit 1 when an input failed (got %d: %s)" % (r.returncode, r.stderr[-300:]))
    lines = r.stdout.splitlines()
    expect(len(lines) == 4, "one JSON line per input (%d)" % len(lines))
    docs = [json.loads(line) for line in lines]
    for name, doc in zip(names, docs):
        errs = list(validator.iter_errors(doc))
        for e in errs[:3]:
            print("   %s: %s: %s" % (name, "/".join(map(str, e.path)), e.message))
        expect(not errs, "%s: document valid against the schema" % name)
        expect(doc["source"]["uri"] == clip(name), "%s: in input order" % name)
    good = docs[1]
    expect(good["error"] is None and good["gait"]["gait_cycle_detected"], "walk_b: a gait cycle")
    expect(good["gait"]["scale_source"] == "subject_height", "walk_b: scale from --subject-height-cm")
    expect(good["processing"]["device"] == "cpu" and good["processing"]["decoder"] == "cpu",
           "processing: device and decoder")
    expect(len(good["processing"]["model_sha256"] or "") == 64, "processing: model sha256")
    stages = good["processing"]["timings_ms"]
    expect(all(k in stages for k in ("download", "demux", "decode", "pose", "gait", "total")),
           "processing: stage timings")
    expect(docs[2]["error"]["class"] == "bad_input" and docs[2]["video"] is not None,
           "corrupt clip: bad_input, with its probe")
    expect(docs[3]["error"]["class"] == "not_found" and docs[3]["video"] is None, "missing: not_found")
    for i, n in ((1, 2), (2, 3)):
        csv = os.path.join(tmp, "lm-%d.csv" % i)
        head = open(csv).readline().strip() if os.path.exists(csv) else ""
        expect(head == "frame,time_s,landmark,x,y,z,visibility", "lm-%d.csv written" % i)
    expect(not os.path.exists(os.path.join(tmp, "lm-3.csv")), "no CSV for the failed input")
    try:
        ET.parse(os.path.join(tmp, "report-2.svg"))
        expect(True, "report-2.svg is well-formed SVG")
    except (OSError, ET.ParseError) as e:
        expect(False, "report-2.svg: %s" % e)

    r = analyze(clip("walk_b.mp4"), "--pretty", "-o", os.path.join(tmp, "one.jsonl"))
    expect(r.returncode == 0, "exit 0 when every input was analysed (%d)" % r.returncode)
    expect("cadence" in r.stdout and "steps/min" in r.stdout and "{" not in r.stdout,
           "--pretty: a summary, no JSON on stdout")
    expect("—" in r.stdout or "m/s" in r.stdout, "--pretty: metres or a reason for their absence")
    expect(len(open(os.path.join(tmp, "one.jsonl")).read().splitlines()) == 1, "-o FILE gets the JSON")

    r = analyze(clip("walk_a.mp4"), "--subject-height-cm", "20")
    expect(r.returncode == 2 and "subject-height-cm" in r.stderr, "bad height: usage error, exit 2")
    r = analyze(clip("walk_a.mp4"), env=bare_env(DANCER_MODEL_DIR=os.path.join(tmp, "none")))
    expect(r.returncode == 2 and "models/fetch.sh" in r.stderr and "DANCER_MODEL_DIR" in r.stderr,
           "missing models: configuration error naming DANCER_MODEL_DIR and models/fetch.sh, exit 2")
    r = analyze()
    expect(r.returncode == 2, "no INPUT: exit 2")
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
