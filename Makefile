# Two entry points for a fresh clone: `make demo` and `make test`.
# Everything is installed into .venv from the package registry; nothing is
# downloaded at run time.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test bench eval lint clean

$(BIN)/cyberops: pyproject.toml requirements/models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-deps --require-hashes -r requirements/models.txt
	$(BIN)/python -m pip install --quiet -e ".[test,ray]"
	$(BIN)/cyberops kb build >/dev/null
	touch $(BIN)/cyberops

install: $(BIN)/cyberops

# The main job on the embedded default: analyze the example articles, show the human view,
# then keep them in the embedded SQLite store and show the dossiers they open.
demo: install
	$(BIN)/cyberops analyze examples/ --pretty
	$(BIN)/cyberops ingest examples/
	$(BIN)/cyberops dossiers

test: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/python -m pytest

# Speed and extraction figures (reads ../shared/corpus).
bench: install
	$(BIN)/cyberops bench

eval: install
	$(BIN)/cyberops eval ../shared/corpus/dev/*.jsonl

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
