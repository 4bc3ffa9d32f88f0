# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := wsgi

.PHONY: run test install lint clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

instance/secret_key: | $(BIN)/python
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_urlsafe(48))" > $@

## run: set up on SQLite, load the demo and serve it on http://127.0.0.1:5000
run: install instance/secret_key
	$(BIN)/flask db upgrade
	$(BIN)/flask demo load --if-empty
	@echo "Cocreate is starting on http://$(HOST):$(PORT)"
	WEBHOOK_ALLOW_PRIVATE_ADDRESSES=$${WEBHOOK_ALLOW_PRIVATE_ADDRESSES:-1} \
		$(BIN)/flask run --host $(HOST) --port $(PORT)

## test: install what the tests need and run the whole suite, a file per worker on every
## core (PYTEST_WORKERS=0 runs it in one process; each worker on PostgreSQL has its own
## database, named after TEST_DATABASE_URL's with _gw0, _gw1... added)
PYTEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

## bench: generate SCALE (S, M or L) into DATABASE_URL, else an SQLite file, measure the
## hot pages one by one, then a mix of real traffic; the reports are left in bench/out/
## (pages.py wants wrk: apt-get install wrk)
SCALE ?= S
BENCH_DATABASE_URL = $(or $(DATABASE_URL),sqlite:////tmp/cocreate-bench-$(SCALE).db)
bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/generate.py --scale $(SCALE) --database-url '$(BENCH_DATABASE_URL)' --reset
	$(BIN)/python bench/pages.py --database-url '$(BENCH_DATABASE_URL)' --out bench/out $(BENCH_ARGS)
	$(BIN)/python bench/traffic.py --database-url '$(BENCH_DATABASE_URL)' --out bench/out $(TRAFFIC_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache .ruff_cache *.egg-info
