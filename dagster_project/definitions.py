"""The Dagster code location: `dagster dev` shows this graph; `itam build` runs it in process."""
from dagster import Definitions

from dagster_project.dbt.assets import itam_dbt_assets
from dagster_project.dbt.project import dbt_resource
from dagster_project.governance.assets import taxonomy_tables
from dagster_project.ingest.assets import raw_assets, warehouse_workspace
from dagster_project.ingest.sensors import new_export_folder_sensor
from dagster_project.quality.checks import quality_checks
from dagster_project.reconcile.assets import decision_tables
from dagster_project.serving.assets import published_warehouse
from dagster_project.serving.jobs import build_warehouse_job, daily_build_schedule

defs = Definitions(
    assets=[warehouse_workspace, *raw_assets, taxonomy_tables, decision_tables, itam_dbt_assets, published_warehouse],
    asset_checks=quality_checks,
    jobs=[build_warehouse_job],
    schedules=[daily_build_schedule],
    sensors=[new_export_folder_sensor],
    resources={"dbt": dbt_resource()},
)
