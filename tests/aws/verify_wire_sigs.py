#!/usr/bin/env python3
"""Checks the SigV4 signatures of requests as a server received them.

    verify_wire_sigs.py REQUESTS.jsonl SECRET_ACCESS_KEY

REQUESTS.jsonl holds what the scripted server (tests/support/http_stub.c)
recorded from dancer's S3 and SQS clients: method, target, headers, body.
For each request the signature is recomputed the way AWS would, from what
arrived on the wire — the headers named in SignedHeaders with the values
received, the path and query as sent, the body bytes — with botocore's
signers (S3SigV4Auth for s3, SigV4Auth otherwise) at the request's own
X-Amz-Date. moto checks no signatures; this does, for the requests the
clients really assemble (Host, Content-Type, Range, If-Match, metadata,
encoded keys and queries, session tokens, JSON bodies).
Exit 0 when every signature matches, 1 otherwise.
"""
import datetime
import json
import re
import sys
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

# Headers the signer adds itself; botocore re-adds them from the credentials and time.
SIGNER_OWNED = {"x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "host"}
AUTH_RE = re.compile(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request, "
                     r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def verify(req, secret):
    headers = {}
    for name, value in req["headers"]:
        headers.setdefault(name.lower(), value)
    m = AUTH_RE.match(headers.get("authorization", ""))
    if not m:
        return "no well-formed Authorization header"
    key_id, _, region, service, signed, signature = m.groups()
    names = signed.split(";")
    missing = [n for n in names if n not in headers]
    if missing:
        return f"signed headers not received: {missing}"
    when = datetime.datetime.strptime(headers["x-amz-date"], "%Y%m%dT%H%M%SZ")
    body = bytes.fromhex(req["body_hex"])
    url = "http://" + headers["host"] + req["target"]
    aws = AWSRequest(method=req["method"], url=url, data=body,
                     headers={n: headers[n] for n in names if n not in SIGNER_OWNED})
    creds = Credentials(key_id, secret, headers.get("x-amz-security-token"))
    signer = (botocore.auth.S3SigV4Auth if service == "s3" else botocore.auth.SigV4Auth)(creds, service, region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=when):
        signer.add_auth(aws)
    want = aws.headers["Authorization"]
    if isinstance(want, bytes):
        want = want.decode()
    got_signed = want.split("SignedHeaders=")[1].split(",")[0]
    if got_signed != signed:
        return f"botocore would sign {got_signed}, the request signed {signed}"
    if want != headers["authorization"]:
        return "signature differs from botocore's over the received request"
    return None


def main():
    path, secret = sys.argv[1], sys.argv[2]
    bad = 0
    with open(path) as f:
        reqs = [json.loads(line) for line in f if line.strip()]
    for req in reqs:
        why = verify(req, secret)
        if why:
            bad += 1
            print(f"FAIL {req['method']} {req['target']}: {why}")
    print(f"{len(reqs) - bad}/{len(reqs)} signatures verified")
    return 1 if bad or not reqs else 0


if __name__ == "__main__":
    sys.exit(main())
