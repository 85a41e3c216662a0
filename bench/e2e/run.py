#!/usr/bin/env python3
"""End-to-end throughput: dancer's worker against the Python pipeline a team would
otherwise write (baseline_worker.py), on the same uploads, in the same run.

    $HOME/.cache/dancer/venv/bin/python bench/e2e/run.py              # CI-sized, a few minutes
    $HOME/.cache/dancer/venv/bin/python bench/e2e/run.py --mode full  # 12 videos, 10-30 s
    ... run.py --videos 6 --durations 10,20 --sizes 1280x720,1920x1080 --only baseline

For each contender: a fresh bucket and queue on a local S3+SQS server (moto,
started here on a free loopback port) with a real S3->SQS notification, the N
videos uploaded under uploads/ (N notifications queued), then the worker run
until the queue is drained (--exit-when-idle). Measured: wall time from worker
start to exit, videos/s, frames/s, CPU time per frame (user+sys of the worker
and its children: steadier than wall time on a shared machine), peak memory (RSS
of the worker's whole process tree, sampled every 50 ms; the kernel's single-
process peak beside it), time per stage (dancer: its metric lines; baseline: its
log lines), and that every upload got a result with a gait cycle. Prints a
Markdown table with the ratios dancer/baseline (> 1: dancer better).

Videos are synthetic walkers (tests/walker/walker.py) walking toward or away
from the camera, rendered once per size and duration and cached in
$DANCER_CACHE/bench/e2e/; the N uploads cycle through them under distinct keys
(distinct jobs for both workers).
"""
import argparse
import hashlib
import itertools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("DANCER_CACHE", os.path.expanduser("~/.cache/dancer"))
MODES = {"ci": dict(videos=4, durations=[10], sizes=["1280x720", "1920x1080"]),
         "full": dict(videos=12, durations=[10, 20, 30], sizes=["1280x720", "1920x1080"])}


def sh(*cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# ---- videos --------------------------------------------------------------------
def walker_videos(sizes, durations):
    """{(size, duration): (path, frames)}, rendering what the cache lacks."""
    src = os.path.join(ROOT, "tests", "walker")
    h = hashlib.sha256()
    for f in sorted(os.listdir(src)):
        if f.endswith(".py"):
            h.update(open(os.path.join(src, f), "rb").read())
    cache = os.path.join(CACHE, "bench", "e2e", h.hexdigest()[:12])
    os.makedirs(cache, exist_ok=True)
    out = {}
    for i, (size, dur) in enumerate(itertools.product(sizes, durations)):
        path = os.path.join(cache, f"walk_{size}_{dur}s_{('toward', 'away')[i % 2]}.mp4")
        truth = path[:-4] + ".json"
        if not (os.path.exists(path) and os.path.exists(truth)):
            print(f"e2e: rendering {os.path.basename(path)} (once; cached in {cache})", flush=True)
            # Front and back views: the walker frames them so the subject stays
            # in the picture, large enough for BlazePose's detector, however long
            # the walk; a 10-30 s side-view walk enters and leaves the picture.
            sh(sys.executable, os.path.join(src, "walker.py"), "-o", path + ".tmp.mp4", "--truth",
               truth, "--size", size, "--duration", str(dur), "--seed", str(i),
               "--direction", ("toward", "away")[i % 2], "--quiet")
            os.replace(path + ".tmp.mp4", path)
        out[(size, dur)] = (path, json.load(open(truth))["video"]["frames"])
    return out


# ---- local S3+SQS ----------------------------------------------------------------
class Moto:
    def __init__(self, state):
        self.state = state
        self.script = os.path.join(ROOT, "tests", "support", "moto_server.py")
        self.url = sh(sys.executable, self.script, "start", state, capture_output=True,
                      text=True).stdout.strip()

    def stop(self):
        subprocess.run([sys.executable, self.script, "stop", self.state])


def make_bucket_and_queue(name):
    """Bucket + queue + S3->SQS notification (the part of `dancer setup` the bench needs)."""
    s3, sqs = boto3.client("s3"), boto3.client("sqs")
    s3.create_bucket(Bucket=name)
    url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(Bucket=name, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"], "Filter": {
            "Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"},
                                    {"Name": "suffix", "Value": ".mp4"}]}}}]})
    return url


def queue_depth(url):
    a = boto3.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])


