"""Great Expectations suites as Dagster asset checks on the raw/<entity> assets.

One check step per entity runs right after its ingestion and reports one asset check per
expectation (`gx_<check>`), with rows checked, rows failed and pass rate in its metadata. An
expectation declared `severity: critical` in its suite file is a blocking ERROR check: when it
fails, nothing downstream of that raw table runs, so nothing is published and the previously
published warehouse stays (docs/data-quality.md). `warning` expectations are WARN checks.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    multi_asset_check,
)

from dagster_project.build.keys import WORKSPACE_KEY, raw_key
from dagster_project.build.resource import ItamResource
from dagster_project.quality.suites import Suite, SuiteError, load_suites
from dagster_project.warehouse import connect


def _metadata(j, entity: str, validated: list[str], evaluated: list[str]) -> dict:
    e = j.expectation
    meta = {
        "table": f"raw.{entity}",
        "expectation": f"{e.type}({e.column_label})" if e.column_label else e.type,
        "severity": "blocking (critical)" if e.blocking else "warning",
        "why": e.why,
        "rows_checked": j.rows_checked,
        "rows_failed": j.rows_failed,
        "exports_evaluated": len(evaluated),
        "exports_validated_now": len(validated),
        "detail": " | ".join(j.details) if j.details else "none",
    }
    if j.pass_rate is not None:
        meta["pass_rate"] = MetadataValue.float(j.pass_rate)
    return meta


def _suite_check(suite: Suite):
    key = raw_key(suite.entity)

    @multi_asset_check(
        name=f"gx_{suite.entity}",
        # Every spec is blocking, so the audit/expectation_results asset (downstream of every raw
        # table) waits for all results before dbt reads them; only a critical expectation fails
        # with ERROR severity, which is what stops downstream.
        specs=[AssetCheckSpec(e.check_name, asset=key, blocking=True,
                              description=f"{e.why} ({'blocks publishing' if e.blocking else 'warns'}; "
                                          f"expectations/{suite.path.name})")
               for e in suite.expectations],
        description=f"Great Expectations suite expectations/{suite.path.name} on each "
                    f"{suite.source}/{suite.entity} export.",
    )
    def _check(context: AssetCheckExecutionContext, itam: ItamResource):
        from dagster_project.quality.datadocs import write_entity_pages
        from dagster_project.quality.validation import validate_entity

        s = itam.settings
        con = connect(s.build_db, settings=s)
        try:
            v = validate_entity(con, suite, log=context.log.info)
        finally:
            con.close()
        if v.documents:
            index = write_entity_pages(s.warehouse, suite, v.documents)
            context.log.info(f"Data Docs: {index}")
        for j in v.judgements:
            e = j.expectation
            yield AssetCheckResult(
                asset_key=key, check_name=e.check_name, passed=j.passed,
                severity=AssetCheckSeverity.ERROR if e.blocking else AssetCheckSeverity.WARN,
                metadata=_metadata(j, suite.entity, v.validated, v.evaluated))

    return _check


def _broken_suites_check(message: str):
    """Suite files that do not load stop the build with the file, key and fix, before any data
    is judged by half a rule set."""

    @multi_asset_check(
        name="expectation_suites",
        specs=[AssetCheckSpec("expectation_suites_valid", asset=WORKSPACE_KEY, blocking=True,
                              description="Every suite file in expectations/ loads.")],
    )
    def _check(context: AssetCheckExecutionContext):
        yield AssetCheckResult(asset_key=WORKSPACE_KEY, check_name="expectation_suites_valid",
                               passed=False, severity=AssetCheckSeverity.ERROR,
                               metadata={"detail": message})

    return _check


def quality_checks(expectations_dir) -> list:
    """The checks of the suites in `expectations_dir` (the settings' expectations folder)."""
    try:
        suites = load_suites(expectations_dir)
    except SuiteError as exc:
        return [_broken_suites_check(str(exc))]
    return [_suite_check(s) for s in suites.values()]
