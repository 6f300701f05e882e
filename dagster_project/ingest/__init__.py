"""Ingestion: landing exports -> raw.<entity>, audit.loads, audit.quarantine (docs/ingestion.md).

Pure Python + DuckDB; the Dagster assets live in assets.py and call `ingest_entity`.
"""
from dagster_project.ingest.load import (
    FileOutcome,
    IngestReport,
    LandingFile,
    LandingProblem,
    LandingScan,
    discover_files,
    ensure_schemas,
    ingest_entity,
    ingest_landing,
    load_id_for,
    record_unclaimed,
)

__all__ = [
    "FileOutcome", "IngestReport", "LandingFile", "LandingProblem", "LandingScan",
    "discover_files", "ensure_schemas", "ingest_entity", "ingest_landing", "load_id_for",
    "record_unclaimed",
]
