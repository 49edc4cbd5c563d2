# The front door. Only python3 and make are needed; everything else lands in .venv.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint schema bench migrate demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/seddel run

migrate: $(STAMP)
	$(BIN)/seddel migrate

demo: $(STAMP)
	$(BIN)/seddel demo

lint: $(STAMP)
	$(BIN)/ruff check app tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

# Each worker has a database of its own; a test file stays on one worker, so a module's world
# is built once. TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile

schema: $(STAMP)
	$(BIN)/seddel schema

bench: $(STAMP)
	$(BIN)/seddel bench

clean:
	rm -rf $(VENV) .data .mypy_cache .ruff_cache .pytest_cache
