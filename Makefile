# Everyday commands. `make run` and `make test` work from a clean clone: they create the
# virtualenv and install the requirements first (again only when the requirements change).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.requirements-installed

HOST ?= 127.0.0.1
PORT ?= 8000
SEED_PRODUCTS ?= 200

PG_HOST ?= 127.0.0.1
PG_PORT ?= 5432
PG_USER ?= postgres
POSTGRES_URL ?= postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/postgres

BENCH_DB ?= marketplace_bench
BENCH_DATABASE_URL ?= postgres://$(PG_USER)@$(PG_HOST):$(PG_PORT)/$(BENCH_DB)
BENCH_PRODUCTS ?= 1000000
BENCH_REQUESTS ?= 30

SCHEMA_FILE ?= $(or $(TMPDIR),/tmp)/marketplace-schema.yml

# DEBUG is off unless something turns it on (a forgotten setting must fail closed), so the
# local targets below turn it on explicitly.
DEV := DEBUG=True

.DEFAULT_GOAL := help
.PHONY: help venv run test test-postgres lint lint-imports typecheck format schema migrations-check \
	check-deploy seed bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

venv: $(STAMP) ## Create .venv and install requirements-dev.txt (only when they changed)

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

run: venv ## Migrate, seed demo data and serve http://127.0.0.1:8000 (HTTP and WebSocket, SQLite)
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py seed_demo --products $(SEED_PRODUCTS)
	@# The scheduled jobs (expiry of unpaid orders and holds, prices, emails) run in-process
	@# beside the server, and stop with it.
	$(DEV) $(PY) manage.py run_schedule & SCHEDULE=$$!; \
	trap 'kill $$SCHEDULE 2>/dev/null' EXIT INT TERM; \
	$(DEV) $(PY) manage.py runserver $(HOST):$(PORT)

test: venv ## Run the whole test suite with a coverage report (SQLite unless DATABASE_URL is set)
	$(DEV) $(PY) -m pytest --cov --cov-report=term-missing:skip-covered $(PYTEST_ARGS)

test-postgres: venv ## Run the whole test suite on PostgreSQL (pytest-django creates test_postgres)
	$(DEV) DATABASE_URL=$(POSTGRES_URL) $(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: venv ## ruff check + ruff format --check + the layer contracts (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

lint-imports: venv ## Check that apps import only the layers below them (.importlinter)
	$(VENV)/bin/lint-imports

typecheck: venv ## mypy with the Django and DRF plugins on every services.py and selectors.py
	$(DEV) $(VENV)/bin/mypy

format: venv ## Fix what ruff can fix and format the code
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

schema: venv ## Generate and validate the OpenAPI schema; warnings fail
	$(DEV) $(PY) manage.py spectacular --validate --fail-on-warn --file $(SCHEMA_FILE)
	@echo "Schema written to $(SCHEMA_FILE)"

migrations-check: venv ## Fail when a model change has no migration
	$(DEV) $(PY) manage.py makemigrations --check --dry-run

check-deploy: venv ## Django's deployment checklist with production-style settings
	DEBUG=False SECRET_KEY=make-check-deploy-k7Qp2vZ9xLm4Rt8Wb1Nc6Hy3Jd5Fs0GeUaOwTiPk \
	JWT_SIGNING_KEY=make-check-deploy-jwt-Xq2Pz9Lr4Vm8Tb1Nc6Hd3Ks5Fy0GaUeWoRi \
	ALLOWED_HOSTS=api.example.com REDIS_URL=redis://127.0.0.1:6379/0 \
	$(PY) manage.py check --deploy --fail-level WARNING

seed: venv ## Migrate and seed demo data: make seed SEED_PRODUCTS=1000000
	$(DEV) $(PY) manage.py migrate --noinput
	$(DEV) $(PY) manage.py seed_demo --products $(SEED_PRODUCTS)

bench: venv ## Catalog benchmark on PostgreSQL db marketplace_bench (created when missing)
	@psql -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) -d postgres -tAc \
		"SELECT 1 FROM pg_database WHERE datname = '$(BENCH_DB)'" | grep -q 1 \
		|| createdb -h $(PG_HOST) -p $(PG_PORT) -U $(PG_USER) $(BENCH_DB)
	$(DEV) DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) bench/catalog_bench.py \
		--products $(BENCH_PRODUCTS) --requests $(BENCH_REQUESTS)

clean: ## Remove the virtualenv, caches and coverage files (keeps db.sqlite3 and media)
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov staticfiles
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
