# cloud_commerce: `make demo` and `make test` (see README.rst)

PYTHON ?= python3.11
HOST ?= 127.0.0.1
PORT ?= 8000
SHIPSTATION_PORT ?= 8701
SQUARE_PORT ?= 8702
DATABASE ?= demo
SAO_VERSION ?= ~8.0
CHROMIUM ?= /usr/bin/chromium
PYTEST_ARGS ?=

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
SITE := $(VENV)/lib/python3.11/site-packages
MODULE_LINK := $(SITE)/trytond/modules/cloud_commerce
PACKAGE := trytond.modules.cloud_commerce
CACHE := .cache
REQUIREMENTS := $(CACHE)/requirements.txt
DEPS_STAMP := $(VENV)/.cloud-commerce-deps
SAO_DIR := $(CACHE)/sao
SAO_STAMP := $(SAO_DIR)/.installed
VAR := var
CONFIG := $(VAR)/trytond.conf
DB_DIR := $(VAR)/db
DEMO_BUILT := $(VAR)/$(DATABASE).built
DEMO_UPDATED := $(VAR)/$(DATABASE).updated
SERVE_ARGS = --host $(HOST) --port $(PORT) \
	--shipstation-port $(SHIPSTATION_PORT) --square-port $(SQUARE_PORT)
