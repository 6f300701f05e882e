"""Every asset key the build graph joins on, in one place (the dbt translator maps dbt sources to
these same keys, so ingest, governance, quality and dbt join up)."""
from __future__ import annotations

from dagster import AssetKey

WORKSPACE_KEY = AssetKey(["warehouse_workspace"])
PUBLISHED_KEY = AssetKey(["published_warehouse"])
# Written during ingest and by the Great Expectations checks; read by dbt (stg_audit__*).
LOADS_KEY = AssetKey(["audit", "loads"])
QUARANTINE_KEY = AssetKey(["audit", "quarantine"])
EXPECTATION_RESULTS_KEY = AssetKey(["audit", "expectation_results"])


def raw_key(entity_name: str) -> AssetKey:
    return AssetKey(["raw", entity_name])


def taxonomy_key(table: str) -> AssetKey:
    return AssetKey(["taxonomy", table])


def decisions_key(table: str) -> AssetKey:
    return AssetKey(["decisions", table])


def dbt_key(source_or_schema: str, name: str) -> AssetKey:
    return AssetKey([source_or_schema, name])
