"""What the worker integration cases share: the local S3+SQS server (moto,
started by the ctest fixture), a bucket + queue + dead-letter queue with a
real bucket notification, generated test videos, the `dancer-test` process
(dancer's command line with the test analyzer), and a fault proxy.

moto is laxer than AWS, and the cases say so where it matters: it checks no
signatures, accepts a MaxReceiveCount queue attribute that SQS rejects,
does not enforce the 12-hour visibility limit from receipt, URL-encodes '/'
in event keys, and sends both ObjectCreated:Put and
ObjectCreated:CompleteMultipartUpload for one multipart upload.
"""
import http.client
import http.server
import json
import os
import subprocess
import sys
import threading
import time
import uuid

import boto3
from botocore.config import Config

HERE = os.path.dirname(os.path.abspath(__file__))


class Cases:
    """The test cases of one file: `@cases.case` registers a function;
    `cases.main()` runs the one named by `SCRIPT DANCER_TEST_BIN CASE` with
    `cases.bin` set to the binary."""

    def __init__(self):
        self.all = {}
        self.bin = None

    def case(self, fn):
        self.all[fn.__name__] = fn
        return fn

    def main(self):
        if len(sys.argv) != 3 or sys.argv[2] not in self.all:
            sys.exit(f"usage: {sys.argv[0]} DANCER_TEST_BIN {{{','.join(self.all)}}}")
        self.bin = sys.argv[1]
        try:
            self.all[sys.argv[2]]()
        except Exception:
            for w in WORKERS:  # what the workers said, for the failure report
                print(f"---- {w.log_path} (last lines)")
                with open(w.log_path) as f:
                    print("".join(f.readlines()[-40:]))
            raise
        print(f"{sys.argv[2]}: ok")


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def endpoint():
    path = os.environ.get("DN_TEST_MOTO_FILE", "")
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        print("no local S3+SQS server (moto): skipped")
        sys.exit(77)


def clients(url):
    kw = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="testing",
              aws_secret_access_key="testing", config=Config(max_pool_connections=32))
    return boto3.client("s3", **kw), boto3.client("sqs", **kw)


def unique(prefix):
    return f"{prefix}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


def tmp_dir(name):
    root = os.environ.get("DN_TEST_TMP_ROOT", "/tmp")
    d = os.path.join(root, "worker", name)
    os.makedirs(d, exist_ok=True)
    return d


# ---- videos ----------------------------------------------------------------

