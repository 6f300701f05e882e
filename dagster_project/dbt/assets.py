"""Every dbt model as a Dagster asset; dbt tests (source and singular ones included) become asset
checks (error = blocking). dbt gets everything it needs as --vars built from the settings resource."""

import json
from collections.abc import Mapping
from typing import Any

from dagster import AssetCheckSpec, AssetExecutionContext, AssetKey, Failure
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from dagster_project.build.fingerprint import (
    PENDING_INPUTS_TABLE,
    SNAPSHOT_LOG_PREFIX,
    collect_inputs,
    plan_snapshots,
    read_inputs,
    record_snapshots,
)
from dagster_project.build.keys import dbt_key
from dagster_project.build.resource import ItamResource
from dagster_project.dbt.project import dbt_project, ensure_manifest
from dagster_project.warehouse import connect


class ItamTranslator(DagsterDbtTranslator):
    """Models keyed by their layer (staging/intermediate/marts); sources keep [source, table],
    which are the keys the ingest, governance and audit assets use, so the graph joins up."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dbt_key(dbt_resource_props["source_name"], dbt_resource_props["name"])
        return dbt_key(dbt_resource_props["schema"], dbt_resource_props["name"])

    def get_asset_check_spec(self, asset_spec, manifest, unique_id, project):
        """A test on a source (raw, taxonomy, audit, decisions) is a check on the asset that writes
        that table, run by dbt: not blocking in Dagster's sense, or the audit assets (downstream of
        raw) would have to wait for dbt, which waits for them. dbt itself still skips everything
        downstream of a failing error-severity source test, so nothing is published."""
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is not None and manifest["nodes"].get(unique_id, {}).get("depends_on", {}).get("nodes", [""])[0].startswith("source."):
            spec = spec._replace(blocking=False) if hasattr(spec, "_replace") else AssetCheckSpec(
                name=spec.name, asset=spec.asset_key, description=spec.description,
                additional_deps=spec.additional_deps, blocking=False, metadata=spec.metadata)
        return spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return None
        return dbt_resource_props["schema"]


ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=ItamTranslator(settings=DagsterDbtTranslatorSettings(
        enable_asset_checks=True, enable_source_tests_as_checks=True)),
)
def itam_dbt_assets(context: AssetExecutionContext, dbt: DbtCliResource, itam: ItamResource):
    s = itam.settings
    s.dbt_log_dir.mkdir(parents=True, exist_ok=True)
    # Which snapshots to recompute (issue 15.2): the fingerprints stored by the build that made
    # this file against this build's inputs. The connection is closed before dbt opens the file.
    con = connect(s.build_db, settings=s)
    try:
        plan = plan_snapshots(con, s, read_inputs(con, PENDING_INPUTS_TABLE) or collect_inputs(s))
    finally:
        con.close()
    context.log.info(SNAPSHOT_LOG_PREFIX + plan.summary())
    if s.engine == "spark":
        # issue 18: Spark reads the sources as Parquet (dbt's on-run-start hook registers them)
        from dagster_project.spark import available
        from dagster_project.spark.sources import export_sources

        if why := available():
            raise Failure(f"--engine spark: {why}")
        counts = export_sources(s, s.spark_dir / "sources")
        context.log.info(f"spark: {len(counts)} source tables written as Parquet to {s.spark_dir / 'sources'}")
    args = ["build", *itam.dbt_target(), "--vars", json.dumps(itam.dbt_vars(plan.dbt_vars())),
            "--log-path", str(s.dbt_log_dir),
            # No colour codes in the files the build writes (its log, dbt.log next to the warehouse).
            "--no-use-colors", "--no-use-colors-file"]
    if plan.full_refresh:
        args.append("--full-refresh")
    # This warehouse's own target folder: a build of another warehouse running at the same time
    # never reads or rewrites its manifest, partial parse or run results (build-isolation.md).
    yield from dbt.cli(args, context=context, target_path=s.dbt_target_dir).stream()
    if s.engine == "spark":
        # The tables Spark wrote replace the build file's, so publish and every reader see them.
        from dagster_project.spark.marts import import_tables

        counts = import_tables(s, ("intermediate", "marts"))
        context.log.info(f"spark: {len(counts)} tables read back into {s.build_db.name}")
    # dbt succeeded (a failure raised above): these snapshots now match their fingerprints.
    con = connect(s.build_db, settings=s)
    try:
        record_snapshots(con, plan, context.run.run_id)
    finally:
        con.close()


MART_KEYS = [k for k in itam_dbt_assets.keys if k.path[0] == "marts"]
