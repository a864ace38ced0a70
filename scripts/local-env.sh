#!/usr/bin/env bash
# The environment `make run` gives the functions: placeholder settings (overridable from the
# environment or a git-ignored .env) and the SDK pointed at the DynamoDB Local of `make run`.
# Source it, or run `scripts/local-env.sh COMMAND...` to run a command in it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -f .env ]]; then
  set -a; source .env; set +a
fi
# Local development takes webhooks that nobody signed (curl, the tests); a deployed function
# never does: template.yaml does not set this, and without a secret it refuses to start.
export ALLOW_UNSIGNED_WEBHOOKS=true
export VONAGE_NUMBER="${VONAGE_NUMBER:-447700900001}"
export TABLE_NAME="${TABLE_NAME:-voice-hooks-calls}"
export DYNAMODB_PORT="${DYNAMODB_PORT:-8000}"
export AWS_ENDPOINT_URL_DYNAMODB="${AWS_ENDPOINT_URL_DYNAMODB:-http://127.0.0.1:$DYNAMODB_PORT}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
# The local sign-in (make login, docs/users.md): a key made once for this checkout, which only
# make run's token service and call history trust. template.yaml never sets it.
export LOCAL_SIGN_IN_KEY_FILE="${LOCAL_SIGN_IN_KEY_FILE:-$PWD/target/local-sign-in.key}"
if [[ ! -s "$LOCAL_SIGN_IN_KEY_FILE" ]]; then
  mkdir -p "$(dirname "$LOCAL_SIGN_IN_KEY_FILE")"
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >"$LOCAL_SIGN_IN_KEY_FILE")
fi
if [[ $# -gt 0 ]]; then
  exec "$@"
fi
