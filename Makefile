# Two commands do everything on a fresh machine (Python >= 3.10 with venv):
#   make demo   a small sweep, then its report (figures, tables, report.md)
#   make test   the test suite (make test-slow: the long end-to-end tests, which CI runs too)
# Both create .venv and install the project into it first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch first, pinned: 2.13.0 is the CPU build on the development machines' disk. For a CUDA
# build, install torch into .venv yourself before `make`; a satisfied pin installs nothing.
TORCH  ?= torch==2.13.0

.PHONY: install demo test test-slow test-all lint bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH)"
	$(BIN)/python -m pip install -q -e ".[dev,parquet]"
	touch $@

demo: install
	PYTHON=$(BIN)/python scripts/demo.sh

test: install
	$(BIN)/python -m pytest -m "not slow"

test-slow: install
	$(BIN)/python -m pytest -m slow

test-all: test test-slow

lint: install
	$(BIN)/ruff check .

bench: install
	$(BIN)/python -m benchmarks.engine

clean:
	rm -rf $(VENV) outputs multirun
