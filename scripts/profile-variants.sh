#!/usr/bin/env bash
# Measures release-profile choices on a function instead of guessing: builds it once per variant
# (each in a target directory of its own) and prints binary size and cold start through the
# local Runtime API. Slow (a full release build per variant).
#
#   scripts/profile-variants.sh [answer-fn|event-fn]
set -euo pipefail
cd "$(dirname "$0")/.."
function="${1:-answer-fn}"
cargo build --quiet --profile tools -p devtools --bin bench

# Each variant changes one setting of the shipped [profile.release] (Cargo.toml).
variants=(
  "shipped [profile.release]|"
  "lto=thin|--config profile.release.lto=\"thin\""
  "no LTO, codegen-units=16|--config profile.release.lto=false --config profile.release.codegen-units=16"
  "panic=unwind|--config profile.release.panic=\"unwind\""
  "opt-level=3|--config profile.release.opt-level=3"
)
for variant in "${variants[@]}"; do
  name="${variant%%|*}" flags="${variant#*|}"
  dir="target/variants/$(echo "$name" | tr -c 'a-z0-9' '-')"
  # shellcheck disable=SC2086
  CARGO_TARGET_DIR="$dir" cargo build --locked --quiet --release -p "$function" $flags
  size=$(stat -c %s "$dir/release/$function")
  echo "## $name: $function $size bytes"
  if [[ "$function" == answer-fn ]]; then
    scripts/dynamodb-local.sh -- target/tools/bench "$dir/release/answer-fn" - 2>/dev/null | grep '^| answer-fn'
  else
    scripts/dynamodb-local.sh -- target/tools/bench target/release/answer-fn "$dir/release/event-fn" 2>/dev/null | grep '^| event-fn'
  fi
done
