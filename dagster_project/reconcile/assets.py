"""The decisions store read into schema `decisions` of the build file, before dbt runs, so every
build (a rebuild from nothing included) carries every resolution and sign-off ever recorded."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    Failure,
    MaterializeResult,
    multi_asset,
)

from dagster_project.build.keys import WORKSPACE_KEY, decisions_key
from dagster_project.build.resource import ItamResource
from dagster_project.decisions.store import DecisionsError, DecisionsStore, verify_chain, write_decision_tables
from dagster_project.ingest.quarantine import waiver_refusal
from dagster_project.warehouse import connect

DECISION_TABLES = ("resolutions", "signoffs")


@multi_asset(
    specs=[
        AssetSpec(decisions_key(t), deps=[WORKSPACE_KEY], group_name="governance",
                  description=f"decisions.{t}, from the reconciliation decisions store (ITAM_DECISIONS)")
        for t in DECISION_TABLES
    ],
    name="reconciliation_decisions",
    check_specs=[AssetCheckSpec("chain_intact", asset=decisions_key("resolutions"),
                                description="The decisions store's hash chain recomputes (`itam reconcile "
                                            "verify`); while it does not, no waiver releases a quarantined row.")],
)
def decision_tables(context: AssetExecutionContext, itam: ItamResource):
    s = itam.settings
    store = DecisionsStore(s.decisions, key=s.decisions_key)
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
    problem = chain.problems[0] if chain.problems else waiver_refusal(s.decisions, s.decisions_key)
    if problem:
        context.log.warning(f"the decisions store {s.decisions}: {problem}")
    for t in DECISION_TABLES:
        yield MaterializeResult(asset_key=decisions_key(t), metadata={"rows": counts[t]})
    yield AssetCheckResult(
        asset_key=decisions_key("resolutions"), check_name="chain_intact", passed=not problem,
        severity=AssetCheckSeverity.WARN,
        metadata={"detail": f"decisions store {s.decisions}: {problem} — no waiver is honoured until it is "
                            "repaired (`itam reconcile verify`)" if problem else "none"})
