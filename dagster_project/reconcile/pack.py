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

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
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
                 "attribute", "old_value", "new_value", "change_kind", "source")
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


# -------------------------------------------------------------------------------- workbook

# Columns of an exception sheet the asset manager fills (shaded; resolution_action has a drop-down):
# `itam reconcile resolve --from reconciliation.xlsx` reads them back (docs/reconciliation.md).
EDITABLE_COLUMNS = ("resolution_action", "resolved_by", "note")
STATUSES = ("new", "open", "reopened", "resolved")
DATE_COLUMNS = ("first_detected_on", "last_detected_on", "decision_as_of_date")


def counts_by_type(exceptions: list[tuple]) -> list[tuple]:
    """Per exception type (all of them, in sheet order): listed, each status, counting as open."""
    at = {c: EXCEPTION_COLUMNS.index(c) for c in ("exception_type", "status", "counts_as_open")}
    out = []
    for t in EXCEPTION_TYPES:
        rows = [r for r in exceptions if r[at["exception_type"]] == t]
        out.append((t, len(rows), *[sum(1 for r in rows if r[at["status"]] == s) for s in STATUSES],
                    sum(1 for r in rows if r[at["counts_as_open"]])))
    return out


def _workbook_bytes(snap: QuarterSnapshot, summary: list[tuple], exceptions: list[tuple], drift: list[tuple],
                    *, data_sha256: str, build_id: str | None, signoff_state: str) -> bytes:
    from openpyxl.styles import Font

    from dagster_project.decisions.store import RESOLUTION_ACTIONS
    from dagster_project.outputs import (
        COUNT_FORMAT,
        DATE_FORMAT,
        DATETIME_FORMAT,
        Validation,
        key_value_sheet,
        new_workbook,
        table_sheet,
        workbook_bytes,
    )

    stamp = datetime(snap.as_of_date.year, snap.as_of_date.month, snap.as_of_date.day)
    wb = new_workbook(f"Reconciliation {snap.quarter} as of {snap.as_of_date}", created=stamp)
    listed = len(exceptions)
    open_now = sum(1 for r in exceptions if r[EXCEPTION_COLUMNS.index("counts_as_open")])
    cover = key_value_sheet(wb, "cover", [
        ("Reconciliation", snap.quarter),
        ("As of", snap.as_of_date),
        ("Snapshot", "the quarter-end" if snap.is_quarter_end else "the quarter's last export, not its end date"),
        ("Compared with", f"{snap.previous_quarter} ({snap.previous_as_of_date})" if snap.previous_quarter
         else "no earlier quarter"),
        ("Build id", build_id or "(unknown)"),
        ("Pack data hash", data_sha256),
        ("Exceptions listed", listed),
        ("Counting as open", open_now),
        ("Sign-off", signoff_state),
        ("How to decide", "In a copy of this workbook, on a type's sheet: choose resolution_action, put "
                          "the owner's e-mail in resolved_by and say why in note; then run "
                          "`itam reconcile resolve --from <copy>.xlsx --by <your e-mail>`."),
    ], formats={"As of": DATE_FORMAT})
    cover.append([])
    head = ["exception_type", "listed", *STATUSES, "counts_as_open"]
    cover.append(head)
    for c in cover[cover.max_row]:
        c.font = Font(bold=True)
    by_type = counts_by_type(exceptions)
    for line in by_type:
        cover.append(list(line))
    cover.append(["Total", *[sum(line[i] for line in by_type) for i in range(1, len(head))]])
    for c in cover[cover.max_row]:
        c.font = Font(bold=True)
    cover.column_dimensions["C"].width = cover.column_dimensions["D"].width = 10

    table_sheet(wb, "summary", SUMMARY_COLUMNS, summary, formats={c: COUNT_FORMAT for c in COUNT_COLUMNS},
                totals={c: sum(r[SUMMARY_COLUMNS.index(c)] for r in summary) for c in COUNT_COLUMNS})
    formats = {**{c: DATE_FORMAT for c in DATE_COLUMNS}, "resolved_at": DATETIME_FORMAT}
    type_at = EXCEPTION_COLUMNS.index("exception_type")
    pick = Validation("resolution_action", RESOLUTION_ACTIONS, prompt="what was decided (leave empty: no decision)")
    for t in EXCEPTION_TYPES:
        rows = [r for r in exceptions if r[type_at] == t]
        table_sheet(wb, t, EXCEPTION_COLUMNS, rows, formats=formats, validations=[pick],
                    editable=EDITABLE_COLUMNS)
    table_sheet(wb, "drift", DRIFT_COLUMNS, drift)
    return workbook_bytes(wb, pinned=stamp)


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

def data_sha256(content: dict) -> str:
    """The hash shown on the workbook's cover: the manifest's content before the workbook is added
    (quarter, dates, totals, build id and every CSV's hash). pack_sha256 covers it and the workbook."""
    return sha256_bytes(json.dumps(content, sort_keys=True, separators=(",", ":"), default=str).encode())


