# coverage-gis: `make demo` runs the main job on the embedded Bình Định demo,
# `make test` runs the test suite. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_WS ?= demo-ws
PORT   ?= 8000
PGDATA_DIR ?= .pgdata
WORKERS ?= 2

.PHONY: demo serve-postgis test lint format bench clean help

help:
	@echo "make demo   build the Bình Định demo workspace, compute, print scorecard and gaps, serve the map"
	@echo "make serve-postgis  the same demo on a local PostgreSQL + PostGIS cluster ($(PGDATA_DIR)), $(WORKERS) API workers"
	@echo "make test   run the test suite (default, fast)"
	@echo "make lint   ruff, ruff format --check, mypy --strict"
	@echo "make bench  run the benchmark scripts in bench/"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	@test -f $(DEMO_WS)/workspace.yaml || $(BIN)/covgis demo $(DEMO_WS) --province binh-dinh
	$(BIN)/covgis compute $(DEMO_WS) --if-stale
	$(BIN)/covgis scorecard $(DEMO_WS)
	$(BIN)/covgis gaps $(DEMO_WS) --kind mobile
	$(BIN)/covgis gaps $(DEMO_WS) --kind ftth
	$(BIN)/covgis map $(DEMO_WS) --out gaps.html
	$(BIN)/covgis serve $(DEMO_WS) --port $(PORT)

# A throw-away cluster in $(PGDATA_DIR) (tools/pg_cluster.py; `python tools/pg_cluster.py stop
# $(PGDATA_DIR)` stops it), the Bình Định demo in its database, the API with $(WORKERS) workers.
serve-postgis: $(STAMP)
	@url=$$($(BIN)/python tools/pg_cluster.py start $(PGDATA_DIR)) && \
	$(BIN)/covgis db init "$$url" && \
	{ $(BIN)/covgis layers "$$url" >/dev/null 2>&1 || $(BIN)/covgis demo "$$url" --province binh-dinh; } && \
	$(BIN)/covgis compute "$$url" && \
	$(BIN)/covgis serve "$$url" --port $(PORT) --workers $(WORKERS)

test: $(STAMP)
	$(BIN)/pytest -q; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict coverage_gis api/coverage_gis_api

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache $(DEMO_WS) gaps.html
