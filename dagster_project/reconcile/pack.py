"""The reconciliation pack of one quarter: what the asset manager works and the signer signs.

  summary.csv            marts.fct_reconciliation_summary for the quarter
  exceptions.csv         marts.fct_reconciliation_quarters for the quarter (every exception)
  drift.csv              marts.fct_asset_drift, the quarter against the previous quarter
  reconciliation.xlsx    a `summary` sheet plus one sheet per exception type (all eight, even empty)
  manifest.json          quarter, snapshot dates, totals, the sha256 of every file, pack_sha256

Every file is a pure function of the warehouse (no clock inside; the workbook's zip timestamps and
document dates are pinned to the snapshot date), so the same data gives the same pack_sha256:
a regenerated pack can be compared with the one that was signed. pack_sha256 is the sha256 of the
manifest without its volatile keys (generated_at, warehouse path), so it covers the totals and
every file's hash; `verify_pack` recomputes all of it.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path

PACK_FORMAT = "itam-reconciliation-pack/1"
MANIFEST = "manifest.json"
SUMMARY_CSV = "summary.csv"
EXCEPTIONS_CSV = "exceptions.csv"
DRIFT_CSV = "drift.csv"
WORKBOOK = "reconciliation.xlsx"
PACK_FILES = (SUMMARY_CSV, EXCEPTIONS_CSV, DRIFT_CSV, WORKBOOK)
VOLATILE_KEYS = ("pack_sha256", "generated_at", "warehouse")

# Contract order (docs/marts.md), then the project's extensions (accepted_values of
# fct_reconciliation_exceptions.exception_type); every type gets a sheet so packs always look the same.
EXCEPTION_TYPES = ("unmanaged_device", "ghost_ci", "purchased_not_deployed", "attribute_drift",
                   "missing_from_fixed_assets", "duplicate_record", "unclassified", "unowned",
                   "invalid_transition", "unauthorised_software")
COUNT_COLUMNS = ("new", "still_open", "reopened", "resolved", "detected_now", "detected_last_quarter",
                 "counts_as_open", "accepted_risk", "false_positive", "fix_pending")
SUMMARY_COLUMNS = ("exception_type", "cost_center", *COUNT_COLUMNS)
EXCEPTION_COLUMNS = ("exception_id", "exception_type", "status", "counts_as_open", "cost_center",
                     "asset_id", "asset_class", "hostname", "serial_number", "detail",
                     "first_detected_on", "last_detected_on", "snapshot_status", "resolution_action",
                     "resolved_by", "resolved_at", "note", "decision_as_of_date", "accountable_owner",
                     "asset_manager", "problem_key")
DRIFT_COLUMNS = ("asset_id", "asset_kind", "asset_class", "asset_name", "serial_number", "hostname",
                 "attribute", "old_value", "new_value", "change_kind")
STATUS_ORDER = "case status when 'reopened' then 0 when 'new' then 1 when 'open' then 2 else 3 end"


class PackError(Exception):
    """The pack cannot be written (a one-line reason)."""


@dataclass(frozen=True)
class QuarterSnapshot:
    quarter: str
    as_of_date: date
    is_quarter_end: bool
    previous_quarter: str | None
    previous_as_of_date: date | None


def quarter_snapshot(con, quarter: str) -> QuarterSnapshot | None:
    row = con.execute(
        "select quarter, as_of_date, is_quarter_end, previous_quarter, previous_as_of_date "
        "from marts.dim_reconciliation_quarter where quarter = ?", [quarter]).fetchone()
    return QuarterSnapshot(*row) if row else None


# ------------------------------------------------------------------------------- formatting

def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(v, (date, Decimal)):
        return str(v)
    return str(v)


def _csv_bytes(columns: tuple[str, ...], rows: list[tuple]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_text(v) for v in r])
    return buf.getvalue().encode("utf-8")


def _sheet(wb, title: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        ws.append([v if isinstance(v, (int, float, Decimal, date)) or v is None else str(v) for v in r])
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"
    for i, c in enumerate(columns, start=1):
        longest = max([len(c)] + [len(_text(r[i - 1])) for r in rows[:200]])
        ws.column_dimensions[get_column_letter(i)].width = min(60, longest + 2)


def _pinned_zip(data: bytes, stamp: datetime) -> bytes:
    """openpyxl stamps the save time into docProps/core.xml and every zip entry: pin both to the
    snapshot date so the same data gives the same bytes."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)", rb"\g<1>" + iso + rb"\g<2>", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, body)
    return out.getvalue()


