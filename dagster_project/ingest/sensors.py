"""Start a build when a new export folder lands (<landing>/<source>/<YYYY-MM-DD>/)."""
from __future__ import annotations

import hashlib

from dagster import RunRequest, SensorEvaluationContext, SkipReason, sensor

from dagster_project.contract import ENTITIES
from dagster_project.serving.jobs import build_warehouse_job
from dagster_project.settings import Settings

_SOURCES = sorted({e.source for e in ENTITIES})


def export_folders(landing) -> list[str]:
    found = []
    for source in _SOURCES:
        base = landing / source
        if base.is_dir():
            found += [f"{source}/{d.name}" for d in sorted(base.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))]
    return found


@sensor(job=build_warehouse_job, minimum_interval_seconds=300,
        description="Requests a build when an export folder appears that the last build did not see.")
def new_export_folder_sensor(context: SensorEvaluationContext):
    folders = export_folders(Settings.from_env().landing)
    seen = set((context.cursor or "").split("\n")) - {""}
    new = [f for f in folders if f not in seen]
    if not new:
        return SkipReason("no new export folder")
    context.update_cursor("\n".join(folders))
    key = hashlib.sha256("\n".join(folders).encode()).hexdigest()[:16]
    return RunRequest(run_key=key, tags={"itam/new_folders": ", ".join(new[:10])})
