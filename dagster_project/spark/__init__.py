"""The Spark engine (issue 18, docs/scale-out.md): the dbt sources a DuckDB build file holds after
ingest, governance and decisions are written as Parquet for Spark (`sources.export_sources`), dbt
runs the same models on Spark (dbt/profiles.yml target `spark`), and the marts Spark wrote are read
back into the build file (`marts.import_tables`), so publish, dashboards, exports and reconciliation
read what they read after a DuckDB build.

Optional: `pip install '.[spark]'` (dbt-spark with a local pyspark) and a Java 17 runtime;
`available()` says whether both are there."""
from __future__ import annotations

import importlib.util
import shutil


def available() -> str | None:
    """None when the Spark engine can run here, else why not (one line)."""
    missing = [m for m in ("pyspark", "dbt.adapters.spark") if _missing(m)]
    if missing:
        return f"the Spark engine needs {', '.join(missing)}: pip install '.[spark]'"
    if not shutil.which("java"):
        return "the Spark engine needs a Java runtime (17) on PATH"
    return None


def _missing(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is None
    except ModuleNotFoundError:
        return True
