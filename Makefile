# The two commands of the README: `make run` and `make test`. Each installs what it needs
# (a virtualenv from PyPI, the Cypher linter and the /explore graph library from npm, and for
# the tests Debian's Chromium) on first use, so a fresh clone works.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed
LINTER := tools/cypher-lint/node_modules/.installed
# npm ci copies the /explore graph library here (tools/explore/copy-vendor.mjs).
EXPLORE := api/static/explore/vendor/cytoscape.min.js
CHROMIUM := /usr/bin/chromium

.PHONY: run test install browser check-python

check-python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "crimegraph needs Python 3.11 or newer (set PYTHON=...)")'

$(INSTALLED): pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

$(LINTER): tools/cypher-lint/package.json tools/cypher-lint/package-lock.json
	npm ci --prefix tools/cypher-lint --no-audit --no-fund --loglevel=error
	touch $@

$(EXPLORE): tools/explore/package.json tools/explore/package-lock.json tools/explore/copy-vendor.mjs
	npm ci --prefix tools/explore --no-audit --no-fund --loglevel=error
	touch $@

# Headless Chromium renders the briefings and /explore in the tests (Debian's package).
$(CHROMIUM):
	bash tools/browser/install.sh

install: $(INSTALLED) $(EXPLORE)

browser: $(CHROMIUM)

# Starts the embedded engine, loads the seed dataset, serves the API on 127.0.0.1:8000.
run: $(INSTALLED) $(EXPLORE)
	$(VENV)/bin/crimegraph serve --seed

# Lint, type-check, then the whole suite against a real engine.
test: $(INSTALLED) $(LINTER) $(EXPLORE) $(CHROMIUM)
	$(VENV)/bin/ruff check graph api seed tests benchmarks
	$(VENV)/bin/ruff format --check graph api seed tests benchmarks
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest
