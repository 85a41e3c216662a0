#!/usr/bin/env bash
# ctest fuzz.fuzz_media.seeds: every seed opens and decodes all its frames
# (a seed that fails early would leave the fuzzer nothing to mutate).
#   tests/fuzz/media_seeds_test.sh FUZZ_MEDIA DIR
set -euo pipefail
exe=$1 dir=$2
"$(dirname "$0")/media_seeds.sh" "$dir"
out=$(DN_FUZZ_VERBOSE=1 "$exe" -runs=0 "$dir"/seed_*.mp4 2>&1)
echo "$out" | grep "fuzz_media:"
n=$(echo "$out" | grep -c "fuzz_media: 96x64, 15 frames decoded$" || true)
[ "$n" -eq "$(ls "$dir"/seed_*.mp4 | wc -l)" ] || { echo "not every seed decodes"; exit 1; }
