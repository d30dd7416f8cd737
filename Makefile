# GeneTx: the commands the README documents. Run `make help` for the list.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# The demo runs with debug off, so readers meet the site's own 404 and 500 pages, under the
# local-demo settings (GENETX_LOCAL_DEMO: plain HTTP, no key to set, WhiteNoise serves the
# static files); `make demo DJANGO_DEBUG=1` gives Django's technical pages for development.
DEMO_ENV := GENETX_LOCAL_DEMO=1 DJANGO_DEBUG=$(or $(DJANGO_DEBUG),0)
# pytest-xdist workers for make test: auto is one per core, 0 runs in one process. Each
# worker takes whole test files (--dist loadfile), so a module's shared data (browser
# content, query-budget worlds, the demo) is built once, not once per worker.
TEST_WORKERS ?= auto

.PHONY: help install demo serve test lint format lock bench clean messages

help:
	@echo "make demo     install, migrate, load the demo content, serve on http://$(HOST):$(PORT)/"
	@echo "make test     run the whole test suite (SQLite, or DATABASE_URL)"
	@echo "make lint     ruff check and format check, djLint on the templates"
	@echo "make format   apply ruff format and fixes"
	@echo "make lock     re-resolve requirements/lock.txt from pyproject.toml"
	@echo "make messages update locale/*/django.po from the code, compile the .mo (needs GNU gettext)"
	@echo "make bench    the performance benchmark on PostgreSQL (see README)"

# The virtual environment is rebuilt whenever the lock file changes.
$(BIN)/.installed: requirements/lock.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements/lock.txt
	touch $@

install: $(BIN)/.installed

demo: install
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput
	$(DEMO_ENV) $(BIN)/python manage.py setup_roles
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	$(DEMO_ENV) $(BIN)/python manage.py ensure_admin
	@echo "Serving GeneTx at http://$(HOST):$(PORT)/ (admin at http://$(HOST):$(PORT)/admin/), with the background worker for large imports; Ctrl-C stops both."
	$(DEMO_ENV) $(BIN)/python manage.py db_worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(DEMO_ENV) $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Bytecode is written even where PYTHONDONTWRITEBYTECODE is set (many container images set
# it): otherwise every run, in every worker, recompiles the project and redoes pytest's
# assertion rewriting of the test modules and of plugins such as schemathesis, about 10 s of
# CPU per process. The caches are in __pycache__ folders, which git ignores.
test: install
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/djlint templates --lint

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: install
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --output-file requirements/lock.txt pyproject.toml

# The interface's translations: collect every marked string into locale/<lang>/django.po
# (new ones arrive untranslated, changed ones fuzzy), then compile the .mo files that are
# committed, so a machine without GNU gettext serves every language. check_messages fails
# until every entry is translated again.
MESSAGES_IGNORE := --ignore='.venv/*' --ignore='tests/*' --ignore='staticfiles/*'
messages: install
	DJANGO_DEBUG=1 $(BIN)/python manage.py makemessages --all --no-location --no-obsolete $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py compilemessages $(MESSAGES_IGNORE)
	DJANGO_DEBUG=1 $(BIN)/python manage.py check_messages || true

# A dedicated PostgreSQL database (created when missing) and the two production servers;
# results in reports/. BENCH_ARGS passes options: make bench BENCH_ARGS="--scale 1000".
bench: install
	$(BIN)/python -m tests.perf.bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache test-artifacts
