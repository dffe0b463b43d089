# sentimon: `make up` installs and starts the native stack, `make test` runs every test.
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
# The native stack's binaries (Loki, Alloy and Grafana come from Grafana's apt repository).
APT_STACK := prometheus prometheus-alertmanager prometheus-node-exporter
# Compose where no Docker engine runs: Debian's podman (runc, netavark and aardvark-dns for
# DNS by service name), and debootstrap for the base images no registry gives.
APT_PODMAN := podman runc netavark aardvark-dns catatonit
APT_COMPOSE := debootstrap
APT_TEST := $(APT_RUN) $(APT_STACK) chromium chromium-driver rsyslog $(APT_PODMAN) $(APT_COMPOSE)
CRD_SCHEMAS := tests/deploy/crd_schemas

.PHONY: help generate install-dev up down compose-up compose-down install-compose apt-podman demo demo-fast serve install install-test lock test test-fast lint bench-model clean vendor-uplot

help:
	@echo "make up          install everything, start the native stack (Ctrl-C stops it)"
	@echo "make down        stop a stack started with SENTIMON_STACK_DETACH=1 make up"
	@echo "make compose-up  the same stack as containers (deploy/compose.yaml; Docker, else podman)"
	@echo "make compose-down stop the containers, keep their data volumes"
	@echo "make serve       only the API on :8000"
	@echo "make demo        the alert drill: stack up with faults on, alerts from calm to firing to resolved"
	@echo "make demo-fast   the same in about ten minutes (rules and routes with every wait divided by 20)"
	@echo "make test        install everything and run the whole test suite"
	@echo "make test-fast   unit tests only (no servers, no browser, no apt): under a minute"
	@echo "make lint        ruff"
	@echo "make generate    rewrite every generated file (rules, dashboards, Kubernetes objects); CHECK=1 only checks"
	@echo "make lock        refresh requirements/*.txt, the hashed lock files every install uses (LOCK_ARGS=--upgrade)"
	@echo "make bench       the API against bare FastAPI over HTTP, the model, start-up (BENCH_ARGS=--quick)"
	@echo "make bench-model single-text latency and batch throughput of the model"
	@echo "make vendor-uplot fetch the console's pinned charting library again (npm, checksum checked)"

up: install
	$(BIN)/sentimon stack up $(if $(SENTIMON_STACK_DETACH),--detach)

down:
	$(BIN)/sentimon stack down

# Docker where its daemon answers; otherwise Debian's podman, set up by `sentimon compose`
# from deploy/podman/containers.conf (nothing system-wide changes).
# (The native stack's binaries are not needed: Prometheus and the rest run in containers.)
install-compose: $(BIN)/python
	$(call apt_install,$(APT_RUN) $(APT_COMPOSE))
	@if command -v docker >/dev/null && docker version 2>/dev/null | grep -q '^Server: Docker'; then :; else \
	  $(MAKE) --no-print-directory apt-podman; fi
	$(BIN)/pip install -q --require-hashes -r requirements/runtime.txt -r requirements/compose.txt
	$(BIN)/pip install -q --no-deps -e .

apt-podman:
	$(call apt_install,$(APT_PODMAN))

compose-up: install-compose
	$(BIN)/sentimon compose up

compose-down:
	$(BIN)/sentimon compose down

demo: install
	$(BIN)/sentimon demo

demo-fast: install
	$(BIN)/sentimon demo --fast

serve:
	$(BIN)/sentimon serve

# $(1): Debian packages to install when missing. $(2): those among them whose system
# service Debian starts on install: freshly installed ones are stopped and disabled,
# because `sentimon stack` runs them itself on the same ports (a service you had
# before is left alone; `sentimon stack up` names it if it holds a port).
define apt_install
	@if command -v apt-get >/dev/null; then \
	  missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	  if [ -n "$$missing" ]; then \
	    echo "apt-get install $$missing"; \
	    $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	    for unit in $$missing; do \
	      case " $(2) " in *" $$unit "*) ;; *) continue;; esac; \
	      [ -d /run/systemd/system ] || continue; \
	      echo "systemctl disable --now $$unit: sentimon stack runs it (undo: systemctl enable --now $$unit)"; \
	      $(SUDO) systemctl disable --now --quiet $$unit || true; \
	    done; \
	  fi; \
	else echo "no apt-get: install these yourself: $(1)"; fi
