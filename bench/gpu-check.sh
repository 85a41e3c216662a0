#!/usr/bin/env bash
# The prepared device check: run on a GPU machine, from the repository root,
# after bench/gpu-prepare.sh packed .carry/ here (the GPU machine has CUDA
# but no FFmpeg, no test encoders and no dancer build dependencies).
#
#   bash bench/gpu-check.sh [SECTION...]       default: every section
#
# Sections (each prints its findings and ends with one line
# "== SECTION <name>: PASS|FAIL|SKIP <why>", collected in the summary):
#   env               driver, GPU, NVDEC support (libnvcuvid), FFmpeg's hwaccels
#   media_decode      the test set decoded on NVDEC by dancer
#   media_compare     NVDEC frames vs CPU frames: luma PSNR >= 40 dB, same count/times
#   media_throughput  NVDEC frames/s for 1, 4, 7, 10 concurrent 1080p streams, dancer
#                     vs `ffmpeg -hwaccel cuda -hwaccel_output_format cuda` run alike
#   pose_nn           the network engine (bench/pose/gpu.sh): every CUDA op and both
#                     networks vs the C reference, per-layer diff, frames/s at batch 1/32/128
#   gait              the gait kernels (filter, kinematics, extrema) vs their C twins and
#                     the whole gait stage on the GPU path vs the CPU path (test_gait_parity)
#   pose_pipeline     the pose pipeline (bench/pose/pipeline-gpu.sh): crop/decoding kernels vs C,
#                     whole pipeline GPU vs CPU, segments vs sequential, frames/s for 1-16 videos
# Later stages add theirs: write a function section_<name> and add <name> to
# SECTIONS below.
#
# Writes $OUT/gpu-check.log (everything) and $OUT/summary.txt (one line per
# section); OUT defaults to /tmp/gpu-check. Exit status 1 when a section failed.
set -uo pipefail
cd "$(dirname "$0")/.."
SECTIONS=(env media_decode media_compare media_throughput pose_nn gait pose_pipeline)
OUT=${OUT:-/tmp/gpu-check}
mkdir -p "$OUT"
log=$OUT/gpu-check.log summary=$OUT/summary.txt
: >"$summary"
exec > >(tee -a "$log") 2>&1

carry=$PWD/.carry
bin=$carry/gpu/bin
videos=$carry/gpu/videos
# libnvcuvid and libcuda live with the driver, often outside the loader's path.
export LD_LIBRARY_PATH=$carry/ffmpeg/lib:$carry/gpu/lib:/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$carry/ffmpeg/bin:$PATH
export DANCER_LOG_FORMAT=text

verdict() { # verdict SECTION STATUS WHY
    echo "== SECTION $1: $2 ${3:-}"
    echo "$1: $2 ${3:-}" >>"$summary"
}

need_carry() { # need_carry SECTION: SKIP unless gpu-prepare.sh's files are here
    if [ ! -x "$bin/dn_decode_bench" ] || [ ! -d "$videos" ]; then
        verdict "$1" SKIP "no .carry/gpu (run bench/gpu-prepare.sh here and carry .carry)"
        return 1
    fi
}

section_env() {
    echo "--- nvidia-smi"
    nvidia-smi || { verdict env FAIL "nvidia-smi failed: no driver"; return; }
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
    echo "--- NVDEC libraries (libnvcuvid is what FFmpeg's nvdec loads)"
    ls -l /usr/local/nvidia/lib64 2>/dev/null | grep -E "libnvcuvid|libcuda\.so" || echo "(nothing in /usr/local/nvidia/lib64)"
    ldconfig -p | grep -E "libnvcuvid|libcuda\.so" || echo "(ldconfig knows neither)"
    echo "--- decoder utilisation counters"
    nvidia-smi -q -d UTILIZATION | grep -i -E "decoder|encoder" || true
    echo "--- carried FFmpeg"
    if command -v ffmpeg >/dev/null; then
        ffmpeg -hide_banner -hwaccels
        ffmpeg -hide_banner -buildconf | grep -E "nvdec|ffnvcodec|cuda" || true
    fi
    local found=0
    for d in /usr/local/nvidia/lib64 $(ldconfig -p | awk '/libnvcuvid/ {print $NF}' | xargs -r -n1 dirname); do
        ls "$d"/libnvcuvid.so* >/dev/null 2>&1 && found=1
    done
    if [ "$found" = 1 ]; then verdict env PASS "driver up, libnvcuvid present"; else
        verdict env FAIL "no libnvcuvid: the driver offers no NVDEC (dancer will decode on the CPU)"; fi
}