def _data_content(manifest: dict) -> dict:
    """What data_sha256 covers: the manifest without its volatile keys and the workbook's entry."""
    content = {k: v for k, v in manifest.items() if k not in (*VOLATILE_KEYS, "data_sha256")}
    content["files"] = {k: v for k, v in manifest["files"].items() if k != WORKBOOK}
    return content


def seal(manifest: dict) -> dict:
    """Set data_sha256 and pack_sha256 from the manifest's content (what write_pack does)."""
    manifest["data_sha256"] = data_sha256(_data_content(manifest))
    manifest["pack_sha256"] = pack_sha256(manifest)
    return manifest


def _signoff_state(con, quarter: str) -> str:
    try:
        row = con.execute("select signed_by, signed_at, pack_sha256 from decisions.signoffs where quarter = ? "
                          "order by signed_at desc, signoff_row desc limit 1", [quarter]).fetchone()
    except Exception:  # a warehouse built before the decisions store existed
        row = None
    if row is None:
        return "not signed: `itam reconcile sign-off` records the signer and this pack's hash"
    return (f"not signed; {quarter} was last signed by {row[0]} at {row[1]:%Y-%m-%d %H:%M} UTC "
            f"for pack {row[2][:16]}…")


def write_pack(con, snap: QuarterSnapshot, out: Path, *, resolutions_sha256: str,
               warehouse: Path | None = None, force: bool = False, protected=(), masker=None) -> dict:
    """Write the pack of `snap` into `out` (created; only pack files may already be there, and they
    are replaced only with `force` or when the new pack is the same). Returns the manifest.
    `masker` (governance/privacy.Masker): personal data as the reader may see it; None = clear."""
    from dagster_project.outputs import OutputError, check_target, csv_bytes, write_file

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise PackError(f"{out} is a file, not a folder")
    if out.is_dir():
        foreign = sorted(p.name for p in out.iterdir()
                         if not p.name.startswith(".") and p.name not in (*PACK_FILES, MANIFEST))
        if foreign:
            raise PackError(f"{out} holds files that are not part of a pack ({', '.join(foreign[:3])}); "
                            "choose an empty or a pack folder with --out")

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
    build = con.execute("select build_id from audit.builds order by finished_at desc nulls last limit 1").fetchone()
    build_id = build[0] if build else None
    personal = "clear"
    if masker is not None and masker.masks_anything:  # issue 17.6: the pack is shared with controllers
        exceptions = masker.rows(EXCEPTION_COLUMNS, exceptions)
        drift = masker.rows(DRIFT_COLUMNS, drift)
        personal = "masked"

    csvs = {
        SUMMARY_CSV: (csv_bytes(SUMMARY_COLUMNS, summary), len(summary)),
        EXCEPTIONS_CSV: (csv_bytes(EXCEPTION_COLUMNS, exceptions), len(exceptions)),
        DRIFT_CSV: (csv_bytes(DRIFT_COLUMNS, drift), len(drift)),
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
        "build_id": build_id,
        "resolutions_sha256": resolutions_sha256,
        "totals": totals,
        "personal_data": personal,  # masked per taxonomy/privacy.yaml, or clear (--unmasked with a role)
        "files": {name: {"sha256": sha256_bytes(data), "bytes": len(data), "rows": rows}
                  for name, (data, rows) in sorted(csvs.items())},
    }
    manifest["data_sha256"] = data_sha256(manifest)
    book = _workbook_bytes(snap, summary, exceptions, drift, data_sha256=manifest["data_sha256"],
                           build_id=build_id, signoff_state=_signoff_state(con, snap.quarter))
    contents = {**csvs, WORKBOOK: (book, len(exceptions))}
    manifest["files"][WORKBOOK] = {"sha256": sha256_bytes(book), "bytes": len(book), "rows": len(exceptions)}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    manifest["pack_sha256"] = pack_sha256(manifest)
    manifest["generated_at"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    manifest["warehouse"] = Path(warehouse).name if warehouse else None  # a name: the pack is shared

    # Everything is in memory: nothing is written unless all of it could be produced.
    previous = None
    if (out / MANIFEST).is_file():
        try:
            previous = read_manifest(out).get("pack_sha256")
        except PackError:
            previous = None
    same = previous == manifest["pack_sha256"]
    replace = force or same
    try:
        for name in (*contents, MANIFEST):
            check_target(out / name, force=replace, protected=protected) if out.is_dir() else None
        out.mkdir(parents=True, exist_ok=True)
        for name, (data, _) in contents.items():
            write_file(out / name, data, force=replace, protected=protected)
        write_file(out / MANIFEST, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode(),
                   force=True, protected=protected)
    except OutputError as exc:
        raise PackError(f"{exc} (a pack folder is replaced only with --force, or by the same pack)") from None
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
    if "data_sha256" in manifest:
        if data_sha256(_data_content(manifest)) != manifest["data_sha256"]:
            problems.append(f"{MANIFEST} was edited (its content no longer hashes to data_sha256, "
                            "the hash on the workbook's cover)")
    if pack_sha256(manifest) != manifest.get("pack_sha256"):
        problems.append(f"{MANIFEST} was edited (its content no longer hashes to pack_sha256)")
    return manifest, problems