# What shapes the database: a newer file updates the demo database
MODULE_SOURCES := $(wildcard tryton.cfg *.xml *.py models/*.py \
	wizards/*.py view/*.xml data/*.xml security/*.xml locale/*.po)
BROWSER_TESTS := $(patsubst tests/%.py,$(PACKAGE).tests.%,\
	$(wildcard tests/test_browser_*.py))

.PHONY: all install install-python install-sao check-python check-node \
	demo demo-db demo-reset test lint test-sqlite test-postgresql \
	test-browser clean

all: test

# --- install ---------------------------------------------------------------

check-python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
		echo "make: $(PYTHON) not found: install Python 3.11" \
			"(e.g. apt-get install python3.11 python3.11-venv)" >&2; \
		exit 1; }

check-node:
	@command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 \
		|| { echo "make: node and npm not found: install Node.js with" \
			"npm (e.g. apt-get install nodejs npm)" >&2; exit 1; }

$(PY):
	@$(MAKE) --no-print-directory check-python
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

install: $(if $(wildcard $(PY)),,check-python) install-sao install-python

install-python: $(PY)
	@$(PY) demo/requirements.py --output $(REQUIREMENTS)
	@$(MAKE) -q $(DEPS_STAMP) 2>/dev/null \
		|| $(MAKE) --no-print-directory $(DEPS_STAMP)
	@mkdir -p $(dir $(MODULE_LINK))
	@[ "$$(readlink $(MODULE_LINK))" = "$(CURDIR)" ] \
		|| ln -sfn "$(CURDIR)" $(MODULE_LINK)
	@[ -x $(VENV)/bin/cloud-commerce-sandbox ] || { \
		printf '%s\n' '#!$(CURDIR)/$(PY)' 'import sys' \
			'from $(PACKAGE).sandbox.cli import main' \
			'sys.exit(main())' > $(VENV)/bin/cloud-commerce-sandbox; \
		chmod +x $(VENV)/bin/cloud-commerce-sandbox; }

$(DEPS_STAMP): $(REQUIREMENTS)
	$(PY) -m pip install -q -r $(REQUIREMENTS)
	@touch $@

install-sao: $(SAO_STAMP)

$(SAO_STAMP):
	@$(MAKE) --no-print-directory check-node
	rm -rf $(SAO_DIR) && mkdir -p $(SAO_DIR)
	cd $(CACHE) && npm pack --silent tryton-sao@'$(SAO_VERSION)' \
		> sao-package.txt
	tar -xzf $(CACHE)/$$(tail -n1 $(CACHE)/sao-package.txt) \
		-C $(SAO_DIR) --strip-components=1
	cd $(SAO_DIR) && npm install --silent --omit=dev --legacy-peer-deps \
		--no-audit --no-fund
	@touch $@

# --- demo ------------------------------------------------------------------

demo: install
	@$(PY) -m $(PACKAGE).demo.serve --check-only $(SERVE_ARGS)
	@$(PY) -m $(PACKAGE).demo.build --config $(CONFIG) \
		--database-dir $(DB_DIR) --database $(DATABASE) \
		--sao-root $(SAO_DIR) --listen $(HOST):$(PORT) --config-only
	@$(MAKE) --no-print-directory demo-db
	@$(PY) -m $(PACKAGE).demo.serve --config $(CONFIG) \
		--database $(DATABASE) $(SERVE_ARGS)

demo-db:
	@[ -e $(DEMO_BUILT) ] || $(MAKE) --no-print-directory $(DEMO_BUILT)
	@$(MAKE) -q $(DEMO_UPDATED) 2>/dev/null \
		|| $(MAKE) --no-print-directory $(DEMO_UPDATED)

$(DEMO_BUILT):
	$(PY) -m $(PACKAGE).demo.build --config $(CONFIG) \
		--database-dir $(DB_DIR) --database $(DATABASE) \
		--sao-root $(SAO_DIR) --listen $(HOST):$(PORT)
	@touch $@ && touch $(DEMO_UPDATED)

# Re-run the module update when a source file is newer than the database
$(DEMO_UPDATED): $(MODULE_SOURCES)
	$(PY) -m $(PACKAGE).demo.build --config $(CONFIG) \
		--database-dir $(DB_DIR) --database $(DATABASE) \
		--sao-root $(SAO_DIR) --listen $(HOST):$(PORT) --update
	@touch $@

demo-reset:
	rm -f $(DB_DIR)/$(DATABASE).sqlite $(DEMO_BUILT) $(DEMO_UPDATED)
	@$(MAKE) --no-print-directory demo

# --- test ------------------------------------------------------------------

# The two database suites run side by side, one Python process per core;
# make -O prints the output of each whole, when it ends
DATABASE_SUITES := test-sqlite test-postgresql

test: install
	@mkdir -p $(CACHE); rm -f $(CACHE)/*.failed; \
	$(MAKE) --no-print-directory lint || touch $(CACHE)/lint.failed; \
	$(MAKE) --no-print-directory -j2 -k -O \
		$(addprefix suite-,$(DATABASE_SUITES)) || true; \
	$(MAKE) --no-print-directory test-browser \
		|| touch $(CACHE)/test-browser.failed; \
	failed=$$(cd $(CACHE) && ls *.failed 2>/dev/null \
		| sed 's/\.failed$$//' | xargs); \
	if [ -n "$$failed" ]; then \
		echo "make test: FAILED: $$failed"; exit 1; \
	fi; \
	echo "make test: all suites passed"

suite-%:
	@$(MAKE) --no-print-directory $* || { touch $(CACHE)/$*.failed; exit 1; }

lint: $(PY)
	@echo "== ruff check ."
	$(VENV)/bin/ruff check .

test-sqlite: install-python
	@echo "== tests on SQLite"
	@hash=$$($(PY) demo/testing.py source-hash); \
	find $(CACHE)/tryton-db-sqlite -mindepth 1 -maxdepth 1 \
		! -name "$$hash" -exec rm -rf {} + 2>/dev/null || true
	TRYTOND_DATABASE_URI=sqlite:// DB_NAME=:memory: \
	DB_CACHE=$(CACHE)/tryton-db-sqlite/$$($(PY) demo/testing.py \
		source-hash) \
	$(PY) -m pytest -q -p no:cacheprovider \
		--ignore-glob='*/test_browser_*' $(PYTEST_ARGS) \
		--pyargs $(PACKAGE).tests

test-postgresql: install-python
	@uri=$$($(PY) demo/testing.py postgresql-uri); \
	if [ -z "$$uri" ]; then \
		echo "== tests on PostgreSQL skipped: no server answers" \
			"(set TRYTOND_DATABASE_URI or start one on 127.0.0.1:5432)"; \
		exit 0; \
	fi; \
	echo "== tests on PostgreSQL ($$uri)"; \
	hash=$$($(PY) demo/testing.py source-hash) && \
	$(PY) demo/testing.py prune-postgresql "$$uri" "$$hash" \
		$(CACHE)/tryton-db-postgresql.hash && \
	name=test_cc_$$$$; \
	TRYTOND_DATABASE_URI="$$uri" DB_NAME=$$name \
	DB_CACHE=postgresql:// \
	$(PY) -m pytest -q -p no:cacheprovider \
		--ignore-glob='*/test_browser_*' $(PYTEST_ARGS) \
		--pyargs $(PACKAGE).tests; \
	status=$$?; \
	$(PY) demo/testing.py drop-database "$$uri" $$name; \
	exit $$status

test-browser: install
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "== browser tests skipped: $(CHROMIUM) not found" \
			"(apt-get install chromium)"; \
		exit 0; \
	fi; \
	if [ -z "$(BROWSER_TESTS)" ]; then \
		echo "== browser tests skipped: none found"; exit 0; \
	fi; \
	echo "== browser tests ($(CHROMIUM))"; \
	CC_SAO_ROOT=$(CURDIR)/$(SAO_DIR) CC_CHROMIUM=$(CHROMIUM) \
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS) \
		--pyargs $(BROWSER_TESTS)

clean:
	rm -rf $(CACHE) $(VAR) artifacts
