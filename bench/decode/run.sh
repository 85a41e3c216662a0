#!/usr/bin/env bash
# Decode throughput: dancer's demux+decode (dn_decode_bench) against
# `ffmpeg -threads N -i X -f null -` on the same files in the same run, from
# local disk and (with --s3) from the local S3 server. Prints a Markdown
# table with the ratio dancer/ffmpeg (frames/s); paste it into
# bench/RESULTS.md with the date, machine and command.
#
#   bench/decode/run.sh [--threads N] [--repeat R] [--s3] [--seconds S]
#
# Environment: BUILD_DIR (default build; must contain bench/decode/dn_decode_bench),
# DANCER_CACHE (default ~/.cache/dancer; the generated 1080p videos are kept
# in $DANCER_CACHE/bench/decode and never committed), PYTHON (for moto/boto3).
# Both sides are timed the same way, around the whole process: best wall
# time and best CPU time (user+system) of R runs each, ratios > 1 mean
# dancer is faster.
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=$(nproc) repeat=3 use_s3=0 seconds=10
while [ $# -gt 0 ]; do
    case $1 in
    --threads) threads=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --s3) use_s3=1; shift ;;
    *) echo "usage: $0 [--threads N] [--repeat R] [--seconds S] [--s3]" >&2; exit 2 ;;
    esac
done
build=${BUILD_DIR:-build}
bench=$build/bench/decode/dn_decode_bench
[ -x "$bench" ] || { echo "run.sh: $bench missing: cmake --build $build first" >&2; exit 2; }
cache=${DANCER_CACHE:-$HOME/.cache/dancer}/bench/decode
py=${PYTHON:-$HOME/.cache/dancer/venv/bin/python}
[ -x "$py" ] || py=python3
mkdir -p "$cache"

# ---- the videos: 1080p30, the phones' most common format, H.264 and HEVC
make_video() { # make_video NAME ARGS...: once, into the cache
    local name=$1; shift
    [ -s "$cache/$name" ] && return 0
    echo "run.sh: generating $name (once)" >&2
    ffmpeg -hide_banner -loglevel error -nostdin -y \
        -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=$seconds" "$@" "$cache/$name.tmp.mp4"
    mv "$cache/$name.tmp.mp4" "$cache/$name"
}
make_video "h264_1080p30_${seconds}s.mp4" -c:v libx264 -preset veryfast -b:v 12M -pix_fmt yuv420p
make_video "hevc_1080p30_${seconds}s.mp4" -c:v libx265 -preset ultrafast -b:v 8M -tag:v hvc1 \
    -x265-params log-level=error -pix_fmt yuv420p
videos=("$cache/h264_1080p30_${seconds}s.mp4" "$cache/hevc_1080p30_${seconds}s.mp4")

frames_of() { ffprobe -v error -select_streams v:0 -count_packets -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }

# measure CMD...: "WALL CPU" — the shortest wall time of $repeat runs and the
# shortest user+system CPU time (seconds). CPU time is the steadier number on
# a shared machine; wall time is what a job waits.
measure() {
    local out=$(mktemp) wall="" cpu="" w c
    for _ in $(seq "$repeat"); do
        /usr/bin/time -f "%e %U %S" -o "$out" "$@" >/dev/null 2>&1 || { echo "run.sh: failed: $*" >&2; return 1; }
        read -r w u s <"$out"
        c=$(echo "$u + $s" | bc -l)
        if [ -z "$wall" ] || [ "$(echo "$w < $wall" | bc -l)" = 1 ]; then wall=$w; fi
        if [ -z "$cpu" ] || [ "$(echo "$c < $cpu" | bc -l)" = 1 ]; then cpu=$c; fi
    done
    rm -f "$out"
    echo "$wall $cpu"
}

row() { # row LABEL FRAMES "FFMPEG_WALL FFMPEG_CPU" "DANCER_WALL DANCER_CPU"
    awk -v l="$1" -v n="$2" -v f="$3" -v d="$4" 'BEGIN {
        split(f, F, " "); split(d, D, " ");
        printf "| %s | %d | %.1f | %.1f | %.2f | %.2f | %.2f | %.2f |\n", l, n, n/F[1], n/D[1], F[1]/D[1],
               1000*F[2]/n, 1000*D[2]/n, F[2]/D[2] }'
}

header() {
    echo
    echo "| $1 | frames | ffmpeg fps | dancer fps | ratio (wall) | ffmpeg CPU ms/frame | dancer CPU ms/frame | ratio (CPU) |"
    echo "|---|---|---|---|---|---|---|---|"
}

header "local disk, $threads threads"
for v in "${videos[@]}"; do
    n=$(frames_of "$v")
    tf=$(measure ffmpeg -nostdin -threads "$threads" -i "$v" -f null -)
    td=$(measure env DANCER_DECODER=cpu "$bench" --threads "$threads" "$v")
    row "$(basename "$v")" "$n" "$tf" "$td"
done

if [ "$use_s3" = 1 ]; then
    if ! { "$bench" --help 2>&1 || true; } | grep -q "s3://"; then
        echo
        echo "(S3: skipped — this dn_decode_bench has no S3 source yet)"
        exit 0
    fi
    state=$(mktemp -d)
    trap '"$py" tests/support/moto_server.py stop "$state"; rm -rf "$state"' EXIT
    endpoint=$("$py" tests/support/moto_server.py start "$state")
    bucket=dancer-bench
    "$py" - "$endpoint" "$bucket" "${videos[@]}" <<'PY'
import os, sys, boto3
endpoint, bucket, files = sys.argv[1], sys.argv[2], sys.argv[3:]
s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
s3.create_bucket(Bucket=bucket)
for f in files:
    s3.upload_file(f, bucket, os.path.basename(f))
PY
    header "local S3 server (moto), $threads threads"
    for v in "${videos[@]}"; do
        n=$(frames_of "$v")
        key=$(basename "$v")
        tf=$(measure ffmpeg -nostdin -threads "$threads" -i "$endpoint/$bucket/$key" -f null -)
        aws=(env DANCER_DECODER=cpu AWS_ENDPOINT_URL="$endpoint" AWS_ACCESS_KEY_ID=testing
            AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1)
        # Default settings: objects up to 32 MiB come in one GET.
        td=$(measure "${aws[@]}" "$bench" --threads "$threads" "s3://$bucket/$key")
        row "$key (whole object)" "$n" "$tf" "$td"
        # Streaming: 1 MiB ranged GETs through the block cache with read-ahead.
        td=$(measure "${aws[@]}" DANCER_S3_WHOLE_OBJECT_BYTES=0 DANCER_S3_BLOCK_BYTES=1048576 \
            "$bench" --threads "$threads" "s3://$bucket/$key")
        row "$key (1 MiB ranged GETs)" "$n" "$tf" "$td"
    done
fi
