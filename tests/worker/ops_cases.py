#!/usr/bin/env python3
"""`setup`, `doctor` and `reprocess` against the local S3+SQS server.

    ops_cases.py DANCER_TEST_BIN CASE

moto checks no IAM permissions, so doctor's permission probes always pass
here; and moto, unlike SQS, accepts a MaxReceiveCount queue attribute — the
cases check dancer never sends one rather than relying on a rejection.
"""
import json
import os
import signal
import subprocess
import sys

from worker_env import (Cases, Worker, analyses, body, check, clients, endpoint, new_stack, tmp_dir,
                        unique, wait_for)

CASES = Cases()
case = CASES.case


def env(url, **extra):
    e = dict(os.environ, AWS_ENDPOINT_URL=url, AWS_REGION="us-east-1", DANCER_LOG_LEVEL="warn")
    e.update(extra)
    return e


def run(args, e, expect=0, timeout=120):
    p = subprocess.run([CASES.bin] + args, env=e, capture_output=True, text=True, timeout=timeout)
    check(p.returncode == expect, f"{args}: exit {p.returncode} (wanted {expect})\n{p.stdout}\n{p.stderr}")
    return p.stdout


class Bucket:
    """A bucket with `dancer setup` run on it."""

    def __init__(self):
        self.url = endpoint()
        self.s3, self.sqs = clients(self.url)
        self.bucket = unique("dn-op")
        self.queue = self.bucket + "-q"
        self.s3.create_bucket(Bucket=self.bucket)

    def setup(self, *extra, expect=0):
        return run(["setup", "--bucket", self.bucket, "--queue", self.queue] + list(extra),
                   env(self.url), expect)

    def queue_url(self, name=None):
        return self.sqs.get_queue_url(QueueName=name or self.queue)["QueueUrl"]

    def attrs(self, name=None):
        return self.sqs.get_queue_attributes(QueueUrl=self.queue_url(name),
                                             AttributeNames=["All"])["Attributes"]

    def doctor(self, expect):
        out = run(["doctor"], env(self.url, SQS_QUEUE_NAME=self.queue, S3_BUCKET=self.bucket), expect)
        lines = [x for x in out.splitlines() if x[:4] in ("PASS", "FAIL", "SKIP")]
        return {x[6:].split(": ", 1)[0]: x[:4] for x in lines}, out


