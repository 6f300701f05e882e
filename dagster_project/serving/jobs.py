"""The build job (the whole graph, in one process: DuckDB has one writer) and its schedule."""
from __future__ import annotations

from dagster import AssetSelection, ScheduleDefinition, define_asset_job, in_process_executor

build_warehouse_job = define_asset_job(
    "build_warehouse",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Ingest new exports, apply the taxonomy, build the marts, check, publish.",
)

daily_build_schedule = ScheduleDefinition(
    name="daily_build", job=build_warehouse_job, cron_schedule="0 6 * * *",
    execution_timezone="UTC",
)
