#!/usr/bin/env bash
# What each function links, as sam build compiles it: cargo in the package's own folder (the
# template's CodeUri) selects that package alone, so features resolve as for `make build -p`.
#
# - The webhooks and calls-fn link one AWS client, DynamoDB's, and no function links aws-config (its
#   provider chains cost cold start; the clients are built from Lambda's variables).
# - Only token-fn links the Secrets Manager client, Mozilla's roots and the token code (shared's
#   `token` feature); no function links the `rsa` crate (RUSTSEC-2023-0071, no fixed release):
#   token-fn signs RS256 with aws-lc.
# - Each package resolves the same in its folder (sam build) and with -p (make build, make bench).
set -euo pipefail
cd "$(dirname "$0")/.."
fail=0
tree() { (cd "$1" && cargo tree -q -e normal,features --prefix none); }
forbid() { # package, regex, why
  local found
  found=$(tree "$1" | grep -E "$2" | sort -u || true)
  if [[ -n "$found" ]]; then
    echo "$1 links $3:" >&2
    echo "$found" >&2
    fail=1
  fi
}
for package in answer-fn event-fn calls-fn; do
  forbid "$package" '^(aws-sdk-secretsmanager|webpki-roots) |^(shared|voice-core) feature "token"' "token-fn's code"
  clients=$(tree "$package" | grep -oE '^aws-sdk-[a-z0-9]+ v' | sort -u | tr -d '\n')
  if [[ "$clients" != "aws-sdk-dynamodb v" ]]; then
    echo "$package links AWS clients other than DynamoDB's: $clients" >&2
    fail=1
  fi
done
for package in answer-fn event-fn token-fn calls-fn; do
  forbid "$package" '^aws-config ' "aws-config"
  forbid "$package" '^rsa v' "the rsa crate"
  if ! diff <(tree "$package") <(cargo tree -q -p "$package" -e normal,features --prefix none) >/dev/null; then
    echo "$package resolves differently in its folder (sam build) and with -p (make build, make bench)" >&2
    fail=1
  fi
done
if ! tree token-fn | grep -q '^aws-sdk-secretsmanager v'; then
  echo "token-fn does not link the Secrets Manager client: this check looks for the wrong name" >&2
  fail=1
fi
exit "$fail"
