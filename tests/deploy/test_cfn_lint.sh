#!/usr/bin/env bash
# cfn-lint over every CloudFormation template in docker/aws/.
set -u
cd "${DN_SOURCE_DIR:-.}"
lint=$(command -v cfn-lint || true)
[ -n "$lint" ] || [ ! -x "${DN_TEST_PYTHON:-}" ] || lint="$DN_TEST_PYTHON -m cfnlint"
if [ -z "$lint" ]; then echo "cfn-lint not installed"; exit 77; fi
$lint docker/aws/*.yaml && echo "1 passed, 0 failed"
