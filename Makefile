# container-delivery: everything a fresh clone needs is installed by these targets.
#   make synth   set up (.venv, Python deps, pinned Node 22 + CDK CLI) and synthesize the reference app
#   make test    set up and run the test suite (unit tests + one full nag/cfn-lint pass)
#   make docs    the API reference (HTML) from the docstrings of the public API, into docs/api/
#   make plan    print the bootstrap and deploy commands for a config (ARGS="--config PATH")
#   make cdk     run the pinned CDK CLI with the venv's Python, e.g. ARGS="diff --exclusively webapp-staging"
# Set-up is idempotent: a stamp file per toolchain, redone only when its manifest changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

# Node 22 and the CDK CLI from node_modules, the venv's python3 for `cdk.json`'s "python3 app.py".
export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/$(VENV)/bin:$(PATH)
# No AWS account is needed: never wait for the EC2 instance metadata service.
export AWS_EC2_METADATA_DISABLED := true
export CDK_DISABLE_VERSION_CHECK := true
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

# Arguments for `make plan` and `make cdk`.
ARGS ?=

.PHONY: help setup synth test lint audit bench docs plan cdk clean

help:
	@echo "make synth | test | lint | docs | audit | bench | plan | cdk ARGS=... | clean"

$(PY_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup: $(PY_STAMP) $(NODE_STAMP)

synth: setup
	rm -rf cdk.out
	cdk synth --quiet
	@echo "Synthesized: cdk.out/ ($$(ls cdk.out/*.template.json | wc -l) templates)"

test: setup lint
	$(PY) -m pytest

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

audit: setup
	$(PY) -m container_delivery.audit --out audit

# The public API: the packages whose __all__ lists the public names (pdoc documents exactly those).
API_MODULES := container_delivery.constructs container_delivery.constructs.pipeline \
	container_delivery.constructs.registry container_delivery.constructs.service \
	container_delivery.compliance container_delivery.scan_gate
DOCS_OUT ?= docs/api

# pdoc, configured for the reST docstrings, failing on any pdoc warning (docs/api_reference.py).
docs: setup
	$(PY) docs/api_reference.py $(DOCS_OUT) $(API_MODULES)

bench: setup
	$(PY) bench/run.py
	$(PY) bench/sync_readme.py

plan: setup
	@$(PY) -m container_delivery.plan $(ARGS)

cdk: setup
	cdk $(ARGS)

clean:
	rm -rf cdk.out audit docs/api bench/work .pytest_cache .mypy_cache .ruff_cache
