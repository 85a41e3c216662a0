#!/usr/bin/env bash
# The pose pipeline's part of bench/gpu-prepare.sh (section pose_pipeline of
# bench/gpu-check.sh): builds its tools in BUILD (a CUDA build) and packs into
# CARRY what the GPU machine cannot make itself:
#   CARRY/gpu/bin/      pose_run (pipeline on videos, CSV compare), test_pose_parity
#   CARRY/pose/clips/   synthetic walker clips: four directions 10 s 640×360, the
#                       side view again at 1080p, one stored turned (rotation flag)
# The models come from bench/pose/gpu-prepare.sh (CARRY/pose/*.dnm.gz).
#
#   bench/pose/pipeline-prepare.sh BUILD CARRY
set -euo pipefail
cd "$(dirname "$0")/../.."
build=$1 carry=$2
cmake --build "$build" -j"$(nproc)" --target pose_run test_pose_parity >/dev/null
mkdir -p "$carry/gpu/bin" "$carry/pose/clips"
cp "$build/tests/pose/pose_run" "$build/tests/pose/test_pose_parity" "$carry/gpu/bin/"
py=${DANCER_PYTHON:-${DANCER_CACHE:-$HOME/.cache/dancer}/venv/bin/python}
clips=$carry/pose/clips
seed=0
for d in ltr rtl toward away; do
    [ -f "$clips/$d.mp4" ] || "$py" tests/walker/walker.py -o "$clips/$d.mp4" --direction "$d" \
        --duration 10 --seed $((seed++)) --quiet
done
[ -f "$clips/ltr_1080p.mp4" ] || ffmpeg -hide_banner -loglevel error -nostdin -y -i "$clips/ltr.mp4" \
    -vf scale=1920:1080 -c:v libx264 -preset veryfast -crf 20 -pix_fmt yuv420p "$clips/ltr_1080p.mp4"
[ -f "$clips/rtl_rot90.mp4" ] || "$py" tests/walker/walker.py -o "$clips/rtl_rot90.mp4" --direction rtl \
    --rotate 90 --duration 10 --seed 1 --quiet
du -sh "$clips"
