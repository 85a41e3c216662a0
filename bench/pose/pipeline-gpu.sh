#!/usr/bin/env bash
# The pose pipeline section of the device check (bench/gpu-check.sh runs it as
# section pose_pipeline), from the repository root on the GPU machine, with
# the files bench/pose/{gpu,pipeline}-prepare.sh put into .carry/:
#   1. test_pose_parity   crop and landmark-decoding kernels vs their C twins
#   2. GPU vs CPU         the whole pipeline (decode on the CPU, sequential
#                         tracking on both): landmarks within float noise
#   3. NVDEC              the same with frames decoded on the GPU (report)
#   4. segments           GPU defaults (temporal segments) vs sequential (report,
#                         bounded like tests/pose/test_session.py)
#   5. throughput         frames/s of decode + pose for 1, 4, 8, 16 videos, NVDEC
#                         and CPU decode, with the batch each step reached
# Exit 0 all checks passed, 1 a check failed, 77 the carried files are missing.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
carry=$PWD/.carry
bin=$carry/gpu/bin
clips=$carry/pose/clips
OUT=${OUT:-/tmp/gpu-check}
export LD_LIBRARY_PATH=$carry/ffmpeg/lib:$carry/gpu/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
if [ ! -x "$bin/pose_run" ] || [ ! -d "$clips" ] || [ ! -f "$carry/pose/pose_detection.dnm.gz" ]; then
    echo "pose_pipeline: no .carry/gpu/bin/pose_run, .carry/pose/clips or models (run bench/gpu-prepare.sh)"
    exit 77
fi
work=$OUT/pose-pipeline
export DANCER_MODEL_DIR=$work/models DANCER_LOG_FORMAT=text
mkdir -p "$DANCER_MODEL_DIR"
for m in pose_detection pose_landmark_full; do
    gunzip -c "$carry/pose/$m.dnm.gz" >"$DANCER_MODEL_DIR/$m.dnm"
done
four=("$clips/ltr.mp4" "$clips/rtl.mp4" "$clips/toward.mp4" "$clips/away.mp4")
fail=0

val() { # val KEY LINE: the value of key=value in LINE
    echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# check LABEL LINE AWK-CONDITION: compare output judged by a condition on its keys
check() {
    local ok
    ok=$(echo "$2" | tr ' ' '\n' | awk -F= '{ v[$1] = $2 } END { print ('"$3"') ? "ok" : "FAIL" }')
    echo "$ok $1: $2"
    [ "$ok" = ok ] || fail=1
}

echo "--- 1. pose kernels: CUDA vs C reference"
"$bin/test_pose_parity"
rc=$?
[ $rc = 0 ] || { echo "FAIL test_pose_parity (exit $rc; 77 = skipped: no usable GPU)"; fail=1; }

echo "--- 2. pipeline GPU vs CPU, sequential tracking, CPU decode (4 walker clips × 10 s)"
"$bin/pose_run" video "${four[@]}" --chunk 1 --batch 8 "$work/cpu.csv" || fail=1
"$bin/pose_run" video "${four[@]}" --gpu --chunk 1 --min-segment 1 --target 1 --warmup 0 \
    --batch 8 "$work/gpu_seq.csv" || fail=1
# Same float32 math in another order: a heatmap-window flip (src/pose/README.md)
# may move a rare landmark, nothing else.
check "GPU vs CPU" "$("$bin/pose_run" compare "$work/cpu.csv" "$work/gpu_seq.csv")" \
    'v["validity_differs"] <= 1 && v["mean_px"] <= 0.05 && v["within_2px"] >= 0.995'

echo "--- 3. NVDEC frames instead of CPU-decoded ones (report)"
"$bin/pose_run" video "${four[@]}" --gpu --decoder gpu --chunk 1 --min-segment 1 --target 1 \
    --warmup 0 --batch 8 "$work/gpu_nvdec.csv" && "$bin/pose_run" compare "$work/gpu_seq.csv" "$work/gpu_nvdec.csv"

echo "--- 4. GPU defaults (temporal segments) vs sequential"
line=$("$bin/pose_run" video "${four[@]}" --gpu "$work/gpu_seg.csv") || fail=1
echo "$line"
check "segments vs sequential" "$("$bin/pose_run" compare "$work/cpu.csv" "$work/gpu_seg.csv")" \
    'v["validity_differs"] <= 8 && v["mean_px"] <= 1.5 && v["within_2px"] >= 0.85'
check "rotation flag" "$("$bin/pose_run" video "$clips/rtl_rot90.mp4" --gpu "$work/rot.csv")" \
    'v["with_pose"] >= 0.9 * v["frames"]'

echo "--- 5. throughput: decode + pose, frames/s (GPU defaults)"
echo "| clips | decoder | frames | frames/s | max lanes per step | landmark launches | detector items |"
echo "|---|---|---|---|---|---|---|"
for n in 1 4 8 16; do
    files=()
    for i in $(seq 0 $((n - 1))); do files+=("${four[$((i % 4))]}"); done
    for dec in gpu cpu; do
        line=$("$bin/pose_run" video "${files[@]}" --gpu --videos "$n" --decoder "$dec" "$work/tp.csv") || {
            fail=1; continue; }
        echo "| ${n} × 640×360 | $dec | $(val frames "$line") | $(val fps "$line") | $(val max_step "$line") |" \
             "$(val landmark_launches "$line") | $(val detector_items "$line") |"
    done
done
for dec in gpu cpu; do
    line=$("$bin/pose_run" video "$clips/ltr_1080p.mp4" "$clips/ltr_1080p.mp4" "$clips/ltr_1080p.mp4" \
        "$clips/ltr_1080p.mp4" --gpu --videos 4 --decoder "$dec" "$work/tp.csv") || { fail=1; continue; }
    echo "| 4 × 1080p | $dec | $(val frames "$line") | $(val fps "$line") | $(val max_step "$line") |" \
         "$(val landmark_launches "$line") | $(val detector_items "$line") |"
done
line=$(OMP_NUM_THREADS=$(nproc) "$bin/pose_run" video "${four[@]}" "$work/tp.csv") && \
    echo "| 4 × 640×360 | cpu, CPU pose ($(nproc) threads) | $(val frames "$line") | $(val fps "$line") |" \
         "$(val max_step "$line") | $(val landmark_launches "$line") | $(val detector_items "$line") |"
exit $fail
