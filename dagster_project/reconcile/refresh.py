"""Apply newly recorded decisions without a full build (issue 16.6).

When the published warehouse is current in every respect but the decisions store, only the dbt
models downstream of source `decisions` can change. They are rebuilt, with their tests, on a copy
of the published warehouse (`dbt build --select source:decisions+`), which then replaces it by the
same atomic rename and audit.builds row as a build. Any failure leaves the published file as it was.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

from dagster_project.reconcile.decisions import DecisionsStore, write_decision_tables
from dagster_project.settings import DBT_DIR, Settings


class RefreshError(Exception):
    """The refresh failed; the published warehouse is unchanged (a one-line reason)."""


def refresh_decisions(settings: Settings) -> dict:
    from dagster_project.dbt.project import dbt_executable
    from dagster_project.serving.publish import publish
    from dagster_project.warehouse import connect

    work = Path(f"{settings.warehouse}.decisions")
    work.unlink(missing_ok=True)
    Path(f"{work}.wal").unlink(missing_ok=True)
    saved = os.environ.get("ITAM_BUILD_DB")
    try:
        shutil.copyfile(settings.warehouse, work)
        con = connect(work, settings=settings)
        try:
            counts = write_decision_tables(con, DecisionsStore(settings.decisions))
            as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
            con.execute("checkpoint")
        finally:
            con.close()
        env = {**os.environ, "ITAM_BUILD_DB": str(work), "ITAM_DUCKDB_THREADS": str(settings.threads),
               "ITAM_DUCKDB_MEMORY": settings.memory_limit}
        target = DBT_DIR / "target" / "decisions-refresh"  # not the build's target: no shared state
        cmd = [dbt_executable(), "build", "--select", "source:decisions+", "--vars",
               json.dumps({"as_of": str(as_of) if as_of else ""}), "--project-dir", str(DBT_DIR),
               "--profiles-dir", str(DBT_DIR), "--target-path", str(target), "--quiet"]
        done = subprocess.run(cmd, cwd=DBT_DIR, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
            raise RefreshError("dbt build of the decision marts failed: " + (lines[-1] if lines else "no output"))
        os.environ["ITAM_BUILD_DB"] = str(work)
        result = publish(settings, f"decisions-{uuid.uuid4().hex[:12]}")
        return {**result, **counts}
    finally:
        if saved is None:
            os.environ.pop("ITAM_BUILD_DB", None)
        else:
            os.environ["ITAM_BUILD_DB"] = saved
        work.unlink(missing_ok=True)
        Path(f"{work}.wal").unlink(missing_ok=True)
