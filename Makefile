# lecturer_pipeline — every set-up step lives here, so `make demo` and `make test` work on a fresh Debian machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# The embedded default keeps everything in ./.lecturer (git-ignored); export your own LECTURER_HOME to move it.
export LECTURER_HOME ?= $(CURDIR)/.lecturer
export DAGSTER_HOME ?= $(LECTURER_HOME)/dagster
export GRADIO_ANALYTICS_ENABLED := False
export HF_HUB_OFFLINE := 1
export HF_HUB_DISABLE_TELEMETRY := 1

# libreoffice-impress converts PPTX decks to PDF (headless); gcc + python3-dev build webrtcvad (resemblyzer's
# voice activity detector) from its sdist.
RUNTIME_PACKAGES := ffmpeg espeak-ng libreoffice-impress gcc python3-dev
# The tests' S3 server (Ceph RADOS Gateway), and the Celery test's RabbitMQ and Redis (used when they answer on
# 127.0.0.1:5672 / 6379, else started on free ports); PostgreSQL is installed by the tests only if none answers.
TEST_PACKAGES := ceph-mon ceph-osd radosgw ceph-common chromium rabbitmq-server redis-server

.PHONY: install demo test dev studio lint clean system-packages test-packages

# Install Debian packages that are missing (apt-get update only when something must be installed).
define apt_install
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi
endef

system-packages:
	$(call apt_install,$(RUNTIME_PACKAGES))

test-packages:
	$(call apt_install,$(TEST_PACKAGES))

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e ".[test]"
	@touch $@

install: system-packages $(VENV)/.installed

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	@mkdir -p $(DAGSTER_HOME)
	cp dagster.yaml $@

demo: install $(DAGSTER_HOME)/dagster.yaml
	@$(BIN)/lecturer-pipeline demo

test: install test-packages
	$(BIN)/ruff check lecturer_pipeline lecturer_pipeline_tests
	$(BIN)/lint-imports
	$(BIN)/pytest -p no:cacheprovider -n 3 --dist worksteal --durations=15

lint: $(VENV)/.installed
	$(BIN)/ruff check lecturer_pipeline lecturer_pipeline_tests
	$(BIN)/ruff format --check lecturer_pipeline lecturer_pipeline_tests

# The Dagster UI on http://127.0.0.1:3000: webserver and daemon as two processes (not `dagster dev`, which ignores
# SIGTERM when backgrounded); Ctrl-C stops both.
dev: install $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/lecturer-pipeline pools
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/dagster-daemon run -w workspace.yaml & \
	$(BIN)/dagster-webserver -h 127.0.0.1 -p 3000 -w workspace.yaml & \
	wait

# The instructor studio on http://127.0.0.1:7860 (LECTURER_STUDIO_AUTH=user:password to ask for a password).
studio: install
	$(BIN)/lecturer-pipeline studio

clean:
	rm -rf $(VENV) .lecturer .pytest_cache .ruff_cache *.egg-info

# Performance figures against the stand-ins on real S3 + PostgreSQL (bench/README.md): one table on stdout and
# bench/results.json; over two and a half hours on 2 cores (figures 1–5 alone about an hour, see README).
.PHONY: bench
bench: install test-packages
	$(BIN)/python -m bench.run

# Past one machine, on one machine (README "Past one machine"): webserver, daemon and two dagster-celery workers (one
# also on the render queue) over RabbitMQ and Redis, sharing only PostgreSQL and S3 (Ceph RGW) — what the Celery test
# starts. It prints the UI's URL and an env file for the CLI; Ctrl-C stops and removes all of it.
.PHONY: cluster
cluster: install test-packages
	$(BIN)/python -m lecturer_pipeline.standins.servers.cluster
