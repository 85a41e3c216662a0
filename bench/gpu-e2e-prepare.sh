#!/usr/bin/env bash
# Packs what bench/gpu-e2e.sh needs on a GPU machine that has CUDA but no
# FFmpeg, no encoders, no dancer build dependencies and no package registry:
#   .carry/ffmpeg/          minimal FFmpeg 5.1 with NVDEC (bench/build-ffmpeg-min.sh;
#                           shared with bench/gpu-prepare.sh)
#   .carry/e2e/bin/         the CUDA variant of dancer (sm_90, nvcc 13.0 here = the
#                           machine's) and every `parity` test binary, stripped
#   .carry/e2e/parity.txt   "BINARY CASE" per parity test, from ctest
#   .carry/e2e/lib/         the shared libraries those binaries need that are not
#                           glibc, the driver or the carried FFmpeg (libcurl, OpenSSL,
#                           cJSON, expat and what they pull in)
#   .carry/e2e/models/      the converted BlazePose models (models/fetch.sh), gzipped
#   .carry/e2e/videos/      1080p30 walker clips (tests/walker/walker.py) + frames.txt
# Then, with the device tool: carry [".carry"], command `bash bench/gpu-e2e.sh`.
#
#   bench/gpu-e2e-prepare.sh      BUILD_DIR default build-gpu, CLIPS (3) x CLIP_S (10 s)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-gpu}
clips=${CLIPS:-3} clip_s=${CLIP_S:-10}
carry=.carry out=.carry/e2e
cache=${DANCER_CACHE:-$HOME/.cache/dancer}
py=$cache/venv/bin/python
[ -x "$carry/ffmpeg/bin/ffmpeg" ] || bench/build-ffmpeg-min.sh "$carry/ffmpeg"
models/fetch.sh >/dev/null

# The CUDA variant against the carried FFmpeg (same 5.1 ABI as Debian's).
PKG_CONFIG_PATH=$PWD/$carry/ffmpeg/lib/pkgconfig cmake -S . -B "$build" -DDANCER_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES=90 -DCMAKE_BUILD_TYPE=Release >/dev/null
grep -q "CMAKE_CUDA_COMPILER:.*nvcc" "$build/CMakeCache.txt" || { echo "gpu-e2e-prepare: nvcc not found" >&2; exit 1; }
grep -q "$carry/ffmpeg" "$build/CMakeCache.txt" || { echo "gpu-e2e-prepare: FFmpeg not from $carry" >&2; exit 1; }
# Parity tests: "BINARY.CASE" names; the binaries are CMake targets of the same name.
mapfile -t parity < <(ctest --test-dir "$build" -N -L parity | sed -n 's/^ *Test *#[0-9]*: //p')
targets=$(printf '%s\n' "${parity[@]%%.*}" | sort -u)
# shellcheck disable=SC2086 # one target per word
cmake --build "$build" -j"${JOBS:-$(nproc)}" --target dancer $targets >/dev/null

rm -rf "$out"
mkdir -p "$out/bin" "$out/lib" "$out/models" "$out/videos"
git rev-parse --short HEAD >"$out/commit"
cp "$build/src/dancer" "$out/bin/"
for t in $targets; do cp "$(find "$build/tests" -type f -name "$t" -perm -u+x | head -n1)" "$out/bin/"; done
printf '%s\n' "${parity[@]}" | sed 's/\./ /' >"$out/parity.txt"
strip --strip-debug "$out"/bin/*

# Libraries: everything the loader resolves (with the carried FFmpeg, as on
# the machine) except glibc's own and the compiler runtimes (the machine's
# are newer), the CUDA driver (the machine's) and FFmpeg (carried apart).
for b in "$out"/bin/*; do LD_LIBRARY_PATH=$PWD/$carry/ffmpeg/lib ldd "$b"; done |
    awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' | sort -u |
while read -r name path; do
    case $name in
    libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|libresolv.so*|ld-linux*) ;;
    libgcc_s.so*|libstdc++.so*|libcuda.so*|libnvcuvid.so*) ;;
    libav*|libsw*|libpostproc*) ;;
    *) cp -L "$path" "$out/lib/$name" ;;
    esac
done

# gzip halves them (the detector's densified weights are mostly zeros).
for m in "$cache"/models/*.dnm; do gzip -1 -c "$m" >"$out/models/$(basename "$m").gz"; done

# Clips: rendered once per seed and cached (a 10 s 1080p walk takes a minute or two).
vcache=$cache/bench/gpu-e2e
mkdir -p "$vcache"
: >"$out/videos/frames.txt"
# Front and back views: the walker keeps the subject in the picture and large
# enough for the pose detector over the whole walk (a 10 s side-view walk
# enters and leaves the picture).
for i in $(seq 0 $((clips - 1))); do
    dir=$([ $((i % 2)) = 0 ] && echo toward || echo away)
    name=walk_1080p_${clip_s}s_${dir}_seed$i.mp4
    if [ ! -f "$vcache/$name" ]; then
        "$py" tests/walker/walker.py -o "$vcache/$name.tmp.mp4" --truth "$vcache/$name.json" \
            --size 1920x1080 --duration "$clip_s" --seed "$i" --direction "$dir" --quiet
        mv "$vcache/$name.tmp.mp4" "$vcache/$name"
    fi
    cp "$vcache/$name" "$out/videos/"
    echo "$name $("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["video"]["frames"])' \
        "$vcache/$name.json")" >>"$out/videos/frames.txt"
done
echo "gpu-e2e-prepare: $(du -sh "$carry" | cut -f1) in $carry (the device run carries at most 64 MiB):"
du -sh "$carry"/ffmpeg "$out"/*
