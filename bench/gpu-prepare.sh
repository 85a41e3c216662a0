#!/usr/bin/env bash
# Packs what bench/gpu-check.sh needs on a GPU machine that has CUDA but no
# FFmpeg and none of dancer's build dependencies, into .carry/ (git-ignored,
# carried to the device run):
#   .carry/ffmpeg/      minimal FFmpeg 5.1 with NVDEC (bench/build-ffmpeg-min.sh)
#   .carry/gpu/bin/     dn_decode_bench, a CUDA build linked against that FFmpeg
#   .carry/gpu/lib/     shared libraries it needs that a CUDA image may lack (cJSON, curl...)
#   .carry/gpu/videos/  the media test set (good inputs) + two 1080p clips
# Then, with the device tool: carry [".carry"], command `bash bench/gpu-check.sh`.
#
#   bench/gpu-prepare.sh          BUILD_DIR default build-gpu
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build-gpu}
carry=.carry
[ -x "$carry/ffmpeg/bin/ffmpeg" ] || bench/build-ffmpeg-min.sh "$carry/ffmpeg"

# dancer's CUDA build against the carried FFmpeg (same 5.1 ABI as Debian's,
# but only its components exist there).
PKG_CONFIG_PATH=$PWD/$carry/ffmpeg/lib/pkgconfig cmake -S . -B "$build" -DDANCER_CUDA=ON \
    -DCMAKE_BUILD_TYPE=Release >/dev/null
grep -q "$carry/ffmpeg" "$build/CMakeCache.txt" || { echo "gpu-prepare: FFmpeg not from $carry" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)" --target dn_decode_bench test_gait_parity >/dev/null
rm -rf "$carry/gpu"
mkdir -p "$carry/gpu/bin" "$carry/gpu/lib" "$carry/gpu/videos"
# The device gets no .git: gpu-check.sh names the commit the pack was built at.
git describe --always --dirty >"$carry/gpu/commit" 2>/dev/null || echo unknown >"$carry/gpu/commit"
cp "$build/bench/decode/dn_decode_bench" "$carry/gpu/bin/"
cp "$build/tests/gait/test_gait_parity" "$carry/gpu/bin/" # section gait
# Every shared library they need beyond glibc and the carried FFmpeg (cJSON,
# libcurl and its chain, OpenSSL, expat, libgomp): the GPU image may lack
# them, and newer glibc runs these older builds.
for exe in "$carry"/gpu/bin/*; do
    LD_LIBRARY_PATH=$carry/ffmpeg/lib ldd "$exe" | awk '/=> \// {print $3}' |
        grep -v -E "/(libc|libm|libpthread|libdl|librt|libresolv|ld-linux[^/]*)\.so" | grep -v "/$carry/" |
        while read -r lib; do cp -L "$lib" "$carry/gpu/lib/"; done
done

# Videos: generated here (the GPU machine has no encoders).
media=$build/test-media
DN_TEST_PYTHON=${PYTHON:-python3} tests/media/make_videos.sh "$media" >/dev/null
for v in h264_moovend h264_faststart hevc hevc10 h264_10bit h264_fullrange fps60 vfr rotate_tag270 long; do
    cp "$media/$v.mp4" "$carry/gpu/videos/"
done
gen() { # gen NAME ENCODER ARGS...: a 5 s 1080p30 clip
    local name=$1; shift
    ffmpeg -hide_banner -loglevel error -nostdin -y -f lavfi -i "testsrc2=size=1920x1080:rate=30:duration=5" \
        "$@" "$carry/gpu/videos/$name"
}
gen bench_h264_1080p30.mp4 -c:v libx264 -preset veryfast -b:v 8M -pix_fmt yuv420p
gen bench_hevc_1080p30.mp4 -c:v libx265 -preset ultrafast -b:v 6M -tag:v hvc1 -x265-params log-level=error
bench/pose/gpu-prepare.sh "$build" "$carry" # section pose_nn: the network engine
bench/pose/pipeline-prepare.sh "$build" "$carry" # section pose_pipeline
echo "gpu-prepare: $(du -sh "$carry" | cut -f1) in $carry (the device run carries at most 64 MiB):"
du -sh "$carry"/ffmpeg "$carry"/gpu/* "$carry"/pose
