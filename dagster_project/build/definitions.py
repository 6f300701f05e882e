"""The build graph for one set of settings: what `itam build` runs and `dagster dev` shows."""
from __future__ import annotations

from dagster import Definitions

from dagster_project.build.jobs import build_job, daily_schedule, new_export_sensor
from dagster_project.build.publish import published_warehouse
from dagster_project.build.resource import ItamResource, WarehouseLockResource
from dagster_project.build.workspace import audit_loads, expectation_results, warehouse_workspace
from dagster_project.dbt.assets import itam_dbt_assets
from dagster_project.dbt.project import dbt_resource
from dagster_project.governance.assets import taxonomy_tables
from dagster_project.ingest.assets import raw_assets
from dagster_project.quality.checks import quality_checks
from dagster_project.reconcile.assets import decision_tables
from dagster_project.settings import Settings


def build_definitions(settings: Settings) -> Definitions:
    job = build_job(settings.warehouse)
    return Definitions(
        assets=[warehouse_workspace, *raw_assets, audit_loads, expectation_results, taxonomy_tables,
                decision_tables, itam_dbt_assets, published_warehouse],
        asset_checks=quality_checks(settings.expectations),
        jobs=[job],
        schedules=[daily_schedule(job)],
        sensors=[new_export_sensor(job)],
        resources={
            "dbt": dbt_resource(),
            "itam": ItamResource.from_settings(settings),
            "warehouse_lock": WarehouseLockResource(warehouse=str(settings.warehouse)),
        },
    )
