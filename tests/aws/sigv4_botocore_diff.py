#!/usr/bin/env python3
"""Differential test: dancer's SigV4 signer against botocore's, byte for byte.

    sigv4_botocore_diff.py --driver build/tests/aws/sigv4_driver [--count 300] [--seed N]

Generates seeded requests the way dancer's clients will send them — S3
GetObject (Range, If-Match), HeadObject, PutObject (bodies, content types,
user metadata), ListObjectsV2 (prefix, continuation-token, start-after),
bucket notification configuration, and SQS JSON 1.0 calls (X-Amz-Target,
application/x-amz-json-1.0 bodies) — with keys full of spaces, '+', '%',
'~', '=', '&', unicode and nested or dotted slashes, in several regions,
against AWS and custom endpoints, with and without session tokens.

Each request is built and signed by a real botocore client (the signer the
AWS CLI uses: S3SigV4Auth for S3, SigV4Auth otherwise) at a fixed, seeded
time: botocore.auth.get_current_datetime is patched, the one clock its
signers read. The request is captured before it is sent (a `before-send`
handler answers with a canned response, so nothing leaves the machine), and
its canonical request and string to sign are taken from botocore.auth's
debug log. The same request goes to sigv4_driver (dancer's signer), and the
two must agree byte for byte on:
  - the wire path of S3 object keys: botocore quotes keys with
    quote(key, safe='/~'), i.e. RFC 3986 unreserved characters and '/' kept,
    everything else %XX of the UTF-8 bytes — exactly dn_sigv4_uri_encode(key,
    keep_slash=true); the driver builds the path from the raw key itself;
  - the canonical request, the string to sign and the Authorization header.
What headers to sign is not the signer's choice: the driver is given the
headers botocore signed (its SignedHeaders), less those the signer adds
(x-amz-date, x-amz-content-sha256, x-amz-security-token).
Exit 0 when all agree, 1 otherwise (the first differences are printed).
"""
import argparse
import datetime
import hashlib
import json
import logging
import random
import string
import subprocess
import sys
from unittest import mock
from urllib.parse import quote, urlsplit

import botocore.auth
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.config import Config

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2", "sa-east-1"]
CUSTOM_ENDPOINTS = ["http://127.0.0.1:4566", "http://localhost:9000", "https://s3.example.test:8443"]
KEY_ATOMS = ["uploads", "u1", "s2", "20240115_103000_gait.mp4", "a", "Z9", " ", "  ", "+", "%",
             "%20", "%2F", "~", "=", "&", "?", "#", ";", ":", "@", "!", "$", "'", "(", ")", "*",
             ",", "[", "]", "{", "}", "^", "`", "|", "\\", '"', "<", ">", "é", "ü", "日本",
             "😀", "ሴ", "\u00a0", "/", "//", "/./", "/../", ".", "..", "-", "_", "."]
# Signed first, so every run covers them whatever the seed.
FIXED_KEYS = ["uploads/u 1/s+2/20240115_103000_gait.mp4", "100%25 real%.mp4", "~user/a~b",
              "a=b&c=d/e?f#g", "日本/ሴ/😀 é.mp4", "a//b///c/", "./a/../b/.", "/leading/slash",
              "plus+and space", "%2F%", "tab\tand\u00a0nbsp"]
CONTENT_TYPES = ["application/json", "video/mp4", "text/plain; charset=utf-8",
                 "application/octet-stream"]


class _Raw:
    """The part of urllib3's response that botocore's parsers read."""

    def __init__(self, body):
        self._body = body

    def stream(self, **_):
        yield self._body

    def read(self, *_args, **_kw):
        body, self._body = self._body, b""
        return body