# ---- measuring a worker ------------------------------------------------------------
def tree_rss(root_pid):
    """Resident bytes of root_pid and all its descendants, from /proc."""
    parent = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open(f"/proc/{d}/stat").read()
                parent[int(d)] = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError):
                pass
    tree, grew = {root_pid}, True
    while grew:
        new = {p for p, pp in parent.items() if pp in tree and p not in tree}
        tree |= new
        grew = bool(new)
    total = 0
    for p in tree:
        try:
            total += int(open(f"/proc/{p}/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            pass
    return total


def run_worker(cmd, env, log_path):
    """Runs cmd to completion: (wall s, cpu s, tree peak bytes, process peak bytes, exit status)."""
    peak = [0]
    with open(log_path, "w") as log:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample():
            while not done.wait(0.05):
                peak[0] = max(peak[0], tree_rss(proc.pid))
        th = threading.Thread(target=sample)
        th.start()
        _, status, ru = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        done.set()
        th.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return wall, ru.ru_utime + ru.ru_stime, peak[0], ru.ru_maxrss * 1024, proc.returncode


def stage_times(log_path):
    """Total ms per stage from the worker's log: the per-video `timings_ms` objects
    (baseline, and dancer's job lines), else dancer's EMF <Stage>Ms metrics."""
    logged, emf = {}, {}
    for line in open(log_path, errors="replace"):
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if not isinstance(doc, dict):
            continue
        if isinstance(doc.get("timings_ms"), dict):
            into, timings = logged, doc["timings_ms"]
        elif "_aws" in doc:  # CloudWatch embedded metric format
            into, timings = emf, {m["Name"]: doc.get(m["Name"]) for d in doc["_aws"].get("CloudWatchMetrics", [])
                                  for m in d.get("Metrics", []) if m.get("Unit") == "Milliseconds"}
        else:
            continue
        for k, v in timings.items():
            if isinstance(v, (int, float)):
                into[k] = into.get(k, 0.0) + v
    return logged or emf


def results_ok(bucket):
    s3 = boto3.client("s3")
    keys = [o["Key"] for p in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="results/")
            for o in p.get("Contents", [])]
    cycles = 0
    for k in keys:
        doc = json.loads(s3.get_object(Bucket=bucket, Key=k)["Body"].read())
        cycles += bool((doc.get("gait") or {}).get("gait_cycle_detected"))
    return len(keys), cycles


def contender(name, args):
    if name == "dancer":
        return [args.dancer or os.path.join(args.build_dir, "src", "dancer"), "worker", "--exit-when-idle"], \
            {"SQS_LONG_POLL_TIMEOUT": "1", "DANCER_LOG_FORMAT": "json",
             # OpenMP's spinning barriers collapse on a shared, oversubscribed
             # machine (bench/RESULTS.md, pose networks); passive unless told.
             "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "passive")}
    return [sys.executable, os.path.join(ROOT, "bench", "e2e", "baseline_worker.py"), "--wait", "1",
            "--gait-tool", os.path.join(args.build_dir, "tests", "gait", "gait_tool"),
            "--exit-when-idle"], {}


def bench_one(name, plan, args, out_dir):
    bucket = f"bench-{name}-{int(time.time())}"
    url = make_bucket_and_queue(bucket)
    s3 = boto3.client("s3")
    for i, (path, _) in enumerate(plan):
        s3.upload_file(path, bucket, f"uploads/bench/s{i:03d}/20240101_{i:06d}_gait.mp4")
    while queue_depth(url) < len(plan):  # moto notifies synchronously; be sure anyway
        time.sleep(0.1)
    cmd, extra = contender(name, args)
    env = dict(os.environ, SQS_QUEUE_URL=url, S3_BUCKET=bucket, **extra)
    log_path = os.path.join(out_dir, f"{name}.log")
    print(f"e2e: {name}: {' '.join(cmd)}", flush=True)
    wall, cpu, tree_peak, proc_peak, rc = run_worker(cmd, env, log_path)
    if rc == 2 and "not built yet" in open(log_path, errors="replace").read():
        print(f"e2e: {name}: SKIP: `dancer worker` is not built yet in this checkout", flush=True)
        return None
    n_results, n_cycles = results_ok(bucket)
    frames = sum(f for _, f in plan)
    return {"name": name, "exit": rc, "wall_s": wall, "cpu_s": cpu, "peak_tree_mib": tree_peak / 2**20,
            "peak_process_mib": proc_peak / 2**20, "videos": len(plan), "frames": frames,
            "videos_per_s": len(plan) / wall, "frames_per_s": frames / wall,
            "cpu_ms_per_frame": 1000 * cpu / frames, "results": n_results, "gait_cycles": n_cycles,
            "left_in_queue": queue_depth(url), "stages_ms": stage_times(log_path), "log": log_path}


# ---- report ----------------------------------------------------------------------
def report(runs, plan):
    by = {r["name"]: r for r in runs}
    print(f"\n{len(plan)} videos ({', '.join(sorted({os.path.basename(p) for p, _ in plan}))}), "
          f"{sum(f for _, f in plan)} frames; {platform.node()}, {os.cpu_count()} cores\n")
    cols = [("exit status", "exit", "{}"), ("videos/s", "videos_per_s", "{:.3f}"),
            ("frames/s", "frames_per_s", "{:.1f}"), ("CPU ms/frame", "cpu_ms_per_frame", "{:.1f}"),
            ("peak memory, process tree (MiB)", "peak_tree_mib", "{:.0f}"),
            ("peak memory, largest process (MiB)", "peak_process_mib", "{:.0f}"),
            ("wall time (s)", "wall_s", "{:.1f}"), ("results written", "results", "{}"),
            ("results with a gait cycle", "gait_cycles", "{}"), ("left in queue", "left_in_queue", "{}")]
    names = [r["name"] for r in runs]
    both = "dancer" in by and "baseline" in by
    print("| | " + " | ".join(names) + (" | ratio dancer/baseline |" if both else " |"))
    print("|---" * (len(names) + 1 + both) + "|")
    better_high = {"videos_per_s", "frames_per_s"}
    better_low = {"cpu_ms_per_frame", "peak_tree_mib", "peak_process_mib", "wall_s"}
    for label, key, f in cols:
        row = [f.format(by[n][key]) for n in names]
        ratio = ""
        if both and key in better_high | better_low and by["baseline"][key] and by["dancer"][key]:
            d, b = by["dancer"][key], by["baseline"][key]
            ratio = f"{(d / b if key in better_high else b / d):.2f}x"
        print(f"| {label} | " + " | ".join(row) + (f" | {ratio} |" if both else " |"))
    for r in runs:
        if r["stages_ms"]:
            print(f"\n{r['name']} time per stage (ms per video): " + ", ".join(
                f"{k} {v / r['videos']:.0f}" for k, v in sorted(r["stages_ms"].items())))
    if both:
        print("\nratios > 1: dancer better (throughput: dancer/baseline; time and memory: baseline/dancer)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("--mode", choices=MODES, default="ci")
    ap.add_argument("--videos", type=int)
    ap.add_argument("--durations", help="seconds, comma-separated")
    ap.add_argument("--sizes", help="WxH, comma-separated")
    ap.add_argument("--only", choices=("dancer", "baseline"))
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("--dancer", help="dancer binary (default: BUILD_DIR/src/dancer)")
    ap.add_argument("--out", help="logs and results.json (default: a temporary folder)")
    args = ap.parse_args()
    m = MODES[args.mode]
    n = args.videos or m["videos"]
    durations = [int(x) for x in args.durations.split(",")] if args.durations else m["durations"]
    sizes = args.sizes.split(",") if args.sizes else m["sizes"]

    videos = walker_videos(sizes, durations)
    combos = list(itertools.product(sizes, durations))
    plan = [videos[combos[i % len(combos)]] for i in range(n)]
    out_dir = args.out or tempfile.mkdtemp(prefix="dancer-e2e-")
    os.makedirs(out_dir, exist_ok=True)
    moto = Moto(os.path.join(out_dir, "moto"))
    # Local server, test keys; never a real account.
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS"):
        os.environ.pop(k, None)
    os.environ.update(AWS_ENDPOINT_URL=moto.url, AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench",
                      AWS_REGION="us-east-1", AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true")
    try:
        runs = [bench_one(name, plan, args, out_dir) for name in ("baseline", "dancer")
                if args.only in (None, name)]
        runs = [r for r in runs if r is not None]
    finally:
        moto.stop()
    json.dump({"date": time.strftime("%Y-%m-%d"), "argv": sys.argv, "runs": runs},
              open(os.path.join(out_dir, "results.json"), "w"), indent=1)
    report(runs, plan)
    print(f"\nlogs and results.json in {out_dir}")
    bad = [r["name"] for r in runs if r["exit"] or r["results"] != r["videos"] or r["left_in_queue"]]
    if bad:
        print(f"e2e: FAIL: {', '.join(bad)} did not process every upload (see the logs)", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
