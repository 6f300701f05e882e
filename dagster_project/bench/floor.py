"""The floor of a build: what DuckDB alone needs for the same work (issue 15.4).

Two parts, timed in one fresh DuckDB file with the build's memory_limit and threads:
  readers  every landing file through DuckDB's own reader (read_csv / read_parquet / read_json)
           into a table, nothing else (no typing, no quarantine, no audit);
  models   the project's own dbt models, compiled by `dbt compile --full-refresh` against this
           file, replayed in DAG order as plain statements (CREATE TABLE ... AS, CREATE VIEW ...
           AS for the staging views), with no dbt, no tests, no Dagster.
The models read the build's inputs (the source tables: raw, taxonomy, audit, decisions): the floor
file starts as a copy of the published warehouse, which dbt compiles against exactly as the build
did (some macros read the taxonomy or a relation's columns), and what dbt built is then dropped.
The copy and the compile are printed but are not part of the floor.

Run as a child process (`python -m dagster_project.bench.floor ...`) so that its peak RSS is its
own; it prints one JSON line of figures last. See docs/decisions/bench-floor.md.
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

READERS = {"csv": "read_csv", "parquet": "read_parquet", "json": "read_json"}


def _connect(path: Path, memory_limit: str, threads: int) -> duckdb.DuckDBPyConnection:
    # The same settings as the dbt profile (dbt/profiles.yml) and dagster_project/warehouse.py.
    con = duckdb.connect(str(path), config={"memory_limit": memory_limit, "threads": threads,
                                            "preserve_insertion_order": False})
    con.execute("SET TimeZone = 'UTC'")
    return con


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def time_readers(con: duckdb.DuckDBPyConnection, landing: Path) -> tuple[float, int, int]:
    """Seconds, files and rows to read every landing file of the contract into a table."""
    from dagster_project.ingest.discover import discover_files

    files = discover_files(landing).files
    con.execute("CREATE SCHEMA IF NOT EXISTS floor_landing")
    rows = 0
    started = time.perf_counter()
    for i, f in enumerate(files):
        table = f"floor_landing.{_q(f'{i}_{f.entity}')}"
        path = str(f.path).replace("'", "''")
        options = ", all_varchar = true" if f.file_format == "csv" else ""  # as ingest reads them (docs/ingestion.md)
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {READERS[f.file_format]}('{path}'{options})")
        rows += con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    seconds = time.perf_counter() - started
    con.execute("DROP SCHEMA floor_landing CASCADE")
    return seconds, len(files), rows


def _manifest(target: Path) -> dict:
    return json.loads((target / "manifest.json").read_text())


def drop_models(con: duckdb.DuckDBPyConnection, manifest: dict) -> int:
    """Remove what dbt built (models, stored test failures), keeping the sources: the floor
    starts from the build's inputs only."""
    source_schemas = {s["schema"] for s in manifest["sources"].values()}
    built = {n["schema"] for n in manifest["nodes"].values()
             if n["resource_type"] in ("model", "test", "seed", "snapshot")} - source_schemas
    for schema in sorted(built):
        con.execute(f"DROP SCHEMA IF EXISTS {_q(schema)} CASCADE")
    return len(built)


def compile_models(db: Path, target: Path, dbt_vars: dict) -> None:
    """`dbt compile --full-refresh` of every model against the floor file: the SQL a first build
    runs (is_incremental() false), with this file's relation names."""
    from dagster_project.dbt.project import dbt_executable
    from dagster_project.settings import DBT_DIR

    vars_ = {**dbt_vars, "build_db": str(db)}
    cmd = [dbt_executable(), "compile", "--full-refresh", "--quiet", "--select", "resource_type:model",
           "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target),
           "--log-path", str(target), "--no-use-colors", "--vars", json.dumps(vars_)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError("dbt compile failed: " + (done.stdout + done.stderr).strip()[-2000:])


def time_models(con: duckdb.DuckDBPyConnection, manifest: dict) -> tuple[float, list[tuple[str, float]]]:
    """Replay the compiled models in DAG order; seconds in all and per model."""
    models = {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    graph = {uid: [d for d in n["depends_on"]["nodes"] if d in models] for uid, n in models.items()}
    per_model: list[tuple[str, float]] = []
    for uid in TopologicalSorter(graph).static_order():
        n = models[uid]
        kind = n["config"]["materialized"]
        if kind == "ephemeral":  # inlined as a CTE by dbt compile
            continue
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_q(n['schema'])}")
        verb = "VIEW" if kind == "view" else "TABLE"
        t0 = time.perf_counter()
        con.execute(f"CREATE OR REPLACE {verb} {n['relation_name']} AS (\n{n['compiled_code']}\n)")
        per_model.append((n["name"], time.perf_counter() - t0))
    return sum(s for _, s in per_model), per_model


def measure(landing: Path, warehouse: Path, dbt_vars: dict, memory_limit: str, threads: int,
            workdir: Path) -> dict:
    # A copy of the built warehouse: dbt compiles against it as the build did (some models read the
    # taxonomy or a relation's columns while compiling), then what dbt built is dropped.
    db = workdir / "floor.duckdb"
    started = time.perf_counter()
    shutil.copyfile(warehouse, db)
    copy_s = time.perf_counter() - started
    target = workdir / "target"
    compile_models(db, target, dbt_vars)
    manifest = _manifest(target)
    con = _connect(db, memory_limit, threads)
    try:
        drop_models(con, manifest)
        con.execute("CHECKPOINT")
        readers_s, files, rows = time_readers(con, landing)
        models_s, per_model = time_models(con, manifest)
    finally:
        con.close()
    per_model.sort(key=lambda kv: -kv[1])
    return {"readers_s": round(readers_s, 2), "files": files, "rows": rows,
            "copy_s": round(copy_s, 2),
            "models_s": round(models_s, 2), "models": len(per_model),
            "top_models": [(m, round(s, 2)) for m, s in per_model[:8]],
            "floor_s": round(readers_s + models_s, 2),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_child(landing: Path, warehouse: Path, dbt_vars: dict, memory_limit: str, threads: int) -> dict:
    """Measure the floor in a child process (its own peak RSS, nothing of the build's memory)."""
    with tempfile.TemporaryDirectory(prefix="itam-floor-", dir=warehouse.parent) as tmp:
        cmd = [sys.executable, "-m", "dagster_project.bench.floor", "--landing", str(landing),
               "--warehouse", str(warehouse), "--vars", json.dumps(dbt_vars),
               "--memory-limit", memory_limit, "--threads", str(threads), "--workdir", tmp]
        done = subprocess.run(cmd, capture_output=True, text=True)
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise RuntimeError("floor failed: " + (done.stderr.strip().splitlines() or ["no output"])[-1])
        return json.loads(lines[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m dagster_project.bench.floor")
    p.add_argument("--landing", type=Path, required=True)
    p.add_argument("--warehouse", type=Path, required=True)
    p.add_argument("--vars", required=True)
    p.add_argument("--memory-limit", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--workdir", type=Path, required=True)
    a = p.parse_args(argv)
    figures = measure(a.landing, a.warehouse, json.loads(a.vars), a.memory_limit, a.threads, a.workdir)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
