#!/usr/bin/env bash
# What `make run` prints once it serves: PORT, then VONAGE_NUMBER, TABLE_NAME and the DynamoDB
# Local endpoint from the environment. Only printed: every value goes through printf, and the
# text is a quoted heredoc, so nothing in it (say, a `make token` between backticks) is run.
set -euo pipefail
port="$1"
printf '\nvoice-hooks is serving (functions compile on their first request):\n'
printf '  answer webhook  GET|POST http://127.0.0.1:%s/voice/answer\n' "$port"
printf '  event webhook   GET|POST http://127.0.0.1:%s/voice/event  (POST only once signed)\n' "$port"
printf '  token           POST     http://127.0.0.1:%s/token   (Authorization: Bearer <make login token>)\n' "$port"
printf '  call history    GET      http://127.0.0.1:%s/calls   (Authorization: Bearer <make login token>)\n' "$port"
printf '  VONAGE_NUMBER=%s  TABLE_NAME=%s  DynamoDB Local %s\n' \
  "${VONAGE_NUMBER:-}" "${TABLE_NAME:-}" "${AWS_ENDPOINT_URL_DYNAMODB:-}"
printf '  webhooks are not signature-checked here (ALLOW_UNSIGNED_WEBHOOKS=true)\n\n'
printf 'Try:\n  curl "http://127.0.0.1:%s/voice/answer?to=447700900000&from_user=Alice&uuid=u1&conversation_uuid=CON-1"\n' "$port"
cat <<'MSG'
  `make login USER=alice` prints a sign-in token for /token and /calls (docs/users.md);
  `make token USER=alice` prints a Vonage user token made from private.key;
  `make calls USER=alice` prints alice's calls today, refused ones with why.

Ctrl-C stops everything.
MSG
