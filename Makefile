# voice-hooks: one entry point for running, testing, building and deploying.
#
#   make run    serve both webhooks, /token and /calls on http://127.0.0.1:9000 (cargo lambda watch + DynamoDB Local)
#   make test   format, lint, unit and DynamoDB Local tests, template checks
#
# Every tool is installed into the project itself (.venv, node_modules) on first use.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
# cargo-lambda finds its zig (from the ziglang wheel) on PATH.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# sam validate/build need a region, never an account.
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0

CONV ?=

.PHONY: help tools arm64 run test lint calls login token load bench fuzz build deploy

help:
	@echo "make run            serve /voice/answer, /voice/event, /token and /calls on http://127.0.0.1:\$$PORT (9000)"
	@echo "make login USER=..  a sign-in token for make run's /token and /calls (the app's sign-in, locally)"
	@echo "make test           everything CI runs"
	@echo "make calls CONV=..  print a conversation's legs and timeline (while make run is up)"
	@echo "make calls USER=..  print an app user's calls and daily totals (while make run is up)"
	@echo "make token USER=..  a Vonage user token from private.key and VONAGE_APPLICATION_ID"
	@echo "make load           10 000 events through both webhooks against DynamoDB Local, then the same calls under a spend limit; checks"
	@echo "make bench          cold start, warm latency, RSS, round trips; criterion hot paths"
	@echo "make fuzz           each fuzz target for FUZZ_SECONDS (default 60)"
	@echo "make lint           sam validate --lint and cfn-lint on template.yaml"
	@echo "make build          release arm64 zips of the functions (target/lambda/*/bootstrap.zip)"
	@echo "make deploy         sam build && sam deploy --guided (needs an AWS account)"

## Tools --------------------------------------------------------------------------------------

tools: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# The Lambda target for arm64 builds (cargo-lambda cross-compiles with zig); rust-toolchain.toml
# names it too, so rustup installs it with the pinned toolchain.
arm64:
	rustup target add aarch64-unknown-linux-gnu

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Local development --------------------------------------------------------------------------

run: tools
	scripts/run.sh

# USER must be given on the command line: the login name in the environment is not an app user.
calls:
ifeq ($(origin USER),command line)
	@scripts/local-env.sh cargo run --quiet -p devtools -- user "$(USER)"
else
	@test -n "$(CONV)" || { echo "usage: make calls CONV=<conversation_uuid> | make calls USER=<app user>"; exit 2; }
	@scripts/local-env.sh cargo run --quiet -p devtools -- calls "$(CONV)"
endif

# A sign-in token that make run's /token and /calls take as the app's sign-in (docs/users.md).
# USER must be given on the command line, as for make token.
login:
ifneq ($(origin USER),command line)
	@echo "usage: make login USER=<name>   (a sign-in token for make run's /token and /calls)"; exit 2
endif
	@scripts/local-env.sh cargo run --quiet -p devtools --bin login -- "$(USER)"

# The tutorial's `vonage jwt create` step: a user token made as token-fn makes it, from
# private.key (git-ignored) and VONAGE_APPLICATION_ID (environment or .env). USER must be given
# on the command line: the login name in the environment is not an app user.
token:
ifneq ($(origin USER),command line)
	@echo "usage: make token USER=<name>   (needs private.key and VONAGE_APPLICATION_ID, e.g. in .env)"; exit 2
endif
	@scripts/local-env.sh cargo run --quiet -p devtools --bin token -- "$(USER)"

# 500 calls, 10 000 deliveries (10 % redeliveries), 32 handler instances, against a fresh
# in-memory DynamoDB Local; prints throughput, latency and the check; then the same calls under
# a spend limit of 1.00 a user, and the check that no user's settled spend exceeds it. Smaller
# versions of both run in make test (devtools/tests/load.rs).
load: tools
	scripts/dynamodb-local.sh -- env TABLE_NAME=voice-hooks-load \
	  cargo run --quiet --profile tools -p devtools -- load 500 10000

# The functions' release binaries through a local Lambda Runtime API (init, first and warm
# invocations, peak RSS, DynamoDB requests per event), the Python + boto3 peer through the same
# harness, then the criterion micro-benchmarks of the hot paths.
bench: tools
	cargo build --locked --release -p answer-fn
	cargo build --locked --release -p event-fn
	cargo build --locked --release -p token-fn
	cargo build --locked --release -p calls-fn
	cargo build --locked --profile tools -p devtools --bin bench
	scripts/dynamodb-local.sh -- target/tools/bench target/release/answer-fn target/release/event-fn $(VENV)/bin/python target/release/token-fn target/release/calls-fn
	cargo bench --locked -p shared --features dynamodb,test-util --bench hot_paths

# Each fuzz target for FUZZ_SECONDS (default 60). cargo-fuzz is installed into .tools/; the
# machine's stable toolchain runs it with RUSTC_BOOTSTRAP=1 (it needs -Z sanitizer flags).
# fuzz/corpus/<target> (git-ignored) grows as it runs; fuzz/seeds/<target> (committed) holds
# the inputs that once broke something and Vonage's published bodies.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := event_parser answer_request number
fuzz: .tools/bin/cargo-fuzz
	cd fuzz && for target in $(FUZZ_TARGETS); do \
	  mkdir -p corpus/$$target; \
	  RUSTC_BOOTSTRAP=1 $(CURDIR)/.tools/bin/cargo-fuzz run $$target corpus/$$target $$(ls -d seeds/$$target 2>/dev/null) \
	    -- -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 || exit 1; \
	done

.tools/bin/cargo-fuzz:
	cargo install --locked --root .tools cargo-fuzz@0.13.2

## Checks -------------------------------------------------------------------------------------

test: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	$(VENV)/bin/python scripts/check_layers.py
	cargo check --locked --quiet --manifest-path fuzz/Cargo.toml --bins
	scripts/dynamodb-local.sh -- cargo test --workspace
	scripts/e2e.sh
	scripts/check-deps.sh
	cargo run --quiet -p devtools --bin ncco-variants | $(VENV)/bin/python scripts/check_ncco.py
	cargo build --quiet -p devtools --bin token
	$(VENV)/bin/python scripts/check_tokens.py target/debug/token
	$(MAKE) --no-print-directory lint
	$(VENV)/bin/python scripts/test_lint_template.py
	$(VENV)/bin/python scripts/test_token_stack.py
	$(VENV)/bin/python scripts/test_scripts.py

# sam validate and cfn-lint check the SAM template as written; lint_template.py translates it
# with the SAM translator first and lints the CloudFormation that would really be deployed.
lint: tools
	sam validate --lint
	cfn-lint template.yaml
	$(VENV)/bin/python scripts/lint_template.py

## Build and deploy ----------------------------------------------------------------------------

# One package at a time: features resolve per package, so answer-fn is built without the
# DynamoDB store (and never links the AWS SDK).
build: tools arm64
	cargo lambda build --locked --release --arm64 --output-format zip -p answer-fn
	cargo lambda build --locked --release --arm64 --output-format zip -p event-fn
	cargo lambda build --locked --release --arm64 --output-format zip -p token-fn
	cargo lambda build --locked --release --arm64 --output-format zip -p calls-fn
	@ls -l target/lambda/*/bootstrap.zip

# sam build runs cargo-lambda, which compiles with --locked ([workspace.metadata.lambda.build]
# in Cargo.toml); `cargo fetch --locked` first downloads what it needs and fails early when
# Cargo.lock is not exactly what the manifests need.
deploy: tools arm64
	cargo fetch --locked
	sam build
	sam deploy --guided
