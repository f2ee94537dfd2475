# The two commands of the README: `make run` (the portal with demo data at http://127.0.0.1:8000) and `make test`.
# Both create .venv and install requirements/dev.txt when the requirements changed since the last install.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.requirements-installed
MANAGE := $(BIN)/python manage.py
# Same default as settings/base.py, so the logins file sits beside the SQLite database.
VAR_DIR := $(or $(PORTAL_VAR_DIR),var)
DEMO_LOGINS := $(VAR_DIR)/demo-logins.txt
DEMO_REQUESTS ?= 2000
PYTEST_ARGS ?=
# The benchmark fills and measures its own PostgreSQL database (created when missing).
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/portal_bench
BENCH_ARGS ?=

.PHONY: help install system system-test system-bench messages run test lint bench

help:
	@echo "make run    start the portal (web, worker, beat) with demo data on http://127.0.0.1:8000"
	@echo "make test   run the test suite (SQLite by default; PostgreSQL when DATABASE_URL is set)"
	@echo "make lint   ruff and mypy over the whole tree"
	@echo "make bench  the benchmark at a million requests on PostgreSQL (BENCH_DATABASE_URL, BENCH_ARGS)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstalls only when a requirements file is newer than the last successful install.
$(STAMP): requirements/base.txt requirements/dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $(STAMP)

# Debian packages the portal needs (msgfmt for the French catalogue; Pango and a font for the PDF report) and, for
# the tests, Chromium for the browser tests. Installed when missing and run as root; otherwise named, and the make
# stops, so nothing fails later for a reason nobody sees.
RUN_DEBS := gettext libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_DEBS := chromium
# The benchmark's load test drives gunicorn with wrk.
BENCH_DEBS := wrk

define ensure_debs
	@missing=$$(for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "Installing Debian packages: $$missing"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing </dev/null >/dev/null; \
		else \
			echo "Missing Debian packages: $$missing (sudo apt-get install $$missing)" >&2; exit 1; \
		fi; \
	fi
endef

system:
	$(call ensure_debs,$(RUN_DEBS))

system-test:
	$(call ensure_debs,$(TEST_DEBS))

system-bench:
	$(call ensure_debs,$(BENCH_DEBS))

messages: $(STAMP) system
	$(MANAGE) compilemessages --ignore=.venv --ignore=var --ignore=node_modules -v 0

install: $(STAMP) system messages

run: install
	$(MANAGE) migrate --noinput -v 1
	@# Demo data goes in once; it is loaded again only when the logins file is gone, since a new run resets the
	@# demo password and prints it (load_demo_data adds only what is missing and loads the reference data itself).
	@if $(MANAGE) help load_demo_data >/dev/null 2>&1 && { [ ! -f $(DEMO_LOGINS) ] || ! $(MANAGE) shell -v 0 -c \
		"import sys; from requests_app.models import CooperationRequest as R; sys.exit(0 if R.objects.exists() else 1)"; }; then \
		echo "Loading demo data ($(DEMO_REQUESTS) requests)"; \
		mkdir -p $(VAR_DIR); \
		PYTHONUNBUFFERED=1 $(MANAGE) load_demo_data --requests $(DEMO_REQUESTS) | tee $(DEMO_LOGINS).out; \
		sed -n '/^Log in at/,$$p' $(DEMO_LOGINS).out > $(DEMO_LOGINS); \
		rm -f $(DEMO_LOGINS).out; chmod 600 $(DEMO_LOGINS); \
	elif $(MANAGE) help load_reference_data >/dev/null 2>&1; then \
		echo "Demo data already loaded (logins in $(DEMO_LOGINS)); updating the reference data"; \
		$(MANAGE) load_reference_data; \
	fi
	$(MANAGE) collectstatic --noinput -v 0
	@echo
	@echo "================================================================"
	@echo " Cooperation Portal: http://127.0.0.1:8000"
	@if [ -f $(DEMO_LOGINS) ]; then echo " Demo logins ($(DEMO_LOGINS)):"; sed 's/^/   /' $(DEMO_LOGINS); fi
	@echo " Stop with Ctrl+C."
	@echo "================================================================"
	@echo
	exec $(BIN)/honcho start --procfile Procfile

test: install system-test
	@rc=0; $(BIN)/pytest $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: treated as a failure" >&2; fi; \
	exit $$rc

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy .

bench: install system-bench
	DATABASE_URL=$(BENCH_DATABASE_URL) PYTHONUNBUFFERED=1 $(BIN)/python benchmarks/run.py $(BENCH_ARGS)
