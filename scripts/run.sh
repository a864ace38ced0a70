#!/usr/bin/env bash
# make run: DynamoDB Local (data kept in .dynamodb/) + the table + `cargo lambda watch` serving
# both webhooks and POST /token at their production paths on http://127.0.0.1:9000, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/local-env.sh
port="${PORT:-9000}"
# token-fn starts with the application's private.key when there is one, else with a key made
# for local use; /token answers 401 here (no JWT authorizer runs locally).
export VONAGE_APPLICATION_ID="${VONAGE_APPLICATION_ID:-00000000-0000-0000-0000-000000000000}"
if [[ -z "${VONAGE_PRIVATE_KEY:-}${VONAGE_PRIVATE_KEY_FILE:-}${VONAGE_PRIVATE_KEY_SECRET:-}" ]]; then
  if [[ -f private.key ]]; then
    export VONAGE_PRIVATE_KEY_FILE=private.key
  else
    mkdir -p target
    [[ -f target/dev-private.key ]] || cargo run --quiet -p devtools --bin token -- new-key target/dev-private.key
    export VONAGE_PRIVATE_KEY_FILE=target/dev-private.key
  fi
fi

# Ctrl-C reaches the terminal's whole foreground job: everything below stops on it (each part
# cleans up after itself), and this script, which only waits, then ends with 0. Ctrl-C is how
# make run is meant to end, so make reports no error for it.
trap ':' INT
status=0
scripts/dynamodb-local.sh --db-path "${DYNAMODB_DATA:-.dynamodb}" --port "$DYNAMODB_PORT" -- bash -c '
  set -euo pipefail
  source scripts/watch.sh
  cargo run --quiet -p devtools -- create-table
  start_watch "$0"
  trap stop_watch EXIT
  trap "exit 130" INT TERM
  scripts/banner.sh "$0"
  wait "$WATCH_PID"
' "$port" || status=$?
# 130: stopped by Ctrl-C, as intended.
[[ $status -eq 130 ]] && exit 0
exit "$status"
