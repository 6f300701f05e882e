"""Where expectation results live: two audit tables in the warehouse, so dbt can trend them.

  audit.expectation_results      one row per export file (load) × expectation: counts, severity,
                                 a sample of offending keys (what fct_data_quality reads)
  audit.expectation_validations  one row per load: the GX validation result (JSON, per-row lists
                                 dropped), what the Data Docs pages are rendered from

A load is validated once as it is ingested; the latest export of an entity is validated again
when its suite file changed (`suite_hash`), so the checks always judge the current data by the
current rules. Revalidating replaces that load's rows.
"""
from __future__ import annotations

import json
from datetime import UTC, datetime

import duckdb

from dagster_project.quality.gx import LoadValidation

TABLES = {
    "expectation_results": (
        "load_id VARCHAR, source VARCHAR, entity VARCHAR, export_date DATE, file VARCHAR, "
        "suite_hash VARCHAR, expectation VARCHAR, expectation_type VARCHAR, column_name VARCHAR, "
        "severity VARCHAR, rows_checked BIGINT, rows_failed BIGINT, success BOOLEAN, "
        "sample VARCHAR, error VARCHAR, validated_at TIMESTAMP"),
    "expectation_validations": (
        "load_id VARCHAR, source VARCHAR, entity VARCHAR, export_date DATE, file VARCHAR, "
        "suite_hash VARCHAR, success BOOLEAN, result JSON, validated_at TIMESTAMP"),
}


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    for name, cols in TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")


def severity_word(gx_severity: str) -> str:
    """GX critical = a blocking ERROR check; warning/info = WARN."""
    return "error" if gx_severity == "critical" else "warn"


def store(con: duckdb.DuckDBPyConnection, *, load_id: str, source: str, entity: str, export_date,
          file: str, suite_hash: str, validation: LoadValidation) -> None:
    """Replace the stored results of one load, in one transaction."""
    now = datetime.now(UTC).replace(tzinfo=None)
    con.begin()
    try:
        for table in TABLES:
            con.execute(f"DELETE FROM audit.{table} WHERE load_id = ?", [load_id])
        rows = [[load_id, source, entity, export_date, file, suite_hash, o.check, o.expectation_type,
                 o.columns or None, severity_word(o.severity), o.rows_checked, o.rows_failed,
                 o.success, o.sample or None, o.error, now] for o in validation.outcomes]
        if rows:
            con.executemany("INSERT INTO audit.expectation_results VALUES "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        con.execute("INSERT INTO audit.expectation_validations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [load_id, source, entity, export_date, file, suite_hash,
                     all(o.success for o in validation.outcomes),
                     json.dumps(validation.result, default=str), now])
        con.commit()
    except BaseException:
        con.rollback()
        raise
