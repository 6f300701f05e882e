"""The reconciliation decisions store: two append-only CSV files in one folder (ITAM_DECISIONS,
default `decisions/` beside the taxonomy), meant to live under version control.

  reconciliation.csv   one row per resolution recorded with `itam reconcile resolve`
  signoffs.csv         one row per pack signed with `itam reconcile sign-off`

Builds never write here: the build reads both files into schema `decisions` of the warehouse
(`write_decision_tables`), so a deleted or rebuilt warehouse loses no decision. A later row for
the same exception supersedes an earlier one; nothing is ever rewritten, so the file is the audit
trail (docs/decisions/reconciliation-decisions-store.md).
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

from dagster_project.reconcile.quarter import Quarter

RESOLUTIONS_FILE = "reconciliation.csv"
SIGNOFFS_FILE = "signoffs.csv"
FILES = (RESOLUTIONS_FILE, SIGNOFFS_FILE)

RESOLUTION_ACTIONS = ("fixed_in_source", "accepted_risk", "false_positive", "retire")
RESOLUTION_COLUMNS = ("exception_id", "as_of_date", "resolution_action", "resolved_by", "resolved_at",
                      "note", "exception_type", "problem_key")
SIGNOFF_COLUMNS = ("quarter", "as_of_date", "pack_sha256", "signed_by", "signed_at",
                   "exceptions_listed", "open_at_signoff", "note")

_EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SCHEMA = "decisions"


class DecisionsError(Exception):
    """The store is unreadable or holds an invalid row; str() names file, line and problem."""


def normalise_email(text: str) -> str:
    """Lower-cased, trimmed e-mail; ValueError when it is not one."""
    value = (text or "").strip().lower()
    if not _EMAIL.match(value):
        raise ValueError(f"'{text}' is not an e-mail address")
    return value


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> datetime:
    ts = datetime.fromisoformat(text.strip())
    if ts.tzinfo is not None:
        ts = ts.astimezone(timezone.utc).replace(tzinfo=None)
    return ts


@dataclass(frozen=True)
class Resolution:
    exception_id: str
    as_of_date: date          # the snapshot the decision was taken against; applies from it on
    resolution_action: str
    resolved_by: str
    resolved_at: datetime     # UTC, wall clock of the decision (audit only)
    note: str
    exception_type: str
    problem_key: str
    row: int                  # line in the file: orders decisions taken in the same second


@dataclass(frozen=True)
class SignOff:
    quarter: str
    as_of_date: date
    pack_sha256: str
    signed_by: str
    signed_at: datetime
    exceptions_listed: int
    open_at_signoff: int
    note: str
    row: int


class DecisionsStore:
    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    @property
    def resolutions_path(self) -> Path:
        return self.folder / RESOLUTIONS_FILE

    @property
    def signoffs_path(self) -> Path:
        return self.folder / SIGNOFFS_FILE

    # ----------------------------------------------------------------------------- hashing

    def content_hash(self) -> str:
        """sha256 over both files (name and bytes): what a build loaded, to tell if it is current."""
        h = hashlib.sha256()
        for name in FILES:
            p = self.folder / name
            h.update(name.encode() + b"\0")
            h.update(p.read_bytes() if p.is_file() else b"<missing>")
            h.update(b"\0")
        return h.hexdigest()

    def resolutions_hash(self) -> str:
        """sha256 of the resolutions file alone (a pack records which resolutions it reflects)."""
        p = self.resolutions_path
        return hashlib.sha256(p.read_bytes() if p.is_file() else b"").hexdigest()

    # ----------------------------------------------------------------------------- reading

    def _rows(self, path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
        if not path.is_file():
            return []
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DecisionsError(f"{path}: cannot be read ({exc})") from exc
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [c.strip() for c in (reader.fieldnames or [])]
        if not header:
            return []
        missing = [c for c in columns if c not in header]
        unknown = [c for c in header if c not in columns]
        if missing or unknown:
            raise DecisionsError(
                f"{path}:1: header must be {','.join(columns)}"
                + (f" (missing {', '.join(missing)})" if missing else "")
                + (f" (unknown {', '.join(unknown)})" if unknown else ""))
        reader.fieldnames = header
        out = []
        for row in reader:
            if None in row:  # more fields than the header
                raise DecisionsError(f"{path}:{reader.line_num}: more fields than the header has")
            if not any((v or "").strip() for v in row.values()):
                continue
            out.append((reader.line_num, {k: (v or "").strip() for k, v in row.items()}))
        return out

    def resolutions(self) -> list[Resolution]:
        path = self.resolutions_path
        out = []
        for line, r in self._rows(path, RESOLUTION_COLUMNS):
            try:
                if not r["exception_id"]:
                    raise ValueError("exception_id is empty")
                if r["resolution_action"] not in RESOLUTION_ACTIONS:
                    raise ValueError(f"resolution_action '{r['resolution_action']}' is not one of "
                                     + ", ".join(RESOLUTION_ACTIONS))
                if not r["note"]:
                    raise ValueError("note is empty (say why)")
                out.append(Resolution(
                    exception_id=r["exception_id"], as_of_date=date.fromisoformat(r["as_of_date"]),
                    resolution_action=r["resolution_action"], resolved_by=normalise_email(r["resolved_by"]),
                    resolved_at=_parse_timestamp(r["resolved_at"]), note=r["note"],
                    exception_type=r["exception_type"], problem_key=r["problem_key"], row=line))
            except ValueError as exc:
                raise DecisionsError(f"{path}:{line}: {exc}") from exc
        return out

    def signoffs(self) -> list[SignOff]:
        path = self.signoffs_path
        out = []
        for line, r in self._rows(path, SIGNOFF_COLUMNS):
            try:
                quarter = Quarter.parse(r["quarter"]).label
                if not _SHA256.match(r["pack_sha256"]):
                    raise ValueError(f"pack_sha256 '{r['pack_sha256']}' is not a sha256 (64 hex digits)")
                out.append(SignOff(
                    quarter=quarter, as_of_date=date.fromisoformat(r["as_of_date"]),
                    pack_sha256=r["pack_sha256"], signed_by=normalise_email(r["signed_by"]),
                    signed_at=_parse_timestamp(r["signed_at"]),
                    exceptions_listed=int(r["exceptions_listed"] or 0),
                    open_at_signoff=int(r["open_at_signoff"] or 0), note=r["note"], row=line))
            except ValueError as exc:
                raise DecisionsError(f"{path}:{line}: {exc}") from exc
        return out

    def latest_signoff(self, quarter: str) -> SignOff | None:
        rows = [s for s in self.signoffs() if s.quarter == quarter]
        return max(rows, key=lambda s: (s.signed_at, s.row)) if rows else None

    # ----------------------------------------------------------------------------- writing

    def _append(self, path: Path, columns: tuple[str, ...], values: dict[str, str]) -> None:
        """Append one row: the whole file is rewritten to a temporary file and renamed over the
        old one, so a crash never leaves half a row."""
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = path.read_bytes() if path.is_file() else b""
        buf = io.StringIO(newline="")
        w = csv.writer(buf, lineterminator="\n")
        if not existing.strip():
            existing = b""
            w.writerow(columns)
        elif not existing.endswith(b"\n"):
            existing += b"\n"
        w.writerow([values.get(c, "") for c in columns])
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(existing + buf.getvalue().encode("utf-8"))
        os.replace(tmp, path)

    def add_resolution(self, *, exception_id: str, as_of_date: date, action: str, resolved_by: str,
                       note: str, exception_type: str, problem_key: str,
                       resolved_at: datetime | None = None) -> dict[str, str]:
        if action not in RESOLUTION_ACTIONS:
            raise ValueError(f"action '{action}' is not one of {', '.join(RESOLUTION_ACTIONS)}")
        if not (note or "").strip():
            raise ValueError("the note is empty: say why")
        self.resolutions()  # refuse to append to a store that is already invalid
        row = {
            "exception_id": exception_id, "as_of_date": as_of_date.isoformat(),
            "resolution_action": action, "resolved_by": normalise_email(resolved_by),
            "resolved_at": _timestamp(resolved_at or utc_now()), "note": " ".join(note.split()),
            "exception_type": exception_type, "problem_key": problem_key,
        }
        self._append(self.resolutions_path, RESOLUTION_COLUMNS, row)
        return row

    def add_signoff(self, *, quarter: str, as_of_date: date, pack_sha256: str, signed_by: str,
                    exceptions_listed: int, open_at_signoff: int, note: str = "",
                    signed_at: datetime | None = None) -> dict[str, str]:
        self.signoffs()
        row = {
            "quarter": Quarter.parse(quarter).label, "as_of_date": as_of_date.isoformat(),
            "pack_sha256": pack_sha256, "signed_by": normalise_email(signed_by),
            "signed_at": _timestamp(signed_at or utc_now()),
            "exceptions_listed": str(exceptions_listed), "open_at_signoff": str(open_at_signoff),
            "note": " ".join((note or "").split()),
        }
        self._append(self.signoffs_path, SIGNOFF_COLUMNS, row)
        return row


# --------------------------------------------------------------------------------- warehouse

TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "resolutions": (("exception_id", "VARCHAR"), ("as_of_date", "DATE"), ("resolution_action", "VARCHAR"),
                    ("resolved_by", "VARCHAR"), ("resolved_at", "TIMESTAMP"), ("note", "VARCHAR"),
                    ("exception_type", "VARCHAR"), ("problem_key", "VARCHAR"), ("decision_row", "BIGINT")),
    "signoffs": (("quarter", "VARCHAR"), ("as_of_date", "DATE"), ("pack_sha256", "VARCHAR"),
                 ("signed_by", "VARCHAR"), ("signed_at", "TIMESTAMP"), ("exceptions_listed", "BIGINT"),
                 ("open_at_signoff", "BIGINT"), ("note", "VARCHAR"), ("signoff_row", "BIGINT")),
    "meta": (("loaded_at", "TIMESTAMP"), ("location", "VARCHAR"), ("content_hash", "VARCHAR")),
}


def write_decision_tables(con, store: DecisionsStore) -> dict[str, int]:
    """(Re)create schema `decisions` from the store in one transaction. Raises DecisionsError
    (before touching the warehouse) when a file is invalid."""
    content_hash = store.content_hash()
    resolutions, signoffs = store.resolutions(), store.signoffs()
    rows = {
        "resolutions": [(r.exception_id, r.as_of_date, r.resolution_action, r.resolved_by, r.resolved_at,
                         r.note, r.exception_type, r.problem_key, r.row) for r in resolutions],
        "signoffs": [(s.quarter, s.as_of_date, s.pack_sha256, s.signed_by, s.signed_at, s.exceptions_listed,
                      s.open_at_signoff, s.note, s.row) for s in signoffs],
        "meta": [(utc_now(), str(store.folder.resolve()), content_hash)],
    }
    con.execute("begin transaction")
    try:
        con.execute(f"drop schema if exists {SCHEMA} cascade")
        con.execute(f"create schema {SCHEMA}")
        for table, columns in TABLES.items():
            con.execute(f"create table {SCHEMA}.{table} ({', '.join(f'{c} {t}' for c, t in columns)})")
            if rows[table]:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {SCHEMA}.{table} values ({marks})", [list(r) for r in rows[table]])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {t: len(rows[t]) for t in ("resolutions", "signoffs")}
