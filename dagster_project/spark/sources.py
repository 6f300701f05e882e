"""The dbt sources of a DuckDB build file as Parquet, the way Spark reads them (issue 18).

Every table of the source schemas (raw, audit, taxonomy, decisions) is written to
`<out>/<schema>/<table>/`; raw tables are partitioned by source and export date
(`_source=<s>/_export_date=<d>/`, DuckDB's COPY ... PARTITION_BY), the others are one file.
JSON columns are written as text (Spark's get_json_object/from_json read text). dbt's
on-run-start hook (dbt/macros/spark_sources.sql) registers each folder as the source table."""
from __future__ import annotations

import shutil
from pathlib import Path

from dagster_project.ingest.validate import ident, lit
from dagster_project.settings import Settings
from dagster_project.warehouse import connect

SOURCE_SCHEMAS = ("raw", "audit", "taxonomy", "decisions")
RAW_PARTITIONS = ("_source", "_export_date")


def export_sources(settings: Settings, out: Path, *, schemas: tuple[str, ...] = SOURCE_SCHEMAS) -> dict[str, int]:
    """Write every table of `schemas` in the build file under `out` (replaced); returns rows per
    table. Opened the project's one way (warehouse.connect: the build's memory and threads)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    counts: dict[str, int] = {}
    con = connect(settings.build_db, read_only=True, settings=settings)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
            f"and table_schema in ({', '.join('?' for _ in schemas)}) order by 1, 2", list(schemas)).fetchall()
        for schema, table in tables:
            cols = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = ? and table_name = ? order by ordinal_position", [schema, table]).fetchall()
            select = ", ".join(
                f"cast({ident(c)} as varchar) as {ident(c)}" if t == "JSON" else ident(c) for c, t in cols)
            rel = f"(select {select} from {ident(schema)}.{ident(table)})"
            n = con.execute(f"select count(*) from {ident(schema)}.{ident(table)}").fetchone()[0]
            target = out / schema / table
            target.mkdir(parents=True)
            names = {c for c, _ in cols}
            if schema == "raw" and n and all(p in names for p in RAW_PARTITIONS):
                con.execute(f"copy {rel} to {lit(str(target))} (format parquet, partition_by ({', '.join(RAW_PARTITIONS)}))")
            else:
                # an empty table is still one (empty) file, so Spark knows its columns
                con.execute(f"copy {rel} to {lit(str(target / 'data.parquet'))} (format parquet)")
            counts[f"{schema}.{table}"] = n
    finally:
        con.close()
    return counts
