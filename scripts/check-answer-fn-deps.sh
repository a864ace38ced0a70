#!/usr/bin/env bash
# answer-fn must not link the AWS SDK: it answers calls, and every crate it links costs cold
# start time. Checked as sam build compiles it: cargo in answer-fn/ (the template's CodeUri)
# selects that package alone, so features resolve as for `make build -p answer-fn`.
set -euo pipefail
cd "$(dirname "$0")/../answer-fn"
sdk=$(cargo tree -e normal --prefix none | grep -E '^(aws-sdk-|aws-config|aws-smithy-|aws-runtime)' || true)
if [[ -n "$sdk" ]]; then
  echo "answer-fn as sam build compiles it links the AWS SDK:" >&2
  echo "$sdk" | sort -u >&2
  exit 1
fi
# The same resolution as make build's `-p answer-fn`: what ships is what is measured.
if ! diff <(cargo tree -e normal,features --prefix none) <(cd .. && cargo tree -p answer-fn -e normal,features --prefix none) >/dev/null; then
  echo "answer-fn resolves differently in its folder (sam build) and with -p (make build, make bench)" >&2
  exit 1
fi
echo "answer-fn links no AWS SDK crate, and resolves the same for sam build and make build"
