#!/usr/bin/env python3
"""The worker against the local S3+SQS server with real bucket notifications.

    worker_cases.py DANCER_TEST_BIN CASE

Each CASE is one ctest test (tests/worker/CMakeLists.txt). `dancer-test` is
dancer's command line with the test analyzer (tests/worker/test_analyzer.h)
in place of the pose pipeline: it reads each upload through dancer's S3
client and decodes it with dancer's media stage, so corrupt uploads fail the
way they fail in production, and a result carries the real `video` section.
"""
import json
import os
import signal
import sys
import time

from worker_env import (Cases, FakeImds, FaultProxy, Worker, analyses, body, check, new_stack, tmp_dir,
                        wait_for)

CASES = Cases()
case = CASES.case


def assert_empty(st, queue=None):
    check(st.depth(queue) == (0, 0), f"queue not empty: {st.depth(queue)}")


def assert_result(st, key, etag, error_class=None):
    r = st.result(key)
    check(r is not None, f"no result for {key}")
    check(r["source"]["key"] == key, f"result of {key} names {r['source']['key']}")
    check(r["source"]["etag"].strip('"') == etag, f"result of {key}: etag {r['source']['etag']} != {etag}")
    if error_class:
        check(r["error"] and r["error"]["class"] == error_class, f"{key}: error {r['error']}")
    else:
        check(r["error"] is None, f"{key}: unexpected error {r['error']}")
        check(r["video"]["frames"] == 10, f"{key}: video {r['video']}")
    return r


@case
def end_to_end(st=None):
    """Uploads -> notifications -> worker --exit-when-idle -> results; test
    events and foreign messages are deleted with a logged reason."""
    st = new_stack()
    etags = {f"uploads/u1/s{i}/2024011{i}_gait.mp4": st.upload(f"uploads/u1/s{i}/2024011{i}_gait.mp4",
                                                               body()) for i in range(3)}
    st.sqs.send_message(QueueUrl=st.queue, MessageBody="not json at all")
    st.sqs.send_message(QueueUrl=st.queue, MessageBody=json.dumps({"Records": [{
        "eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
        "s3": {"bucket": {"name": st.bucket}, "object": {"key": "uploads/x.mp4"}}}]}))
    st.wait_messages(6)  # TestEvent + 3 uploads + 2 sent by hand
    health = os.path.join(os.path.dirname(st.analysis_log), st.bucket + ".health")
    w = Worker(CASES.bin, st, env={"DANCER_HEALTH_FILE": health, "DANCER_STATUS_INTERVAL_S": "1"})
    check(w.wait() == 0, f"worker exit status {w.proc.returncode}; log {w.log_path}")
    for key, etag in etags.items():
        assert_result(st, key, etag)
    check(len(analyses(st)) == 3, f"analyses: {analyses(st)}")
    assert_empty(st)
    assert_empty(st, st.dlq)
    check(len(w.events("ignored s3:TestEvent")) == 1, "TestEvent not logged")
    check(len(w.events("ignored message")) == 1, "non-JSON body not logged")
    check(len(w.events("skipped record")) == 1, "ObjectRemoved record not logged")
    done = w.events("job finished")
    check(len(done) == 3 and all(d["outcome"] == "result" and d["receive_count"] == 1 and
                                 d["message_id"] for d in done), f"job lines: {done}")
    check(any("_aws" in x for x in w.lines()), "no embedded-metric-format line")
    check(w.events("worker stopped")[0]["deleted"] == 6, "not every message deleted")
    check(os.path.exists(health), "health file not written")
    status = w.events("status")
    check(status and all(k in status[0] for k in ("uptime_s", "processed", "errors", "queue_depth")),
          f"status line: {status}")


