#!/usr/bin/env python3
"""Starts or stops the local S3+SQS server (moto) that integration tests share.

    moto_server.py start STATE_DIR   picks a free loopback port, starts moto in
                                     the background, waits until it answers and
                                     writes its URL to STATE_DIR/endpoint
    moto_server.py stop STATE_DIR    stops it

ctest runs these as the setup and cleanup of the `moto` fixture, so one
server serves the whole run; tests isolate themselves by unique bucket and
queue names. moto is laxer than AWS (no signature checks, stale receipt
handles accepted): tests of signing compare against botocore instead.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moto_command(port):
    exe = shutil.which("moto_server")
    if exe:
        return [exe, "-H", "127.0.0.1", "-p", str(port)]
    return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]


def start(state):
    os.makedirs(state, exist_ok=True)
    stop(state)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = open(os.path.join(state, "moto.log"), "w")
    env = dict(os.environ, MOTO_ALLOW_NONEXISTENT_REGION="true")
    proc = subprocess.Popen(moto_command(port), stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)
    with open(os.path.join(state, "pid"), "w") as f:
        f.write(str(proc.pid))
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"moto_server exited early (see {state}/moto.log)")
        try:
            urllib.request.urlopen(url + "/moto-api/", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    else:
        sys.exit("moto_server did not answer within 60 s")
    with open(os.path.join(state, "endpoint"), "w") as f:
        f.write(url + "\n")
    print(url)


def stop(state):
    pid_file = os.path.join(state, "pid")
    try:
        pid = int(open(pid_file).read())
        os.killpg(pid, signal.SIGTERM)
    except (OSError, ValueError):
        pass
    for name in ("pid", "endpoint"):
        try:
            os.remove(os.path.join(state, name))
        except OSError:
            pass


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit(__doc__)
    (start if sys.argv[1] == "start" else stop)(sys.argv[2])
