"""What becomes of a quarantined row, without anyone editing landing history (issue 17.4).

A quarantined row stays `open` until either
- a later export supersedes it: an export of the same entity with a later date loaded a row
  with the same natural key (contract.Entity.natural_key) → `superseded`, resolved_by = that
  file; or
- a waiver releases it: a row of the decisions store's `waivers.csv` names its key
  (`<file>#<row_number>`, e.g. `procurement/2026-09-30/purchase_lines.csv#7`), who, when and
  why → the delivered record is typed again without the rule that held it back and loaded into
  raw with its original lineage; the quarantine rows become `waived`, resolved_by = who.
  Only rules about plausibility or a blocking expectation can be waived: a value that is not
  a date, or holds a control character, cannot be loaded whatever anyone decides.
  A waiver releases data the rules held back, so it counts only as a verified link of the
  decisions chain (`itam reconcile waive` records it; dagster_project/decisions/store.py): while
  the chain does not recompute, or waivers.csv was written outside it, no waiver is honoured and
  the rows stay quarantined (docs/decisions/waivers-need-the-chain.md).
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb

from dagster_project.contract import LINEAGE_COLUMNS, Entity
from dagster_project.decisions.store import CHAIN_COLUMNS, WAIVER_COLUMNS, WAIVERS_FILE, DecisionsStore, verify_chain
from dagster_project.ingest.validate import file_queries, ident, lit

WAIVABLE = ("plausibility", "gx:")


class WaiverError(Exception):
    """waivers.csv is unusable; the message names file, row and column and the fix."""


@dataclass(frozen=True)
class Waiver:
    key: str           # <file>#<row_number>
    waived_by: str
    waived_at: datetime
    reason: str
    line: int

    @property
    def file(self) -> str:
        return self.key.rpartition("#")[0]

    @property
    def row_number(self) -> int:
        return int(self.key.rpartition("#")[2])


def quarantine_key(file: str, row_number: int) -> str:
    return f"{file}#{row_number}"


def read_waivers(decisions_dir: Path | None) -> list[Waiver]:
    """The waivers of the decisions store (none when the file does not exist)."""
    if decisions_dir is None:
        return []
    path = Path(decisions_dir) / WAIVERS_FILE
    if not path.exists():
        return []
    f = f"{path.parent.name}/{path.name}"
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in WAIVER_COLUMNS if c not in header]
    if missing:
        raise WaiverError(f"{f}: header: missing column(s) {', '.join(missing)} — the header is "
                          f"{','.join(WAIVER_COLUMNS)}")
    out, problems = [], []
    for line, row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in row.items() if k is not None}
        if not any(row.values()):
            continue
        for c in WAIVER_COLUMNS:
            if not row.get(c):
                problems.append(f"{f}: row {line}, column {c}: empty — a waiver names the quarantined "
                                "row, who waived it, when (YYYY-MM-DD) and why")
        key = row.get("quarantine_key", "")
        file, sep, num = key.rpartition("#")
        if key and (not sep or not file or not num.isdigit()):
            problems.append(f"{f}: row {line}, column quarantine_key: {key!r} is not <file>#<row_number> — "
                            "copy the key from audit.quarantine (file and row_number)")
            continue
        try:
            when = datetime.fromisoformat(row.get("waived_at", ""))
        except ValueError:
            if row.get("waived_at"):
                problems.append(f"{f}: row {line}, column waived_at: {row['waived_at']!r} is not a date "
                                "YYYY-MM-DD (or an ISO timestamp)")
            continue
        if all(row.get(c) for c in WAIVER_COLUMNS):
            out.append(Waiver(key, row["waived_by"], when, row["reason"], line))
    if problems:
        raise WaiverError("\n".join(problems))
    return out


def waiver_refusal(decisions_dir: Path | None, key: str | bytes | None = None) -> str | None:
    """Why no waiver of this store may be honoured, or None when its chain verifies. `key` is the
    chain's HMAC key (Settings.decisions_key): with it, sign-offs must carry valid HMACs too."""
    if decisions_dir is None or not (Path(decisions_dir) / WAIVERS_FILE).exists():
        return None
    store = DecisionsStore(decisions_dir, key=key)
    header = (Path(decisions_dir) / WAIVERS_FILE).read_text(encoding="utf-8-sig").partition("\n")[0]
    if not set(CHAIN_COLUMNS) <= {h.strip().lower() for h in header.split(",")}:
        return (f"{WAIVERS_FILE} has no chain columns ({', '.join(CHAIN_COLUMNS)}): it was written by hand, "
                "outside the decisions chain; record waivers with `itam reconcile waive`")
    chain = verify_chain(store)
    if chain.problems:
        return (f"the decisions chain is broken ({chain.problems[0]}); `itam reconcile verify` names "
                "what changed")
    return None


