# Development commands. `make run` serves the demo; `make test` runs everything CI runs.
#
# Variables: PYTHON (the interpreter that makes the venv, default python3),
# PYTEST_ARGS (extra pytest arguments, e.g. `make test PYTEST_ARGS="-x -k numbering"`).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
# Reinstall only when pyproject.toml is newer than this stamp.
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# $(call pytest,ARGS,PREFIX): runs PREFIX pytest ARGS; exit code 5 (no test
# collected) is a failure, and is said so.
define pytest
	@echo "$(strip $(2) $(BIN)/pytest $(1) $(PYTEST_ARGS))"
	@rc=0; $(2) $(BIN)/pytest $(1) $(PYTEST_ARGS) || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc
endef

.PHONY: help venv install run test test-sqlite test-postgres pytest-on-postgres test-cluster lint check format messages bench

help:
	@echo "make run            venv, install, migrate, load the demo, serve on http://127.0.0.1:8000 with a background worker"
	@echo "make test           lint, then the suite on SQLite, then on a throwaway PostgreSQL"
	@echo "make test-sqlite    the suite on SQLite only (pytest -m 'not postgres')"
	@echo "make test-postgres  the whole suite on a throwaway PostgreSQL cluster"
	@echo "make test-cluster   PostgreSQL, Redis, two gunicorn, a worker and nginx, under load and faults"
	@echo "make lint           ruff check and makemigrations --check"
	@echo "make check          makemigrations --check and manage.py check"
	@echo "make format         ruff format and ruff check --fix (rewrites files)"
	@echo "make venv           create .venv and install the project with its dev tools"
	@echo "make messages       extract UI strings into locale/*/django.po and compile them (needs gettext)"

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

venv install: $(STAMP)

run: $(STAMP)
	$(PY) manage.py migrate
	@if find . -path ./$(VENV) -prune -o -path '*/locale/*.po' -print 2>/dev/null | grep -q .; then \
		if command -v msgfmt >/dev/null 2>&1; then \
			echo "$(PY) manage.py compilemessages --ignore=$(VENV)"; \
			$(PY) manage.py compilemessages --ignore=$(VENV); \
		else \
			echo "make: gettext (msgfmt) is missing: translations not compiled, the UI stays in French" >&2; \
		fi; \
	fi
	$(PY) manage.py load_demo
	@# The background worker (emails, frozen exports, notifications) runs beside
	@# the development server and stops with it.
	@echo "$(PY) manage.py db_worker & $(PY) manage.py runserver 127.0.0.1:8000"
	@$(PY) manage.py db_worker --queue-name '*' & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:8000

# The compiled catalogs (.mo) are committed, so a clone without gettext still
# speaks both languages; tests/test_i18n.py fails when they are stale.
messages: $(STAMP)
	$(PY) manage.py makemessages -l fr -l en --ignore=$(VENV) --ignore=staticfiles --no-obsolete
	$(PY) scripts/fill_french_plurals.py
	$(PY) manage.py compilemessages -l fr -l en --ignore=$(VENV)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(PY) manage.py makemigrations --check --dry-run

check: $(STAMP)
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

test: lint
	@$(MAKE) --no-print-directory test-sqlite
	@$(MAKE) --no-print-directory test-postgres

# DATABASE_URL is unset so this pass is SQLite even when the shell points elsewhere.
test-sqlite: $(STAMP)
	@echo "== the suite on SQLite"
	$(call pytest,-m 'not postgres and not cluster',env -u DATABASE_URL)

# scripts/with-postgres starts and stops the cluster around the whole run.
# Browser tests (tests/browser) run in the SQLite pass only: they exercise
# pages and scripts, not the database engine.
# Without server binaries it warns loudly and skips, except under CI=true.
test-postgres: $(STAMP)
	@echo "== the whole suite on a throwaway PostgreSQL cluster"
	scripts/with-postgres --or-skip $(MAKE) --no-print-directory pytest-on-postgres

# Inside scripts/with-postgres: first make sure Django really talks to it.
pytest-on-postgres: $(STAMP)
	@test -n "$$DATABASE_URL" || { echo "make: DATABASE_URL is not set" >&2; exit 1; }
	@$(PY) manage.py shell --verbosity 0 -c "from django.db import connection as c; \
		assert c.vendor == 'postgresql', 'DATABASE_URL did not reach PostgreSQL: ' + c.vendor"
	$(call pytest,-m 'not browser and not cluster')

# The production shape on this machine (tests/cluster): a throwaway
# PostgreSQL, Redis, two gunicorn app servers, one db_worker and nginx with
# TLS, all on 127.0.0.1, then load and faults (docs/DEPLOY.md). Without the
# services it skips loudly, except under CI=true.
test-cluster: $(STAMP)
	@echo "== the cluster: load and faults through nginx"
	@started=$$(date +%s); rc=0; \
	$(BIN)/pytest tests/cluster -m cluster -p no:randomly -s -q $(PYTEST_ARGS) || rc=$$?; \
	echo "make: test-cluster took $$(( $$(date +%s) - started )) s"; \
	if [ $$rc -eq 5 ]; then echo "make: pytest collected no tests: that is a failure" >&2; fi; \
	exit $$rc

# Benchmarks (bench/README.md): pages, exports and writes as a consultation
# grows (1,000 / 10,000 / 100,000 contributions), then the real-data imports.
# A throwaway SQLite file by default; on PostgreSQL: scripts/with-postgres make bench.
# Extra arguments: make bench BENCH_ARGS="--sizes 1000,10000 --explain".
BENCH_ARGS ?=
bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)
	$(PY) bench/imports.py