class _SignerLog(logging.Handler):
    """Collects what botocore.auth logs at debug: the canonical request and
    the string to sign of the request being signed."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.stages = {}

    def emit(self, record):
        for stage in ("CanonicalRequest", "StringToSign"):
            if record.msg.startswith(stage + ":"):
                self.stages[stage] = record.args[0]


def rand_key(rng):
    key = "".join(rng.choice(KEY_ATOMS) for _ in range(rng.randint(1, 7)))
    return key if key.strip("/") else key + "k"


def rand_token(rng, n):
    return "".join(rng.choice(string.ascii_letters + string.digits + "+/=") for _ in range(n))


def rand_creds(rng):
    creds = {"aws_access_key_id": "AKIA" + "".join(rng.choice(string.ascii_uppercase + string.digits)
                                                   for _ in range(16)),
             "aws_secret_access_key": rand_token(rng, 40)}
    if rng.random() < 0.5:
        creds["aws_session_token"] = rand_token(rng, rng.choice([16, 300, 800]))
    return creds


def s3_call(rng, bucket, fixed_key=None):
    key = fixed_key or rand_key(rng)
    op = rng.choice(["get", "get", "head", "put", "put", "list", "list", "notif_get", "notif_put"])
    if fixed_key:
        op = rng.choice(["get", "head", "put"])
    if op == "get":
        args = {"Bucket": bucket, "Key": key}
        if rng.random() < 0.6:
            start = rng.randint(0, 10**9)
            args["Range"] = f"bytes={start}-{start + rng.randint(0, 8 << 20)}"
        if rng.random() < 0.4:
            args["IfMatch"] = '"' + hashlib.md5(key.encode()).hexdigest() + '"'
        return "get_object", args, key
    if op == "head":
        args = {"Bucket": bucket, "Key": key}
        if rng.random() < 0.5:
            args["IfNoneMatch"] = '"' + hashlib.md5(key.encode()).hexdigest() + '"'
        return "head_object", args, key
    if op == "put":
        body = rng.randbytes(rng.choice([0, 1, 100, 4096]))
        args = {"Bucket": bucket, "Key": key, "Body": body, "ContentType": rng.choice(CONTENT_TYPES)}
        if rng.random() < 0.5:
            args["Metadata"] = {"subject-height-cm": str(rng.randint(120, 210)),
                                "source": "dancer  gait   v1 "}
        return "put_object", args, key
    if op == "list":
        args = {"Bucket": bucket, "Prefix": rand_key(rng)}
        if rng.random() < 0.5:
            args["ContinuationToken"] = rand_token(rng, rng.choice([20, 120]))
        if rng.random() < 0.4:
            args["StartAfter"] = rand_key(rng)
        if rng.random() < 0.3:
            args["Delimiter"] = "/"
        if rng.random() < 0.3:
            args["MaxKeys"] = rng.randint(1, 1000)
        return "list_objects_v2", args, None
    if op == "notif_get":
        return "get_bucket_notification_configuration", {"Bucket": bucket}, None
    config = {"QueueConfigurations": [{
        "QueueArn": "arn:aws:sqs:us-east-1:123456789012:gait-uploads",
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"},
                                           {"Name": "suffix", "Value": ".mp4"}]}}}]}
    return "put_bucket_notification_configuration", {
        "Bucket": bucket, "NotificationConfiguration": config}, None


def sqs_call(rng, queue_url):
    body_text = rng.choice(['{"bucket": "b", "key": "uploads/a b+c.mp4"}', "héllo wörld ሴ",
                            "x" * rng.randint(1, 300)])
    receipt = rand_token(rng, 200)
    op = rng.choice(["receive", "delete", "visibility", "send", "url", "attrs"])
    if op == "receive":
        return "receive_message", {
            "QueueUrl": queue_url, "MaxNumberOfMessages": rng.randint(1, 10),
            "WaitTimeSeconds": rng.randint(0, 20), "VisibilityTimeout": rng.randint(0, 43200),
            "MessageSystemAttributeNames": ["ApproximateReceiveCount", "SentTimestamp"]}
    if op == "delete":
        return "delete_message_batch", {"QueueUrl": queue_url, "Entries": [
            {"Id": f"m{i}", "ReceiptHandle": receipt} for i in range(rng.randint(1, 10))]}
    if op == "visibility":
        return "change_message_visibility_batch", {"QueueUrl": queue_url, "Entries": [
            {"Id": f"m{i}", "ReceiptHandle": receipt, "VisibilityTimeout": 300}
            for i in range(rng.randint(1, 10))]}
    if op == "send":
        return "send_message_batch", {"QueueUrl": queue_url, "Entries": [
            {"Id": f"m{i}", "MessageBody": body_text} for i in range(rng.randint(1, 10))]}
    if op == "url":
        return "get_queue_url", {"QueueName": "gait-uploads"}
    return "get_queue_attributes", {"QueueUrl": queue_url, "AttributeNames": ["All"]}


def canned_response(service, op):
    if service == "sqs":
        return 200, {"Content-Type": "application/x-amz-json-1.0"}, b"{}"
    if op == "list_objects_v2":
        return 200, {}, b"<ListBucketResult></ListBucketResult>"
    if op == "get_bucket_notification_configuration":
        return 200, {}, b"<NotificationConfiguration></NotificationConfiguration>"
    return 200, {}, b""


def make_client(session, rng, service):
    region = rng.choice(REGIONS)
    custom = rng.random() < 0.4
    s3_cfg = {"addressing_style": "path" if custom else "virtual"}
    if rng.random() < 0.25:
        s3_cfg["payload_signing_enabled"] = False  # UNSIGNED-PAYLOAD over https
    # dancer sends no aws-chunked trailers: checksums only where the API requires them.
    config = Config(retries={"max_attempts": 1}, s3=s3_cfg,
                    request_checksum_calculation="when_required")
    kwargs = dict(region_name=region, config=config, **rand_creds(rng))
    if custom:
        kwargs["endpoint_url"] = rng.choice(CUSTOM_ENDPOINTS)
    return session.create_client(service, **kwargs), region, custom


def capture(client, op, args, when):
    """Calls op, returning the prepared request botocore signed."""
    captured = {}

    def before_send(request, **_):
        captured["request"] = request
        status, headers, body = canned_response(client.meta.service_model.service_name, op)
        return AWSResponse(request.url, status, headers, _Raw(body))

    client.meta.events.register("before-send", before_send)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=when):
        getattr(client, op)(**args)
    return captured["request"]


def body_bytes(body):
    if hasattr(body, "read"):  # streaming bodies (PutObject) arrive as file objects
        pos = body.tell()
        data = body.read()
        body.seek(pos)
        return data
    return body.encode() if isinstance(body, str) else (body or b"")


def driver_spec(i, request, service, region, creds, when, key, bucket, custom):
    auth = request.headers["Authorization"]
    auth = auth.decode() if isinstance(auth, bytes) else auth
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    owned = {"x-amz-date", "x-amz-content-sha256", "x-amz-security-token"}
    headers = [["Host", botocore.auth._host_from_url(request.url)]]
    for name, value in request.headers.items():
        if name.lower() in signed and name.lower() not in owned | {"host"}:
            headers.append([name, value.decode() if isinstance(value, bytes) else value])
    parts = urlsplit(request.url)
    spec = {"id": i, "method": request.method, "query": parts.query, "headers": headers,
            "region": region, "service": service, "s3": service == "s3",
            "time": int(when.replace(tzinfo=datetime.timezone.utc).timestamp()),
            "access_key_id": creds.access_key, "secret_access_key": creds.secret_key,
            "session_token": creds.token or ""}
    if key is not None:
        spec["key"] = key
        # Path-style when the bucket is not in the host name: custom endpoints,
        # and dotted bucket names on AWS (a TLS wildcard covers one label).
        virtual = (parts.hostname or "").startswith(bucket + ".")
        spec["path_prefix"] = "" if virtual else "/" + bucket
    else:
        spec["path"] = parts.path
    sha = request.headers.get("X-Amz-Content-SHA256")
    if sha in ("UNSIGNED-PAYLOAD", b"UNSIGNED-PAYLOAD"):
        spec["payload_hash"] = "UNSIGNED-PAYLOAD"
    else:
        spec["body_hex"] = body_bytes(request.body).hex()
    return spec


def generate(count, seed):
    rng = random.Random(seed)
    session = botocore.session.get_session()
    log = _SignerLog()
    logger = logging.getLogger("botocore.auth")
    logger.addHandler(log)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    cases = []
    for i in range(count):
        service = "s3" if i % 3 else "sqs"
        client, region, custom = make_client(session, rng, service)
        when = datetime.datetime(2015, 1, 1) + datetime.timedelta(seconds=rng.randint(0, 20 * 365 * 86400))
        bucket = rng.choice(["gait-uploads", "dancer-results-123", "b.with.dots"]) if service == "s3" else None
        if service == "s3":
            fixed = FIXED_KEYS[i // 3] if i // 3 < len(FIXED_KEYS) else None
            op, args, key = s3_call(rng, bucket, fixed)
        else:
            queue_url = f"https://sqs.{region}.amazonaws.com/123456789012/gait-uploads"
            (op, args), key = sqs_call(rng, queue_url), None
        log.stages.clear()
        request = capture(client, op, args, when)
        creds = client._request_signer._credentials
        spec = driver_spec(i, request, service, region, creds, when, key, bucket, custom)
        expected = {"path": urlsplit(request.url).path, "canonical": log.stages["CanonicalRequest"],
                    "string_to_sign": log.stages["StringToSign"],
                    "authorization": request.headers["Authorization"].decode()
                    if isinstance(request.headers["Authorization"], bytes)
                    else request.headers["Authorization"],
                    "what": f"{service}.{op} {region}{' custom endpoint' if custom else ''}"
                            f"{' token' if creds.token else ''} key={key!r}"}
        cases.append((spec, expected))
    return cases


def compare(cases, driver):
    stdin = "".join(json.dumps(spec) + "\n" for spec, _ in cases)
    run = subprocess.run([driver], input=stdin, capture_output=True, text=True, check=False)
    if run.returncode != 0:
        print(f"driver exited {run.returncode}: {run.stderr}", file=sys.stderr)
        return len(cases)
    results = [json.loads(line) for line in run.stdout.splitlines()]
    failures = 0
    for (spec, want), got in zip(cases, results):
        for field in ("path", "canonical", "string_to_sign", "authorization"):
            if got.get(field) != want[field]:
                failures += 1
                if failures <= 5:
                    print(f"request {spec['id']} ({want['what']}): {field} differs"
                          f"{' — ' + got['error'] if 'error' in got else ''}\n"
                          f"  botocore: {want[field]!r}\n  dancer:   {got.get(field)!r}")
                break
    if len(results) != len(cases):
        print(f"driver answered {len(results)} of {len(cases)} requests")
        failures += abs(len(cases) - len(results))
    return failures


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--driver", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--seed", type=int, default=20240115)
    opts = ap.parse_args()
    cases = generate(opts.count, opts.seed)
    # The key encoding rule the S3 client relies on, stated once: it is
    # botocore's (serializer: percent_encode(key, safe='/~')).
    for spec, want in cases:
        if "key" in spec:
            assert want["path"].endswith("/" + quote(spec["key"], safe="/~")), want["what"]
    failures = compare(cases, opts.driver)
    kinds = {}
    for _, want in cases:
        op = want["what"].split()[0]
        kinds[op] = kinds.get(op, 0) + 1
    print("requests: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print(f"sigv4 vs botocore {botocore.__version__} (seed {opts.seed}): "
          f"{len(cases) - failures} of {len(cases)} requests agree, {failures} differ")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