@case
def real_pipeline():
    """The dancer binary itself (the real media -> pose -> gait pipeline, not
    the test analyzer): walker uploads -> notifications -> worker
    --exit-when-idle -> results with real gait numbers close to the walker's
    truth, an error result for a corrupt upload, queue and in-flight zero."""
    import subprocess
    dancer = os.environ.get("DANCER_BIN")
    walker = os.path.join(os.environ.get("DN_SOURCE_DIR", "."), "tests", "walker", "walker.py")
    models = os.environ.get("DANCER_MODEL_DIR") or os.path.expanduser("~/.cache/dancer/models")
    if not dancer or not os.path.exists(os.path.join(models, "pose_landmark_full.dnm")):
        print("real_pipeline: needs DANCER_BIN and the fetched models (models/fetch.sh)")
        sys.exit(77)
    st = new_stack()
    st.drain_test_event()
    d = tmp_dir("walker")
    uploads = {}
    for i, (direction, cadence) in enumerate((("ltr", 105), ("rtl", 118))):
        clip, truth = os.path.join(d, f"w{i}.mp4"), os.path.join(d, f"w{i}.json")
        if not os.path.exists(truth):
            subprocess.run([sys.executable, walker, "-o", clip, "--truth", truth, "--duration", "5",
                            "--direction", direction, "--cadence", str(cadence), "--seed", str(i),
                            "--quiet"], check=True)
        key = f"uploads/u1/s{i}/2024020{i}_gait.mp4"
        with open(clip, "rb") as f:
            uploads[key] = (st.upload(key, f.read()), json.load(open(truth)))
    bad = st.upload("uploads/u1/bad/20240209_gait.mp4", body("garbage"))
    st.wait_messages(3)
    w = Worker(dancer, st, env={"DANCER_LOG_LEVEL": "info"})
    check(w.wait(timeout=600) == 0, f"worker exit status {w.proc.returncode}; log {w.log_path}")
    for key, (etag, truth) in uploads.items():
        r = st.result(key)
        check(r is not None and r["error"] is None, f"{key}: {r and r['error']}")
        check(r["source"]["etag"] == etag, f"{key}: etag {r['source']['etag']} != {etag}")
        g = r["gait"]
        want = truth["gait"]["cadence_steps_per_min"]
        check(g["gait_cycle_detected"], f"{key}: no gait cycle: {g.get('reason')}")
        check(abs(g["cadence_steps_per_min"] - want) < 2, f"{key}: cadence {g['cadence_steps_per_min']} vs {want}")
        check(r["processing"]["model_sha256"] and r["video"]["frames"] > 100, f"{key}: {r['processing']}")
    r = st.result("uploads/u1/bad/20240209_gait.mp4")
    check(r and r["error"]["class"] == "bad_input" and r["source"]["etag"] == bad, f"corrupt: {r}")
    assert_empty(st)
    assert_empty(st, st.dlq)


@case
def redelivery_idempotent():
    """A message delivered again after its result was written (a worker
    that died between PutObject and DeleteMessage) is deleted without a
    second analysis; --force analyses it again."""
    st = new_stack()
    st.drain_test_event()
    etag = st.upload("uploads/i/again.mp4", body())
    st.wait_messages(1)
    msg = st.sqs.receive_message(QueueUrl=st.queue, WaitTimeSeconds=1)["Messages"][0]
    st.sqs.change_message_visibility(QueueUrl=st.queue, ReceiptHandle=msg["ReceiptHandle"],
                                     VisibilityTimeout=0)
    check(Worker(CASES.bin, st).wait() == 0, "first worker failed")
    st.sqs.send_message(QueueUrl=st.queue, MessageBody=msg["Body"])
    w = Worker(CASES.bin, st)
    check(w.wait() == 0, f"second worker failed; log {w.log_path}")
    check(len(analyses(st)) == 1, f"analyses: {analyses(st)}")
    check(len(w.events("result up to date; skipped")) == 1, "skip not logged")
    assert_empty(st)
    st.sqs.send_message(QueueUrl=st.queue, MessageBody=msg["Body"])
    check(Worker(CASES.bin, st, args=("worker", "--exit-when-idle", "--force")).wait() == 0, "forced worker")
    check(len(analyses(st)) == 2, "--force did not analyse again")
    assert_result(st, "uploads/i/again.mp4", etag)
    assert_empty(st)


@case
def corrupt_upload():
    """A corrupt upload gets an error result and its message is deleted."""
    st = new_stack()
    st.drain_test_event()
    e1 = st.upload("uploads/u/bad_garbage.mp4", body("garbage"))
    e2 = st.upload("uploads/u/bad_truncated.mp4", body("truncated"))
    st.wait_messages(2)
    w = Worker(CASES.bin, st)
    check(w.wait() == 0, f"worker failed; log {w.log_path}")
    assert_result(st, "uploads/u/bad_garbage.mp4", e1, "bad_input")
    r = assert_result(st, "uploads/u/bad_truncated.mp4", e2, "bad_input")
    check(r["error"]["message"], "error result without a message")
    assert_empty(st)
    assert_empty(st, st.dlq)


