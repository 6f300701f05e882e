"""The reconciliation decisions store: two append-only CSV files in one folder (ITAM_DECISIONS,
default `decisions/` beside the taxonomy), meant to live under version control.

  reconciliation.csv   one row per resolution recorded with `itam reconcile resolve`
  signoffs.csv         one row per pack signed with `itam reconcile sign-off`
  waivers.csv          one row per quarantined row released with `itam reconcile waive` (read by
                       ingestion, dagster_project/ingest/quarantine.py; issue 17.4, honoured
                       only while the chain verifies)

  chain.json           the chain's head: number of rows, hash of the last one (and its HMAC)

Builds never write here: the build reads both files into schema `decisions` of the warehouse
(`write_decision_tables`), so a deleted or rebuilt warehouse loses no decision. A later row for
the same exception supersedes an earlier one; nothing is ever rewritten, so the file is the audit
trail (docs/decisions/reconciliation-decisions-store.md).

Tamper evidence (docs/decisions/decisions-hash-chain.md): the rows of the three files form one chain in
the order they were recorded (`seq`). Each row carries the hash of the row before (`prev_hash`)
and its own (`row_hash` = sha256 of its fields and prev_hash); a sign-off also records the chain
head it signed after (`chain_head`) and, when ITAM_DECISIONS_KEY is set, an HMAC of its own hash
(`head_hmac`). `verify_chain` recomputes all of it and names the first row that breaks. Files
written before the chain existed are read as they are and chained (migrated) on the next write.
"""
from __future__ import annotations

import csv
import fcntl
import hashlib
import hmac
import io
import json
import re
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from dagster_project.reconcile.quarter import Quarter

RESOLUTIONS_FILE = "reconciliation.csv"
SIGNOFFS_FILE = "signoffs.csv"
WAIVERS_FILE = "waivers.csv"
WAIVER_COLUMNS = ("quarantine_key", "waived_by", "waived_at", "reason")
FILES = (RESOLUTIONS_FILE, SIGNOFFS_FILE)  # what the decision marts read (content_hash)

RESOLUTION_ACTIONS = ("fixed_in_source", "accepted_risk", "false_positive", "retire")
RESOLUTION_COLUMNS = ("exception_id", "as_of_date", "resolution_action", "resolved_by", "resolved_at",
                      "note", "exception_type", "problem_key")
SIGNOFF_COLUMNS = ("quarter", "as_of_date", "pack_sha256", "signed_by", "signed_at",
                   "exceptions_listed", "open_at_signoff", "note")