def other_queue_arn(sqs, name):
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@case
def setup_idempotent():
    """setup creates everything, keeps what others configured, and a second
    run changes nothing."""
    b = Bucket()
    other = other_queue_arn(b.sqs, b.bucket + "-other")
    b.s3.put_bucket_notification_configuration(Bucket=b.bucket, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "someone-else", "QueueArn": other,
                                 "Events": ["s3:ObjectRemoved:*"]}]})
    out = b.setup()
    # dead-letter queue, queue, policy, and a notification per case of the
    # suffix (S3 compares suffixes case-sensitively: .mp4 and .MP4)
    check(out.count("created") == 5, f"first run:\n{out}")
    a = b.attrs()
    check("MaxReceiveCount" not in a, "a MaxReceiveCount queue attribute was sent")
    rp = json.loads(a["RedrivePolicy"])
    check(int(rp["maxReceiveCount"]) == 3 and rp["deadLetterTargetArn"].endswith(b.queue + "-dlq"),
          f"RedrivePolicy {rp}")
    check(a["VisibilityTimeout"] == "300" and a["MessageRetentionPeriod"] == "1209600" and
          a["ReceiveMessageWaitTimeSeconds"] == "20", f"attributes {a}")
    st = json.loads(a["Policy"])["Statement"]
    check(len(st) == 1 and st[0]["Principal"] == {"Service": "s3.amazonaws.com"} and
          st[0]["Action"] == "SQS:SendMessage" and st[0]["Resource"] == a["QueueArn"] and
          st[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == a["QueueArn"].split(":")[4] and
          st[0]["Condition"]["ArnLike"]["aws:SourceArn"] == f"arn:aws:s3:::{b.bucket}", f"policy {st}")
    n = b.s3.get_bucket_notification_configuration(Bucket=b.bucket)["QueueConfigurations"]
    check(sorted(q["Id"] for q in n) == ["dancer-uploads", "dancer-uploads-uppercase", "someone-else"],
          f"notification {n}")
    suffixes = sorted(r["Value"] for q in n if q["Id"].startswith("dancer") for r in q["Filter"]["Key"]["FilterRules"]
                      if r["Name"] == "suffix")
    check(suffixes == [".MP4", ".mp4"], f"suffixes {suffixes}")
    depth = b.attrs()["ApproximateNumberOfMessages"]  # the TestEvent S3 sent
    out2 = b.setup()
    check(out2.count("unchanged") == 5 and "created" not in out2 and "updated" not in out2,
          f"second run:\n{out2}")
    check(b.attrs()["ApproximateNumberOfMessages"] == depth, "second run re-sent a TestEvent")
    # An upload named .MP4 reaches the queue (moto, like S3, matches suffixes
    # case-sensitively; with the .mp4 configuration alone it did not).
    b.s3.put_object(Bucket=b.bucket, Key="uploads/u/WALK.MP4", Body=b"x")
    wait_for(lambda: int(b.attrs()["ApproximateNumberOfMessages"]) == int(depth) + 1, 10,
             "the .MP4 upload's notification")
    msgs = b.sqs.receive_message(QueueUrl=b.queue_url(), MaxNumberOfMessages=10).get("Messages", [])
    check(any("WALK.MP4" in m["Body"] and "dancer-uploads-uppercase" in m["Body"] for m in msgs),
          f"no .MP4 event: {msgs}")
    # A policy statement someone else added survives a re-run that changes ours.
    pol = json.loads(a["Policy"])
    pol["Statement"].append({"Sid": "Theirs", "Effect": "Allow", "Principal": {"AWS": "*"},
                             "Action": "sqs:GetQueueAttributes", "Resource": a["QueueArn"]})
    pol["Statement"][0]["Condition"]["ArnLike"]["aws:SourceArn"] = "arn:aws:s3:::elsewhere"
    b.sqs.set_queue_attributes(QueueUrl=b.queue_url(), Attributes={"Policy": json.dumps(pol)})
    out3 = b.setup()
    check("updated   queue policy" in out3 and out3.count("unchanged") == 4, f"third run:\n{out3}")
    sids = sorted(s["Sid"] for s in json.loads(b.attrs()["Policy"])["Statement"])
    check(sids == ["AllowS3ToSendMessages", "Theirs"], f"statements {sids}")
    # moto drops a queue's Policy on any SetQueueAttributes call (SQS keeps
    # it), so the policy is checked before this step changes an attribute.
    out4 = b.setup("--max-receive-count", "5")
    check("updated   queue " in out4 and "RedrivePolicy" in out4, f"fourth run:\n{out4}")
    check(int(json.loads(b.attrs()["RedrivePolicy"])["maxReceiveCount"]) == 5, "count not updated")


@case
def setup_missing_bucket():
    """setup on a bucket that does not exist says so and creates nothing:
    before, it made both queues and failed at the notification."""
    url = endpoint()
    s3, sqs = clients(url)
    bucket = unique("dn-nobucket")
    p = subprocess.run([CASES.bin, "setup", "--bucket", bucket, "--queue", bucket + "-q"],
                       env=env(url), capture_output=True, text=True, timeout=120)
    check(p.returncode != 0, f"setup succeeded on a missing bucket:\n{p.stdout}\n{p.stderr}")
    check(f"bucket {bucket}" in p.stderr and "nothing was created" in p.stderr, f"message:\n{p.stderr}")
    names = [u.rsplit("/", 1)[1] for u in sqs.list_queues(QueueNamePrefix=bucket).get("QueueUrls", [])]
    check(names == [], f"setup left queues behind: {names}")


@case
def setup_print():
    """--print gives a script of AWS CLI commands; run with the AWS CLI it
    makes a set-up that doctor passes."""
    b = Bucket()
    script = b.setup("--print")
    for word in ("RedrivePolicy", "maxReceiveCount", "aws sqs create-queue", "aws:SourceAccount",
                 "aws:SourceArn", "put-bucket-notification-configuration"):
        check(word in script, f"--print lacks {word}")
    check('"MaxReceiveCount"' not in script, "--print sends a MaxReceiveCount attribute")
    d = tmp_dir(b.bucket)
    with open(os.path.join(d, "setup.sh"), "w") as f:
        f.write(script)
    # The AWS CLI v1 installed here ignores AWS_ENDPOINT_URL: a shim adds
    # --endpoint-url, so the script itself stays as printed.
    real = subprocess.run(["sh", "-c", "command -v aws"], capture_output=True, text=True).stdout.strip()
    if not real:
        print("no AWS CLI: skipped")
        sys.exit(77)
    os.makedirs(os.path.join(d, "bin"), exist_ok=True)
    with open(os.path.join(d, "bin", "aws"), "w") as f:
        f.write(f'#!/bin/sh\nexec {real} --endpoint-url {b.url} "$@"\n')
    os.chmod(os.path.join(d, "bin", "aws"), 0o755)
    e = env(b.url, AWS_DEFAULT_REGION="us-east-1", PATH=os.path.join(d, "bin") + ":" + os.environ["PATH"])
    p = subprocess.run(["sh", "setup.sh"], cwd=d, env=e, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, f"the printed script failed:\n{p.stdout}\n{p.stderr}")
    verdicts, out = b.doctor(0)
    check("FAIL" not in verdicts.values(), out)


@case
def doctor_checks():
    """doctor passes after setup, and names the broken item after each of
    several deliberate misconfigurations (each on a fresh set-up)."""
    b = Bucket()
    b.setup()
    verdicts, out = b.doctor(0)
    check(set(verdicts.values()) == {"PASS"} and len(verdicts) >= 12, out)
    # A message in the dead-letter queue is a WARN that says where to look
    # (doctor still passes).
    b.sqs.send_message(QueueUrl=b.queue_url(b.queue + "-dlq"), MessageBody="{}")
    _, out = b.doctor(0)
    check("WARN  dead-letter queue is empty: 1 upload message(s)" in out and "start-message-move-task" in out,
          f"dead-letter depth not reported:\n{out}")

    def policy(fn):
        def breaks(b):
            pol = json.loads(b.attrs()["Policy"])
            fn(pol["Statement"][0])
            b.sqs.set_queue_attributes(QueueUrl=b.queue_url(), Attributes={"Policy": json.dumps(pol)})
        return breaks

    def notify(b, prefix, suffix, arn=None):
        rules = [{"Name": n, "Value": v} for n, v in (("prefix", prefix), ("suffix", suffix)) if v]
        q = {"Id": "x", "QueueArn": arn or b.attrs()["QueueArn"], "Events": ["s3:ObjectCreated:*"]}
        if rules:
            q["Filter"] = {"Key": {"FilterRules": rules}}
        b.s3.put_bucket_notification_configuration(Bucket=b.bucket, NotificationConfiguration={
            "QueueConfigurations": [q]})

    broken = {
        "queue policy lets S3 send": [
            lambda b: b.sqs.set_queue_attributes(QueueUrl=b.queue_url(), Attributes={"Policy": ""}),
            policy(lambda s: s.update(Principal={"Service": "sns.amazonaws.com"})),
            policy(lambda s: s.update(Resource="arn:aws:sqs:us-east-1:123456789012:elsewhere"))],
        "queue policy is least-privilege": [policy(lambda s: s.update(Action="sqs:*"))],
        "queue policy aws:SourceAccount": [policy(lambda s: s["Condition"].pop("StringEquals"))],
        "queue policy aws:SourceArn": [policy(lambda s: s["Condition"]["ArnLike"].update(
            {"aws:SourceArn": "arn:aws:s3:::another-bucket"}))],
        "bucket notification points at this queue": [
            lambda b: notify(b, "uploads/", ".mp4", other_queue_arn(b.sqs, b.bucket + "-x"))],
        "queue encryption lets S3 send": [lambda b: b.sqs.set_queue_attributes(
            QueueUrl=b.queue_url(), Attributes={"KmsMasterKeyId": "alias/aws/sqs"})],
        "notification filter": [lambda b: notify(b, "videos/", ".mp4")],
        # as setup left it before 2026-11-29: keys ending in .MP4 never notified
        "notification filter, upper case": [lambda b: notify(b, "uploads/", ".mp4")],
        "results cannot retrigger the notification": [lambda b: notify(b, "", "")],
        "dead-letter queue attached": [
            lambda b: b.sqs.set_queue_attributes(QueueUrl=b.queue_url(), Attributes={"RedrivePolicy": ""}),
            lambda b: b.sqs.delete_queue(QueueUrl=b.queue_url(b.queue + "-dlq"))],
        "queue exists and is reachable": [lambda b: b.sqs.delete_queue(QueueUrl=b.queue_url())],
    }
    for check_name, breakers in broken.items():
        for i, brk in enumerate(breakers):
            b = Bucket()
            b.setup()
            brk(b)
            verdicts, out = b.doctor(1)
            check(verdicts.get(check_name) == "FAIL", f"{check_name} #{i} not named:\n{out}")
            check("fix:" in out, f"{check_name} #{i}: no fix given:\n{out}")


# ---- reprocess ----------------------------------------------------------------

def reprocess_stack(n, corrupt_every=10):
    """A stack whose bucket notification is removed before n uploads, so
    only reprocess makes work."""
    st = new_stack()
    st.s3.put_bucket_notification_configuration(Bucket=st.bucket, NotificationConfiguration={})
    st.drain_test_event()
    good, bad = body(), body("garbage")
    keys = {}
    for i in range(n):
        k = f"uploads/r/{i:03d}.mp4"
        keys[k] = st.upload(k, bad if i % corrupt_every == 5 else good)
    st.s3.put_object(Bucket=st.bucket, Key="uploads/r/notes.txt", Body=b"not an upload")
    return st, keys


def reprocess(st, *args, expect=0, **extra):
    e = env(st.url, SQS_QUEUE_URL=st.queue, DN_TEST_ANALYZER_LOG=st.analysis_log, **extra)
    return run(["reprocess", f"s3://{st.bucket}/uploads/"] + list(args), e, expect)


@case
def reprocess_local():
    """50 uploads analysed here (plain progress lines off a terminal), then
    again with nothing redone; --dry-run lists; --force redoes."""
    st, keys = reprocess_stack(50)
    out = reprocess(st, "--dry-run")
    check("50 to analyse" in out and out.count("would analyse") == 50, out)
    check(not analyses(st), "--dry-run analysed")
    out = reprocess(st)
    check(out.count("] ok s3://") == 45 and out.count("] error s3://") == 5, out)
    for k, e in keys.items():
        r = st.result(k)
        check(r and r["source"]["etag"].strip('"') == e, f"result of {k}: {r}")
        check((r["error"] is not None) == (int(k[-7:-4]) % 10 == 5), f"result of {k}: {r['error']}")
    check(len(analyses(st)) == 50, f"{len(analyses(st))} analyses")
    out = reprocess(st)
    check("50 with a current result, 0 to analyse" in out, out)
    check(len(analyses(st)) == 50, "the second run redid uploads")
    out = reprocess(st, "--force")
    check(len(analyses(st)) == 100, "--force did not redo")


@case
def reprocess_resume():
    """An interrupted reprocess (SIGINT) continues where it stopped."""
    st, keys = reprocess_stack(20, corrupt_every=1000)
    e = env(st.url, DN_TEST_ANALYZER_LOG=st.analysis_log, DN_TEST_ANALYZER_DELAY_MS="300",
            SQS_MAX_MESSAGES="4")
    p = subprocess.Popen([CASES.bin, "reprocess", f"s3://{st.bucket}/uploads/"], env=e,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(st.results()) >= 6, 60, "some results")
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    check(p.returncode != 0, f"interrupted run exit {p.returncode}")
    # Count results, not analyses: the interrupt may cancel an analysis that
    # had started (and logged itself) but wrote no result.
    finished = {k for k in keys if st.result(k)}
    first = len(finished)
    check(first < 20, f"interrupted after {first} results: too late to show a resume")
    before = len(analyses(st))
    out = reprocess(st)
    check(f"{first} with a current result, {20 - first} to analyse" in out, out)
    resumed = sorted(k for _, k, _ in analyses(st)[before:])
    check(resumed == sorted(set(keys) - finished), f"the resumed run analysed {resumed}")
    check(all(st.result(k) for k in keys), "a key without a result after the resume")


@case
def reprocess_enqueue():
    """--enqueue sends S3-event-shaped messages; the worker processes them;
    re-running enqueues nothing and the worker redoes nothing."""
    st, keys = reprocess_stack(50)
    out = reprocess(st, "--enqueue")
    check(out.count("] enqueued s3://") == 50, out)
    w = Worker(CASES.bin, st)
    check(w.wait(timeout=300) == 0, f"worker failed; log {w.log_path}")
    for k, e in keys.items():
        r = st.result(k)
        check(r and r["source"]["etag"].strip('"') == e, f"result of {k}: {r}")
    check(len(analyses(st)) == 50, f"{len(analyses(st))} analyses")
    check(st.depth() == (0, 0), f"queue {st.depth()}")
    out = reprocess(st, "--enqueue")
    check("0 to enqueue" in out and st.depth() == (0, 0), out)
    # --force --enqueue: the messages carry the force flag past the worker's
    # result check.
    out = reprocess(st, "--enqueue", "--force")
    check(out.count("] enqueued s3://") == 50, out)
    check(Worker(CASES.bin, st).wait(timeout=300) == 0, "second worker failed")
    check(len(analyses(st)) == 100, f"{len(analyses(st))} analyses after --force")


if __name__ == "__main__":
    CASES.main()