endef

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Each pip or npm install runs again only when what it installs from changed: a stamp
# file in the venv (or npm's own record in node_modules) is newer than its inputs.
install: $(VENV)/.installed-runtime
	$(call apt_install,$(APT_RUN) $(APT_STACK),$(APT_STACK))

$(VENV)/.installed-runtime: requirements/runtime.txt pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q --require-hashes -r requirements/runtime.txt
	$(BIN)/pip install -q --no-deps -e .
	@touch $@

# What the unit tests need: the locked dev and train packages and PyTorch, no apt, no npm.
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: requirements/dev.txt pyproject.toml | $(BIN)/python
	@# The lock first: it holds torch's dependencies too, so torch adds only itself.
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	$(BIN)/pip install -q "$(TORCH)"
	$(BIN)/pip install -q --no-deps -e .
	@touch $@ $(VENV)/.installed-runtime

install-test: install-dev $(CRD_SCHEMAS)/node_modules/.package-lock.json
	$(call apt_install,$(APT_TEST),$(APT_STACK))

# The Prometheus Operator's CRD schemas for the Kubernetes tests (pinned in its lock file).
$(CRD_SCHEMAS)/node_modules/.package-lock.json: $(CRD_SCHEMAS)/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix $(CRD_SCHEMAS) --no-audit --no-fund --loglevel=error; \
	else echo "no npm: the CRD schema tests will skip (install Node.js and npm)"; fi

# The lock files (docs/development.md#reproducible-installs), written by a pinned uv. Each
# keeps its pins unless pyproject.toml asks otherwise; LOCK_ARGS=--upgrade moves them all to
# the newest releases, LOCK_ARGS="--upgrade-package fastapi" one. dev.txt is resolved first,
# then runtime.txt within it, so the tests run the versions that ship. TORCH_WHEELS holds
# the CPU build of requirements/torch.in: its dependencies are locked, not CUDA's.
UV_VERSION := 0.13.10
TORCH_WHEELS ?= /opt/wheels
UV_COMPILE = $(BIN)/uv pip compile --quiet --no-config --universal --python-version 3.11 \
	--generate-hashes --no-strip-extras --custom-compile-command "make lock" $(LOCK_ARGS)

lock: $(BIN)/python
	$(BIN)/pip install -q "uv==$(UV_VERSION)"
	$(UV_COMPILE) pyproject.toml --extra dev --extra train -c requirements/torch.in \
	  --find-links $(TORCH_WHEELS) --no-emit-package torch -o requirements/dev.txt
	$(UV_COMPILE) pyproject.toml -c requirements/dev.txt -o requirements/runtime.txt
	$(UV_COMPILE) requirements/onnxruntime-gpu.in -c requirements/runtime.txt \
	  -o requirements/onnxruntime-gpu.txt
	$(UV_COMPILE) requirements/compose.in -c requirements/dev.txt -o requirements/compose.txt

# Whole files to parallel workers (docs/development.md#the-test-suite): the drills mostly
# wait on Prometheus windows, so four share two cores. `sentimon stack check` runs inside
# (tests/integration/test_stack.py), once.
PYTEST_WORKERS ?= 4
test: install-test
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

test-fast: install-dev
	$(BIN)/pytest tests/unit -n 2 $(PYTEST_ARGS)

# Every committed file made from another source, in dependency order (docs/development.md).
generate:
	$(BIN)/python -m sentimon_generate $(if $(CHECK),--check)

lint:
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

bench:
	$(call apt_install,wrk)
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

bench-model:
	$(BIN)/python benchmarks/model.py

vendor-uplot:
	scripts/vendor-uplot.sh

clean:
	rm -rf $(VENV) $(CRD_SCHEMAS)/node_modules .pytest_cache .ruff_cache logs .sentimon
