# Two entry points for a fresh machine (README): `make demo` and `make test`. Both install what
# they need into .venv first (pinned by pyproject.toml ranges and constraints.txt).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install install-spark demo build test test-heavy test-spark lint bench dashboard dagster clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade "pip>=24"
	$(PY) -m pip install -q -c constraints.txt -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

SPARK_STAMP := $(VENV)/.installed-spark
$(SPARK_STAMP): $(STAMP)
	$(PY) -m pip install -q -c constraints.txt -e '.[test,spark]'
	touch $(SPARK_STAMP)

install-spark: $(SPARK_STAMP)  ## the optional Spark engine (issue 18, docs/scale-out.md): dbt-spark + pyspark; needs Java 17

demo: install  ## sample data -> full build -> summary -> dashboards on http://127.0.0.1:8501
	$(VENV)/bin/itam generate --landing data/landing --devices 2000
	$(VENV)/bin/itam build --landing data/landing --warehouse data/warehouse.duckdb || [ $$? -eq 3 ]  # 3 = published with warnings
	$(VENV)/bin/itam dashboard --warehouse data/warehouse.duckdb

build: install
	$(VENV)/bin/itam build --landing data/landing --warehouse data/warehouse.duckdb || [ $$? -eq 3 ]

TEST_WORKERS ?= 2
test: install-spark  ## the whole test suite, lint and the DuckDB/Spark equivalence included (.ci/run calls this); two workers, a file each
	$(PY) -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

test-heavy: install  ## the tests of several full builds each (bench, incremental on generated data, concurrent builds)
	ITAM_HEAVY_TESTS=1 $(PY) -m pytest -q -m heavy

test-spark: install-spark  ## the DuckDB/Spark equivalence test alone (make test runs it too)
	$(PY) -m pytest -q tests/test_spark.py

lint: install  ## ruff and sqlfluff alone (docs/decisions/lint.md); `ruff check --fix .` and `sqlfluff fix dbt/models` fix
	$(PY) -m pytest -q tests/test_lint.py

bench: install  ## figures at 10,000 devices; BENCH_DEVICES=100000 for the large run
	$(VENV)/bin/itam bench --devices $${BENCH_DEVICES:-10000} --landing data/bench/landing --warehouse data/bench/warehouse.duckdb

dagster: install  ## the Dagster UI on the same graph, with the runs `itam build` recorded
	$(PY) -c 'from pathlib import Path; from dagster_project.build.runner import ensure_instance_home; ensure_instance_home(Path("data/dagster_home"))'
	DAGSTER_HOME=$(CURDIR)/data/dagster_home $(VENV)/bin/dagster dev -m dagster_project.definitions -h 127.0.0.1

clean:
	rm -rf data dbt/target dbt/logs .pytest_cache
