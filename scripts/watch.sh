# Sourced by run.sh and e2e.sh: `cargo lambda watch` in a session of its own, stopped quietly.
#
# Ctrl-C in the terminal reaches the whole foreground process group; cargo lambda watch answers
# it with a graceful shutdown that logs errors and a dump of its configuration. In its own
# session it never sees the Ctrl-C: stop_watch kills it outright, then the functions it started
# (each in a process group of its own, so they are found by parentage), leaving nothing behind.

# start_watch PORT: serves the functions on 127.0.0.1:PORT; sets WATCH_PID. Its own logs are
# warnings and errors only; the functions log at INFO (AWS_LAMBDA_LOG_LEVEL, http::logging).
start_watch() {
  RUST_LOG=warn AWS_LAMBDA_LOG_LEVEL="${AWS_LAMBDA_LOG_LEVEL:-info}" \
    setsid cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$1" &
  WATCH_PID=$!
}

descendants() {
  local child
  for child in $(pgrep -P "$1"); do
    echo "$child"
    descendants "$child"
  done
}

stop_watch() {
  [[ -n "${WATCH_PID:-}" ]] || return 0
  local pids
  pids=$(descendants "$WATCH_PID")
  kill -KILL "$WATCH_PID" 2>/dev/null || true
  # shellcheck disable=SC2086
  [[ -z "$pids" ]] || kill -TERM $pids 2>/dev/null || true
  wait "$WATCH_PID" 2>/dev/null || true
  WATCH_PID=""
}