CHAIN_COLUMNS = ("seq", "prev_hash", "row_hash")
SIGNOFF_CHAIN_COLUMNS = ("chain_head", "head_hmac", *CHAIN_COLUMNS)
HEAD_FILE = "chain.json"
GENESIS = "0" * 64
KEY_ENV = "ITAM_DECISIONS_KEY"

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
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _timestamp(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_timestamp(text: str) -> datetime:
    ts = datetime.fromisoformat(text.strip())
    if ts.tzinfo is not None:
        ts = ts.astimezone(UTC).replace(tzinfo=None)
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
    def __init__(self, folder: Path | str, key: str | bytes | None = None):
        """`key`: the HMAC key of the chain (Settings.decisions_key, from ITAM_DECISIONS_KEY);
        without it sign-offs are chained but not HMAC-signed."""
        self.folder = Path(folder)
        self.key = key.encode() if isinstance(key, str) else key

    @property
    def resolutions_path(self) -> Path:
        return self.folder / RESOLUTIONS_FILE

    @property
    def signoffs_path(self) -> Path:
        return self.folder / SIGNOFFS_FILE

    @property
    def waivers_path(self) -> Path:
        return self.folder / WAIVERS_FILE

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

    def _raw(self, path: Path, columns: tuple[str, ...], chain: tuple[str, ...]
             ) -> tuple[bool, list[tuple[int, dict[str, str]]]]:
        """(chained, [(line, row)]): the rows of one file, its header either the legacy columns or
        the columns followed by the chain columns."""
        if not path.is_file():
            return True, []
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise DecisionsError(f"{path}: cannot be read ({exc})") from exc
        reader = csv.DictReader(io.StringIO(text, newline=""))
        header = [c.strip() for c in (reader.fieldnames or [])]
        if not header:
            return True, []
        chained = any(c in header for c in chain)
        expected = (*columns, *chain) if chained else columns
        missing = [c for c in expected if c not in header]
        unknown = [c for c in header if c not in expected]
        if missing or unknown:
            raise DecisionsError(
                f"{path}:1: header must be {','.join(expected)}"
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
        return chained, out

    def _rows(self, path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
        chain = SIGNOFF_CHAIN_COLUMNS if columns == SIGNOFF_COLUMNS else CHAIN_COLUMNS
        return self._raw(path, columns, chain)[1]

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

    # ----------------------------------------------------------------------------- the chain

    @property
    def head_path(self) -> Path:
        return self.folder / HEAD_FILE

    def chain_rows(self) -> tuple[bool, list[ChainRow]]:
        """(legacy, rows of both files in chain order). `legacy` is True when a file predates the
        chain (no chain columns): its rows are then ordered by time, resolutions first."""
        res_chained, res = self._raw(self.resolutions_path, RESOLUTION_COLUMNS, CHAIN_COLUMNS)
        sig_chained, sig = self._raw(self.signoffs_path, SIGNOFF_COLUMNS, SIGNOFF_CHAIN_COLUMNS)
        wai_chained, wai = self._raw(self.waivers_path, WAIVER_COLUMNS, CHAIN_COLUMNS)
        rows = [ChainRow("resolution", RESOLUTIONS_FILE, line, r) for line, r in res] + \
               [ChainRow("signoff", SIGNOFFS_FILE, line, r) for line, r in sig] + \
               [ChainRow("waiver", WAIVERS_FILE, line, r) for line, r in wai]
        self.unchained = [f for f, chained, got in ((RESOLUTIONS_FILE, res_chained, res),
                                                     (SIGNOFFS_FILE, sig_chained, sig),
                                                     (WAIVERS_FILE, wai_chained, wai)) if not chained and got]
        legacy = not (res_chained and sig_chained and wai_chained)
        if legacy:
            order = {"resolution": 0, "signoff": 1, "waiver": 2}
            rows.sort(key=lambda c: (c.values.get("resolved_at") or c.values.get("signed_at")
                                     or c.values.get("waived_at") or "", order[c.kind], c.line))
        else:
            rows.sort(key=lambda c: (_int(c.values.get("seq")), c.kind, c.line))
        return legacy, rows

    def read_head(self) -> dict | None:
        if not self.head_path.is_file():
            return None
        try:
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DecisionsError(f"{self.head_path}: cannot be read ({exc})") from exc
        if not isinstance(head, dict):
            raise DecisionsError(f"{self.head_path}: not a chain head")
        return head

    @contextmanager
    def _locked(self):
        """One writer at a time (two people resolving at once would fork the chain)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.folder / ".lock", "a") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)

    def _write_all(self, res: list[dict[str, str]], sig: list[dict[str, str]], head: dict,
                   wai: list[dict[str, str]] = ()) -> None:
        """Rewrite the files and the head, each to a temporary file renamed into place."""
        for path, columns, rows in ((self.resolutions_path, (*RESOLUTION_COLUMNS, *CHAIN_COLUMNS), res),
                                    (self.signoffs_path, (*SIGNOFF_COLUMNS, *SIGNOFF_CHAIN_COLUMNS), sig),
                                    (self.waivers_path, (*WAIVER_COLUMNS, *CHAIN_COLUMNS), list(wai))):
            if not rows and not path.exists():
                continue
            buf = io.StringIO(newline="")
            w = csv.writer(buf, lineterminator="\n")
            w.writerow(columns)
            for r in rows:
                w.writerow([r.get(c, "") for c in columns])
            _replace(path, buf.getvalue().encode("utf-8"))
        _replace(self.head_path, (json.dumps(head, indent=1, sort_keys=True) + "\n").encode())

    def _append_chained(self, new: list[tuple[str, dict[str, str]]]) -> list[dict[str, str]]:
        """Append rows ('resolution' | 'signoff', values) to the chain, in order; a legacy store is
        migrated first (its rows chained in time order). Refuses to extend a broken chain."""
        with self._locked():
            self.resolutions()
            self.signoffs()
            legacy, rows = self.chain_rows()
            head = self.read_head() or {}
            if legacy and head:  # rows written by hand into a chained store: never chain them silently
                raise DecisionsError(f"the decisions chain is broken ({', '.join(self.unchained)} has rows outside "
                                     "the chain); nothing was recorded: run `itam reconcile verify`")
            if legacy:
                prev, chained = GENESIS, []
                for i, c in enumerate(rows, start=1):
                    values = {k: c.values[k] for k in _columns(c.kind)}
                    chained.append((c.kind, _link(c.kind, values, i, prev, self.key)))
                    prev = chained[-1][1]["row_hash"]
                head = {"migrated_legacy_rows": len(rows), "migrated_at": _timestamp(utc_now())} if rows else {}
            else:
                report = verify_chain(self, key=None)  # the HMACs are checked by `verify`
                if report.problems:
                    raise DecisionsError(f"the decisions chain is broken ({report.problems[0]}); nothing "
                                         f"was recorded: run `itam reconcile verify` and restore the store")
                chained = [(c.kind, dict(c.values)) for c in rows]
            prev = chained[-1][1]["row_hash"] if chained else GENESIS
            added = []
            for kind, values in new:
                link = _link(kind, values, len(chained) + 1, prev, self.key)
                chained.append((kind, link))
                added.append(link)
                prev = link["row_hash"]
            key = self.key
            head.update({"rows": len(chained), "head": prev,
                         "head_hmac": hmac.new(key, prev.encode(), hashlib.sha256).hexdigest() if key else ""})
            self._write_all([v for k, v in chained if k == "resolution"],
                            [v for k, v in chained if k == "signoff"], head,
                            [v for k, v in chained if k == "waiver"])
            return added

    # ----------------------------------------------------------------------------- writing

    def resolution_row(self, *, exception_id: str, as_of_date: date, action: str, resolved_by: str,
                       note: str, exception_type: str, problem_key: str,
                       resolved_at: datetime | None = None) -> dict[str, str]:
        """A checked resolution row (ValueError naming the problem), not yet recorded."""
        if action not in RESOLUTION_ACTIONS:
            raise ValueError(f"action '{action}' is not one of {', '.join(RESOLUTION_ACTIONS)}")
        if not (note or "").strip():
            raise ValueError("the note is empty: say why")
        return {
            "exception_id": exception_id, "as_of_date": as_of_date.isoformat(),
            "resolution_action": action, "resolved_by": normalise_email(resolved_by),
            "resolved_at": _timestamp(resolved_at or utc_now()), "note": " ".join(note.split()),
            "exception_type": exception_type, "problem_key": problem_key,
        }

    def add_resolutions(self, rows: list[dict[str, str]]) -> list[dict[str, str]]:
        """Record several resolutions at once (one rewrite of the files)."""
        return self._append_chained([("resolution", r) for r in rows])

    def add_resolution(self, **kwargs) -> dict[str, str]:
        return self.add_resolutions([self.resolution_row(**kwargs)])[0]

    def add_waiver(self, *, quarantine_key: str, waived_by: str, reason: str,
                   waived_at: datetime | None = None) -> dict[str, str]:
        """Record that a quarantined row (`<file>#<row_number>`, as audit.quarantine lists it) may be
        loaded, by whom and why (issue 17.4): a chained row like a resolution, so a changed or
        deleted waiver fails `verify` (issue 17.6 item 2)."""
        file, sep, num = (quarantine_key or "").strip().rpartition("#")
        if not sep or not file or not num.isdigit():
            raise ValueError(f"'{quarantine_key}' is not <file>#<row_number> (copy file and row_number from "
                             "audit.quarantine, e.g. procurement/2026-09-30/purchase_lines.csv#7)")
        if not (reason or "").strip():
            raise ValueError("the reason is empty: say why the row may be loaded")
        row = {"quarantine_key": f"{file}#{int(num)}", "waived_by": normalise_email(waived_by),
               "waived_at": _timestamp(waived_at or utc_now()), "reason": " ".join(reason.split())}
        return self._append_chained([("waiver", row)])[0]

    def add_signoff(self, *, quarter: str, as_of_date: date, pack_sha256: str, signed_by: str,
                    exceptions_listed: int, open_at_signoff: int, note: str = "",
                    signed_at: datetime | None = None) -> dict[str, str]:
        row = {
            "quarter": Quarter.parse(quarter).label, "as_of_date": as_of_date.isoformat(),
            "pack_sha256": pack_sha256, "signed_by": normalise_email(signed_by),
            "signed_at": _timestamp(signed_at or utc_now()),
            "exceptions_listed": str(exceptions_listed), "open_at_signoff": str(open_at_signoff),
            "note": " ".join((note or "").split()),
        }
        return self._append_chained([("signoff", row)])[0]


# --------------------------------------------------------------------------------- the chain

@dataclass(frozen=True)
class ChainRow:
    kind: str                 # resolution | signoff | waiver
    file: str
    line: int
    values: dict[str, str]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line} (seq {self.values.get('seq') or '?'})"


@dataclass
class ChainReport:
    rows: int = 0
    head: str = GENESIS
    legacy: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return 0


def _columns(kind: str) -> tuple[str, ...]:
    return {"resolution": RESOLUTION_COLUMNS, "waiver": WAIVER_COLUMNS}.get(kind, SIGNOFF_COLUMNS)


def row_hash(kind: str, values: dict[str, str], seq: int, prev_hash: str) -> str:
    """sha256 of the row's fields as stored, its kind, position and the previous row's hash."""
    body = {c: values.get(c, "") for c in _columns(kind)}
    if kind == "signoff":
        body["chain_head"] = prev_hash  # what the signer signed after
    payload = {"kind": kind, "seq": seq, "prev_hash": prev_hash, "fields": body}
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def _link(kind: str, values: dict[str, str], seq: int, prev: str, key: bytes | None) -> dict[str, str]:
    out = {c: values.get(c, "") for c in _columns(kind)}
    h = row_hash(kind, out, seq, prev)
    out.update({"seq": str(seq), "prev_hash": prev, "row_hash": h})
    if kind == "signoff":
        out["chain_head"] = prev
        out["head_hmac"] = hmac.new(key, h.encode(), hashlib.sha256).hexdigest() if key else ""
    return out


def verify_chain(store: DecisionsStore, key: bytes | str | None = "store") -> ChainReport:
    """Recompute the chain of both files against chain.json; every problem names file, line and seq.
    `key` is the HMAC key (default: the store's); with a key every sign-off must carry a valid
    HMAC, without one the HMACs are reported as not checked."""
    key = store.key if key == "store" else key
    key = key.encode() if isinstance(key, str) else key
    report = ChainReport()
    legacy, rows = store.chain_rows()
    head = store.read_head()
    report.rows = len(rows)
    if legacy:
        report.legacy = True
        if head is not None:
            files = ", ".join(getattr(store, "unchained", [])) or "a decisions file"
            report.problems.append(f"{HEAD_FILE} exists but {files} has rows without chain columns: the file was "
                                   "replaced by an unchained copy or written by hand (record waivers with "
                                   "`itam reconcile waive`)")
        else:
            report.notes.append("the store predates the hash chain (legacy format): it is chained on the next "
                                "decision recorded; until then it is not tamper-evident")
        return report
    prev, unsigned = GENESIS, 0
    for i, c in enumerate(rows, start=1):
        v = c.values
        if _int(v.get("seq")) != i:
            report.problems.append(f"{c.where}: expected seq {i}: row seq {i} is missing (deleted) "
                                   "or rows were reordered")
            break
        if v.get("prev_hash") != prev:
            report.problems.append(f"{c.where}: prev_hash does not match the row before it: "
                                   "a row was deleted, inserted or reordered")
            break
        if v.get("row_hash") != row_hash(c.kind, v, i, prev):
            report.problems.append(f"{c.where}: the row was changed after it was recorded (its hash does not "
                                   f"recompute; {_summary(c)})")
            break
        if c.kind == "signoff":
            if v.get("chain_head") != prev:
                report.problems.append(f"{c.where}: chain_head is not the hash of the row before the sign-off")
                break
            if key:
                mac = hmac.new(key, v["row_hash"].encode(), hashlib.sha256).hexdigest()
                if not hmac.compare_digest(mac, v.get("head_hmac") or ""):
                    report.problems.append(f"{c.where}: the sign-off's HMAC does not match the key in {KEY_ENV} "
                                           "(recomputed by someone without the key, or signed with another key)")
                    break
            elif v.get("head_hmac"):
                unsigned += 1
        prev = v["row_hash"]
    report.head = prev
    if report.problems:
        return report
    if head is None:
        if rows:
            report.problems.append(f"{HEAD_FILE} is missing: the chain's length and head cannot be checked "
                                   "(rows at the end may have been deleted)")
        return report
    if head.get("rows") != len(rows) or head.get("head") != prev:
        report.problems.append(
            f"{HEAD_FILE} records {head.get('rows')} rows ending in {str(head.get('head'))[:16]}…, the files hold "
            f"{len(rows)} ending in {prev[:16]}…: rows were deleted (or a file removed) after seq {len(rows)}")
        return report
    if key:
        mac = hmac.new(key, prev.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(mac, head.get("head_hmac") or ""):
            report.problems.append(f"{HEAD_FILE}: the head's HMAC does not match the key in {KEY_ENV}")
    elif unsigned:
        report.notes.append(f"{unsigned} sign-off HMAC(s) not checked ({KEY_ENV} is not set)")
    if head.get("migrated_legacy_rows"):
        report.notes.append(f"rows 1..{head['migrated_legacy_rows']} were migrated from the legacy format at "
                            f"{head.get('migrated_at')}: the chain vouches for them from then on")
    return report


def _summary(c: ChainRow) -> str:
    v = c.values
    if c.kind == "resolution":
        return f"{v.get('exception_id')} {v.get('resolution_action')} by {v.get('resolved_by')}"
    if c.kind == "waiver":
        return f"waiver of {v.get('quarantine_key')} by {v.get('waived_by')}"
    return f"sign-off of {v.get('quarter')} by {v.get('signed_by')}"


def _replace(path: Path, data: bytes) -> None:
    from dagster_project.outputs import write_file

    write_file(path, data, force=True)  # temporary file, fsync, rename: never half a file


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
