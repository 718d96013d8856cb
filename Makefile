# physml: two commands on a fresh machine.
#   make test   set everything up, then run ruff and the test suite
#   make check  the fast tier: ruff and the tests not marked slow (under two minutes on two cores)
#   make demo   set everything up, then run the lab's quick catalogue and print the report's path
#   make bench  set everything up, then time physml against baselines (benchmarks/)
# Each target is idempotent: the virtual environment is made and refreshed only when needed.
# pyproject.toml gives physml's dependencies as ranges; the environment make builds takes the exact
# versions the lab's numbers were measured with from constraints.txt, so that make test and make demo
# are reproducible.

SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.physml-installed
CONSTRAINTS := constraints.txt
FASHION := /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
DEMO_DIR ?= physml-runs/demo

.PHONY: setup data browser test check demo bench lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev,collider]'
	@touch $(STAMP)

# Fashion-MNIST ships as a Debian package; install it when its files are absent and apt is there.
data:
	@if [ -n "$$PHYSML_DATA" ] || [ -f $(FASHION) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "note: Fashion-MNIST not found and apt-get is unavailable; set PHYSML_DATA (see README)"; exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
		echo "note: run 'apt-get install dataset-fashion-mnist' as root, or set PHYSML_DATA"; exit 0; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq dataset-fashion-mnist

# The report is tested in a real browser: headless Chromium and its driver from Debian's packages,
# installed like the data set above (tests/lab/test_report_browser.py skips, saying why, where not).
browser:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
		echo "note: chromium not found and apt-get is unavailable; the browser test of the report will skip"; \
		exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then SUDO=; elif command -v sudo >/dev/null; then SUDO=sudo; else \
		echo "note: run 'apt-get install chromium chromium-driver' as root to test the report in a browser"; \
		exit 0; fi; \
	$$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver

lint: setup
	$(BIN)/ruff check src tests benchmarks

test: setup data browser lint
	$(BIN)/python -m pytest -q

check: setup data lint
	$(BIN)/python -m pytest -q -m 'not slow'

demo: setup data
	$(BIN)/physml lab --quick --out $(DEMO_DIR) --resume

bench: setup data
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) physml-runs .pytest_cache .ruff_cache build src/*.egg-info
