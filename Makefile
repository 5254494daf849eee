# The two commands: `make serve` and `make test`. Both build .venv from requirements.lock.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

NODE_STAMP := node_modules/.installed

.PHONY: serve test lint lock bench clean

$(STAMP): requirements.lock setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

# axe-core for the browser tests (package-lock.json pins it); reinstalled when the lock changes.
$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $(NODE_STAMP)

## Serve the forum on SQLite at http://127.0.0.1:5000 with a seeded demo community.
serve: $(STAMP)
	$(BIN)/forum db upgrade
	$(BIN)/forum demo --if-empty
	$(BIN)/forum run --host $(HOST) --port $(PORT)

## Run the whole test suite (SQLite; PostgreSQL too when FORUM_TEST_PG_URL is set).
test: $(STAMP) $(NODE_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check forum tests bench

## Re-pin requirements.lock from the ranges in setup.cfg.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/pip install --quiet --upgrade pip
	.lockvenv/bin/pip install --quiet '.[test]'
	{ echo "# Pinned dependencies (runtime and test), installed by 'make serve' and 'make test'."; \
	  echo "# Regenerate: make lock (installs setup.cfg's ranges in a scratch venv and freezes them)."; \
	  .lockvenv/bin/pip freeze --exclude-editable | grep -v '^forum=='; } > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) *.egg-info node_modules
