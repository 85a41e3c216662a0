#!/usr/bin/env bash
# Renders the pipeline tests' videos into OUTDIR with the synthetic walker
# (tests/walker/walker.py; needs numpy: the project venv): two short, small
# walks and a copy of one with every 4th packet garbled (the probe succeeds,
# decoding fails part-way: too many corrupt packets). A stamp skips the work
# when nothing changed.
# Exit 77 (skip) without numpy.
#   make_clips.sh OUTDIR
set -euo pipefail
out=$(realpath -m "${1:?usage: make_clips.sh OUTDIR}")
here=$(cd "$(dirname "$0")" && pwd)
walker=$here/../walker
py=${DN_TEST_PYTHON:-python3}
"$py" -c "import numpy" 2>/dev/null || { echo "make_clips: no numpy in $py"; exit 77; }
mkdir -p "$out"
stamp=$out/.stamp
want=$(cat "$0" "$walker"/*.py | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "make_clips: up to date in $out"
    exit 0
fi
rm -f "$out"/*.mp4 "$out"/*.json "$stamp"
w() { "$py" "$walker/walker.py" --quiet --size 320x180 "$@"; }
w -o "$out/walk_a.mp4" --truth "$out/walk_a.json" --duration 2 --faststart
w -o "$out/walk_b.mp4" --truth "$out/walk_b.json" --duration 3 --direction rtl --seed 1
"$py" "$here/../media/media_tools.py" corrupt "$out/walk_a.mp4" "$out/walk_a_bad.mp4" \
    "$(seq -s, 6 4 58)"
echo "$want" >"$stamp"