def supersede(con: duckdb.DuckDBPyConnection, e: Entity, now: datetime) -> int:
    """Mark open quarantine rows whose natural key a later export of the entity loaded."""
    if not e.natural_key:
        return 0
    kinds = {c.name: c.kind for c in e.columns}

    def delivered(k: str) -> str:  # the record's value as the typed raw value would print
        v = f"nullif(trim(json_extract_string(q.record, {lit(k)})), '')"
        return f"lower({v})" if kinds[k] == "enum" else v

    same_key = " AND ".join(
        f"{delivered(k)} IS NOT DISTINCT FROM nullif(trim(CAST(r.{ident(k)} AS VARCHAR)), '')"
        for k in e.natural_key)
    before = con.execute("SELECT count(*) FROM audit.quarantine WHERE entity = ? AND status = 'open'",
                         [e.name]).fetchone()[0]
    if not before:
        return 0
    con.execute(
        f"UPDATE audit.quarantine AS q SET status = 'superseded', resolved_by = s.file, resolved_at = $1, "
        f"resolution = 'a later export (' || s.file || ') loaded this key' "
        f"FROM (SELECT q.file AS qfile, q.row_number AS qrow, min(r._file) AS file "
        f"      FROM audit.quarantine q JOIN raw.{ident(e.name)} r "
        f"        ON r._export_date > q.export_date AND {same_key} "
        f"      WHERE q.entity = $2 AND q.status = 'open' GROUP BY 1, 2) s "
        f"WHERE q.file = s.qfile AND q.row_number = s.qrow AND q.status = 'open'",
        [now, e.name])
    after = con.execute("SELECT count(*) FROM audit.quarantine WHERE entity = ? AND status = 'open'",
                        [e.name]).fetchone()[0]
    return before - after


def apply_waivers(con: duckdb.DuckDBPyConnection, e: Entity, waivers: list[Waiver],
                  log: Callable[[str], None] = print,
                  refusal: Callable[[], str | None] = lambda: None) -> tuple[int, str | None]:
    """Release the open quarantined rows of this entity that a waiver names, unless `refusal()`
    (asked only when a waiver names one) says why none may be honoured. Returns rows released and
    that reason."""
    mine = {w.key: w for w in waivers}
    if not mine:
        return 0, None
    rows = con.execute(
        "SELECT file, row_number, list(DISTINCT rule), any_value(load_id), any_value(source), "
        "any_value(export_date), any_value(CAST(record AS VARCHAR)) FROM audit.quarantine "
        "WHERE entity = ? AND status = 'open' AND list_contains(?, file || '#' || row_number) "
        "GROUP BY 1, 2 ORDER BY 1, 2", [e.name, list(mine)]).fetchall()
    if rows and (why := refusal()):
        log(f"{e.name}: {len(rows)} quarantined row(s) named by waivers stay quarantined: {why}")
        return 0, why
    released = 0
    for file, row_number, rules, load_id, source, export_date, record in rows:
        w = mine[quarantine_key(file, row_number)]
        blocked = [r for r in rules if not (r or "").startswith(WAIVABLE)]
        if blocked:
            log(f"{e.name}: waiver {w.key} (waivers.csv row {w.line}) cannot release the row: it failed "
                f"{', '.join(r or 'format' for r in blocked)}, which no decision can make loadable")
            continue
        if _release(con, e, file, row_number, load_id, source, export_date, record, w):
            released += 1
            log(f"{e.name}: {w.key} released by waiver of {w.waived_by} ({w.reason})")
        else:
            log(f"{e.name}: waiver {w.key} could not release the row (its values do not type)")
    return released, None


def _release(con, e: Entity, file: str, row_number: int, load_id: str, source: str,
             export_date: date, record: str, w: Waiver) -> bool:
    import json

    values = json.loads(record)
    if not isinstance(values, dict):
        return False
    columns = list(values)
    stage = "_waiver_stage"
    con.execute(f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT "
                + ", ".join(f"CAST(? AS VARCHAR) AS c{i}" for i in range(len(columns)))
                + (", " if columns else "") + "CAST(? AS BIGINT) AS _row_number",
                [None if values[c] is None else str(values[c]) for c in columns] + [row_number])
    q = file_queries(e, columns, stage)  # the contract's own rules only: no ranges, no blocking rules
    raw_cols = [c.name for c in e.columns] + [name for name, _ in LINEAGE_COLUMNS]
    vals = [ident(c) if c in q.present else "NULL" for c in e.column_names]
    con.begin()
    try:
        n = con.execute(
            f"INSERT INTO raw.{ident(e.name)} ({', '.join(ident(c) for c in raw_cols)}) "
            f"SELECT {', '.join(vals)}, ?, ?, ?, _row_number, ?, _extra FROM ({q.typed_rows}) "
            f"WHERE _errors IS NULL", [source, export_date, file, load_id]).fetchone()[0]
        if n:
            con.execute("UPDATE audit.quarantine SET status = 'waived', resolved_by = ?, resolved_at = ?, "
                        "resolution = ? WHERE file = ? AND row_number = ? AND status = 'open'",
                        [w.waived_by, w.waived_at, f"waiver (waivers.csv row {w.line}): {w.reason}",
                         file, row_number])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.execute(f"DROP TABLE IF EXISTS {stage}")
    return bool(n)
