# The commands a developer runs. Each creates the virtual environment it needs.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint format messages compilemessages bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

demo: $(BIN)/.installed  ## run MineWatch with its demo data on SQLite (http://127.0.0.1:8000/)
	$(BIN)/minewatch demo

test: $(BIN)/.installed  ## run the whole test suite (SQLite, then PostgreSQL when it answers)
	VENV=$(VENV) bash scripts/test.sh

lint: $(BIN)/.installed
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

format: $(BIN)/.installed
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

messages: $(BIN)/.installed  ## extract translatable strings into the Spanish catalogue
	cd src/minewatch && ../../$(BIN)/minewatch manage makemessages -l es --ignore 'testing/*'

compilemessages: $(BIN)/.installed
	cd src/minewatch && ../../$(BIN)/minewatch manage compilemessages

bench: $(BIN)/.installed  ## run every benchmark (slow; prints numbers)
	for b in benchmarks/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
