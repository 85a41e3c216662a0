#!/usr/bin/env bash
# Fuzzes every libFuzzer target for SECONDS (default 30) from a corpus seeded
# with the client tests' fixtures; a crash leaves its input in the corpus dir
# (crash-*) and fails the run.
#   tests/fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:?usage: tests/fuzz/run.sh BUILD_DIR [SECONDS]}
seconds=${2:-30}
fx=tests/aws/fixtures
tests/fuzz/media_seeds.sh "$build/fuzz-seeds-media"
declare -A seeds=([fuzz_s3_event]=$fx/events [fuzz_s3_xml]=$fx/s3 [fuzz_sqs_json]=$fx/sqs [fuzz_gait]=
                  [fuzz_media]=$build/fuzz-seeds-media)
declare -A dicts=([fuzz_s3_event]=tests/fuzz/json.dict [fuzz_s3_xml]=tests/fuzz/xml.dict
                  [fuzz_sqs_json]=tests/fuzz/json.dict [fuzz_gait]= [fuzz_media]=)
# The gait target's bytes are a walk and a list of edits: long inputs from
# the start (each run is a whole gait analysis, ~50 a second).
declare -A extra=([fuzz_s3_event]=-max_len=65536 [fuzz_s3_xml]=-max_len=65536
                  [fuzz_sqs_json]=-max_len=65536 [fuzz_gait]="-max_len=512 -len_control=0"
                  [fuzz_media]=-max_len=65536)
status=0
for target in fuzz_s3_event fuzz_s3_xml fuzz_sqs_json fuzz_gait fuzz_media; do
    exe=$build/tests/fuzz/$target
    corpus=$build/fuzz-corpus/$target
    mkdir -p "$corpus"
    [ -z "${seeds[$target]}" ] || cp -n "${seeds[$target]}"/* "$corpus"/ 2>/dev/null || true
    dict=()
    [ -z "${dicts[$target]}" ] || dict=(-dict="$PWD/${dicts[$target]}")
    echo "fuzz: $target for ${seconds}s"
    if ! (cd "$corpus" && "$OLDPWD/$exe" -max_total_time="$seconds" ${extra[$target]} -timeout=20 \
            "${dict[@]}" -print_final_stats=1 . 2>"$OLDPWD/$build/$target.log"); then
        echo "fuzz: $target FAILED (see $build/$target.log and $corpus/crash-*)"
        tail -30 "$build/$target.log"
        status=1
    else
        grep -E "stat::number_of_executed_units|cov:" "$build/$target.log" | tail -2
    fi
done
exit $status
