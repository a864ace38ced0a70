#!/usr/bin/env bash
# End-to-end test, as part of `make test`: DynamoDB Local and `cargo lambda watch` started as
# `make run` starts them (on free ports), devtools/tests/e2e.rs run against them over HTTP, and
# everything stopped however the test ends.
set -euo pipefail
cd "$(dirname "$0")/.."

# The test binary runs on its own, not under `cargo test`: cargo holds the build directory lock
# while it runs tests, and `cargo lambda watch` needs it to start the functions.
exe=$(cargo test -p devtools --test e2e --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == "e2e":
        print(m["executable"])')
cargo build --quiet -p answer-fn -p event-fn -p token-fn -p calls-fn

# As make run: unsigned webhooks allowed explicitly (scripts/local-env.sh), no metrics.
export VONAGE_NUMBER=447700900001 TABLE_NAME=e2e-calls RUST_LOG=warn ALLOW_UNSIGNED_WEBHOOKS=true
# token-fn starts as under make run: a placeholder application and a key made for the test.
key=$(mktemp -t e2e-key.XXXXXX)
# And the local sign-in of make login, with a key of its own.
sign_in_key=$(mktemp -t e2e-sign-in.XXXXXX)
watch_log=$(mktemp -t e2e-watch.XXXXXX.log)
trap 'rm -f "$key" "$sign_in_key" "$watch_log"' EXIT
od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$sign_in_key"
export LOCAL_SIGN_IN_KEY_FILE="$sign_in_key"
cargo run --quiet -p devtools --bin token -- new-key "$key"
export VONAGE_APPLICATION_ID=00000000-0000-0000-0000-000000000000 VONAGE_PRIVATE_KEY_FILE="$key"
unset VONAGE_PRIVATE_KEY VONAGE_PRIVATE_KEY_SECRET VONAGE_API_URL TOKEN_TTL_SECONDS TOKEN_ACL USER_CLAIM
unset POWERTOOLS_METRICS_NAMESPACE VONAGE_SIGNATURE_SECRET ALLOWED_DESTINATIONS BLOCKED_DESTINATIONS INBOUND_APP_USER GREETING RETENTION_DAYS
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

scripts/dynamodb-local.sh -- bash -c '
  set -euo pipefail
  source scripts/watch.sh
  cargo run --quiet -p devtools -- create-table
  start_watch "$1" >"$2" 2>&1
  trap stop_watch EXIT
  for _ in $(seq 1 300); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && break
    sleep 0.1
  done
  if ! E2E_BASE_URL="http://127.0.0.1:$1" "$3" --ignored --nocapture; then
    echo "--- cargo lambda watch output ---" >&2; cat "$2" >&2; exit 1
  fi
  # What make run shows: one short line per webhook, no runtime span around it.
  expected="VOICE EVENT leg 8aa86e22 outbound completed duration=5s price=0.00833333"
  if ! grep -qxF "$expected" "$2" || grep -q "Lambda runtime invoke" "$2"; then
    echo "the local log lines are not what make run promises:" >&2; cat "$2" >&2; exit 1
  fi
' e2e "$port" "$watch_log" "$exe"

# Nothing it started may outlive it.
if pgrep -f "cargo-lambda lambda watch --invoke-address 127.0.0.1 --invoke-port $port" >/dev/null; then
  echo "cargo lambda watch is still running" >&2
  exit 1
fi
