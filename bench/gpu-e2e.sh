#!/usr/bin/env bash
# The prepared GPU end-to-end benchmark: run on a GPU machine, from the
# repository root, after bench/gpu-e2e-prepare.sh packed .carry/ here (the
# GPU machine has CUDA but no FFmpeg, no encoders, no dancer build
# dependencies and no package registry, so the CUDA build happens here, with
# the same nvcc 13.0, for sm_90).
#
#   bash bench/gpu-e2e.sh [SECTION...]        default: every section
#
# Sections, each ending with "== SECTION <name>: PASS|FAIL|SKIP <why>":
#   env      the machine (bench/gpu-check.sh env: driver, NVDEC, FFmpeg hwaccels)
#            and `dancer version` (CUDA build, device found)
#   parity   every ctest test labelled `parity` (GPU kernels against their C
#            reference twins), run from the carried test binaries
#   e2e      `dancer analyze --device gpu --decoder gpu` on 1, 10 and 50 1080p
#            walker videos from local disk at once: frames/s end to end, and the
#            NVDEC ceiling for the same files (one `ffmpeg -hwaccel cuda
#            -hwaccel_output_format cuda -f null` per file, all at once), so the
#            ratio to the hardware limit is known
# Writes $OUT/gpu-e2e.log (everything), $OUT/gpu-e2e.md (the table for
# bench/RESULTS.md) and $OUT/gpu-e2e-summary.txt; OUT defaults to /tmp/gpu-e2e.
# Exit status 1 when a section failed. Budget: a few minutes of device time.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2
SECTIONS=(env parity e2e)
COUNTS=${GPU_E2E_COUNTS:-"1 10 50"}
OUT=${OUT:-/tmp/gpu-e2e}
mkdir -p "$OUT"
log=$OUT/gpu-e2e.log summary=$OUT/gpu-e2e-summary.txt table=$OUT/gpu-e2e.md
: >"$summary"
exec > >(tee -a "$log") 2>&1

