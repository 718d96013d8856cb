# physml: two commands on a fresh machine.
#   make test   set everything up, then run ruff and the test suite
#   make check  the fast tier: ruff and the tests not marked slow (under two minutes on two cores)
#   make demo   set everything up, then run the lab's quick catalogue and print the report's path
#   make bench  set everything up, then time physml against baselines (benchmarks/)
# Each target is idempotent: the virtual environment is made and refreshed only when needed.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.physml-installed
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
DEMO_DIR ?= physml-runs/demo

.PHONY: setup data test check demo bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,collider]'
	@touch $(STAMP)

# Fashion-MNIST ships as a Debian package; install it when its files are absent and apt is there.
data:
	@if [ -n "$$PHYSML_DATA" ] || [ -f $(FASHION) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "note: Fashion-MNIST not found and apt-get is unavailable; set PHYSML_DATA (see README)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
		echo "note: run 'apt-get install dataset-fashion-mnist' as root, or set PHYSML_DATA"; exit 0; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist

lint: setup
	$(BIN)/ruff check src tests benchmarks

test: setup data lint
	$(BIN)/python -m pytest -q

check: setup data lint
	$(BIN)/python -m pytest -q -m 'not slow'

demo: setup data
	$(BIN)/physml lab --quick --out $(DEMO_DIR) --resume

bench: setup data
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) physml-runs .pytest_cache .ruff_cache build src/*.egg-info
