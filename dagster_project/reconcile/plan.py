"""Whether `itam reconcile` can reuse the published warehouse or must build, and as of when.

The quarter's snapshot is the quarter-end date. When the landing already holds exports after the
quarter, building as of the quarter-end would move the published warehouse back in time (the
dashboards would lose the newer snapshots), so the build then runs as of the latest export and the
quarter is represented by its last export date (dim_reconciliation_quarter; the manifest says so).

Reuse needs all of: the wanted snapshot is in the warehouse, no landing file is waiting to be
loaded, and the taxonomy and the decisions store are the ones the warehouse was built from.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from dagster_project.decisions.store import DecisionsStore
from dagster_project.reconcile.quarter import Quarter
from dagster_project.settings import Settings

DECISIONS_CHANGED = "decisions changed since the last build"


class PlanError(Exception):
    """No snapshot can represent the quarter (a one-line reason)."""


@dataclass(frozen=True)
class Plan:
    snapshot: date          # the as-of date that represents the quarter
    build_as_of: str | None  # what to build with (None = the latest export date)
    reuse: bool
    reason: str             # why we build, or why reuse is safe
    decisions_only: bool = False  # only the decisions store changed: refresh its marts, no full build


def _export_dates(landing: Path) -> list[date]:
    from dagster_project.ingest.discover import discover_files

    return sorted({f.export_date for f in discover_files(landing).files})


def _pending_files(con, landing: Path) -> list[str]:
    """Landing files a build would load: not loaded yet, and not a known rejection of the same bytes."""
    from dagster_project.ingest.discover import discover_files

    rows = con.execute("select file, status, content_hash from audit.loads").fetchall()
    loaded = {f for f, status, _ in rows if status == "loaded"}
    rejected = {f: h for f, status, h in rows if status == "rejected" and h}
    pending = []
    for f in discover_files(landing).files:
        if f.rel in loaded:
            continue
        if f.rel in rejected and hashlib.sha256(f.path.read_bytes()).hexdigest() == rejected[f.rel]:
            continue
        pending.append(f.rel)
    return pending


def _stale_reason(settings: Settings, quarter: Quarter, acceptable: set[date]) -> tuple[str | None, date | None]:
    """(None, snapshot) when the published warehouse can be reused as is; else (why not, None)."""
    from dagster_project.governance.loading import content_hash as taxonomy_hash

    if not settings.warehouse.exists():
        return f"no published warehouse at {settings.warehouse}", None
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error as exc:
        return f"the warehouse cannot be opened ({exc})", None
    try:
        try:
            held = con.execute("select as_of_date from marts.dim_reconciliation_quarter where quarter = ?",
                               [quarter.label]).fetchone()
            taxonomy = con.execute("select content_hash from taxonomy.meta").fetchone()
            decisions = con.execute("select content_hash from decisions.meta").fetchone()
        except duckdb.Error:
            return "the warehouse predates the reconciliation marts", None
        if not held or held[0] not in acceptable:
            return f"the warehouse holds no {max(acceptable)} snapshot", None
        pending = _pending_files(con, settings.landing)
        if pending:
            more = f" and {len(pending) - 1} more" if len(pending) > 1 else ""
            return f"new export {pending[0]}{more} in the landing", None
        if not taxonomy or taxonomy[0] != taxonomy_hash(settings.taxonomy):
            return f"the taxonomy in {settings.taxonomy} changed since the last build", None
        if not decisions or decisions[0] != DecisionsStore(settings.decisions).content_hash():
            return f"{DECISIONS_CHANGED} in {settings.decisions}", held[0]
        return None, held[0]
    finally:
        con.close()


def plan(settings: Settings, quarter: Quarter) -> Plan:
    dates = _export_dates(settings.landing)
    if not dates:
        raise PlanError(f"no export in {settings.landing}")
    if dates[0] > quarter.end:
        raise PlanError(f"the first export in {settings.landing} is dated {dates[0]}, after {quarter} ended")
    in_quarter = [d for d in dates if d in quarter]
    if dates[-1] <= quarter.end:
        snapshot, build_as_of = quarter.end, quarter.end.isoformat()
    elif in_quarter:
        snapshot, build_as_of = in_quarter[-1], None
    else:
        snapshot, build_as_of = quarter.end, None
    # A warehouse built explicitly as of the quarter-end (itam build --as-of) also represents it.
    why, held = _stale_reason(settings, quarter, {snapshot, quarter.end})
    if why is None:
        return Plan(held, build_as_of, True, f"it holds the {held} snapshot and nothing changed since")
    if held is not None:  # everything is current but the decisions: refresh what reads them
        return Plan(held, build_as_of, False, why, decisions_only=True)
    if dates[-1] > quarter.end and not in_quarter:
        raise PlanError(f"no export in {settings.landing} is dated within {quarter} "
                        f"({quarter.start} .. {quarter.end}) and later exports exist ({why}); "
                        f"`itam build --as-of {quarter.end}` builds that snapshot explicitly")
    return Plan(snapshot, build_as_of, False, why)
