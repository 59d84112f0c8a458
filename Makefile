# DealerCRM: `make demo` serves a populated demo dealership, `make test` runs the tests.
# Needs only Python 3.11 and make; everything else is installed into .venv.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CUSTOMERS ?= 5000
DEMO_SEED ?= 42
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: install demo serve test lint format messages assets clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "DealerCRM needs Python 3.11; set PYTHON=/path/to/python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --customers $(DEMO_CUSTOMERS) --seed $(DEMO_SEED) --if-empty
	$(BIN)/python manage.py seed_demo_work --months 12 --seed $(DEMO_SEED) --if-empty
	@echo "Serving the demo dealership on http://$(HOST):$(PORT)/ (Ctrl-C stops it)"
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

serve: install
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Rebuild the translation catalogues after changing user-facing strings (needs GNU gettext).
messages: install
	$(BIN)/python manage.py makemessages --locale zh_Hans --locale en --no-obsolete --ignore '.venv/*' --ignore 'var/*'
	$(BIN)/python manage.py compilemessages --ignore '.venv/*'

# Rebuild the vendored front-end files in static/vendor/ from assets/package-lock.json (needs
# Node.js and npm; the built files are committed, so `make demo` needs neither).
assets:
	cd assets && npm ci --no-audit --no-fund
	mkdir -p static/vendor/echarts
	cp assets/node_modules/echarts/dist/echarts.min.js assets/node_modules/echarts/LICENSE static/vendor/echarts/

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .import_linter_cache
