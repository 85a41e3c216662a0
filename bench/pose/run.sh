#!/usr/bin/env bash
# CPU frames/s of dancer's network executor (C reference kernels) against
# the TFLite interpreter on the same inputs, both pose networks, one table.
#
#   bench/pose/run.sh [--threads N] [--seconds S] [--repeat R] [--batch B]
#
# Peers, measured alternately in the same run, R times each (best kept):
# TFLite with its default XNNPACK delegate (how MediaPipe runs the model) and
# TFLite's builtin kernels (the parity reference), both with N threads;
# dancer with OMP_NUM_THREADS=N, at batch 1 and at batch B (default 8: the
# pipeline batches crops). Input: messi5.jpg prepared as in
# tests/pose/test_nn_parity.py when opencv-doc is installed, else seeded
# noise. Columns: frames/s (wall), CPU ms per frame (user + system, all
# threads: the steadier number on a shared machine) and the ratios
# dancer / peer (> 1: dancer faster). Needs build/ (cmake --build build),
# the venv (scripts/install-deps) and the models (models/fetch.sh).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=1 seconds=3 repeat=3 batch=8
while [ $# -gt 0 ]; do
    case $1 in
    --threads) threads=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    *) echo "usage: $0 [--threads N] [--seconds S] [--repeat R] [--batch B]" >&2; exit 2 ;;
    esac
done
py=${DANCER_PYTHON:-${DANCER_CACHE:-$HOME/.cache/dancer}/venv/bin/python}
bench=${NN_BENCH:-build/bench/pose/nn_bench}
[ -x "$bench" ] || { echo "run.sh: no $bench (cmake --build build)" >&2; exit 1; }
paths=$(models/fetch.sh)
models=$(dirname "${paths%%$'\n'*}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# best FIELD LINES...: the best value of a JSON field (max frames/s, min CPU ms).
best() {
    "$py" -c 'import json,sys; f=sys.argv[1]; v=[json.loads(l)[f] for l in sys.stdin if l.strip()]
print(max(v) if f=="frames_per_s" else min(v))' "$1"
}

echo "| network | threads | dancer b1 fps | XNNPACK fps | ratio | builtin fps | ratio | dancer b$batch fps | dancer b1 CPU ms/frame | XNNPACK CPU ms/frame | ratio (CPU) |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for net in pose_detection pose_landmark_full; do
    "$py" - "$net" "$work/$net.npy" <<'PY'
import os, sys
sys.path.insert(0, "tests/pose"); sys.path.insert(0, "models")
import numpy as np
import test_nn_parity as p
net, out = sys.argv[1], sys.argv[2]
side, (lo, hi), filters = p.NETS[net]
img = os.path.join(p.IMAGES, "messi5.jpg")
x = p.image(img, filters[0], side, lo, hi) if os.path.exists(img) else p.inputs(net)[:1]
np.save(out, x)
PY
    : >"$work/ours1" ; : >"$work/oursb" ; : >"$work/xnn" ; : >"$work/builtin"
    for _ in $(seq "$repeat"); do
        OMP_NUM_THREADS=$threads "$bench" "$models/$net.dnm" --input "$work/$net.npy" --seconds "$seconds" >>"$work/ours1"
        "$py" bench/pose/tflite_bench.py "$models/$net.tflite" --input "$work/$net.npy" --threads "$threads" \
            --seconds "$seconds" 2>/dev/null >>"$work/xnn"
        "$py" bench/pose/tflite_bench.py "$models/$net.tflite" --input "$work/$net.npy" --threads "$threads" \
            --seconds "$seconds" --builtin 2>/dev/null >>"$work/builtin"
        OMP_NUM_THREADS=$threads "$bench" "$models/$net.dnm" --input "$work/$net.npy" --batch "$batch" \
            --seconds "$seconds" >>"$work/oursb"
    done
    o=$(best frames_per_s <"$work/ours1") x=$(best frames_per_s <"$work/xnn") b=$(best frames_per_s <"$work/builtin")
    ob=$(best frames_per_s <"$work/oursb")
    oc=$(best cpu_ms_per_frame <"$work/ours1") xc=$(best cpu_ms_per_frame <"$work/xnn")
    awk -v n="$net" -v t="$threads" -v o="$o" -v x="$x" -v b="$b" -v ob="$ob" -v oc="$oc" -v xc="$xc" -v B="$batch" \
        'BEGIN { printf "| %s | %d | %.1f | %.1f | %.2f | %.1f | %.2f | %.1f | %.2f | %.2f | %.2f |\n", n, t, o, x, o / x, b, o / b, ob, oc, xc, xc / oc }'
done