@case
def heartbeat():
    """A job slower than the visibility timeout is kept invisible by the
    heartbeat and delivered once (moto, unlike SQS, does not enforce the
    12-hour cap from receipt; that cap is unit-tested)."""
    st = new_stack()
    st.drain_test_event()
    etag = st.upload("uploads/u/slow.mp4", body(), delay_ms=9000)
    st.wait_messages(1)
    w = Worker(CASES.bin, st, args=("worker", "--once"), env={
        "SQS_VISIBILITY_TIMEOUT": "3", "DANCER_VISIBILITY_EXTENSION_S": "4"})
    wait_for(lambda: w.events("received"), 20, "the worker's receive")
    stolen = []
    while w.proc.poll() is None:  # a competing consumer sees nothing meanwhile
        r = st.sqs.receive_message(QueueUrl=st.queue, WaitTimeSeconds=1, VisibilityTimeout=1)
        stolen += r.get("Messages", [])
    check(w.wait() == 0, f"worker failed; log {w.log_path}")
    check(not stolen, f"message delivered twice: {stolen}")
    assert_result(st, "uploads/u/slow.mp4", etag)
    check(len(analyses(st)) == 1, f"analyses: {analyses(st)}")
    check(len(w.events("visibility extended")) >= 2, "no heartbeat extensions logged")
    assert_empty(st)


@case
def heartbeat_lost_handles():
    """Messages taken away mid-job (the queue is purged, so their receipt
    handles go stale): the heartbeat and the delete fail per entry, the
    worker carries on, writes the results and exits 0."""
    st = new_stack()
    st.drain_test_event()
    for i in range(2):
        st.upload(f"uploads/p/{i}.mp4", body(), delay_ms=6000)
    st.wait_messages(2)
    w = Worker(CASES.bin, st, args=("worker", "--once"), env={
        "SQS_VISIBILITY_TIMEOUT": "3", "DANCER_VISIBILITY_EXTENSION_S": "4"})
    wait_for(lambda: len(w.events("received")) == 2, 20, "the worker's receive")
    st.sqs.purge_queue(QueueUrl=st.queue)
    check(w.wait() == 0, f"worker failed; log {w.log_path}")
    check(len(st.results()) == 2, f"results {st.results()}")
    lost = w.events("visibility heartbeat lost the message")
    check(len(lost) == 2 and all(x["reason"] in ("ReceiptHandleIsInvalid", "MessageNotInflight")
                                 for x in lost), f"lost: {lost}")
    check(len(w.events("delete failed")) == 2, "stale deletes not reported per entry")


@case
def sigkill_restart():
    """SIGKILL mid-batch; a restarted worker finishes the rest; every result
    exists once, for the right version, and finished uploads are not redone."""
    st = new_stack()
    st.drain_test_event()
    # Three fast uploads (their metadata says 1 s) and three that the first
    # worker finds slow (its default delay, 60 s); the restarted one has none.
    keys = {f"uploads/k/{i}.mp4": (1000 if i < 3 else None) for i in range(6)}
    etags = {k: st.upload(k, body(), delay_ms=d) for k, d in keys.items()}
    st.wait_messages(6)
    env = {"SQS_VISIBILITY_TIMEOUT": "4", "DANCER_VISIBILITY_EXTENSION_S": "4"}
    w = Worker(CASES.bin, st, env={**env, "DN_TEST_ANALYZER_DELAY_MS": "60000"})
    wait_for(lambda: len(st.results()) >= 3, 30, "the fast results")
    time.sleep(0.5)  # their deletes
    w.proc.kill()
    w.wait()
    check(len(st.results()) == 3, f"results before restart: {st.results()}")
    # The killed worker's messages come back when their visibility (<= 4 s,
    # the last heartbeat's extension) runs out.
    wait_for(lambda: st.depth() == (3, 0), 20, "the unfinished messages to reappear")
    w2 = Worker(CASES.bin, st, env=env)
    check(w2.wait(timeout=90) == 0, f"restarted worker failed; log {w2.log_path}")
    for k, e in etags.items():
        assert_result(st, k, e)
    check(sorted(st.results()) == sorted(st.result_key(k) for k in keys), f"results {st.results()}")
    # Each upload's analysis completed once: the fast ones before the kill
    # (not redone), the slow ones after the restart.
    done = sorted(k for _, k, _ in analyses(st))
    check(done == sorted(keys), f"completed analyses: {done}")
    check(w2.events("worker stopped")[0]["analysed"] == 3, "restart redid finished uploads")
    assert_empty(st)