def _workbook_bytes(snap: QuarterSnapshot, summary: list[tuple], exceptions: list[tuple]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    stamp = datetime(snap.as_of_date.year, snap.as_of_date.month, snap.as_of_date.day)
    wb.properties.creator = "itam reconcile"
    wb.properties.title = f"Reconciliation {snap.quarter} as of {snap.as_of_date}"
    wb.properties.created = stamp
    _sheet(wb, "summary", SUMMARY_COLUMNS, summary)
    type_at = EXCEPTION_COLUMNS.index("exception_type")
    for t in EXCEPTION_TYPES:
        _sheet(wb, t, EXCEPTION_COLUMNS, [r for r in exceptions if r[type_at] == t])
    buf = io.BytesIO()
    wb.save(buf)
    return _pinned_zip(buf.getvalue(), stamp)


# ---------------------------------------------------------------------------------- hashing

def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pack_sha256(manifest: dict) -> str:
    """The pack's content hash: the manifest minus its volatile keys, canonical JSON."""
    content = {k: v for k, v in manifest.items() if k not in VOLATILE_KEYS}
    return sha256_bytes(json.dumps(content, sort_keys=True, separators=(",", ":")).encode())


# ---------------------------------------------------------------------------------- writing

def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_pack(con, snap: QuarterSnapshot, out: Path, *, resolutions_sha256: str,
               warehouse: Path | None = None) -> dict:
    """Write the pack of `snap` into `out` (created; only pack files may already be there).
    Returns the manifest."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PackError(f"{out} is a file, not a folder")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir()
                         if not p.name.startswith(".") and p.name not in (*PACK_FILES, MANIFEST))
        if foreign:
            raise PackError(f"{out} holds files that are not part of a pack ({', '.join(foreign[:3])}); "
                            "choose an empty or a pack folder with --out")
    out.mkdir(parents=True, exist_ok=True)

    summary = con.execute(
        f"select {', '.join(SUMMARY_COLUMNS)} from marts.fct_reconciliation_summary "
        "where quarter = ? order by exception_type, cost_center", [snap.quarter]).fetchall()
    exceptions = con.execute(
        f"select {', '.join(EXCEPTION_COLUMNS)} from marts.fct_reconciliation_quarters "
        f"where quarter = ? order by exception_type, {STATUS_ORDER}, cost_center nulls last, exception_id",
        [snap.quarter]).fetchall()
    drift = con.execute(
        f"select {', '.join(DRIFT_COLUMNS)} from marts.fct_asset_drift "
        "where is_quarter_comparison and to_quarter = ? order by asset_id, attribute",
        [snap.quarter]).fetchall()

    contents = {
        SUMMARY_CSV: (_csv_bytes(SUMMARY_COLUMNS, summary), len(summary)),
        EXCEPTIONS_CSV: (_csv_bytes(EXCEPTION_COLUMNS, exceptions), len(exceptions)),
        DRIFT_CSV: (_csv_bytes(DRIFT_COLUMNS, drift), len(drift)),
        WORKBOOK: (_workbook_bytes(snap, summary, exceptions), len(exceptions)),
    }
    totals = {c: int(sum(r[SUMMARY_COLUMNS.index(c)] for r in summary)) for c in COUNT_COLUMNS}
    totals["listed"] = len(exceptions)
    manifest = {
        "format": PACK_FORMAT,
        "quarter": snap.quarter,
        "as_of_date": snap.as_of_date.isoformat(),
        "is_quarter_end": bool(snap.is_quarter_end),
        "previous_quarter": snap.previous_quarter,
        "previous_as_of_date": snap.previous_as_of_date.isoformat() if snap.previous_as_of_date else None,
        "resolutions_sha256": resolutions_sha256,
        "totals": totals,
        "files": {name: {"sha256": sha256_bytes(data), "bytes": len(data), "rows": rows}
                  for name, (data, rows) in sorted(contents.items())},
    }
    manifest["pack_sha256"] = pack_sha256(manifest)
    manifest["generated_at"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest["warehouse"] = str(warehouse) if warehouse else None
    for name, (data, _) in contents.items():
        _write_atomic(out / name, data)
    _write_atomic(out / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
    return manifest


# --------------------------------------------------------------------------------- checking

def read_manifest(folder: Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise PackError(f"{folder} is not a reconciliation pack ({MANIFEST} is missing)")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PackError(f"{path} cannot be read ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != PACK_FORMAT or not isinstance(manifest.get("files"), dict):
        raise PackError(f"{path} is not a manifest of format {PACK_FORMAT}")
    return manifest


def verify_pack(folder: Path) -> tuple[dict, list[str]]:
    """(manifest, problems): every listed file present with its recorded sha256, no file added,
    and the manifest itself unchanged (its pack_sha256 recomputes). Raises PackError when there
    is no readable manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    problems = []
    for name, meta in sorted(manifest["files"].items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name} is missing")
        elif sha256_file(path) != (meta or {}).get("sha256"):
            problems.append(f"{name} was changed (its sha256 differs from the manifest)")
    extra = sorted(p.name for p in folder.iterdir()
                   if not p.name.startswith(".") and p.name != MANIFEST and p.name not in manifest["files"])
    problems += [f"{name} is not part of the pack" for name in extra]
    if pack_sha256(manifest) != manifest.get("pack_sha256"):
        problems.append(f"{MANIFEST} was edited (its content no longer hashes to pack_sha256)")
    return manifest, problems
