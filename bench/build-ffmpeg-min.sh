#!/usr/bin/env bash
# Builds the smallest FFmpeg dancer's GPU check needs, for a GPU machine
# that has CUDA but no FFmpeg: shared libavformat/avcodec/avutil (+ the
# ffmpeg CLI as the benchmark's peer) with only the H.264/HEVC decoders and
# parsers, the MP4/MOV and Matroska demuxers, the NVDEC hwaccels and the
# file/pipe/http protocols. Same FFmpeg version as Debian 12's (5.1), from
# Debian's source tarball (checked against the .dsc's sha256);
# nv-codec-headers from Debian's libffmpeg-nvenc-dev (unpacked, not installed).
#
#   bench/build-ffmpeg-min.sh [PREFIX]     default PREFIX: .carry/ffmpeg (git-ignored)
#
# Needs: build-essential, nasm (apt), network to the Debian archive on first
# run. Sources are cached in $DANCER_CACHE/src. Takes a few minutes on 2 cores.
# The libraries carry no rpath: users set LD_LIBRARY_PATH=PREFIX/lib.
# bench/gpu-prepare.sh builds dancer against the result and packs both for
# the device run.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(realpath -m "${1:-.carry/ffmpeg}")
cache=${DANCER_CACHE:-$HOME/.cache/dancer}/src
version=5.1.9
tarball=ffmpeg_$version.orig.tar.xz
sha256=d9b593bb2ba93d4b50f74177e0cdcd41747e708596367deed0c30348a71dd176 # ffmpeg_5.1.9-0+deb12u1.dsc
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
jobs=${JOBS:-$(nproc)}
mkdir -p "$cache"

if ! command -v nasm >/dev/null; then
    echo "build-ffmpeg-min: installing nasm" >&2
    apt-get install -y -qq nasm >/dev/null
fi

# ---- sources
if [ ! -s "$cache/$tarball" ]; then
    curl -fsSL -o "$cache/$tarball.tmp" "$mirror/pool/main/f/ffmpeg/$tarball"
    mv "$cache/$tarball.tmp" "$cache/$tarball"
fi
echo "$sha256  $cache/$tarball" | sha256sum -c --quiet -
nv=$cache/nv-codec-headers
if [ ! -f "$nv/usr/include/ffnvcodec/dynlink_loader.h" ]; then
    (cd "$cache" && apt-get download -qq libffmpeg-nvenc-dev)
    dpkg-deb -x "$cache"/libffmpeg-nvenc-dev_*.deb "$nv"
fi
# The package's .pc says prefix=/usr: point pkg-config at the unpacked copy.
pcdir=$(dirname "$(find "$nv" -name ffnvcodec.pc | head -1)")
export PKG_CONFIG_PATH=$pcdir

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tar -xf "$cache/$tarball" -C "$work"
cd "$work/ffmpeg-$version"

# ---- configure: everything off, then what dancer and its peer use
./configure --prefix="$prefix" --pkg-config-flags="--define-variable=prefix=$nv/usr" \
    --enable-shared --disable-static --disable-doc --disable-debug --enable-stripping \
    --disable-autodetect --disable-everything \
    --disable-avdevice --disable-postproc --disable-ffplay \
    --enable-ffmpeg --enable-ffprobe --enable-pthreads --enable-zlib \
    --enable-ffnvcodec --enable-cuda --enable-nvdec \
    --enable-hwaccel=h264_nvdec,hevc_nvdec \
    --enable-decoder=h264,hevc --enable-parser=h264,hevc \
    --enable-demuxer=mov,matroska --enable-muxer=null,rawvideo,framemd5 \
    --enable-encoder=rawvideo,wrapped_avframe \
    --enable-protocol=file,pipe,http,tcp \
    --enable-filter=null,format,scale,hwdownload,transpose >"$work/configure.log" 2>&1 ||
    { tail -20 "$work/configure.log"; exit 1; }
grep -E "^(Enabled hwaccels|External libraries providing hardware acceleration)" -A 2 "$work/configure.log" || true

make -j"$jobs" >"$work/make.log" 2>&1 || { tail -30 "$work/make.log"; exit 1; }
rm -rf "$prefix"
make install >/dev/null
rm -rf "$prefix/share"
echo "build-ffmpeg-min: installed into $prefix ($(du -sh "$prefix" | cut -f1))"
LD_LIBRARY_PATH="$prefix/lib" "$prefix/bin/ffmpeg" -hide_banner -hwaccels
