# clickstream — the README's two commands are `make run` and `make test`; `make help` lists the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export DO_NOT_TRACK := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)

# Sample size for `make run` (override: make run DAYS=5 EVENTS_PER_DAY=200000). Without START_DATE
# the sample ends on the current UTC day; a fixed START_DATE gives the same bytes every time.
START_DATE ?=
DAYS ?= 4
EVENTS_PER_DAY ?= 100000
SEED ?= 42

.DEFAULT_GOAL := help
.PHONY: help setup spark-setup browser run test test-main test-spark spark-then-lint lint format docs bench bench-scale bench-freshness clean

help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-z-]+:.*## / {printf "  make %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

setup: $(STAMP) ## create .venv and install clickstream (editable) with the pinned constraints

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[kafka,dev]" -c constraints.txt
	@touch $(STAMP)

SPARK_STAMP := $(VENV)/.spark-installed
spark-setup: $(SPARK_STAMP) ## add the Spark extra (pyspark + dbt-spark, docs/spark.md)

$(SPARK_STAMP): $(STAMP) constraints-spark.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[kafka,dev,spark]" \
		-c constraints.txt -c constraints-spark.txt
	@touch $(SPARK_STAMP)

browser: ## install Debian's chromium for the browser tests when it is missing
	@bash scripts/ensure_chromium.sh

run: setup ## land a sample, refresh it, export Parquet, build the docs and the report
	$(BIN)/clickstream sample $(if $(START_DATE),--start-date $(START_DATE)) --days $(DAYS) \
		--events-per-day $(EVENTS_PER_DAY) --seed $(SEED)

# Every test: the non-Spark suite on TEST_WORKERS pytest-xdist workers (one test module per
# worker: module fixtures are built once; much of a test is single-threaded dbt start-up; the
# longest modules first, conftest.py's LONGEST_MODULES_FIRST) and,
# beside it, the Spark suite (one local cluster for the session; the main suite leaves about 40 %
# of the two cores idle, waiting on dbt start-up, subprocesses and kill points), followed in that
# lane by the linters (dbt's files of the lint go to .lint/, never to target/, which tests use).
# Each suite's output is printed whole when it ends, with its slowest tests (TEST_DURATIONS of
# them) to show where the time goes.
TEST_WORKERS ?= 2
TEST_DURATIONS ?= 15
test: setup spark-setup browser ## run every test (set-up included) and the linters
	$(MAKE) --no-print-directory -j2 --output-sync=target test-main spark-then-lint

# The second lane of `make test`: the Spark suite (and the benchmark smoke runs), then the linters,
# beside the main suite, which ends last; both are always run, and a failure of either fails.
spark-then-lint: spark-setup
	@status=0; $(MAKE) --no-print-directory test-spark || status=1; $(MAKE) --no-print-directory lint || status=1; exit $$status

test-main: setup ## the tests not marked spark, benchmark or second_lane
	$(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder \
		--durations=$(TEST_DURATIONS) -m "not spark and not benchmark and not second_lane"

# The benchmark's smoke runs (marked benchmark) and the follower's process tests (marked
# second_lane) share the Spark suite's lane: it ends minutes before the main suite, which they
# would otherwise lengthen.
test-spark: spark-setup ## the tests marked spark (a real local Spark cluster), then those marked benchmark or second_lane
	@mkdir -p test-artifacts
	$(BIN)/python -m pytest -q -p no:cacheprovider --durations=$(TEST_DURATIONS) --basetemp=$(CURDIR)/test-artifacts/spark-pytest -m "spark or benchmark or second_lane"

# SQL linting renders the models against an empty landing zone, so the result never depends on
# what happens to be under data/raw. dbt-bouncer judges the dbt metadata (naming by folder, key
# tests, layers, contracts, descriptions: dbt-bouncer.yml) on the manifest of a `dbt parse`.
lint: setup ## ruff on the Python, sqlfluff on the SQL, dbt-bouncer on the dbt metadata
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	CLICKSTREAM_RAW_ROOT=$(CURDIR)/.lint-no-raw-files DBT_TARGET_PATH=$(CURDIR)/.lint/sqlfluff_target \
		DBT_LOG_PATH=$(CURDIR)/.lint/sqlfluff_logs $(BIN)/sqlfluff lint models macros tests/generic
	CLICKSTREAM_RAW_ROOT=$(CURDIR)/.lint-no-raw-files $(BIN)/dbt parse --quiet --target-path $(CURDIR)/.lint/dbt_target --log-path $(CURDIR)/.lint/dbt_logs
	$(BIN)/dbt-bouncer --config-file dbt-bouncer.yml

format: setup ## apply ruff's fixes and formatting to the Python
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

docs: setup ## build the dbt docs site and serve it on http://127.0.0.1:8080
	$(BIN)/clickstream docs --serve --port 8080

# The benchmark (docs/benchmark.md): 10 days x 1M events by default, on each data shape
# (default, session-heavy). Smaller: make bench BENCH_ARGS="--days 10 --events-per-day 200000"
# The scale run: full refresh of 5 days x 10M events (50M), then the 6th day's daily refresh.
# Smaller: make bench-scale BENCH_ARGS="--scale-days 3 --scale-events-per-day 2000000"
BENCH_ARGS ?=
bench: setup ## the benchmark against its peers, on both data shapes (docs/benchmark.md)
	$(BIN)/python scripts/benchmark.py $(BENCH_ARGS)

bench-scale: setup ## the scale benchmark: full refresh of 5 x 10M events, then the next day (docs/benchmark.md)
	$(BIN)/python scripts/benchmark.py --scale $(BENCH_ARGS)

# Freshness (#18): refresh seconds against batch size on a 10 x 1M warehouse, and the latency from
# publish to fct_events with the lander and `refresh --follow` (2,000 events/s for 5 minutes).
bench-freshness: setup ## batch-size curve and end-to-end freshness p50/p95 (docs/benchmark.md)
	$(BIN)/python scripts/bench_freshness.py $(BENCH_ARGS)

clean: ## remove dbt's target/ and logs/, the linters' .lint/ and the test artifacts (data/ is kept: it holds landed raw files)
	rm -rf target logs .lint test-artifacts
