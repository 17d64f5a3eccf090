# The single entry point. `make run` and `make test` need only Python 3.11 and make.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run dev test lint fmt typecheck messages bench bench-pages install clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,embedded]"
	touch $(STAMP)

install: $(STAMP)

## Run the system: embedded PostgreSQL + Redis unless DATABASE_URL / REDIS_URL are set,
## migrations, demo data, demo users, web server + Celery worker + beat. Served the way
## production is: gunicorn, DEBUG off, static files collected and served by WhiteNoise.
run: $(STAMP)
	$(BIN)/python -m config.stack run

## The same for engineers: Django's autoreloading development server with DEBUG on.
dev: $(STAMP)
	$(BIN)/python -m config.stack dev

## The whole test suite against real PostgreSQL and Redis, with ruff and makemigrations --check.
test: $(STAMP)
	$(BIN)/python -m config.stack test

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

fmt: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/python -m config.stack exec $(BIN)/mypy core households assistance poverty transitions verification config

## Extract UI strings into locale/*/LC_MESSAGES/django.po (needs GNU gettext).
messages: $(STAMP)
	$(BIN)/python -m config.stack exec $(BIN)/python manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var

bench: $(STAMP)
	for b in bench/*.py; do $(BIN)/python -m config.stack exec $(BIN)/python $$b || exit 1; done

## Page and API response times at 300,000 households (bench/README.md); keeps its database
## between runs (seeding ≈ 75 s, measuring ≈ 15 min on 2 cores).
bench-pages: $(STAMP)
	$(BIN)/python -m config.stack exec $(BIN)/python bench/pages.py --reuse --keep

clean:
	rm -rf $(VENV) var
