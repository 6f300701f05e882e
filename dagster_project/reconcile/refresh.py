"""Apply newly recorded decisions without a full build (issue 16.6).

When the published warehouse is current in every respect but the decisions store, only the dbt
models downstream of source `decisions` can change. Holding the warehouse's one-writer lock (as a
build does), they are rebuilt with their tests on a copy of the published warehouse
(`dbt build --select source:decisions+`), and the copy is published by the build's own publish
step (identity check, kept versions, fsync, atomic rename, audit.builds row with a build id
starting `decisions-`). Any failure leaves the published file as it was.
"""
from __future__ import annotations

import json
import subprocess

from dagster_project.decisions.store import DecisionsStore, write_decision_tables
from dagster_project.settings import DBT_DIR, Settings


class RefreshError(Exception):
    """The refresh failed; the published warehouse is unchanged (a one-line reason)."""


def refresh_decisions(settings: Settings) -> dict:
    from dagster_project.build.publish import change_published_copy
    from dagster_project.dbt.project import dbt_executable
    from dagster_project.warehouse import connect

    with change_published_copy(settings, "decisions", RefreshError) as copy:
        s = copy.settings
        con = connect(copy.path, settings=s)
        try:
            counts = write_decision_tables(con, DecisionsStore(s.decisions, key=s.decisions_key))
            as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
            con.execute("checkpoint")
        finally:
            con.close()
        dbt_vars = {"as_of": str(as_of) if as_of else "", "build_db": str(copy.path),
                    "memory_limit": s.memory_limit, "threads": str(s.threads)}
        # This warehouse's own target (the lock keeps its builds out), never the checkout's.
        target = s.dbt_target_dir / "decisions-refresh"
        cmd = [dbt_executable(), "build", "--select", "source:decisions+", "--vars", json.dumps(dbt_vars),
               "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target),
               "--log-path", str(s.dbt_log_dir), "--quiet"]
        done = subprocess.run(cmd, cwd=DBT_DIR, capture_output=True, text=True)
        if done.returncode != 0:
            lines = [ln for ln in (done.stdout + done.stderr).splitlines() if ln.strip()]
            raise RefreshError("dbt build of the decision marts failed: " + (lines[-1] if lines else "no output"))
        return {**copy.publish(), **counts}
