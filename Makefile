# voice-hooks: one entry point for running, testing, building and deploying.
#
#   make run    serve both webhooks on http://127.0.0.1:9000 (cargo lambda watch + DynamoDB Local)
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

CONV ?=

.PHONY: help tools run test lint calls

help:
	@echo "make run            serve /voice/answer and /voice/event on http://127.0.0.1:9000"
	@echo "make test           everything CI runs"
	@echo "make calls CONV=..  print a conversation's legs and timeline (while make run is up)"

## Tools --------------------------------------------------------------------------------------

tools: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements-dev.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

## Local development --------------------------------------------------------------------------

run: tools
	scripts/run.sh

calls:
	@test -n "$(CONV)" || { echo "usage: make calls CONV=<conversation_uuid>"; exit 2; }
	scripts/local-env.sh cargo run --quiet -p devtools -- calls "$(CONV)"

## Checks -------------------------------------------------------------------------------------

test: tools
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings
	scripts/dynamodb-local.sh -- cargo test --workspace
	scripts/check-answer-fn-deps.sh
