#!/usr/bin/env python3
"""scripts/gait-summary.py --check, the quickstart's and CI's verdict on a report,
must pass a real report and fail placeholders, missing cycles, errors and numbers
far from the walker's truth.

    test_summary.py GAIT_TOOL     (tests/gait/gait_tool: result documents of the gait stage)
"""
import json
import os
import subprocess
import sys

tool = sys.argv[1]
py = sys.executable
tmp = os.path.join(os.environ.get("DN_TEST_TMP_ROOT", "/tmp"), "quickstart-summary")
os.makedirs(tmp, exist_ok=True)
truth = os.path.join(tmp, "truth.json")
subprocess.run([py, "tests/walker/walker.py", "--truth", truth, "--duration", "8", "--quiet"], check=True)


def result(name, edit=None):
    doc = json.loads(subprocess.run([tool, "example", name], capture_output=True, check=True).stdout)
    if edit:
        edit(doc)
    path = os.path.join(tmp, f"{name}-{edit.__name__ if edit else 'as-is'}.json")
    json.dump(doc, open(path, "w"))
    return path


def verdict(path):
    p = subprocess.run([py, "scripts/gait-summary.py", path, "--truth", truth, "--check"],
                       capture_output=True, text=True)
    return p.returncode


def placeholder(doc):  # the old service's fixed numbers
    doc["gait"]["cadence_steps_per_min"] = 120.0


def no_stance(doc):
    doc["gait"]["stance_pct"] = None


cases = [("real report", result("side"), 0),
         ("standing still: no cycle", result("still"), 1),
         ("error result", result("error"), 1),
         ("placeholder cadence", result("side", placeholder), 1),
         ("stance missing", result("side", no_stance), 1)]
failed = 0
for what, path, want in cases:
    got = verdict(path)
    ok = got == want
    failed += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {what}: exit {got}, want {want}")
print(f"{len(cases) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
