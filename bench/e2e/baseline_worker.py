#!/usr/bin/env python3
"""The peer of dancer's worker in bench/e2e: the pipeline a team would otherwise
write in Python, measured in the same run on the same uploads.

    baseline_worker.py --queue-url URL --gait-tool PATH [--exit-when-idle]

Per SQS message (up to 10 per ReceiveMessage, long poll --wait seconds), per S3
record: download the object to a temporary file (as the old service did),
ffprobe it, decode it with the ffmpeg CLI into raw RGB frames (ffmpeg applies
the rotation), run MediaPipe's pose solution (mediapipe==0.10.14, the wheel
dancer's models come from; model_complexity=1 is pose_landmark_full, the model
dancer runs) frame by frame, write the landmark track as CSV and hand it to
dancer's own gait stage (tests/gait/gait_tool analyze: the same C gait code, so
the comparison is decode + pose + plumbing, not two gait implementations), put
the result JSON under results/ and delete the message. One video at a time, as
the old service did; MediaPipe and ffmpeg use their own threads.

Logs one JSON line per video on stderr with its timings (ms): download, decode
(time blocked reading ffmpeg's pipe), pose, gait, upload, total; and frames.
Needs boto3, numpy and mediapipe ($HOME/.cache/dancer/venv) and ffmpeg/ffprobe.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

import boto3
import numpy as np


def log(**fields):
    print(json.dumps(fields), file=sys.stderr, flush=True)


def probe(path):
    """Upright width, height (rotation applied) and average frame rate."""
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height,avg_frame_rate:stream_side_data=rotation",
                          "-of", "json", path], check=True, capture_output=True, text=True).stdout
    st = json.loads(out)["streams"][0]
    rot = next((int(s.get("rotation", 0)) for s in st.get("side_data_list", [])), 0)
    num, den = (int(x) for x in st["avg_frame_rate"].split("/"))
    w, h = (st["height"], st["width"]) if rot % 180 else (st["width"], st["height"])
    return w, h, num / den


def pose_track(pose, path, w, h, fps, csv_path, t):
    """Decodes and runs pose on every frame; writes the CSV dancer's gait stage reads."""
    ff = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-f", "rawvideo",
                           "-pix_fmt", "rgb24", "-"], stdout=subprocess.PIPE)
    size, n = w * h * 3, 0
    with open(csv_path, "w") as csv:
        csv.write("frame,time_s,landmark,x,y,z,visibility\n")
        while True:
            t0 = time.perf_counter()
            buf = ff.stdout.read(size)
            t["decode"] += time.perf_counter() - t0
            if len(buf) < size:
                break
            t0 = time.perf_counter()
            res = pose.process(np.frombuffer(buf, np.uint8).reshape(h, w, 3))
            t["pose"] += time.perf_counter() - t0
            if res.pose_landmarks is not None:
                # x, y in pixels of the upright frame; z on the scale of x (track.h).
                for i, p in enumerate(res.pose_landmarks.landmark):
                    csv.write(f"{n},{n / fps:.6f},{i},{p.x * w:.3f},{p.y * h:.3f},"
                              f"{p.z * w:.3f},{p.visibility:.4f}\n")
            n += 1
    if ff.wait() != 0:
        raise RuntimeError(f"ffmpeg failed on {path}")
    return n


def result_key(key, upload_prefix, results_prefix):
    rel = key[len(upload_prefix):] if key.startswith(upload_prefix) else key
    return results_prefix + os.path.splitext(rel)[0] + ".json"


def process(s3, pose, args, bucket, key):
    t = {k: 0.0 for k in ("download", "decode", "pose", "gait", "upload")}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="baseline-") as tmp:
        path, csv = os.path.join(tmp, "video.mp4"), os.path.join(tmp, "track.csv")
        t0 = time.perf_counter()
        s3.download_file(bucket, key, path)
        t["download"] = time.perf_counter() - t0
        w, h, fps = probe(path)
        frames = pose_track(pose, path, w, h, fps, csv, t)
        t0 = time.perf_counter()
        gait = subprocess.run([args.gait_tool, "analyze", "--fps", str(fps), str(w), str(h), csv],
                              check=True, capture_output=True, text=True).stdout
        t["gait"] = time.perf_counter() - t0
    doc = json.loads(gait)
    doc["source"] = {"bucket": bucket, "key": key}
    doc["processing"] = {"version": "baseline-python", "device": "cpu", "decoder": "ffmpeg-cli"}
    t0 = time.perf_counter()
    s3.put_object(Bucket=bucket, Key=result_key(key, args.upload_prefix, args.results_prefix),
                  Body=json.dumps(doc).encode(), ContentType="application/json")
    t["upload"] = time.perf_counter() - t0
    t["total"] = time.perf_counter() - start
    log(msg="video done", key=key, frames=frames,
        gait_cycle_detected=doc["gait"].get("gait_cycle_detected"),
        timings_ms={k: round(v * 1000, 1) for k, v in t.items()})


def records(body):
    for r in json.loads(body).get("Records", []):
        if r.get("eventSource") == "aws:s3" and r.get("eventName", "").startswith("ObjectCreated"):
            yield r["s3"]["bucket"]["name"], urllib.parse.unquote_plus(r["s3"]["object"]["key"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--queue-url", default=os.environ.get("SQS_QUEUE_URL"),
                    help="default: SQS_QUEUE_URL")
    ap.add_argument("--gait-tool", required=True)
    ap.add_argument("--upload-prefix", default="uploads/")
    ap.add_argument("--results-prefix", default="results/")
    ap.add_argument("--wait", type=int, default=20, help="long poll, s")
    ap.add_argument("--exit-when-idle", action="store_true")
    args = ap.parse_args()
    if not args.queue_url:
        ap.error("no queue: give --queue-url or set SQS_QUEUE_URL")
    import mediapipe as mp  # imported late: it takes a few seconds, counted in the run
    sqs, s3 = boto3.client("sqs"), boto3.client("s3")
    with mp.solutions.pose.Pose(model_complexity=1, static_image_mode=False) as pose:
        while True:
            msgs = sqs.receive_message(QueueUrl=args.queue_url, MaxNumberOfMessages=10,
                                       WaitTimeSeconds=args.wait, VisibilityTimeout=600
                                       ).get("Messages", [])
            if not msgs and args.exit_when_idle:
                return 0
            for m in msgs:
                for bucket, key in records(m["Body"]):
                    # One Pose object for every video, as a long-running worker
                    # would; reset() keeps one video's tracking out of the next.
                    pose.reset()
                    process(s3, pose, args, bucket, key)
                sqs.delete_message(QueueUrl=args.queue_url, ReceiptHandle=m["ReceiptHandle"])


if __name__ == "__main__":
    sys.exit(main())
