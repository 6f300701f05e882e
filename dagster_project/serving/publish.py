"""Publishing: the build file replaces the published warehouse in one atomic rename."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

from dagster_project.settings import Settings
from dagster_project.warehouse import connect


def publish(settings: Settings, run_id: str) -> dict:
    build, target = settings.build_db, settings.warehouse
    con = connect(build, settings=settings)
    try:
        as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
        con.execute("create schema if not exists audit")
        con.execute(
            "insert into audit.builds (build_id, as_of_date, started_at, finished_at, status, detail) "
            "values (?, ?, ?, ?, 'published', ?)",
            [run_id, as_of, None, datetime.now(timezone.utc).replace(tzinfo=None), str(target)],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    # Same directory, same filesystem: rename is atomic, and a reader holding the old file open
    # keeps reading the old inode until it reconnects.
    os.replace(build, target)
    Path(f"{build}.wal").unlink(missing_ok=True)
    return {"published": str(target), "as_of_date": str(as_of)}
