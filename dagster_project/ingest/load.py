"""Loading landing exports into raw.<entity>, with audit.loads and audit.quarantine.

Public API (docs/ingestion.md):
  ensure_schemas(con)                          raw.* and audit.* tables, idempotent
  discover_files(landing) -> LandingScan       files that fit the layout + problems
  ingest_entity(con, landing, name, log)       load every new file of one entity -> IngestReport
  ingest_landing(con, landing, log)            all entities -> IngestReport (totals, by_entity)

A file is identified by its path relative to the landing folder and the SHA-256 of its bytes.
Each file is loaded in one DuckDB transaction: its rows, its quarantine rows and its audit.loads
row appear together or not at all.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from dagster_project.contract import ENTITIES, ENTITY_BY_NAME, LINEAGE_COLUMNS, Entity
from dagster_project.ingest.discover import LandingFile, LandingProblem, LandingScan, discover_files
from dagster_project.ingest.quarantine import apply_waivers, read_waivers, supersede, waiver_refusal
from dagster_project.ingest.readers import FileRejected, Staged, stage_file
from dagster_project.ingest.rules import IngestRules, load_rules
from dagster_project.ingest.validate import file_queries, ident, range_statements, record_json

__all__ = [
    "ensure_schemas", "discover_files", "ingest_entity", "ingest_landing",
    "IngestReport", "FileOutcome", "LandingFile", "LandingProblem", "LandingScan", "load_id_for",
]

Log = Callable[[str], None]

AUDIT_TABLES = {
    "loads": (
        "load_id VARCHAR, source VARCHAR, entity VARCHAR, export_date DATE, file VARCHAR, "
        "file_format VARCHAR, content_hash VARCHAR, rows_read BIGINT, rows_loaded BIGINT, "
        "rows_quarantined BIGINT, status VARCHAR, error VARCHAR, loaded_at TIMESTAMP"),
    "quarantine": (
        "load_id VARCHAR, source VARCHAR, entity VARCHAR, export_date DATE, file VARCHAR, "
        "row_number BIGINT, column_name VARCHAR, value VARCHAR, reason VARCHAR, record JSON, "
        "quarantined_at TIMESTAMP"),  # + QUARANTINE_RESOLUTION (issue 17.4), appended by ensure_schemas
    "builds": (
        "build_id VARCHAR, as_of_date DATE, started_at TIMESTAMP, finished_at TIMESTAMP, "
        "status VARCHAR, detail VARCHAR"),
}


@dataclass
class FileOutcome:
    file: str
    status: str                  # loaded | skipped | rejected
    rows_loaded: int = 0
    rows_quarantined: int = 0
    error: str | None = None
    seconds: float = 0.0


@dataclass
class IngestReport:
    entity: str
    files_loaded: int = 0
    files_skipped: int = 0
    files_rejected: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rejections: list[str] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    rows_released: int = 0       # quarantined rows released by a waiver in this run
    waivers_refused: str | None = None  # why this entity's waivers were not honoured (broken chain)
    by_entity: dict[str, IngestReport] = field(default_factory=dict)

    def add(self, o: FileOutcome) -> None:
        self.files.append(o)
        if o.status == "loaded":
            self.files_loaded += 1
        elif o.status == "skipped":
            self.files_skipped += 1
        else:
            self.files_rejected += 1
            self.rejections.append(o.error or o.file)
        self.rows_loaded += o.rows_loaded
        self.rows_quarantined += o.rows_quarantined

    def summary(self) -> str:
        return (f"{self.entity}: {self.files_loaded} file(s) loaded, {self.files_skipped} skipped, "
                f"{self.files_rejected} rejected; {self.rows_loaded} rows loaded, "
                f"{self.rows_quarantined} quarantined")


# ------------------------------------------------------------------------------------ schemas

# Columns appended to audit.quarantine (issue 17.4): the rule a row failed (contract, format,
# control_characters, plausibility, gx:<check>) and what became of it: open, superseded by a
# later export, or waived (decisions/waivers.csv). Its key is file + '#' + row_number.
QUARANTINE_RESOLUTION = (("rule", "VARCHAR"), ("status", "VARCHAR"), ("resolved_by", "VARCHAR"),
                         ("resolved_at", "TIMESTAMP"), ("resolution", "VARCHAR"))


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    """Create schemas raw and audit and their tables if missing; add contract columns that an
    older raw table lacks. Idempotent; one catalog query when everything is there already."""
    present = {(sch, t, c) for sch, t, c in con.execute(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema IN ('raw', 'audit')").fetchall()}
    wanted = {("audit", "quarantine", n) for n, _ in QUARANTINE_RESOLUTION}
    wanted |= {("audit", t, "file") for t in ("loads", "quarantine")} | {("audit", "builds", "build_id")}
    wanted |= {("raw", e.name, c) for e in ENTITIES for c in [*e.column_names, *(n for n, _ in LINEAGE_COLUMNS)]}
    if wanted <= present:
        return
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS audit")
    for name, cols in AUDIT_TABLES.items():
        con.execute(f"CREATE TABLE IF NOT EXISTS audit.{name} ({cols})")
    have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns "
                                      "WHERE table_schema = 'audit' AND table_name = 'quarantine'").fetchall()}
    for n, t in QUARANTINE_RESOLUTION:
        if n not in have:
            con.execute(f"ALTER TABLE audit.quarantine ADD COLUMN {n} {t}")
            if n == "status":  # rows quarantined before issue 17 are still open
                con.execute("UPDATE audit.quarantine SET status = 'open'")
    existing: dict[str, set[str]] = {}
    for table, column in con.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'raw'").fetchall():
        existing.setdefault(table, set()).add(column)
    for e in ENTITIES:
        wanted = [(c.name, c.sql_type) for c in e.columns] + list(LINEAGE_COLUMNS)
        if e.name not in existing:
            cols = ", ".join(f"{ident(n)} {t}" for n, t in wanted)
            con.execute(f"CREATE TABLE IF NOT EXISTS raw.{ident(e.name)} ({cols})")
        else:
            for n, t in wanted:
                if n not in existing[e.name]:
                    con.execute(f"ALTER TABLE raw.{ident(e.name)} ADD COLUMN {ident(n)} {t}")


# ------------------------------------------------------------------------------------ helpers

def load_id_for(rel: str, content_hash: str | None) -> str:
    return hashlib.sha256(f"{rel}\n{content_hash or ''}".encode()).hexdigest()[:16]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


_stage_counter = itertools.count()


def _record_rejection(con, *, rel: str, source, entity, export_date, file_format, content_hash,
                      error: str) -> None:
    """One audit.loads row per rejected path: a retry replaces the earlier rejection."""
    con.begin()
    try:
        con.execute("DELETE FROM audit.loads WHERE file = ? AND status = 'rejected'", [rel])
        con.execute(
            "INSERT INTO audit.loads VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 0, 0, 'rejected', ?, ?)",
            [load_id_for(rel, content_hash), source, entity, export_date, rel, file_format,
             content_hash, error, _now()])
        con.commit()
    except BaseException:
        con.rollback()
        raise


def _reject(con, report: IngestReport, log: Log, f: LandingFile, content_hash, error: str,
            started: float) -> None:
    _record_rejection(con, rel=f.rel, source=f.source, entity=f.entity, export_date=f.export_date,
                      file_format=f.file_format, content_hash=content_hash, error=error)
    report.add(FileOutcome(f.rel, "rejected", error=error, seconds=time.perf_counter() - started))
    log(f"{f.entity}: REJECTED {error}")


# ------------------------------------------------------------------------------------ loading

def ingest_entity(con: duckdb.DuckDBPyConnection, landing: Path, entity_name: str,
                  log: Log = print, scan: LandingScan | None = None,
                  rules: IngestRules | None = None, decisions: Path | None = None,
                  decisions_key: str | None = None) -> IngestReport:
    """Load every not-yet-loaded export of one entity (all export dates, oldest first), then
    mark quarantined rows a later export superseded and release the ones a waiver in
    `decisions`/waivers.csv names, while the decisions chain verifies (quarantine.py;
    `decisions_key`: its HMAC key). `rules`: plausibility ranges and blocking rules (default:
    load_rules() of the project)."""
    e = ENTITY_BY_NAME.get(entity_name)
    if e is None:
        raise KeyError(f"{entity_name!r} is not an entity of the landing contract")
    landing = Path(landing)
    ensure_schemas(con)
    scan = scan if scan is not None else discover_files(landing)
    report = IngestReport(entity_name)
    rules = rules if rules is not None else load_rules()

    for p in scan.problems:
        if p.entity != entity_name:
            continue
        ext = p.path.name.partition(".")[2] or None
        _record_rejection(con, rel=p.rel, source=p.source, entity=p.entity, export_date=p.export_date,
                          file_format=ext, content_hash=None, error=p.message)
        report.add(FileOutcome(p.rel, "rejected", error=p.message))
        log(f"{entity_name}: REJECTED {p.message}")

    loaded = dict(con.execute(
        "SELECT file, content_hash FROM audit.loads WHERE entity = ? AND status = 'loaded'",
        [entity_name]).fetchall())
    for f in scan.files:
        if f.entity == entity_name:
            _ingest_file(con, e, f, loaded.get(f.rel), report, log, rules)
    if (n := supersede(con, e, _now())):
        log(f"{entity_name}: {n} quarantined row(s) superseded by a later export")
    report.rows_released, report.waivers_refused = apply_waivers(
        con, e, read_waivers(decisions), log=log, refusal=lambda: waiver_refusal(decisions, decisions_key))
    return report


def record_unclaimed(con: duckdb.DuckDBPyConnection, scan: LandingScan, log: Log = print) -> int:
    """audit.loads rows for what no entity claims: problems naming no entity (status
    'rejected', e.g. an unknown source folder) and files ignored by convention (status
    'ignored', names starting with _ or .). Every file under the landing folder is accounted
    for. Returns the number of rejected ones."""
    ensure_schemas(con)
    rejected = 0
    for p in scan.problems:
        if p.entity is None:
            _record_rejection(con, rel=p.rel, source=p.source, entity=None, export_date=p.export_date,
                              file_format=None, content_hash=None, error=p.message)
            log(f"landing: REJECTED {p.message}")
            rejected += 1
    con.begin()
    try:
        con.execute("DELETE FROM audit.loads WHERE status = 'ignored'")
        if scan.ignored:
            con.executemany(
                "INSERT INTO audit.loads VALUES (?, NULL, NULL, NULL, ?, NULL, NULL, NULL, 0, 0, 'ignored', ?, ?)",
                [[load_id_for(p.rel, None), p.rel, p.reason, _now()] for p in scan.ignored])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    return rejected


def ingest_landing(con: duckdb.DuckDBPyConnection, landing: Path, log: Log = print,
                   rules: IngestRules | None = None, decisions: Path | None = None,
                   decisions_key: str | None = None) -> IngestReport:
    """Every entity; problems that belong to no entity and ignored files are recorded in
    audit.loads as well."""
    landing = Path(landing)
    ensure_schemas(con)
    rules = rules if rules is not None else load_rules()
    scan = discover_files(landing)
    total = IngestReport("all")
    record_unclaimed(con, scan, log)
    for p in scan.problems:
        if p.entity is None:
            total.add(FileOutcome(p.rel, "rejected", error=p.message))
    for e in ENTITIES:
        r = ingest_entity(con, landing, e.name, log=log, scan=scan, rules=rules, decisions=decisions,
                          decisions_key=decisions_key)
        total.by_entity[e.name] = r
        for o in r.files:
            total.add(o)
    return total


def _ingest_file(con, e: Entity, f: LandingFile, loaded_hash: str | None, report: IngestReport,
                 log: Log, rules: IngestRules) -> None:
    started = time.perf_counter()
    try:
        data = f.path.read_bytes()
    except OSError as exc:
        _reject(con, report, log, f, None, f"{f.rel}: cannot read the file ({exc.strerror or exc})", started)
        return
    content_hash = hashlib.sha256(data).hexdigest()

    if loaded_hash == content_hash:
        # Already loaded: nothing changes (a stale rejection of this path, e.g. from a while the
        # file had other content, no longer applies).
        con.execute("DELETE FROM audit.loads WHERE file = ? AND status = 'rejected'", [f.rel])
        report.add(FileOutcome(f.rel, "skipped", seconds=time.perf_counter() - started))
        log(f"{f.entity}: {f.rel} already loaded, skipped")
        return
    if loaded_hash is not None:
        _reject(con, report, log, f, content_hash,
                f"{f.rel}: already loaded with different content (exports are immutable; "
                "put a restated export in a new dated folder)", started)
        return

    kinds = {c.name: c.kind for c in e.columns}
    name = f"_ingest_stage_{next(_stage_counter)}"
    # DuckDB's readers give rows in file order only while insertion order is preserved.
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = true")
    try:
        staged = stage_file(con, f.path, f.file_format, data, kinds, name)
    except FileRejected as exc:
        _reject(con, report, log, f, content_hash, f"{f.rel}: {exc}", started)
        return
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
    del data
    try:
        missing = [c for c in e.required if c not in staged.columns]
        if missing:
            _reject(con, report, log, f, content_hash,
                    f"{f.rel}: missing required column(s) {', '.join(missing)}", started)
            return
        load_id = load_id_for(f.rel, content_hash)
        try:
            loaded_rows, quarantined = _load_rows(con, e, f, staged, load_id, content_hash, rules)
        except (duckdb.ConversionException, duckdb.InvalidInputException) as exc:
            # Data DuckDB cannot take: the transaction was rolled back; reject the file. Other
            # errors (memory, disk) propagate.
            reason = " ".join(str(exc).split())[:300]
            _reject(con, report, log, f, content_hash, f"{f.rel}: could not be loaded ({reason})", started)
            return
    finally:
        staged.drop(con)
    outcome = FileOutcome(f.rel, "loaded", loaded_rows, quarantined, seconds=time.perf_counter() - started)
    report.add(outcome)
    log(f"{f.entity}: {f.rel} loaded {loaded_rows} rows, {quarantined} quarantined "
        f"({outcome.seconds:.1f} s)")


QUARANTINE_COLUMNS = ("load_id, source, entity, export_date, file, row_number, column_name, value, "
                      "reason, record, quarantined_at, rule, status")


def _load_rows(con, e: Entity, f: LandingFile, rr: Staged, load_id: str,
               content_hash: str, rules: IngestRules) -> tuple[int, int]:
    """Type, validate and insert one file in one transaction. Returns (loaded, quarantined)."""
    n = next(_stage_counter)
    stage, typed, ragged = rr.stage, f"_ingest_typed_{n}", f"_ingest_ragged_{n}"
    q = file_queries(e, rr.columns, stage)
    now = _now()
    meta = [load_id, f.source, f.entity, f.export_date, f.rel]
    ragged_table = None
    if rr.bad_rows:
        ragged_table = pa.table({
            "row_number": pa.array([b.row_number for b in rr.bad_rows], pa.int64()),
            "reason": pa.array([b.reason for b in rr.bad_rows], pa.string()),
            "record": pa.array([json.dumps(b.record, ensure_ascii=False, default=str) for b in rr.bad_rows],
                               pa.string()),
        })
        con.register(ragged, ragged_table)
    # Row order in raw carries no meaning (_row_number does): let DuckDB write in parallel.
    keep_order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]
    con.execute("SET preserve_insertion_order = false")
    con.begin()
    try:
        # 1. every row typed once, with its errors (NULL when valid)
        con.execute(f"CREATE TEMP TABLE {typed} AS {q.typed_rows}")
        # 2. plausibility ranges, then blocking rules over the valid rows (duplicate keys,
        #    critical ranges), on the stored typed values
        for statement in range_statements(e, rr.columns, typed, stage, rules.ranges.get(e.name),
                                          f.export_date):
            con.execute(statement)
        for rule in rules.blocking.get(e.name, []):
            con.execute(rule.statement(e, typed, q.present, f.export_date))
        rows_bad = con.execute(f"SELECT count(*) FROM {typed} WHERE _errors IS NOT NULL").fetchone()[0]
        # 3. the valid rows into raw
        raw_cols = [c.name for c in e.columns] + [name for name, _ in LINEAGE_COLUMNS]
        values = [ident(c) if c in q.present else "NULL" for c in e.column_names]
        con.execute(
            f"INSERT INTO raw.{ident(e.name)} ({', '.join(ident(c) for c in raw_cols)}) "
            f"SELECT {', '.join(values)}, ?, ?, ?, _row_number, ?, _extra FROM {typed} WHERE _errors IS NULL",
            [f.source, f.export_date, f.rel, load_id])
        rows_loaded = rr.rows - rows_bad
        # 4. quarantine: one row per failing column and rule, with the whole delivered record
        if rows_bad:
            con.execute(
                f"INSERT INTO audit.quarantine ({QUARANTINE_COLUMNS}) "
                f"SELECT ?, ?, ?, ?, ?, q._row_number, q.e.column_name, q.e.value, q.e.reason, s.record, ?, "
                f"q.e.rule, 'open' "
                f"FROM (SELECT _row_number, unnest(_errors) AS e FROM {typed} WHERE _errors IS NOT NULL) q "
                f"JOIN (SELECT _row_number, {record_json(rr.columns)} AS record FROM {stage} "
                f"      WHERE _row_number IN (SELECT _row_number FROM {typed} WHERE _errors IS NOT NULL)) s "
                f"USING (_row_number) ORDER BY q._row_number",
                meta + [now])
        if ragged_table is not None:
            con.execute(
                f"INSERT INTO audit.quarantine ({QUARANTINE_COLUMNS}) "
                f"SELECT ?, ?, ?, ?, ?, row_number, NULL, NULL, reason, "
                f"CAST(record AS JSON), ?, 'format', 'open' FROM {ragged} ORDER BY row_number", meta + [now])
        quarantined = rows_bad + len(rr.bad_rows)
        con.execute(f"DROP TABLE {typed}")
        # 5. the audit row (replacing an earlier rejection of this path)
        con.execute("DELETE FROM audit.loads WHERE file = ? AND status = 'rejected'", [f.rel])
        con.execute(
            "INSERT INTO audit.loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'loaded', NULL, ?)",
            [load_id, f.source, f.entity, f.export_date, f.rel, f.file_format, content_hash,
             rr.rows_read, rows_loaded, quarantined, now])
        con.commit()
    except BaseException:
        con.rollback()
        raise
    finally:
        con.execute(f"SET preserve_insertion_order = {'true' if keep_order else 'false'}")
        if ragged_table is not None:
            con.unregister(ragged)
    return rows_loaded, quarantined
