"""Opening DuckDB files the one way this project does: bounded memory and threads, UTC."""
from __future__ import annotations

from pathlib import Path

import duckdb

from dagster_project.settings import Settings


def connect(path: Path | str, read_only: bool = False, settings: Settings | None = None) -> duckdb.DuckDBPyConnection:
    s = settings or Settings.from_env()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = {"memory_limit": s.memory_limit, "threads": s.threads}
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute("SET TimeZone = 'UTC'")  # needs ICU loaded first, so not in the connect config
    return con
