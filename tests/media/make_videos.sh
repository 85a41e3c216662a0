#!/usr/bin/env bash
# Generates the media test set into OUTDIR with the ffmpeg CLI: small,
# short videos of every kind the media stage must take (x264, x265, moov at
# either end, 10-bit, rotation, VFR, 60/120 fps, full range) and every kind
# it must refuse (empty, not a video, truncated, no moov, no video stream,
# unsupported codec and pixel format, corrupt packets). Nothing generated
# is committed; a stamp skips the work when this script has not changed.
#   make_videos.sh OUTDIR
set -euo pipefail
out=$(realpath -m "${1:?usage: make_videos.sh OUTDIR}")
here=$(cd "$(dirname "$0")" && pwd)
py=${DN_TEST_PYTHON:-python3}
mkdir -p "$out"
stamp=$out/.stamp
want=$(cat "$0" "$here/media_tools.py" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    echo "make_videos: up to date in $out"
    exit 0
fi
rm -f "$out"/*.mp4 "$stamp"
cd "$out"

ff() { ffmpeg -hide_banner -loglevel error -nostdin -y "$@"; }
src() { # src W H FPS SECONDS: the lavfi test pattern (asymmetric, moving)
    echo "testsrc2=size=$1x$2:rate=$3:duration=$4"
}
x264=(-c:v libx264 -preset veryfast -bf 2 -g 30)
x265=(-c:v libx265 -preset ultrafast -tag:v hvc1 -x265-params log-level=error)

# ---- good inputs
ff -f lavfi -i "$(src 320 240 30 2)" "${x264[@]}" -pix_fmt yuv420p h264_moovend.mp4
ff -i h264_moovend.mp4 -c copy -movflags +faststart h264_faststart.mp4
# Larger (~1 MB): the fault tests need reads well after open's probing.
ff -f lavfi -i "$(src 640 360 30 4)" "${x264[@]}" -crf 18 -pix_fmt yuv420p long.mp4
ff -f lavfi -i "$(src 320 240 30 1)" "${x265[@]}" -pix_fmt yuv420p hevc.mp4
ff -f lavfi -i "$(src 320 240 30 1)" "${x265[@]}" -pix_fmt yuv420p10le hevc10.mp4
ff -f lavfi -i "$(src 320 240 30 1)" "${x264[@]}" -pix_fmt yuv420p10le h264_10bit.mp4
ff -f lavfi -i "$(src 320 240 30 1)" "${x264[@]}" -pix_fmt yuvj420p h264_fullrange.mp4
# 320x180 is coded as 320x192 and cropped: the frame size must come out 180.
ff -f lavfi -i "$(src 320 180 60 1)" "${x264[@]}" -pix_fmt yuv420p fps60.mp4
ff -f lavfi -i "$(src 320 240 120 1)" "${x264[@]}" -g 120 -pix_fmt yuv420p fps120.mp4
# VFR: one second at 30 fps, then one at 15 fps.
ff -f lavfi -i "$(src 320 240 30 2)" -vf "setpts='if(lt(N,30),N/30,1+(N-30)/15)/TB'" \
    -fps_mode vfr "${x264[@]}" -pix_fmt yuv420p vfr.mp4
# Rotation: FFmpeg 5.1's muxer turns the legacy `rotate` tag R into a display
# matrix a viewer applies as (360 - R) clockwise; the tests check the sign
# against ffmpeg's own autorotate rather than trusting this comment.
ff -f lavfi -i "$(src 320 240 30 1)" "${x264[@]}" -pix_fmt yuv420p plain_1s.mp4
for r in 90 180 270; do
    ff -i plain_1s.mp4 -c copy -metadata:s:v:0 rotate=$r "rotate_tag$r.mp4"
done

# ---- bad inputs
: >empty.mp4
"$py" "$here/media_tools.py" text notvideo.mp4
"$py" "$here/media_tools.py" random random.mp4 65536
ff -f lavfi -i "sine=frequency=440:duration=1" -c:a aac audio_only.mp4
ff -f lavfi -i "$(src 320 240 30 1)" -c:v mpeg4 mpeg4.mp4
ff -f lavfi -i "$(src 320 240 30 1)" "${x264[@]}" -pix_fmt yuv422p yuv422.mp4
"$py" "$here/media_tools.py" cut h264_faststart.mp4 truncated_faststart.mp4 0.6
"$py" "$here/media_tools.py" cut h264_moovend.mp4 truncated_moovend.mp4 0.6
"$py" "$here/media_tools.py" nomoov h264_moovend.mp4 nomoov.mp4
"$py" "$here/media_tools.py" corrupt h264_faststart.mp4 corrupt_few.mp4 20,40
"$py" "$here/media_tools.py" corrupt h264_faststart.mp4 corrupt_many.mp4 \
    5,7,9,11,13,15,17,19,21,23,25,27,29,33,35,37,39,41,43,45

echo "$want" >"$stamp"
echo "make_videos: $(ls "$out"/*.mp4 | wc -l) files in $out"
