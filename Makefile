# clickstream — the README's two commands are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)

# Sample size for `make run` (override: make run DAYS=5 EVENTS_PER_DAY=200000).
START_DATE ?= 2024-03-01
DAYS ?= 4
EVENTS_PER_DAY ?= 100000
SEED ?= 42

.PHONY: setup browser run test test-main test-spark lint docs bench clean spark-setup

setup: $(STAMP)

$(STAMP): requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $(STAMP)

# Optional Spark extra (issue #7, docs/spark.md): pyspark + dbt-spark on top of `setup`.
SPARK_STAMP := $(VENV)/.spark-installed
spark-setup: $(SPARK_STAMP)

$(SPARK_STAMP): $(STAMP) requirements-spark.txt constraints-spark.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-spark.txt \
		-c constraints.txt -c constraints-spark.txt
	@touch $(SPARK_STAMP)

# Debian's chromium for the browser tests (installed when missing; idempotent).
browser:
	@bash scripts/ensure_chromium.sh

run: setup
	$(BIN)/python scripts/run_sample.py --start-date $(START_DATE) --days $(DAYS) \
		--events-per-day $(EVENTS_PER_DAY) --seed $(SEED)

# Every test: the DuckDB/Kafka/browser suite on TEST_WORKERS pytest-xdist workers (one test module
# per worker: module fixtures are built once; 2 workers take ~7 instead of ~13 min on 2 cores, as
# much of a test is single-threaded dbt start-up), then the Spark suite on its own (beside the
# others, its JVMs slowed everything down more than they saved). test-main / test-spark run one part.
SPARK_TESTS := tests/python/test_spark_cluster.py tests/python/test_spark_equality.py
TEST_WORKERS ?= 2
test: setup spark-setup browser
	$(MAKE) --no-print-directory test-main
	$(MAKE) --no-print-directory test-spark
	$(MAKE) --no-print-directory lint

test-main: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile tests/python $(addprefix --ignore=,$(SPARK_TESTS))

test-spark:
	@mkdir -p test-artifacts
	$(BIN)/python -m pytest -q -p no:cacheprovider --basetemp=$(CURDIR)/test-artifacts/spark-pytest $(SPARK_TESTS)

# Linting renders the models against an empty landing zone, so the result never depends on what
# happens to be under data/raw.
lint: setup
	CLICKSTREAM_RAW_ROOT=$(CURDIR)/.lint-no-raw-files $(BIN)/sqlfluff lint models macros tests/generic

# The benchmark (docs/benchmark.md): 10 days x 1M events by default.
# Smaller: make bench BENCH_ARGS="--days 10 --events-per-day 200000"
BENCH_ARGS ?=
bench: setup
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

docs: setup
	$(BIN)/dbt docs generate
	$(BIN)/dbt docs serve --port 8080

clean:
	rm -rf target logs data
