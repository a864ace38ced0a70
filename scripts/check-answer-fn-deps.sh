#!/usr/bin/env bash
# answer-fn must not link the AWS SDK: it answers calls, and every crate it links costs cold
# start time. `cargo tree -p answer-fn` resolves features as `cargo build -p answer-fn` does.
set -euo pipefail
cd "$(dirname "$0")/.."
sdk=$(cargo tree -p answer-fn -e normal --prefix none | grep -E '^(aws-sdk-|aws-config|aws-smithy-|aws-runtime)' || true)
if [[ -n "$sdk" ]]; then
  echo "answer-fn links the AWS SDK:" >&2
  echo "$sdk" | sort -u >&2
  exit 1
fi
echo "answer-fn links no AWS SDK crate"
