"""The private build file, and the audit tables as assets of their own.

The workspace is a copy of the published warehouse (which holds every earlier load), stamped with
this run's build id so publish can prove the file it renames is its own (issue 17.1). `audit.loads`
and `audit.expectation_results` are assets downstream of every raw table (and so of every blocking
Great Expectations check on them): dbt's stg_audit__* models depend on them, which is what orders
"checks write results" before "fct_data_quality reads them" (issue 15.1)."""

import shutil
from datetime import UTC, datetime

from dagster import AssetExecutionContext, MaterializeResult, asset

from dagster_project.build.fingerprint import PENDING_INPUTS_TABLE, collect_inputs, write_inputs
from dagster_project.build.keys import EXPECTATION_RESULTS_KEY, LOADS_KEY, WORKSPACE_KEY, raw_key
from dagster_project.build.resource import ItamResource, WarehouseLockResource
from dagster_project.contract import ENTITIES
from dagster_project.ingest.discover import discover_files
from dagster_project.ingest.load import ensure_schemas, record_unclaimed
from dagster_project.quality.results import ensure_tables as ensure_quality_tables
from dagster_project.warehouse import connect

BUILD_IDENTITY = "audit.build_identity"


def stamp_identity(con, build_id: str, started_at: datetime | None = None) -> None:
    """Mark a build file as this writer's: publish renames only a file carrying its own id."""
    con.execute(f"create or replace table {BUILD_IDENTITY} (build_id varchar, started_at timestamp)")
    con.execute(f"insert into {BUILD_IDENTITY} values (?, ?)",
                [build_id, started_at or datetime.now(UTC).replace(tzinfo=None)])


@asset(
    key=WORKSPACE_KEY,
    group_name="build",
    description="The private build file: a copy of the published warehouse (which holds every "
    "earlier load), so a failed build never touches what readers see. Stamped with the run id.",
)
def warehouse_workspace(context: AssetExecutionContext, itam: ItamResource,
                        warehouse_lock: WarehouseLockResource) -> MaterializeResult:
    s = itam.settings
    build = s.build_db
    # Only the lock holder gets here, so whatever sits at the build path is a dead build's leftover.
    for leftover in (build, build.with_name(build.name + ".wal")):
        leftover.unlink(missing_ok=True)
    build.parent.mkdir(parents=True, exist_ok=True)
    if s.warehouse.exists():
        shutil.copyfile(s.warehouse, build)
    con = connect(build, settings=s)
    try:
        ensure_schemas(con)
        ensure_quality_tables(con)  # dbt reads audit.expectation_results even before a check ran
        # every landing file no entity claims (unknown source, ignored names) gets its audit.loads row
        if s.landing.is_dir():
            record_unclaimed(con, discover_files(s.landing), log=context.log.debug)
        # What this build reads, taken before ingest starts; becomes audit.build_inputs once dbt
        # succeeded (fingerprint.py), which is what a later no-op build compares against.
        write_inputs(con, collect_inputs(s), PENDING_INPUTS_TABLE)
        stamp_identity(con, context.run.run_id)
    finally:
        con.close()
    return MaterializeResult(metadata={"build_file": str(build), "from_published": s.warehouse.exists(),
                                       "build_id": context.run.run_id})


def _count(itam: ItamResource, sql: str) -> int:
    s = itam.settings
    con = connect(s.build_db, read_only=False, settings=s)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@asset(key=LOADS_KEY, deps=[raw_key(e.name) for e in ENTITIES], group_name="build",
       description="audit.loads: one row per landing file seen, written while each raw table loads.")
def audit_loads(itam: ItamResource) -> MaterializeResult:
    return MaterializeResult(metadata={"rows": _count(itam, "select count(*) from audit.loads")})


@asset(key=EXPECTATION_RESULTS_KEY, deps=[raw_key(e.name) for e in ENTITIES], group_name="build",
       description="audit.expectation_results: one row per load × Great Expectations expectation, "
       "written by the gx_<entity> checks on the raw tables (all blocking, so all ran before this).")
def expectation_results(itam: ItamResource) -> MaterializeResult:
    return MaterializeResult(metadata={"rows": _count(itam, "select count(*) from audit.expectation_results")})