def video(kind="good", seconds=1):
    """A small generated video (cached per run): good, or corrupt variants."""
    d = tmp_dir("videos")
    path = os.path.join(d, f"{kind}-{seconds}.mp4")
    if os.path.exists(path):
        return path
    good = os.path.join(d, f"good-{seconds}.mp4")
    if not os.path.exists(good):
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        f"testsrc=size=96x64:rate=10:duration={seconds}", "-c:v", "libx264",
                        "-pix_fmt", "yuv420p", good + ".tmp.mp4"], check=True)
        os.rename(good + ".tmp.mp4", good)
    if kind == "garbage":  # not a video at all
        with open(path, "wb") as f:
            f.write(b"this is not a video\n" * 200)
    elif kind == "truncated":  # a real header, the rest missing
        with open(good, "rb") as f:
            data = f.read()
        with open(path, "wb") as f:
            f.write(data[: len(data) // 3])
    return path


def body(kind="good", seconds=1):
    with open(video(kind, seconds), "rb") as f:
        return f.read()


# ---- the queue set-up --------------------------------------------------------

class Stack:
    """A bucket, a queue with a dead-letter queue, and the notification."""

    def __init__(self, max_receive=3, visibility=30):
        self.url = endpoint()
        self.s3, self.sqs = clients(self.url)
        self.bucket = unique("dn-wk")
        self.s3.create_bucket(Bucket=self.bucket)
        dlq = self.sqs.create_queue(QueueName=self.bucket + "-dlq")["QueueUrl"]
        dlq_arn = self.sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})
        self.queue = self.sqs.create_queue(QueueName=self.bucket, Attributes={
            "VisibilityTimeout": str(visibility), "RedrivePolicy": redrive})["QueueUrl"]
        self.dlq = dlq
        arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        self.s3.put_bucket_notification_configuration(Bucket=self.bucket, NotificationConfiguration={
            "QueueConfigurations": [{"Id": "uploads", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
                                     "Filter": {"Key": {"FilterRules": [
                                         {"Name": "prefix", "Value": "uploads/"},
                                         {"Name": "suffix", "Value": ".mp4"}]}}}]})

    def upload(self, key, data, delay_ms=None):
        meta = {"test-delay-ms": str(delay_ms)} if delay_ms is not None else {}
        r = self.s3.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="video/mp4",
                               Metadata=meta)
        return r["ETag"].strip('"')

    def result_key(self, key):
        rest = key[len("uploads/"):] if key.startswith("uploads/") else key
        return "results/" + rest.rsplit(".", 1)[0] + ".json"

    def result(self, key):
        try:
            r = self.s3.get_object(Bucket=self.bucket, Key=self.result_key(key))
        except self.s3.exceptions.NoSuchKey:
            return None
        return json.loads(r["Body"].read())

    def results(self):
        keys = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket,
                                                                      Prefix="results/"):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return keys

    def depth(self, queue=None):
        a = self.sqs.get_queue_attributes(QueueUrl=queue or self.queue, AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])

    def wait_messages(self, n, timeout=20):
        """Waits until the queue holds n messages (visible or not): the
        notifications of the uploads have arrived."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sum(self.depth()) >= n:
                return
            time.sleep(0.1)
        raise AssertionError(f"expected {n} messages, queue has {self.depth()}")

    def drain_test_event(self):
        """Deletes the s3:TestEvent that saving the notification sent."""
        r = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in r.get("Messages", []):
            assert "s3:TestEvent" in m["Body"], m["Body"]
            self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])


# ---- the worker process ------------------------------------------------------

WORKERS = []


class Worker:
    """dancer-test as a process, with its JSON log lines collected."""

    def __init__(self, binary, stack, args=("worker", "--exit-when-idle"), env=None, log=None,
                 wrap=()):
        WORKERS.append(self)
        self.log_path = log or os.path.join(tmp_dir("logs"), unique("worker") + ".log")
        e = dict(os.environ)
        e.update({
            "AWS_ENDPOINT_URL": stack.url, "SQS_QUEUE_URL": stack.queue,
            "S3_BUCKET": stack.bucket, "SQS_LONG_POLL_TIMEOUT": "1",
            "SQS_VISIBILITY_TIMEOUT": "30", "DANCER_LOG_LEVEL": "debug",
            "DANCER_STATUS_INTERVAL_S": "2", "DANCER_RETRY_BASE_S": "1", "DANCER_RETRY_MAX_S": "2",
            "DN_TEST_ANALYZER_LOG": stack.analysis_log,
        })
        e.update(env or {})
        self.stderr = open(self.log_path, "w")
        self.proc = subprocess.Popen(list(wrap) + [binary] + list(args), env=e, stdout=subprocess.PIPE,
                                     stderr=self.stderr, text=True)

    def wait(self, timeout=120):
        try:
            out, _ = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, _ = self.proc.communicate()
            raise AssertionError(f"worker still running after {timeout} s; log {self.log_path}")
        self.stderr.close()
        self.stdout = out
        return self.proc.returncode

    def signal(self, sig):
        self.proc.send_signal(sig)

    def lines(self):
        out = []
        with open(self.log_path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    out.append({"msg": line.strip()})
        return out

    def events(self, msg):
        return [x for x in self.lines() if x.get("msg") == msg]


def analyses(stack):
    """(bucket, key, etag) lines the test analyzer wrote, one per analysis."""
    try:
        with open(stack.analysis_log) as f:
            return [tuple(line.split()) for line in f if line.strip()]
    except OSError:
        return []


def new_stack(**kw):
    s = Stack(**kw)
    s.analysis_log = os.path.join(tmp_dir("logs"), s.bucket + ".analyses")
    return s


def wait_for(cond, timeout=30, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# ---- a fault proxy -----------------------------------------------------------

class FaultProxy:
    """HTTP proxy to moto that answers 503 SlowDown for requests whose path
    contains `needle` (an S3 endpoint with a transient fault), forwarding
    everything else unchanged."""

    def __init__(self, upstream, needle):
        host = upstream.split("://", 1)[1]
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(n) if n else None
                if needle in self.path:
                    proxy.faults += 1
                    msg = (b"<?xml version=\"1.0\"?><Error><Code>SlowDown</Code>"
                           b"<Message>injected by the test proxy</Message></Error>")
                    self.send_response(503)
                    self.send_header("Content-Type", "application/xml")
                    self.send_header("Content-Length", str(len(msg)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(msg)
                    return
                c = http.client.HTTPConnection(host, timeout=30)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                c.request(self.command, self.path, body=data, headers=headers)
                r = c.getresponse()
                payload = r.read()
                self.send_response(r.status)
                for k, v in r.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
                c.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        self.faults = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


class FakeImds:
    """EC2 instance metadata (IMDSv2) that announces a Spot interruption
    once `arm()` is called."""

    def __init__(self):
        imds = self
        self.armed = False

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def _reply(self, status, text):
                data = text.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_PUT(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                ok = self.path == "/latest/api/token" and self.headers.get(
                    "X-aws-ec2-metadata-token-ttl-seconds")
                self._reply(200 if ok else 400, "token-123" if ok else "bad")

            def do_GET(self):
                if self.headers.get("X-aws-ec2-metadata-token") != "token-123":
                    return self._reply(401, "")
                if self.path == "/latest/meta-data/spot/instance-action" and imds.armed:
                    return self._reply(200, json.dumps({"action": "terminate",
                                                        "time": "2030-01-01T00:00:00Z"}))
                self._reply(404, "")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arm(self):
        self.armed = True

    def close(self):
        self.server.shutdown()
