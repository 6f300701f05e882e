"""Every dbt model as a Dagster asset; dbt tests become asset checks (error = blocking)."""

import json
import os
from typing import Any, Mapping

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.dbt.project import dbt_project, ensure_manifest


class ItamTranslator(DagsterDbtTranslator):
    """Models keyed by their layer (staging/intermediate/marts); sources keep [source, table],
    which are the keys the ingest and governance assets use, so the graph joins up."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return dbt_resource_props["schema"]


ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ItamTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def itam_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    as_of = os.environ.get("ITAM_AS_OF", "")
    yield from dbt.cli(
        ["build", "--vars", json.dumps({"as_of": as_of})],
        context=context,
        target_path=dbt_project.target_path,
    ).stream()


MART_KEYS = [k for k in itam_dbt_assets.keys if k.path[0] == "marts"]
