#!/usr/bin/env python3
"""A local stand-in for the ECS container credentials endpoint and the EC2
instance metadata service (IMDSv2), for tests/aws/test_creds_remote.c.

    creds_server.py     listens on a free loopback port, prints it on the
                        first line of stdout, serves until stdin closes (so
                        it never outlives the test that started it)

Endpoints:
  GET  /ecs/...                                     container credentials; checks
                                                    Authorization when a token is set
  PUT  /latest/api/token                            IMDSv2 token (needs the TTL header)
  GET  /latest/meta-data/iam/security-credentials/  role name (token checked in v2 mode)
  GET  /latest/meta-data/iam/security-credentials/dancer-role   credentials
  POST /control   JSON merged into the state below (what to serve, how to fail)
  GET  /stats     request counters as JSON
Credentials are served in the two services' shapes (IMDS adds Code,
LastUpdated, Type), with the Expiration the test set.
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE = "dancer-role"
STATE = {
    "creds": {"AccessKeyId": "ASIAK1", "SecretAccessKey": "secret1", "Token": "token1",
              "Expiration": "2099-01-01T00:00:00Z"},
    "ecs_token": None,   # Authorization the container endpoint requires
    "ecs_status": 200,   # status for container credential requests
    "imds_mode": "v2",   # v2: token required; v1: token PUT answers 405; refuse: 403 + 401
    "imds_status": 200,  # status for the IMDS credentials document
    "role": ROLE,        # "" = no role attached (404)
    "delay_s": 0.0,      # before answering a credentials document
}
COUNTS = {"ecs": 0, "imds_token": 0, "imds_role": 0, "imds_creds": 0}
TOKENS = set()
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def _send(self, status, body=b"", ctype="text/plain"):
        if isinstance(body, (dict, list)):
            body, ctype = json.dumps(body).encode(), "application/json"
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _count(self, name):
        with LOCK:
            COUNTS[name] += 1
            return dict(STATE)

    def do_POST(self):
        if self.path != "/control":
            return self._send(404)
        doc = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        with LOCK:
            STATE.update(doc)
        self._send(200, {"ok": True})

    def do_PUT(self):
        if self.path != "/latest/api/token":
            return self._send(404)
        state = self._count("imds_token")
        if state["imds_mode"] == "v1":
            return self._send(405)
        if state["imds_mode"] == "refuse":
            return self._send(403)
        ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
        if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._send(400)
        token = f"imds-token-{COUNTS['imds_token']}"
        with LOCK:
            TOKENS.add(token)
        self._send(200, token)

    def _imds_token_ok(self, state):
        if state["imds_mode"] == "v1":
            return True
        return self.headers.get("X-aws-ec2-metadata-token") in TOKENS

    def do_GET(self):
        prefix = "/latest/meta-data/iam/security-credentials/"
        if self.path == "/stats":
            with LOCK:
                return self._send(200, dict(COUNTS))
        if self.path.startswith("/ecs/"):
            return self._ecs()
        if self.path == prefix:
            state = self._count("imds_role")
            if not self._imds_token_ok(state):
                return self._send(401)
            return self._send(200, state["role"]) if state["role"] else self._send(404)
        if self.path == prefix + ROLE:
            return self._imds_creds()
        self._send(404)

    def _ecs(self):
        state = self._count("ecs")
        if state["ecs_token"] is not None and self.headers.get("Authorization") != state["ecs_token"]:
            return self._send(401, {"message": "bad token"})
        if state["ecs_status"] != 200:
            return self._send(state["ecs_status"], {"message": "failing on purpose"})
        time.sleep(state["delay_s"])
        self._send(200, dict(state["creds"], RoleArn="arn:aws:iam::123456789012:role/" + ROLE))

    def _imds_creds(self):
        state = self._count("imds_creds")
        if not self._imds_token_ok(state):
            return self._send(401)
        if state["imds_status"] != 200:
            return self._send(state["imds_status"])
        time.sleep(state["delay_s"])
        self._send(200, dict(state["creds"], Code="Success", Type="AWS-HMAC",
                             LastUpdated="2024-01-15T10:00:00Z"))


class Server(ThreadingHTTPServer):
    request_queue_size = 64  # many callers connect at once in the concurrency test
    daemon_threads = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(server.server_address[1], flush=True)
    sys.stdin.read()  # returns when the test closes our stdin (or dies)
    server.shutdown()


if __name__ == "__main__":
    main()
