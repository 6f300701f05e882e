"""The tables a Spark build wrote, read back into the DuckDB build file (issue 18): Spark's managed
tables are Parquet folders under its warehouse dir (`<spark_dir>/warehouse/<schema>.db/<table>/`);
DuckDB reads them with read_parquet into the same schema and table names, so publish, the
dashboards, exports and reconciliation read the build file as after a DuckDB build."""
from __future__ import annotations

from pathlib import Path

from dagster_project.ingest.validate import ident, lit
from dagster_project.settings import Settings
from dagster_project.warehouse import connect


def spark_tables(spark_dir: Path, schema: str) -> dict[str, Path]:
    """The Parquet folder of every table Spark wrote in `schema` (empty when none)."""
    root = spark_dir / "warehouse" / f"{schema}.db"
    if not root.is_dir():
        return {}
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir() and not p.name.startswith(("_", "."))}


def import_tables(settings: Settings, schemas: tuple[str, ...] = ("marts",)) -> dict[str, int]:
    """Replace `schema.table` in the build file by Spark's table of that name, for every table
    Spark wrote in `schemas` under `settings.spark_dir`; returns rows per table. One transaction:
    all or nothing."""
    counts: dict[str, int] = {}
    con = connect(settings.build_db, settings=settings)
    try:
        con.execute("begin")
        for schema in schemas:
            con.execute(f"create schema if not exists {ident(schema)}")
            for table, folder in spark_tables(settings.spark_dir, schema).items():
                if not any(folder.rglob("*.parquet")):
                    continue
                name = f"{ident(schema)}.{ident(table)}"
                con.execute(f"create or replace table {name} as "
                            f"select * from read_parquet({lit(str(folder) + '/**/*.parquet')}, hive_partitioning = true)")
                counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {name}").fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    finally:
        con.close()
    return counts
