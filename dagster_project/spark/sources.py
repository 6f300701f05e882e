"""The dbt sources of a DuckDB build file as Parquet, the way Spark reads them (issue 18).

Every table of the source schemas (raw, audit, taxonomy, decisions) is written to
`<out>/<schema>/<table>/`; raw tables are partitioned by source and export date
(`_source=<s>/_export_date=<d>/`, DuckDB's COPY ... PARTITION_BY), the others are one file.
JSON columns are written as text (Spark's get_json_object/from_json read text). dbt's
on-run-start hook (dbt/macros/spark_sources.sql) registers each folder as the source table."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

SOURCE_SCHEMAS = ("raw", "audit", "taxonomy", "decisions")
RAW_PARTITIONS = ("_source", "_export_date")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_sources(build_db: Path, out: Path, *, schemas: tuple[str, ...] = SOURCE_SCHEMAS) -> dict[str, int]:
    """Write every table of `schemas` in `build_db` under `out` (replaced); returns rows per table."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(build_db), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            f"and table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            select = ", ".join(
                f"cast({_quote(c)} as varchar) as {_quote(c)}" if t == "JSON" else _quote(c) for c, t in cols)
            rel = f"(select {select} from {_quote(schema)}.{_quote(table)})"
            n = con.execute(f"select count(*) from {_quote(schema)}.{_quote(table)}").fetchone()[0]
            target = out / schema / table
            target.mkdir(parents=True)
            names = {c for c, _ in cols}
            path = str(target).replace("'", "''")
            if schema == "raw" and n and all(p in names for p in RAW_PARTITIONS):
                con.execute(f"copy {rel} to '{path}' (format parquet, partition_by ({', '.join(RAW_PARTITIONS)}))")
            else:
                # an empty table is still one (empty) file, so Spark knows its columns
                con.execute(f"copy {rel} to '{path}/data.parquet' (format parquet)")
            counts[f"{schema}.{table}"] = n
    finally:
        con.close()
    return counts
