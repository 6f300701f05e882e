"""What a build read, and which snapshots must be recomputed (issue 15.2,
docs/decisions/incremental-snapshots.md).

Two levels:
- the build's inputs (every landing file's checksum, every governance file's checksum, the dbt
  project's code, the as-of setting), stored in `audit.build_inputs` of the published file: when
  nothing differs, `itam build` stops before Dagster and dbt (`unchanged_since_published`);
- one fingerprint per snapshot date, stored in `audit.snapshot_fingerprints`: the checksums of
  the loads exported on or before that date (a snapshot reads nothing later:
  docs/decisions/history-and-snapshots.md) and the governance the models read (the taxonomy
  tables, the waivers that release quarantined rows, the dbt code). A snapshot is recomputed
  only when its fingerprint changed (`plan_snapshots`)."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from dagster_project.settings import DBT_DIR, Settings

INPUTS_TABLE = "audit.build_inputs"           # what the published build read (kind, name, sha256)
PENDING_INPUTS_TABLE = "audit.build_inputs_pending"  # what this build reads; becomes the above
SNAPSHOTS_TABLE = "audit.snapshot_fingerprints"
NOTHING_NEW = "nothing new, published file unchanged"
SNAPSHOT_LOG_PREFIX = "snapshots: "  # the dbt step's line the build prints (progress.py)
# The dbt project's parts that decide what a model computes.
_DBT_CODE = ("models", "macros", "tests", "dbt_project.yml")
# Decisions only feed the non-snapshot marts, except the waivers, which release quarantined rows.
_WAIVERS = "waivers.csv"


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        return []
    return sorted(Path(d) / n for d, _, names in os.walk(root) for n in names)


def _hash_tree(root: Path, kind: str, base: Path | None = None) -> dict[tuple[str, str], str]:
    base = base or root
    return {(kind, p.relative_to(base).as_posix()): _sha256_file(p) for p in _files(root)}


def collect_inputs(s: Settings) -> dict[tuple[str, str], str]:
    """(kind, name) -> sha256 of everything a build reads. Landing files by content, so a
    touched or copied-back file is still the same input."""
    found: dict[tuple[str, str], str] = {}
    found |= _hash_tree(s.landing, "landing")
    found |= _hash_tree(s.taxonomy, "taxonomy")
    found |= _hash_tree(s.decisions, "decisions")
    found |= _hash_tree(s.mappings, "mappings")
    found |= _hash_tree(s.expectations, "expectations")
    for part in _DBT_CODE:
        found |= _hash_tree(DBT_DIR / part, "dbt", base=DBT_DIR)
    found[("setting", "as_of")] = s.as_of or ""
    return found


def _table_exists(con, qualified: str) -> bool:
    schema, name = qualified.split(".")
    return bool(con.execute("select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                            [schema, name]).fetchone()[0])


def read_inputs(con, table: str = INPUTS_TABLE) -> dict[tuple[str, str], str] | None:
    if not _table_exists(con, table):
        return None
    return {(k, n): h for k, n, h in con.execute(f"select kind, name, sha256 from {table}").fetchall()}


def write_inputs(con, inputs: dict[tuple[str, str], str], table: str) -> None:
    con.execute(f"create or replace table {table} (kind varchar, name varchar, sha256 varchar)")
    if inputs:
        con.executemany(f"insert into {table} values (?, ?, ?)", [[k, n, h] for (k, n), h in sorted(inputs.items())])


def unchanged_since_published(s: Settings) -> str | None:
    """The published warehouse's as-of date when it was built from exactly these inputs (same
    landing files by checksum, same governance, same dbt code, same as-of setting), else None.
    Opens the published file read-only: its bytes and mtime do not change."""
    if not s.warehouse.exists():
        return None
    try:
        con = duckdb.connect(str(s.warehouse), read_only=True)
    except duckdb.Error:
        return None
    try:
        before = read_inputs(con)
        if before is None or before != collect_inputs(s):
            return None
        as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
        return str(as_of)
    except duckdb.Error:
        return None
    finally:
        con.close()


def describe_changes(before: dict | None, after: dict) -> list[str]:
    """One line per kind that changed, naming the files ('taxonomy changed: asset_classes.yaml')."""
    if before is None:
        return []
    lines = []
    for kind in ("taxonomy", "decisions", "mappings", "expectations", "dbt", "setting"):
        b = {n: h for (k, n), h in before.items() if k == kind}
        a = {n: h for (k, n), h in after.items() if k == kind}
        changed = sorted(n for n in a.keys() | b.keys() if a.get(n) != b.get(n))
        if changed:
            what = "dbt models" if kind == "dbt" else kind
            shown = ", ".join(changed[:5]) + (f" and {len(changed) - 5} more" if len(changed) > 5 else "")
            lines.append(f"{what} changed: {shown}")
    return lines


@dataclass
class SnapshotPlan:
    """What dbt recomputes: `dates` (None = every snapshot, from scratch) and why."""
    all_dates: list[str]
    dates: list[str] | None
    fingerprints: dict[str, str]
    reasons: list[str] = field(default_factory=list)

    @property
    def full_refresh(self) -> bool:
        return self.dates is None

    def dbt_vars(self) -> dict:
        # dbt reads this list in the macros snapshot_dates()/snapshot_ref(); absent = every date.
        return {} if self.full_refresh else {"snapshot_dates": self.dates}

    def summary(self) -> str:
        n = len(self.all_dates) if self.full_refresh else len(self.dates or [])
        why = "; ".join(self.reasons) if self.reasons else "no snapshot input changed"
        return f"{why}; recomputing {n} of {len(self.all_dates)} snapshot(s)"


def _governance_hash(con, inputs: dict[tuple[str, str], str]) -> str:
    """The taxonomy as loaded (every taxonomy.* table, so a loader change counts too), the
    waivers and the dbt code."""
    h = hashlib.sha256()
    tables = [r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'taxonomy' order by 1").fetchall()]
    for t in tables:
        # taxonomy.meta says when the files were loaded: that is not governance content.
        digest = con.execute(
            f"select coalesce(string_agg(h, '' order by h), '') from (select md5(x::varchar) as h "
            f"from (select * exclude (loaded_at) from taxonomy.\"{t}\") x)" if t == "meta" else
            f"select coalesce(string_agg(md5(x::varchar), '' order by md5(x::varchar)), '') from taxonomy.\"{t}\" x"
        ).fetchone()[0]
        h.update(f"taxonomy.{t}:{hashlib.md5(digest.encode()).hexdigest()}\n".encode())
    for (kind, name), sha in sorted(inputs.items()):
        if kind == "dbt" or (kind == "decisions" and Path(name).name == _WAIVERS):
            h.update(f"{kind}/{name}:{sha}\n".encode())
    return h.hexdigest()


def snapshot_dates(con, as_of: str | None) -> list[str]:
    """The as-of dates the models compute (dbt's int_as_of_dates: every export date of a
    snapshot source up to as-of, plus as-of itself). Taken over every non-reference raw table, a
    superset of int_export_dates' entities: a date dbt does not compute is planned harmlessly
    (its filter matches nothing), while a date missing here would never be computed."""
    from dagster_project.contract import ENTITIES

    parts = [f"select distinct _export_date as d from raw.{e.name}" for e in ENTITIES if e.source != "reference"
             and _table_exists(con, f"raw.{e.name}")]
    if not parts:
        return [as_of] if as_of else []
    dates = {str(r[0]) for r in con.execute(" union ".join(parts)).fetchall() if r[0] is not None}
    if as_of:
        dates = {d for d in dates if d <= as_of} | {as_of}
    return sorted(dates)


def plan_snapshots(con, s: Settings, inputs: dict[tuple[str, str], str]) -> SnapshotPlan:
    """Compare each snapshot's fingerprint with the one stored by the build that made this file."""
    dates = snapshot_dates(con, s.as_of)
    governance = _governance_hash(con, inputs)
    loads = con.execute(
        "select cast(export_date as varchar), file, content_hash from audit.loads "
        "where status = 'loaded' and export_date is not null order by 1, 2").fetchall()
    fingerprints: dict[str, str] = {}
    running = hashlib.sha256(governance.encode())
    i = 0
    for d in dates:  # loads exported on or before d, in a running hash (dates ascending)
        while i < len(loads) and loads[i][0] <= d:
            running.update(f"{loads[i][1]}:{loads[i][2]}\n".encode())
            i += 1
        fingerprints[d] = running.copy().hexdigest()

    before_inputs = read_inputs(con)
    stored = dict(con.execute(f"select cast(as_of_date as varchar), fingerprint from {SNAPSHOTS_TABLE}").fetchall()) \
        if _table_exists(con, SNAPSHOTS_TABLE) else None
    plan = SnapshotPlan(all_dates=dates, dates=None, fingerprints=fingerprints)
    if stored is None or before_inputs is None or not _table_exists(con, "marts.dim_asset"):
        plan.reasons.append("no snapshot fingerprints in the warehouse (first build)")
        return plan
    plan.reasons += describe_changes(before_inputs, inputs)
    new_exports = sorted({"/".join(n.split("/")[:2]) for (k, n), h in inputs.items()
                          if k == "landing" and before_inputs.get((k, n)) != h})
    if new_exports:
        plan.reasons.insert(0, "new or changed export(s): " + ", ".join(new_exports[:6])
                            + (f" and {len(new_exports) - 6} more" if len(new_exports) > 6 else ""))
    gone = sorted(set(stored) - set(dates))
    if gone:  # e.g. an earlier --as-of: snapshots to drop, which only a rebuild from scratch does
        plan.reasons.append(f"snapshot(s) {', '.join(gone)} no longer in range (as-of {s.as_of or 'latest'})")
        return plan
    todo = [d for d in dates if stored.get(d) != fingerprints[d]]
    # Every snapshot changed (the taxonomy, the dbt code, the waivers, or a back-dated export
    # before the first snapshot): rebuilding the tables from scratch is the same and simpler,
    # and a changed model may have changed columns.
    plan.dates = None if len(todo) == len(dates) else todo
    return plan


def record_snapshots(con, plan: SnapshotPlan, build_id: str) -> None:
    """After dbt succeeded: the fingerprints of every snapshot now in the marts, and the inputs."""
    con.execute(f"create or replace table {SNAPSHOTS_TABLE} (as_of_date date, fingerprint varchar, build_id varchar)")
    if plan.fingerprints:
        con.executemany(f"insert into {SNAPSHOTS_TABLE} values (?, ?, ?)",
                        [[d, fp, build_id] for d, fp in plan.fingerprints.items()])
    pending = read_inputs(con, PENDING_INPUTS_TABLE) or {}
    write_inputs(con, pending, INPUTS_TABLE)
    con.execute(f"drop table if exists {PENDING_INPUTS_TABLE}")
