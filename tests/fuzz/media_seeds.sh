#!/usr/bin/env bash
# Seeds for fuzz_media: tiny mp4s (h264 with the moov at the end and at the
# start, hevc, 10-bit, a rotation tag) made with ffmpeg into DIR, a few KB
# each so that a run decodes in well under a millisecond per frame.
#   tests/fuzz/media_seeds.sh DIR
set -euo pipefail
dir=${1:?usage: tests/fuzz/media_seeds.sh DIR}
mkdir -p "$dir"
src="testsrc2=size=96x64:rate=15:duration=1"
make() { # make NAME ARGS...
    local out=$dir/$1; shift
    [ -s "$out" ] || ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "$src" "$@" "$out"
}
x264=(-c:v libx264 -preset ultrafast)
make seed_h264.mp4 "${x264[@]}" -pix_fmt yuv420p
make seed_h264_faststart.mp4 "${x264[@]}" -pix_fmt yuv420p -movflags +faststart
make seed_h264_10bit.mp4 "${x264[@]}" -pix_fmt yuv420p10le
make seed_h264_rotate90.mp4 "${x264[@]}" -pix_fmt yuv420p -metadata:s:v rotate=90
make seed_hevc.mp4 -c:v libx265 -preset ultrafast -x265-params log-level=error -tag:v hvc1
