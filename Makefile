# Two commands a newcomer needs: `make demo` and `make test`. Only Python 3.11+ and make.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DEMO_ENV := DATABASE_URL=sqlite:///data/demo.db MEDIA_DIR=data/demo-media

.PHONY: setup demo demo-db test test-long test-postgres lint format bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

## Build a demo project (a few thousand items) and chat with the bot in this terminal
## (over another platform's offline stand-in: make demo DEMO_PLATFORM=wecom).
demo: $(STAMP)
	$(DEMO_ENV) $(BIN)/python -m bot demo $(if $(DEMO_PLATFORM),--platform $(DEMO_PLATFORM))

## Only (re)build the demo database.
demo-db: $(STAMP)
	$(DEMO_ENV) $(BIN)/python -m bot demo --no-console

## Lint, then the whole test suite (on two cores).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -n 2

## The whole suite with the long hypothesis profile (the dialogue fuzz: 300 examples a step,
## random, shrinking what fails): for a nightly run. HYPOTHESIS_PROFILE=long works with any target.
test-long: $(STAMP)
	HYPOTHESIS_PROFILE=long $(BIN)/pytest -n 2

## The same suite on PostgreSQL (a server must be running; see .ci/run for one way).
TEST_DATABASE_URL ?= postgresql+psycopg://handover:handover@127.0.0.1:5432/postgres
test-postgres: $(STAMP)
	TEST_DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest -n 2

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) data/demo.db* data/demo-media .pytest_cache .ruff_cache
