#!/usr/bin/env bash
# The command-line contract: --help for every subcommand, exit codes 0/1/2,
# one-line configuration errors naming the variable.
set -u
bin=${DANCER_BIN:?DANCER_BIN not set (run through ctest)}
fails=0 passes=0
expect() { # expect STATUS DESCRIPTION -- CMD...
    local want=$1 what=$2; shift 3
    "$@" >/tmp/dn_cli_out.$$ 2>/tmp/dn_cli_err.$$
    local got=$?
    if [ "$got" = "$want" ]; then passes=$((passes + 1)); else
        echo "FAIL: $what: exit $got, want $want"; cat /tmp/dn_cli_err.$$; fails=$((fails + 1)); fi
}
for cmd in analyze worker reprocess setup doctor version; do
    expect 0 "$cmd --help" -- "$bin" "$cmd" --help
    grep -q "usage: dancer $cmd" /tmp/dn_cli_out.$$ || { echo "FAIL: $cmd --help has no usage line"; fails=$((fails + 1)); }
done
expect 0 "top-level --help" -- "$bin" --help
expect 2 "no command" -- "$bin"
expect 2 "unknown command" -- "$bin" frobnicate
expect 2 "unknown option" -- "$bin" worker --no-such-option
expect 0 "version" -- "$bin" version
grep -q "^dancer " /tmp/dn_cli_out.$$ || { echo "FAIL: version output"; fails=$((fails + 1)); }
expect 2 "version with an argument" -- "$bin" version extra
expect 2 "bad env value" -- env SQS_MAX_MESSAGES=50 "$bin" version
grep -q "SQS_MAX_MESSAGES" /tmp/dn_cli_err.$$ || { echo "FAIL: error does not name SQS_MAX_MESSAGES"; fails=$((fails + 1)); }
[ "$(wc -l </tmp/dn_cli_err.$$)" = 1 ] || { echo "FAIL: config error is not one line"; fails=$((fails + 1)); }
expect 2 "bad flag value" -- "$bin" worker --max-messages 0 --exit-when-idle
grep -q "SQS_MAX_MESSAGES" /tmp/dn_cli_err.$$ || { echo "FAIL: flag error does not name SQS_MAX_MESSAGES"; fails=$((fails + 1)); }
expect 2 "missing config file" -- "$bin" version --config /nonexistent.env
expect 2 "analyze without input" -- "$bin" analyze
# doctor has no --queue-url: its hint for a missing queue must name settings only.
# (A closed loopback endpoint: nothing here may reach AWS.)
expect 1 "doctor without a queue" -- env -u SQS_QUEUE_URL -u SQS_QUEUE_NAME -u AWS_PROFILE \
    AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=y AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_ENDPOINT_URL=http://127.0.0.1:9 "$bin" doctor
grep -q "SQS_QUEUE_URL" /tmp/dn_cli_out.$$ || { echo "FAIL: doctor does not name SQS_QUEUE_URL"; fails=$((fails + 1)); }
! grep -q -- "--queue-url" /tmp/dn_cli_out.$$ || { echo "FAIL: doctor suggests --queue-url, which it does not take"; fails=$((fails + 1)); }
rm -f /tmp/dn_cli_out.$$ /tmp/dn_cli_err.$$
echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
