#!/usr/bin/env bash
# Fetch the pinned MediaPipe pose models and convert them to dancer's .dnm format.
#
#   models/fetch.sh      prints the converted model paths, one per line
#
# Cache: $DANCER_CACHE (default ~/.cache/dancer): wheels/ holds the mediapipe
# wheel, models/ the extracted .tflite and converted .dnm files. Python with
# numpy + tflite (scripts/requirements.txt): $DANCER_PYTHON, else the project
# venv ($DANCER_CACHE/venv, made by scripts/install-deps), else python3.
# Every step is skipped when its output is already there with the right hash,
# so the script is cheap to run before every test.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${DANCER_CACHE:-$HOME/.cache/dancer}
wheels=$cache/wheels
out=$cache/models
models=(pose_detection pose_landmark_full)
inner=(mediapipe/modules/pose_detection/pose_detection.tflite
       mediapipe/modules/pose_landmark/pose_landmark_full.tflite)

# mediapipe 0.10.14 wheels by CPython tag, sha256 of each wheel file as
# downloaded from PyPI. All four carry byte-identical pose models; the wheel is
# only unzipped, never imported, so an unlisted Python uses the cp311 one.
mp_version=0.10.14
declare -A wheel_sha=(
  [cp39]=e4c7a8ef124870ac181242dec7052ea781fde28b484bdf2033b8c1a295c67b1f
  [cp310]=aecd2fdf603f741a43beb61d8686ce1c3a72c88e3880053e62d33c712c3df6e6
  [cp311]=a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4
  [cp312]=9b1e72d754cd9e1b4b88d80ec9ead2f1cbe8424b7f883d3bda53341b982a9f8b
)

die() { echo "fetch.sh: $*" >&2; exit 1; }
log() { echo "fetch.sh: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

py=${DANCER_PYTHON:-}
if [[ -z $py ]]; then
  if [[ -x $cache/venv/bin/python ]]; then py=$cache/venv/bin/python
  else py=python3; fi
fi
command -v "$py" >/dev/null || die "no python ($py); set DANCER_PYTHON"

models_ok() {
  [[ -f $out/pose_detection.tflite && -f $out/pose_landmark_full.tflite ]] &&
    (cd "$out" && sha256sum --check --status "$here/SHA256SUMS")
}

fetch_wheel() {
  local tag ver
  ver=$("$py" -c 'import sys; print("%d%d" % sys.version_info[:2])')
  tag=cp$ver
  [[ -n ${wheel_sha[$tag]:-} ]] || tag=cp311
  wheel=$wheels/mediapipe-$mp_version-$tag-$tag-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
  if [[ -f $wheel && $(sha "$wheel") == "${wheel_sha[$tag]}" ]]; then
    return
  fi
  mkdir -p "$wheels"
  log "downloading mediapipe==$mp_version ($tag wheel, ~36 MB)"
  # Target flags make pip fetch exactly the pinned file whatever this host is.
  "$py" -m pip download --quiet --no-deps --only-binary=:all: --no-cache-dir \
      --python-version "${tag#cp}" --implementation cp --abi "$tag" \
      --platform manylinux_2_17_x86_64 -d "$wheels" "mediapipe==$mp_version" >&2 ||
    die "cannot download mediapipe==$mp_version from PyPI (offline?) and no cached wheel in $wheels"
  [[ -f $wheel ]] || die "pip did not produce $wheel"
  if [[ $(sha "$wheel") != "${wheel_sha[$tag]}" ]]; then
    rm -f "$wheel"
    die "sha256 mismatch for $(basename "$wheel"); expected ${wheel_sha[$tag]}"
  fi
}

extract_models() {
  local tmp=$out/.extract.$$
  mkdir -p "$tmp"
  "$py" - "$wheel" "$tmp" "${inner[@]}" <<'PY'
import os, sys, zipfile
wheel, dst, names = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as z:
    for n in names:
        with open(os.path.join(dst, os.path.basename(n)), "wb") as f:
            f.write(z.read(n))
PY
  (cd "$tmp" && sha256sum --check --status "$here/SHA256SUMS") || {
    rm -rf "$tmp"; die "extracted models do not match models/SHA256SUMS"; }
  for m in "${models[@]}"; do mv -f "$tmp/$m.tflite" "$out/$m.tflite"; done
  rmdir "$tmp"
}

mkdir -p "$out"
if ! models_ok; then
  fetch_wheel
  extract_models
  log "extracted ${models[*]} into $out"
fi

# A .dnm is current when its stamp matches the source model and the converter
# that produced it, so a converter fix re-converts without a manual clean.
stamp=$(cat "$here/convert.py" "$here/dnm.py" "$here/SHA256SUMS" | sha256sum | cut -d' ' -f1)
for m in "${models[@]}"; do
  dnm=$out/$m.dnm
  if [[ -f $dnm && -f $dnm.stamp && $(cat "$dnm.stamp") == "$stamp" ]]; then
    continue
  fi
  "$py" -c 'import numpy, tflite' 2>/dev/null ||
    die "$py lacks numpy/tflite: run scripts/install-deps (or pip install -r scripts/requirements.txt)"
  "$py" "$here/convert.py" "$out/$m.tflite" "$dnm"
  echo "$stamp" > "$dnm.stamp"
done

for m in "${models[@]}"; do echo "$out/$m.dnm"; done
