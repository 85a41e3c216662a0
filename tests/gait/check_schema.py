#!/usr/bin/env python3
"""Result documents built by src/gait/result.c against src/gait/result.schema.json.

Validates every example gait_tool can build (side view with and without a
scale, front view, standing still, a single stride, an error result) with
jsonschema's Draft 2020-12 validator, checks the schema itself, checks that
every null gait value carries a reason, and that the schema rejects broken
documents (so this test can fail).

usage: check_schema.py GAIT_TOOL SCHEMA
"""
import copy
import json
import subprocess
import sys

from jsonschema import Draft202012Validator

TOOL, SCHEMA = sys.argv[1], sys.argv[2]
schema = json.load(open(SCHEMA))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
failures = []


def example(name):
    out = subprocess.run([TOOL, "example", name], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def expect(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL", what)


docs = {n: example(n) for n in ["side", "side_scaled", "front", "still", "single_stride", "error"]}
for name, doc in docs.items():
    errs = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
    for e in errs[:5]:
        print(f"FAIL {name}: {'/'.join(map(str, e.path))}: {e.message}")
    expect(not errs, f"{name} validates")
    g = doc["gait"]
    if g is None:
        continue
    for key, value in g.items():
        if value is None and key not in ("reason", "view", "scale_source"):
            expect(key in g["null_reasons"], f"{name}: null {key} has a reason")
    for key, value in g["symmetry_index_pct"].items():
        if value is None:
            expect(f"symmetry_index_pct.{key}" in g["null_reasons"], f"{name}: null symmetry {key} has a reason")

side, scaled, front = docs["side"]["gait"], docs["side_scaled"]["gait"], docs["front"]["gait"]
expect(side["gait_cycle_detected"] and side["view"] == "side", "side: detected, side view")
expect(side["walking_speed_m_s"] is None and "scale unknown" in side["null_reasons"]["walking_speed_m_s"],
       "side: no metres without a scale")
expect(side["step_length"] is not None and side["parameters"]["step_length"]["n"] > 0, "side: step length")
expect(scaled["scale_source"] == "subject_height" and scaled["walking_speed_m_s"] > 0, "scaled: metres")
expect(front["view"] == "front" and front["step_length"] is None, "front: no step length")
expect(front["method"]["temporal"] == "periodicity" and front["cadence_steps_per_min"] > 0
       and front["parameters"]["cadence_steps_per_min"]["cv"] is None, "front: cadence from the rhythm, no cv")
expect(front["stance_pct"] is None and "front/back view" in front["null_reasons"]["stance_pct"],
       "front: stance null with a reason")
expect(all(b["stride_period_s"] > 0 for b in front["bouts"]), "front: bouts carry their stride period")
expect(side["method"]["temporal"] == "events" and side["bouts"][0]["events_rejected"] is None,
       "side: events kept, timing from events")
for name in ("still", "single_stride"):
    g = docs[name]["gait"]
    expect(not g["gait_cycle_detected"] and g["reason"], f"{name}: not detected, with a reason")
    expect(g["cadence_steps_per_min"] is None, f"{name}: no cadence")
    expect(docs[name]["quality"]["confidence"] == 0, f"{name}: zero confidence")
err = docs["error"]
expect(err["error"] == {"class": "bad_input", "message": "moov atom not found"}, "error: class and message")
expect(err["gait"] is None and err["video"] is None and err["quality"] is None, "error: no invented numbers")

# The schema must be able to say no.
broken = []
d = copy.deepcopy(docs["side"]); d["gait"]["stance_pct"] = 140; broken.append(("stance 140 %", d))
d = copy.deepcopy(docs["side"]); del d["error"]; broken.append(("no error member", d))
d = copy.deepcopy(docs["side"]); d["gait"]["events"][0]["side"] = "middle"; broken.append(("bad side", d))
d = copy.deepcopy(docs["error"]); d["error"]["class"] = "oops"; broken.append(("bad class", d))
d = copy.deepcopy(docs["side"]); d["quality"]["confidence"] = 1.5; broken.append(("confidence 1.5", d))
for what, doc in broken:
    expect(not validator.is_valid(doc), f"schema rejects {what}")

# The SVG report: well-formed, both panels with curves for a side view, the
# reason instead of curves without a gait cycle.
import xml.etree.ElementTree as ET  # noqa: E402
for name in ("side", "still"):
    svg = subprocess.run([TOOL, "report", name], capture_output=True, text=True, check=True).stdout
    try:
        root = ET.fromstring(svg)
    except ET.ParseError as e:
        expect(False, f"report {name} is well-formed XML: {e}")
        continue
    lines = root.findall("{http://www.w3.org/2000/svg}polyline")
    expect(len(lines) == (4 if name == "side" else 0), f"report {name}: {len(lines)} curves")
    expect((name == "still") == ("No gait cycle" in svg), f"report {name}: reason shown iff no cycle")

print(f"{len(docs)} documents, {len(broken)} broken ones: {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