carry=$PWD/.carry
e2e=$carry/e2e
export LD_LIBRARY_PATH=$carry/ffmpeg/lib:$e2e/lib:/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export PATH=$carry/ffmpeg/bin:$PATH
export DANCER_LOG_FORMAT=text DANCER_MODEL_DIR=/tmp/gpu-e2e-models
dancer=$e2e/bin/dancer
# The models travel gzipped (54 -> 42 MB of carry).
mkdir -p "$DANCER_MODEL_DIR"
for m in "$e2e"/models/*.dnm.gz; do
    [ -f "$m" ] && gunzip -c "$m" >"$DANCER_MODEL_DIR/$(basename "$m" .gz)"
done

verdict() { # verdict SECTION STATUS WHY
    echo "== SECTION $1: $2 ${3:-}"
    echo "$1: $2 ${3:-}" >>"$summary"
}

need_carry() {
    [ -x "$dancer" ] && return 0
    verdict "$1" SKIP "no .carry/e2e (run bench/gpu-e2e-prepare.sh here and carry .carry)"
    return 1
}

section_env() {
    OUT=$OUT/check bash bench/gpu-check.sh env
    need_carry env || return
    "$dancer" version
    if "$dancer" version | grep -q "^device: CPU only"; then
        verdict env FAIL "dancer found no usable GPU"
    else
        verdict env PASS "$("$dancer" version | grep '^device:')"
    fi
}

# parity.txt: one "BINARY CASE" per line, from `ctest -L parity` where it was prepared.
section_parity() {
    need_carry parity || return
    local bin case rc n=0 failed=0
    while read -r bin case; do
        n=$((n + 1))
        "$e2e/bin/$bin" "$case"
        rc=$?
        # 77 = skipped for want of a GPU: on this machine that is a failure.
        if [ "$rc" = 0 ]; then echo "parity: $bin.$case PASS"; else
            echo "parity: $bin.$case FAIL (exit $rc)"; failed=$((failed + 1)); fi
    done <"$e2e/parity.txt"
    if [ "$failed" = 0 ] && [ "$n" -gt 0 ]; then verdict parity PASS "$n tests"; else
        verdict parity FAIL "$failed of $n failed"; fi
}

# inputs N: N paths of 1080p clips (hard links cycling over the carried ones,
# so every input is its own file, as N uploads would be).
inputs() {
    local n=$1 i=0 dir=$OUT/inputs-$1 clips
    clips=("$e2e"/videos/*.mp4)
    mkdir -p "$dir"
    while [ $i -lt "$n" ]; do
        ln -f "${clips[$((i % ${#clips[@]}))]}" "$dir/clip$i.mp4" 2>/dev/null ||
            cp "${clips[$((i % ${#clips[@]}))]}" "$dir/clip$i.mp4"
        i=$((i + 1))
    done
    ls "$dir"/clip*.mp4
}

frames_of() { # sum of frame counts of the given files (frames.txt: NAME FRAMES)
    local f total=0 n
    for f in "$@"; do
        n=$(awk -v b="$(basename "$(readlink -f "$f")")" '$1 == b {print $2}' "$e2e/videos/frames.txt")
        [ -n "$n" ] || n=$(ffprobe -v error -select_streams v:0 -count_packets \
            -show_entries stream=nb_read_packets -of csv=p=0 "$f")
        total=$((total + n))
    done
    echo "$total"
}

now() { date +%s.%N; }

# nvdec_ceiling FILES...: every file decoded at once by its own ffmpeg on NVDEC,
# frames left on the GPU; prints the seconds until the last one finished.
nvdec_ceiling() {
    local t0 f pids=() ok=0
    t0=$(now)
    for f in "$@"; do
        ffmpeg -nostdin -v error -hwaccel cuda -hwaccel_output_format cuda -i "$f" -f null - &
        pids+=($!)
    done
    for p in "${pids[@]}"; do wait "$p" || ok=1; done
    awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'
    return $ok
}

section_e2e() {
    need_carry e2e || return
    if [[ $("$dancer" analyze /dev/null 2>&1) == *"not built yet"* ]]; then
        verdict e2e SKIP "dancer analyze is not built yet in this checkout"; return
    fi
    local n files frames t0 t1 secs ceil fail=0 bad ok
    {
        echo "| videos at once | frames | dancer s | dancer frames/s | NVDEC ceiling s | ceiling frames/s | dancer / ceiling |"
        echo "|---|---|---|---|---|---|---|"
    } >"$table"
    for n in $COUNTS; do
        mapfile -t files < <(inputs "$n")
        frames=$(frames_of "${files[@]}")
        echo "--- $n videos, $frames frames: dancer analyze --device gpu --decoder gpu"
        t0=$(now) ok=1
        "$dancer" analyze --device gpu --decoder gpu -o "$OUT/analyze-$n.jsonl" "${files[@]}" \
            2>"$OUT/analyze-$n.log" || { echo "dancer analyze failed (exit $?)"; fail=1; ok=0; }
        t1=$(now)
        tail -n 5 "$OUT/analyze-$n.log"
        # Every result must be a real one, decoded on NVDEC and analysed on the
        # GPU; how many found a gait cycle is reported (front/back-view clips:
        # the gait stage's accuracy is tested elsewhere, not timed here).
        bad=$(env -u LD_LIBRARY_PATH python3 - "$OUT/analyze-$n.jsonl" "$n" <<'PY'
import json, sys
docs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
bad = [d for d in docs if d.get("error") or (d.get("processing") or {}).get("device") != "gpu"
       or (d.get("processing") or {}).get("decoder") not in ("nvdec", "gpu")]
cycles = sum(bool((d.get("gait") or {}).get("gait_cycle_detected")) for d in docs)
print(f"{len(docs)} results, {cycles} with a gait cycle", file=sys.stderr)
print(len(bad) + int(sys.argv[2]) - len(docs))
PY
)
        [ "$bad" = 0 ] || { echo "$bad of $n results are missing, errors, or not run on the GPU"; fail=1; }
        # A failed run has no throughput: its row says so instead of a number.
        secs=$(awk -v a="$t0" -v b="$t1" -v ok="$ok" 'BEGIN { printf (ok ? "%.3f" : "0"), b - a }')
        echo "--- $n videos: NVDEC ceiling (ffmpeg -hwaccel cuda, one process per file)"
        ceil=$(nvdec_ceiling "${files[@]}") || { echo "ffmpeg NVDEC decode failed"; fail=1; }
        awk -v n="$n" -v fr="$frames" -v s="$secs" -v c="${ceil:-0}" 'BEGIN {
            d = (s > 0 ? sprintf("%.2f | %.0f", s, fr / s) : "failed | -")
            printf "| %d | %d | %s | %.2f | %.0f | %s |\n", n, fr, d, c,
                   (c > 0 ? fr / c : 0), (c > 0 && s > 0 ? sprintf("%.2f", c / s) : "n/a") }' | tee -a "$table"
    done
    cat "$table"
    if [ "$fail" = 0 ]; then verdict e2e PASS "table in $table"; else verdict e2e FAIL "see the log"; fi
}

echo "gpu-e2e: $(date -u +%FT%TZ) on $(hostname), commit $(cat "$e2e/commit" 2>/dev/null || git rev-parse --short HEAD 2>/dev/null || echo unknown)"
run_section() {
    printf '\n===== %s\n' "$1"
    if declare -F "section_$1" >/dev/null; then "section_$1"; else verdict "$1" FAIL "no such section"; fi
}
for s in "${@:-${SECTIONS[@]}}"; do run_section "$s"; done
printf '\n===== summary\n'
cat "$summary"
! grep -q ": FAIL" "$summary"
