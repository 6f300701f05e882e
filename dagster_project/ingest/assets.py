"""Ingestion assets: one per landing entity, writing raw.<entity>, audit.loads, audit.quarantine
into the build file (dagster_project/build/workspace.py creates it)."""

from functools import lru_cache
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    asset,
)

from dagster_project.build.keys import WORKSPACE_KEY, raw_key
from dagster_project.build.resource import ItamResource
from dagster_project.contract import ENTITIES, Entity
from dagster_project.ingest.load import ingest_entity
from dagster_project.ingest.rules import load_rules
from dagster_project.warehouse import connect

__all__ = ["WORKSPACE_KEY", "raw_key", "raw_assets"]


@lru_cache(maxsize=8)
def _max_quarantined_pct(taxonomy: Path, stamp: float) -> float:
    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.governance.problems import TaxonomyError

    try:
        return float(load_taxonomy(taxonomy).policies.max_quarantined_pct)
    except TaxonomyError:
        return 100.0  # an invalid taxonomy stops the build in the taxonomy step, with its message


def max_quarantined_pct(taxonomy: Path) -> float:
    policies = taxonomy / "policies.yaml"
    return _max_quarantined_pct(taxonomy, policies.stat().st_mtime if policies.exists() else 0.0)


def over_threshold(report, limit: float) -> list[str]:
    """Files of this load with more than `limit` % of their rows quarantined, as warnings that say
    how many, which file and where to look."""
    lines = []
    for f in report.files:
        rows = f.rows_loaded + f.rows_quarantined
        if f.status == "loaded" and rows and 100.0 * f.rows_quarantined / rows > limit:
            lines.append(f"{f.file}: {f.rows_quarantined} of {rows} rows quarantined "
                         f"({100.0 * f.rows_quarantined / rows:.0f}% > max_quarantined_pct {limit:g}% "
                         f"of policies.yaml); see audit.quarantine where file = '{f.file}'")
    return lines


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
            AssetCheckSpec("rows_accepted", asset=key, blocking=True,
                           description="No row of this load was quarantined (warns); more than "
                                       "max_quarantined_pct of one file's rows stops the build."),
        ],
        metadata={"source": e.source, "required_columns": ", ".join(e.required)},
    )
    def _raw_asset(context: AssetExecutionContext, itam: ItamResource):
        s = itam.settings
        con = connect(s.build_db, settings=s)
        try:
            report = ingest_entity(con, s.landing, e.name, log=context.log.debug,
                                   rules=load_rules(s.taxonomy), decisions=s.decisions,
                                   decisions_key=s.decisions_key)
            total_rows = con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
        finally:
            con.close()
        if report.waivers_refused:  # the decisions asset's chain_intact check names it in the build's warnings
            context.log.warning(f"{e.name}: waivers not honoured: {report.waivers_refused}")
        rejected = list(report.rejections)
        too_many = over_threshold(report, max_quarantined_pct(s.taxonomy))
        where = f"see audit.quarantine where entity = '{e.name}'"
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
                    metadata={"rejections": "\n".join(rejected[:20]) or "none",
                              "detail": (f"{len(rejected)} file(s) rejected: " + "; ".join(rejected[:3])
                                         + " (see audit.loads where status = 'rejected')") if rejected else "none"},
                ),
                AssetCheckResult(
                    check_name="rows_accepted", passed=report.rows_quarantined == 0,
                    severity=AssetCheckSeverity.ERROR if too_many else AssetCheckSeverity.WARN,
                    metadata={"rows_quarantined": report.rows_quarantined,
                              "detail": "; ".join(too_many) if too_many else
                              (f"{report.rows_quarantined} row(s) of {e.source}/{e.name} quarantined; {where}"
                               if report.rows_quarantined else "none")},
                ),
            ],
        )

    return _raw_asset


raw_assets = [_build_raw_asset(e) for e in ENTITIES]