# The decodable test set: NVDEC's H.264 is 8-bit only, so h264_10bit.mp4
# must be refused on --decoder gpu (and falls back to the CPU on auto).
section_media_decode() {
    need_carry media_decode || return
    local fail=0 v out
    echo "--- how NVDEC was set up (debug log of one decode)"
    DANCER_LOG_LEVEL=debug "$bin/dn_decode_bench" --decoder gpu "$videos/hevc.mp4" 2>&1 | grep -v "libav: " | head -20
    for v in "$videos"/*.mp4; do
        out=$("$bin/dn_decode_bench" --decoder gpu "$v" 2>&1)
        echo "$out"
        case $(basename "$v") in
        h264_10bit.mp4) echo "$out" | grep -q "unsupported" || { echo "FAIL: 10-bit H.264 accepted on NVDEC"; fail=1; } ;;
        *) echo "$out" | grep -q "decoder=nvdec" || { echo "FAIL: $(basename "$v") not decoded on NVDEC"; fail=1; } ;;
        esac
    done
    echo "--- auto mode falls back to the CPU for 10-bit H.264"
    "$bin/dn_decode_bench" --decoder auto "$videos/h264_10bit.mp4" 2>&1 | tee /dev/stderr | grep -q "decoder=cpu" || fail=1
    if [ "$fail" = 0 ]; then verdict media_decode PASS; else verdict media_decode FAIL "see log"; fi
}

section_media_compare() {
    need_carry media_compare || return
    local fail=0 v
    for v in "$videos"/*.mp4; do
        [ "$(basename "$v")" = h264_10bit.mp4 ] && continue
        "$bin/dn_decode_bench" --compare-cpu "$v" || fail=1
    done
    if [ "$fail" = 0 ]; then verdict media_compare PASS "every NVDEC frame >= 40 dB luma PSNR vs CPU"; else
        verdict media_compare FAIL "see log"; fi
}

# ffmpeg_streams N FILE: N concurrent ffmpeg NVDEC decodes; prints frames/s.
ffmpeg_streams() {
    local n=$1 f=$2 frames t0 t1 pids=()
    frames=$(ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$f")
    t0=$(date +%s.%N)
    for _ in $(seq "$n"); do
        ffmpeg -nostdin -v error -hwaccel cuda -hwaccel_output_format cuda -i "$f" -f null - &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || return 1; done
    t1=$(date +%s.%N)
    awk -v n="$n" -v fr="$frames" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n * fr / (b - a) }'
}

section_media_throughput() {
    need_carry media_throughput || return
    local f n line ours theirs fail=0
    echo "| file | streams | dancer NVDEC fps | ffmpeg NVDEC fps | ratio |"
    echo "|---|---|---|---|---|"
    for f in "$videos"/bench_*.mp4; do
        for n in 1 4 7 10; do
            line=$("$bin/dn_decode_bench" --decoder gpu --streams "$n" "$f") || fail=1
            echo "$line" | grep -q "decoder=nvdec" || fail=1
            ours=$(echo "$line" | sed -n 's/.*fps=\([0-9.]*\).*/\1/p')
            theirs=$(ffmpeg_streams "$n" "$f") || theirs=""
            awk -v f="$(basename "$f")" -v n="$n" -v o="${ours:-0}" -v t="${theirs:-0}" \
                'BEGIN { printf "| %s | %d | %.1f | %.1f | %s |\n", f, n, o, t, (t > 0 ? sprintf("%.2f", o / t) : "n/a") }'
        done
    done
    if [ "$fail" = 0 ]; then verdict media_throughput PASS "numbers above"; else
        verdict media_throughput FAIL "dancer's NVDEC decode failed"; fi
}

section_pose_nn() {
    bash bench/pose/gpu.sh
    case $? in
    0) verdict pose_nn PASS "CUDA ops and networks match the C reference; numbers above" ;;
    77) verdict pose_nn SKIP "no .carry/pose (run bench/gpu-prepare.sh here and carry .carry)" ;;
    *) verdict pose_nn FAIL "see log" ;;
    esac
}

section_gait() {
    [ -x "$bin/test_gait_parity" ] || { verdict gait SKIP "no .carry/gpu/bin/test_gait_parity (run bench/gpu-prepare.sh)"; return; }
    "$bin/test_gait_parity"
    case $? in
    0) verdict gait PASS "gait kernels match their C twins within the test's stated tolerances" ;;
    77) verdict gait SKIP "test_gait_parity found no usable GPU" ;;
    *) verdict gait FAIL "see log (mismatches are printed, at most 10 per op)" ;;
    esac
}

section_pose_pipeline() {
    bash bench/pose/pipeline-gpu.sh
    case $? in
    0) verdict pose_pipeline PASS "pose kernels and pipeline match the CPU; numbers above" ;;
    77) verdict pose_pipeline SKIP "no .carry/pose/clips (run bench/gpu-prepare.sh here and carry .carry)" ;;
    *) verdict pose_pipeline FAIL "see log" ;;
    esac
}

commit=$(git describe --always --dirty 2>/dev/null || cat .carry/gpu/commit 2>/dev/null || echo unknown)
echo "gpu-check: $(date -u +%FT%TZ) on $(hostname), commit $commit (the pack's: $(cat .carry/gpu/commit 2>/dev/null || echo none))"
status=0
for s in "${@:-${SECTIONS[@]}}"; do
    echo
    echo "===== $s"
    if ! declare -F "section_$s" >/dev/null; then verdict "$s" FAIL "no such section"; continue; fi
    "section_$s"
done
echo
echo "===== summary"
cat "$summary"
grep -q ": FAIL" "$summary" && status=1
exit $status
