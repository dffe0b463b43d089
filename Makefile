# sentimon: `make up` installs and starts the service, `make test` runs every test.
# Both install what they need: Debian packages with apt-get (through sudo when not
# root) and Python packages into .venv.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch==2.13.0 is the CPU build these machines hold on disk; elsewhere pip fetches it.
TORCH ?= torch==2.13.0
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# What each target needs from Debian.
APT_RUN := python3 python3-venv python3-pip ca-certificates curl
APT_TEST := $(APT_RUN) chromium chromium-driver rsyslog prometheus prometheus-alertmanager prometheus-node-exporter

.PHONY: help up serve install install-test system-packages test test-fast lint bench-model clean

help:
	@echo "make up          install everything and start the API on :8000"
	@echo "make test        install everything and run the whole test suite"
	@echo "make test-fast   unit tests only (no servers, no browser)"
	@echo "make lint        ruff"
	@echo "make bench-model single-text latency and batch throughput of the model"

up: install serve

serve:
	$(BIN)/sentimon serve

define apt_install
	@if command -v apt-get >/dev/null; then \
	  missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "apt-get install $$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	  fi; \
	else echo "no apt-get: install these yourself: $(1)"; fi
endef

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

install: $(BIN)/python
	$(call apt_install,$(APT_RUN))
	$(BIN)/pip install -q -e .

install-test: $(BIN)/python
	$(call apt_install,$(APT_TEST))
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q -e ".[dev,train]"

test: install-test
	$(BIN)/pytest

test-fast: install-test
	$(BIN)/pytest tests/unit

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench-model:
	$(BIN)/python benchmarks/model.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache logs
