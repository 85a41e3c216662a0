#!/usr/bin/env bash
# Fails unless the system libavcodec (the one pkg-config points the build at)
# was built with NVDEC: the H.264 and HEVC nvdec hwaccels and the loader of
# libnvcuvid, which the NVIDIA driver supplies at run time. Debian and Ubuntu
# build FFmpeg against ffnvcodec (Build-Depends: libffmpeg-nvenc-dev [amd64]),
# which makes configure enable nvdec; this check makes the image build stop
# if a base-image change ever loses that, instead of shipping an image that
# silently decodes on the CPU. The build stage of docker/Dockerfile runs it.
#   docker/check-nvdec.sh
set -euo pipefail
libdir=$(pkg-config --variable=libdir libavcodec)
lib=$(find "$libdir" -maxdepth 1 -name "libavcodec.so.[0-9]*" | sort | head -n1)
for want in h264_nvdec hevc_nvdec libnvcuvid.so.1; do
    if ! grep -qaF "$want" "$lib"; then
        echo "check-nvdec: $lib lacks $want: this FFmpeg cannot decode on NVDEC" >&2
        exit 1
    fi
done
echo "check-nvdec: $lib has the h264/hevc nvdec hwaccels"
