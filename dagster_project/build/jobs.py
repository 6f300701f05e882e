"""The build job (the whole graph in one process: DuckDB has one writer), its daily schedule and
the sensor that starts it when a new export folder lands. Every run is tagged with its warehouse:
the instance's run queue lets one run per tag value through (dagster.yaml written by runner.py),
and the warehouse lock enforces the same for runs outside any queue (issue 17.1)."""
from __future__ import annotations

import hashlib
from pathlib import Path

from dagster import (
    AssetSelection,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    in_process_executor,
    sensor,
)

from dagster_project.build.resource import ItamResource
from dagster_project.contract import ENTITIES

WAREHOUSE_TAG = "itam/warehouse"
_SOURCES = sorted({e.source for e in ENTITIES})


def build_job(warehouse: Path):
    return define_asset_job(
        "build_warehouse",
        selection=AssetSelection.all(),
        executor_def=in_process_executor,
        tags={WAREHOUSE_TAG: str(warehouse)},
        description="Ingest new exports, apply the taxonomy, build the marts, check, publish.",
    )


def daily_schedule(job) -> ScheduleDefinition:
    return ScheduleDefinition(name="daily_build", job=job, cron_schedule="0 6 * * *",
                              execution_timezone="UTC")


def export_folders(landing: Path) -> list[str]:
    found = []
    for source in _SOURCES:
        base = landing / source
        if base.is_dir():
            found += [f"{source}/{d.name}" for d in sorted(base.iterdir()) if d.is_dir() and not d.name.startswith((".", "_"))]
    return found


def new_export_sensor(job):
    @sensor(job=job, minimum_interval_seconds=300, name="new_export_folder_sensor",
            description="Requests a build when an export folder appears that the last build did not see.")
    def new_export_folder_sensor(context: SensorEvaluationContext, itam: ItamResource):
        folders = export_folders(itam.settings.landing)
        seen = set((context.cursor or "").split("\n")) - {""}
        new = [f for f in folders if f not in seen]
        if not new:
            return SkipReason("no new export folder")
        context.update_cursor("\n".join(folders))
        key = hashlib.sha256("\n".join(folders).encode()).hexdigest()[:16]
        return RunRequest(run_key=key, tags={"itam/new_folders": ", ".join(new[:10])})

    return new_export_folder_sensor
