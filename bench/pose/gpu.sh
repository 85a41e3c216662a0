#!/usr/bin/env bash
# The pose network section of the device check (bench/gpu-check.sh runs it as
# section pose_nn), from the repository root on the GPU machine, with the
# files bench/pose/gpu-prepare.sh put into .carry/:
#   1. test_nn_ops_gpu   every CUDA op against its C twin (tolerances in the test)
#   2. test_nn_gpu       both networks, GPU runner vs CPU runner at batch 4;
#                        GPU batch items bit-identical to batch 1
#   3. nn_run --compare-gpu, per network: per-layer GPU-vs-CPU table, first
#                        diverging op (the debugging aid when 2 fails)
#   4. nn_bench          frames/s at batch 1, 32, 128 on the GPU (input on the
#                        device, one stream), the CPU reference on all cores
#                        for scale, and a per-op-type profile at batch 128
# Exit 0 all checks passed, 1 a check failed, 77 the carried files are missing.
set -uo pipefail
cd "$(dirname "$0")/../.."
carry=$PWD/.carry
bin=$carry/gpu/bin
OUT=${OUT:-/tmp/gpu-check}
export LD_LIBRARY_PATH=$carry/gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
[ -x "$bin/test_nn_gpu" ] && [ -f "$carry/pose/pose_detection.dnm.gz" ] || {
    echo "pose_nn: no .carry/gpu/bin/test_nn_gpu or .carry/pose (run bench/gpu-prepare.sh)"; exit 77; }

export DANCER_CACHE=$OUT/pose-cache DN_TEST_TMP_ROOT=$OUT/pose-tmp
mkdir -p "$DANCER_CACHE/models" "$DN_TEST_TMP_ROOT"
for m in pose_detection pose_landmark_full; do
    gunzip -c "$carry/pose/$m.dnm.gz" >"$DANCER_CACHE/models/$m.dnm"
done
models=$DANCER_CACHE/models
fail=0

echo "--- 1. ops: CUDA vs C reference"
"$bin/test_nn_ops_gpu" || fail=1
echo "--- 2. networks: GPU runner vs CPU runner"
"$bin/test_nn_gpu" || fail=1
echo "--- 3. per layer: GPU vs CPU (messi5.jpg crop, batch 2)"
for m in pose_detection pose_landmark_full; do
    "$bin/nn_run" "$models/$m.dnm" --input "$carry/pose/$m.npy" --batch 2 --compare-gpu | tail -n 25 || fail=1
done

echo "--- 4. throughput (frames/s; GPU: input already on the device)"
echo "| network | device | batch | ms per batch | frames/s |"
echo "|---|---|---|---|---|"
row() { # row NETWORK ARGS...: one nn_bench run as a table row
    local net=$1 line; shift
    line=$("$bin/nn_bench" "$models/$net.dnm" --input "$carry/pose/$net.npy" --seconds 2 "$@") || { fail=1; return; }
    echo "$line" | awk -v n="$net" -F'[:,} ]+' '{ for (i = 1; i < NF; i++) v[$i] = $(i + 1);
        printf "| %s | %s%s | %s | %s | %s |\n", n, v["\"device\""], (v["\"threads\""] > 0 ? " (" v["\"threads\""] " threads)" : ""),
               v["\"batch\""], v["\"ms_per_batch\""], v["\"frames_per_s\""] }' | tr -d '"'
}
for m in pose_detection pose_landmark_full; do
    for b in 1 32 128; do row "$m" --gpu --batch "$b"; done
    OMP_NUM_THREADS=$(nproc) row "$m" --batch 1
    OMP_NUM_THREADS=$(nproc) row "$m" --batch 32
done
echo "--- per-op profile, GPU, batch 128 (each op synchronised: shares, not totals)"
for m in pose_detection pose_landmark_full; do
    "$bin/nn_bench" "$models/$m.dnm" --input "$carry/pose/$m.npy" --gpu --batch 128 --iters 5 --seconds 0 --ops || fail=1
done
exit $fail
