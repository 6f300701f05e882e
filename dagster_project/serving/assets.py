"""The published warehouse: materialised only when everything upstream, dbt tests included,
passed; a blocking failure anywhere leaves the previously published file untouched."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, asset

from dagster_project.dbt.assets import MART_KEYS
from dagster_project.serving.publish import publish
from dagster_project.settings import Settings

PUBLISHED_KEY = AssetKey(["published_warehouse"])


@asset(
    key=PUBLISHED_KEY,
    deps=MART_KEYS,
    group_name="serving",
    description="The read-only snapshot dashboards and finance read (ITAM_WAREHOUSE).",
)
def published_warehouse(context: AssetExecutionContext) -> MaterializeResult:
    result = publish(Settings.from_env(), context.run.run_id)
    context.log.info(f"published {result['published']} as of {result['as_of_date']}")
    return MaterializeResult(metadata=result)
