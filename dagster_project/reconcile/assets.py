"""The decisions store read into schema `decisions` of the build file, before dbt runs, so every
build (a rebuild from nothing included) carries every resolution and sign-off ever recorded."""

from dagster import AssetExecutionContext, AssetSpec, Failure, MaterializeResult, multi_asset

from dagster_project.build.keys import WORKSPACE_KEY, decisions_key
from dagster_project.build.resource import ItamResource
from dagster_project.reconcile.decisions import DecisionsError, DecisionsStore, verify_chain, write_decision_tables
from dagster_project.warehouse import connect

DECISION_TABLES = ("resolutions", "signoffs")


@multi_asset(
    specs=[
        AssetSpec(decisions_key(t), deps=[WORKSPACE_KEY], group_name="governance",
                  description=f"decisions.{t}, from the reconciliation decisions store (ITAM_DECISIONS)")
        for t in DECISION_TABLES
    ],
    name="reconciliation_decisions",
)
def decision_tables(context: AssetExecutionContext, itam: ItamResource):
    s = itam.settings
    store = DecisionsStore(s.decisions)
    con = connect(s.build_db, settings=s)
    try:
        counts = write_decision_tables(con, store)
    except DecisionsError as exc:
        # The store is edited by people (and reviewed in version control): name the line.
        raise Failure(description=f"reconciliation decisions in {s.decisions} are invalid: {exc}") from exc
    finally:
        con.close()
    context.log.debug(f"decisions from {s.decisions}: {counts}")
    # A broken chain does not stop the build (the marts must stay current) but must not go unseen;
    # `itam reconcile verify` fails on it and no command extends it.
    chain = verify_chain(store)
    if chain.problems:
        context.log.warning(f"the decisions chain in {s.decisions} is broken: {chain.problems[0]}")
    for t in DECISION_TABLES:
        yield MaterializeResult(asset_key=decisions_key(t), metadata={"rows": counts[t]})