@case
def sigterm_drain():
    """SIGTERM during a batch: finished jobs deleted, unfinished released
    (visible again at once), exit 0 — and the same for a Spot notice, and
    with a 20 s long poll (SQS serves the aborted poll on until its wait time
    ends: messages released into it would stay invisible, so the release
    waits for it)."""
    for trigger in ("sigterm", "spot", "sigterm, 20 s long poll"):
        st = new_stack()
        st.drain_test_event()
        fast = {f"uploads/d/fast{i}.mp4": st.upload(f"uploads/d/fast{i}.mp4", body(), delay_ms=200)
                for i in range(2)}
        for i in range(2):
            st.upload(f"uploads/d/slow{i}.mp4", body(), delay_ms=60000)
        st.wait_messages(4)
        imds = FakeImds()
        env = {"DANCER_DRAIN_GRACE_S": "1", "AWS_EC2_METADATA_DISABLED": "false",
               "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url, "DANCER_SPOT_POLL_S": "1"}
        long_poll = trigger.endswith("long poll")
        if long_poll:
            env["SQS_LONG_POLL_TIMEOUT"] = "20"
        w = Worker(CASES.bin, st, args=("worker",), env=env)
        wait_for(lambda: len(st.results()) == 2, 30, "the fast results")
        if long_poll:
            time.sleep(1)  # the prefetching long poll is open (queue empty: it waits 20 s)
        t0 = time.time()
        if trigger.startswith("sigterm"):
            w.signal(signal.SIGTERM)
        else:
            imds.arm()
        check(w.wait(timeout=45) == 0, f"{trigger}: exit status {w.proc.returncode}; log {w.log_path}")
        took = time.time() - t0
        check(took < (25 if long_poll else 15), f"{trigger}: drain took {took:.1f} s")
        imds.close()
        for k, e in fast.items():
            assert_result(st, k, e)
        check(len(st.results()) == 2, f"results: {st.results()}")
        # moto's long poll looks at the queue again every second: give an
        # aborted poll that is still open at the server time to take them.
        time.sleep(2)
        r = st.sqs.receive_message(QueueUrl=st.queue, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                   AttributeNames=["ApproximateReceiveCount"])
        got = r.get("Messages", [])
        check(len(got) == 2, f"{trigger}: {len(got)} messages visible right after the drain")
        check(all("slow" in m["Body"] for m in got), "a finished message came back")
        check(w.events("worker stopped")[0]["released"] == 2, "released count")


@case
def transient_to_dlq():
    """An S3 endpoint failing with 503: the message is retried with backoff
    and moves to the dead-letter queue after maxReceiveCount, no result."""
    st = new_stack(max_receive=2)
    st.drain_test_event()
    proxy = FaultProxy(st.url, "flaky")
    st.upload("uploads/u/flaky.mp4", body())
    st.wait_messages(1)
    # moto looks for newly visible messages once a second during a long poll
    # (SQS answers at once), so the poll must outlast the 2 s backoff by more.
    w = Worker(CASES.bin, st, env={"AWS_ENDPOINT_URL_S3": proxy.url, "AWS_MAX_ATTEMPTS": "1",
                             "SQS_LONG_POLL_TIMEOUT": "5"})
    check(w.wait(timeout=90) == 0, f"worker failed; log {w.log_path}")
    proxy.close()
    check(proxy.faults >= 2, f"proxy saw {proxy.faults} requests")
    check(st.result("uploads/u/flaky.mp4") is None, "a result was written")
    assert_empty(st)
    check(st.depth(st.dlq)[0] == 1, f"DLQ: {st.depth(st.dlq)}")
    retries = w.events("released for a retry")
    check([r["receive_count"] for r in retries] == [1, 2], f"retries: {retries}")
    check([r["visible_in_s"] for r in retries] == [1, 2], "backoff not exponential")


@case
def duplicate_events():
    """A multipart upload (moto sends Put and CompleteMultipartUpload) and a
    message with the same record twice: one analysis each, all deleted."""
    st = new_stack()
    st.drain_test_event()
    data = body()
    mp = st.s3.create_multipart_upload(Bucket=st.bucket, Key="uploads/m/multi.mp4")
    part = st.s3.upload_part(Bucket=st.bucket, Key="uploads/m/multi.mp4", UploadId=mp["UploadId"],
                             PartNumber=1, Body=data)
    etag = st.s3.complete_multipart_upload(
        Bucket=st.bucket, Key="uploads/m/multi.mp4", UploadId=mp["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]})["ETag"].strip('"')
    e2 = st.upload("uploads/m/twice.mp4", data)
    st.wait_messages(3)
    rec = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
           "eventTime": "2024-01-15T10:30:00.000Z",
           "s3": {"bucket": {"name": st.bucket}, "object": {"key": "uploads/m/twice.mp4", "eTag": e2,
                                                            "size": len(data)}}}
    st.sqs.send_message(QueueUrl=st.queue, MessageBody=json.dumps({"Records": [rec, rec]}))
    w = Worker(CASES.bin, st)
    check(w.wait() == 0, f"worker failed; log {w.log_path}")
    assert_result(st, "uploads/m/multi.mp4", etag)
    assert_result(st, "uploads/m/twice.mp4", e2)
    keys = sorted(k for _, k, _ in analyses(st))
    check(keys == ["uploads/m/multi.mp4", "uploads/m/twice.mp4"], f"analyses: {keys}")
    assert_empty(st)
    check(w.events("worker stopped")[0]["deleted"] == 4, "not all four messages deleted")


@case
def many_uploads():
    """200 uploads, ~10 % corrupt, ~5 % duplicate events: each accounted for
    (result or error result), none analysed twice, queues empty."""
    from concurrent.futures import ThreadPoolExecutor
    st = new_stack()
    st.drain_test_event()
    good, bad = body(), body("garbage")
    kinds = {f"uploads/many/{i:03d}.mp4": ("bad" if i % 10 == 3 else "good") for i in range(200)}
    with ThreadPoolExecutor(16) as pool:
        etags = dict(zip(kinds, pool.map(
            lambda k: st.upload(k, bad if kinds[k] == "bad" else good), kinds)))
    dups = [k for i, k in enumerate(kinds) if i % 20 == 7]
    for k in dups:  # the same event again, as S3 may deliver it
        rec = {"eventSource": "aws:s3", "eventName": "ObjectCreated:Put",
               "s3": {"bucket": {"name": st.bucket}, "object": {"key": k, "eTag": etags[k], "size": 1}}}
        st.sqs.send_message(QueueUrl=st.queue, MessageBody=json.dumps({"Records": [rec]}))
    st.wait_messages(200 + len(dups), timeout=60)
    w = Worker(CASES.bin, st)
    check(w.wait(timeout=600) == 0, f"worker failed; log {w.log_path}")
    for k, kind in kinds.items():
        assert_result(st, k, etags[k], "bad_input" if kind == "bad" else None)
    counts = {}
    for _, key, _ in analyses(st):
        counts[key] = counts.get(key, 0) + 1
    twice = {k: n for k, n in counts.items() if n != 1}
    check(not twice and len(counts) == 200, f"analysed {len(counts)} uploads; more than once: {twice}")
    assert_empty(st)
    assert_empty(st, st.dlq)
    stats = w.events("worker stopped")[0]
    check(stats["ok"] == 180 and stats["failed"] == 20 and stats["skipped"] == len(dups), f"stats {stats}")


@case
def helgrind_heartbeat():
    """The worker's threads under helgrind while the heartbeat extends a slow
    job and other jobs finish, fail and get deleted around it: no data race
    or lock-order report in dancer's code (library internals helgrind cannot
    follow are suppressed in helgrind.supp)."""
    import shutil
    if not shutil.which("valgrind"):
        print("no valgrind: skipped")
        raise SystemExit(77)
    st = new_stack()
    st.drain_test_event()
    st.upload("uploads/h/slow.mp4", body(), delay_ms=7000)
    st.upload("uploads/h/fast.mp4", body())
    st.upload("uploads/h/bad.mp4", body("garbage"))
    st.wait_messages(3)
    vg_log = os.path.join(os.path.dirname(st.analysis_log), st.bucket + ".helgrind")
    supp = os.path.join(os.path.dirname(os.path.abspath(__file__)), "helgrind.supp")
    w = Worker(CASES.bin, st, env={"SQS_VISIBILITY_TIMEOUT": "3", "DANCER_VISIBILITY_EXTENSION_S": "4"},
               wrap=("valgrind", "--tool=helgrind", "--error-exitcode=9", f"--suppressions={supp}",
                     f"--log-file={vg_log}"))
    rc = w.wait(timeout=600)
    with open(vg_log) as f:
        report = f.read()
    check(rc == 0, f"helgrind exit {rc}:\n{report[-6000:]}")
    check(len(w.events("visibility extended")) >= 2, "the heartbeat did not run")
    check(sorted(st.results()) == ["results/h/bad.json", "results/h/fast.json", "results/h/slow.json"],
          f"results {st.results()}")


if __name__ == "__main__":
    CASES.main()
