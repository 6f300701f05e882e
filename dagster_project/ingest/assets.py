"""Ingestion assets: the private build workspace, then one asset per landing entity."""

import shutil

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    MaterializeResult,
    asset,
)

from dagster_project.contract import ENTITIES, Entity
from dagster_project.ingest.discover import discover_files
from dagster_project.ingest.load import ensure_schemas, ingest_entity, record_unclaimed
from dagster_project.ingest.rules import load_rules
from dagster_project.quality.results import ensure_tables as ensure_quality_tables
from dagster_project.settings import Settings
from dagster_project.warehouse import connect

WORKSPACE_KEY = AssetKey(["warehouse_workspace"])


@asset(
    key=WORKSPACE_KEY,
    group_name="ingest",
    description="The private build file: a copy of the published warehouse (which holds every "
    "earlier load), so a failed build never touches what readers see.",
)
def warehouse_workspace(context: AssetExecutionContext) -> MaterializeResult:
    s = Settings.from_env()
    build = s.build_db
    for leftover in (build, build.with_name(build.name + ".wal")):
        leftover.unlink(missing_ok=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    if s.warehouse.exists():
        shutil.copyfile(s.warehouse, build)
        context.log.info(f"build workspace {build} copied from published {s.warehouse}")
    con = connect(build, settings=s)
    try:
        ensure_schemas(con)
        ensure_quality_tables(con)  # dbt reads audit.expectation_results even before a check ran
        # files no entity claims (unknown source folders, ignored names) get their audit.loads row
        record_unclaimed(con, discover_files(s.landing), log=context.log.info)
    finally:
        con.close()
    return MaterializeResult(metadata={"build_file": str(build), "from_published": s.warehouse.exists()})


def raw_key(entity_name: str) -> AssetKey:
    return AssetKey(["raw", entity_name])


def _build_raw_asset(e: Entity):
    key = raw_key(e.name)

    @asset(
        key=key,
        deps=[WORKSPACE_KEY],
        group_name="ingest",
        description=f"{e.source}/<export_date>/{e.name}.(csv|parquet|json) exports, typed, with "
        "lineage; bad rows quarantined in audit.quarantine."
        + (" Project extension of the landing contract." if e.extension else ""),
        check_specs=[
            AssetCheckSpec("files_accepted", asset=key,
                           description="No export file of this entity was rejected whole."),
            AssetCheckSpec("rows_accepted", asset=key,
                           description="No row of this load was quarantined."),
        ],
        metadata={"source": e.source, "required_columns": ", ".join(e.required)},
    )
    def _raw_asset(context: AssetExecutionContext):
        s = Settings.from_env()
        con = connect(s.build_db, settings=s)
        try:
            report = ingest_entity(con, s.landing, e.name, log=context.log.info,
                                   rules=load_rules(s.taxonomy), decisions=s.decisions)
            total_rows = con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
        finally:
            con.close()
        rejected = list(report.rejections)
        yield MaterializeResult(
            metadata={
                "files_loaded": report.files_loaded,
                "files_skipped": report.files_skipped,
                "files_rejected": report.files_rejected,
                "rows_loaded": report.rows_loaded,
                "rows_quarantined": report.rows_quarantined,
                "rows_in_table": total_rows,
            },
            check_results=[
                AssetCheckResult(
                    check_name="files_accepted", passed=not rejected,
                    severity=AssetCheckSeverity.WARN,
                    metadata={"rejections": "\n".join(rejected[:20]) or "none"},
                ),
                AssetCheckResult(
                    check_name="rows_accepted", passed=report.rows_quarantined == 0,
                    severity=AssetCheckSeverity.WARN,
                    metadata={"rows_quarantined": report.rows_quarantined},
                ),
            ],
        )

    return _raw_asset


raw_assets = [_build_raw_asset(e) for e in ENTITIES]
