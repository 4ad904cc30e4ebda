# The two commands a newcomer needs: `make run` and `make test` (each sets itself up).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
STRIPE_PORT ?= 8420
export FLASK_APP := marketplace

.PHONY: install run serve test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

## Set up (venv, install, database, demo data) and serve the app on http://$(HOST):$(PORT)
run: $(STAMP)
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load
	@# localstripe (the payments API) in the background, stopped when flask exits
	$(BIN)/python -m marketplace.payments.devserver --port $(STRIPE_PORT) \
	    --webhook http://$(HOST):$(PORT)/api/v1/payments/webhook --secret whsec_elx_dev & \
	  STRIPE_PID=$$!; trap "kill $$STRIPE_PID 2>/dev/null" EXIT INT TERM; \
	  ELX_PAYMENTS_GATEWAY=stripe ELX_STRIPE_API_BASE=http://127.0.0.1:$(STRIPE_PORT) \
	  $(BIN)/flask run --host $(HOST) --port $(PORT)

## Lint, then the whole test suite on 2 workers (PostgreSQL tests run when ELX_TEST_DATABASE_URL is set)
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python bench/ledger_bench.py
	$(BIN)/python bench/upload_bench.py --via route
	$(BIN)/python bench/pipeline_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
