# Two commands do everything on a fresh machine (Python >= 3.10 with venv):
#   make demo   a small sweep, then its report (figures, tables, report.md)
#   make test   the whole test suite, end-to-end tests included
# Both create .venv and install the project into it first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned: 2.13.0 is the CPU build on the development machines' disk. For a CUDA
# build, install torch into .venv yourself before `make`; a satisfied pin installs nothing.
TORCH  ?= torch==2.13.0

.PHONY: install demo test test-fast lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,parquet]"
	touch $@

demo: install
	PYTHON=$(BIN)/python scripts/demo.sh

test: install
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

lint: install
	$(BIN)/ruff check reptile experiments analysis rundir tests benchmarks

bench: install
	$(BIN)/python -m benchmarks.engine

clean:
	rm -rf $(VENV) outputs multirun
