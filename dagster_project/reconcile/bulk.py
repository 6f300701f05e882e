"""`itam reconcile resolve --from FILE.xlsx|csv`: every filled decision of a worked pack at once.

Reads the exception sheets of a pack workbook (a copy the asset manager filled in) or a CSV with
the columns of exceptions.csv, and classifies each row that carries a resolution_action:

  accepted    a new decision, recorded (all accepted rows in one append to the decisions chain)
  unchanged   the decision the row shows is already the one in force (or the one the workbook was
              written with): nothing recorded, so importing the same file twice records nothing
  rejected    with the reason (unknown exception, action not in the list, no note, no e-mail, ...)

Rows without a resolution_action are no decision and are only counted. The owner of a decision is
the row's resolved_by (an e-mail), else --by.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dagster_project.decisions.store import RESOLUTION_ACTIONS, DecisionsStore, normalise_email
from dagster_project.outputs import FORMULA_PREFIXES


class BulkError(Exception):
    """The file cannot be read as decisions (a one-line reason)."""


@dataclass(frozen=True)
class Line:
    where: str                 # sheet!row or file:line
    values: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    where: str
    exception_id: str
    result: str                # accepted | unchanged | rejected
    reason: str


def _cell(v) -> str:
    if v is None:
        return ""
    text = v.strftime("%Y-%m-%dT%H:%M:%SZ") if hasattr(v, "hour") else str(v)
    text = text.strip()
    # Undo the writer's formula neutralisation so a note round-trips as typed.
    if text[:1] == "'" and text[1:2] and text[1:2] in FORMULA_PREFIXES:
        text = text[1:]
    return text


def read_lines(path: Path) -> tuple[str | None, list[Line]]:
    """(quarter named on the workbook's cover or None, rows carrying an exception_id)."""
    path = Path(path)
    if not path.is_file():
        raise BulkError(f"{path} does not exist")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with open(path, newline="", encoding="utf-8-sig") as f:
                reader = csv.DictReader(f)
                header = [c.strip() for c in reader.fieldnames or []]
                _require(path.name, header)
                reader.fieldnames = header
                return None, [Line(f"{path.name}:{reader.line_num}", {k: _cell(v) for k, v in r.items() if k})
                              for r in reader if (r.get("exception_id") or "").strip()]
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise BulkError(f"{path} cannot be read as CSV ({exc})") from exc
    if suffix in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:
            # Formulas are read as their text, never their computed value: a note typed as
            # =HYPERLINK(..) is kept (and neutralised again in every output), not evaluated.
            wb = load_workbook(path, read_only=True, data_only=False)
        except Exception as exc:  # openpyxl raises several kinds for a damaged file
            raise BulkError(f"{path} cannot be read as a workbook ({exc})") from exc
        quarter = None
        if "cover" in wb.sheetnames:
            for key, value, *_ in wb["cover"].iter_rows(max_col=2, values_only=True):
                if key == "Reconciliation":
                    quarter = _cell(value)
        lines, sheets = [], 0
        for ws in wb.worksheets:
            rows = ws.iter_rows(values_only=True)
            header = [_cell(c) for c in next(rows, ())]
            if "exception_id" not in header or "resolution_action" not in header:
                continue
            sheets += 1
            for i, r in enumerate(rows, start=2):
                values = {h: _cell(v) for h, v in zip(header, r) if h}
                if values.get("exception_id", "").upper().startswith("EX-"):
                    lines.append(Line(f"{ws.title}!{i}", values))
        if not sheets:
            raise BulkError(f"{path} has no sheet with exception_id and resolution_action columns")
        return quarter, lines
    raise BulkError(f"{path}: give a .xlsx workbook or a .csv file")


def _require(name: str, header: list[str]) -> None:
    missing = [c for c in ("exception_id", "resolution_action") if c not in header]
    if missing:
        raise BulkError(f"{name}: no column {', '.join(missing)} (use the pack's exceptions.csv or workbook)")


def apply(store: DecisionsStore, lines: list[Line], lookup, *, default_by: str | None, masker=None
          ) -> tuple[list[Outcome], int]:
    """Classify every line and record the accepted ones. `lookup(exception_id)` returns
    (as_of_date, exception_type, problem_key) of the snapshot to decide against, or None.
    `masker`: how the pack showed personal data (issue 17.6); a row still showing the masked
    resolved_by and note of the decision in force is unchanged, not a new decision.
    Returns (outcomes, rows without a decision)."""
    latest, by_time = {}, {}
    for r in store.resolutions():
        if r.exception_id not in latest or (r.resolved_at, r.row) >= (latest[r.exception_id].resolved_at,
                                                                     latest[r.exception_id].row):
            latest[r.exception_id] = r
        by_time[(r.exception_id, r.resolved_at.strftime("%Y-%m-%dT%H:%M:%SZ"))] = r
    outcomes, new_rows, seen, empty = [], [], set(), 0
    for line in lines:
        v = line.values
        ex = v.get("exception_id", "").strip()
        if ex[:3].upper() == "EX-":
            ex = "EX-" + ex[3:].lower()
        action = v.get("resolution_action", "").strip()
        note = " ".join(v.get("note", "").split())
        if not action:
            empty += 1
            continue

        def out(result: str, reason: str = "", line=line, ex=ex) -> None:  # bound to this row
            outcomes.append(Outcome(line.where, ex, result, reason))

        if ex in seen:
            out("rejected", "listed twice in the file: only the first row counts")
            continue
        seen.add(ex)
        if action not in RESOLUTION_ACTIONS:
            out("rejected", f"resolution_action '{action}' is not one of {', '.join(RESOLUTION_ACTIONS)}")
            continue
        if masker is not None and _shows_masked(masker, v, note, action,
                                                (latest.get(ex), by_time.get((ex, v.get("resolved_at", ""))))):
            out("unchanged", f"already {action} (as the pack showed it, masked)")
            continue
        try:
            by = normalise_email(v.get("resolved_by") or default_by or "")
        except ValueError:
            who = v.get("resolved_by") or default_by
            out("rejected", f"resolved_by '{who}' is not an e-mail address" if who
                else "no owner: fill resolved_by or give --by")
            continue
        if not note:
            out("rejected", "note is empty: say why")
            continue
        current = latest.get(ex)
        if current and (current.resolution_action, current.resolved_by, current.note) == (action, by, note):
            out("unchanged", f"already {action} by {by}")
            continue
        shown = by_time.get((ex, v.get("resolved_at", "")))
        if shown and (shown.resolution_action, shown.resolved_by, shown.note) == (action, by, note):
            out("unchanged", f"as the workbook showed it; a later decision ({current.resolution_action} by "
                             f"{current.resolved_by}) is in force")
            continue
        found = lookup(ex)
        if found is None:
            out("rejected", "no such exception in the warehouse at this snapshot")
            continue
        as_of, exception_type, problem_key = found
        new_rows.append(store.resolution_row(exception_id=ex, as_of_date=as_of, action=action, resolved_by=by,
                                             note=note, exception_type=exception_type, problem_key=problem_key))
        out("accepted", f"{action} by {by} against the {as_of} snapshot")
    if new_rows:
        store.add_resolutions(new_rows)
    return outcomes, empty


def _shows_masked(masker, v: dict, note: str, action: str, decisions) -> bool:
    """The row holds a recorded decision exactly as the masked pack displayed it."""
    for d in decisions:
        if d is not None and d.resolution_action == action and \
                (masker.value("staff", d.resolved_by), masker.value("free_text", d.note)) == \
                ((v.get("resolved_by") or "").strip(), note):
            return True
    return False


def snapshot_lookup(con, at: date | None):
    """lookup() over the published warehouse: the given snapshot, else the latest listing the id."""
    def lookup(exception_id: str):
        sql = ("select as_of_date, exception_type, problem_key from marts.fct_reconciliation_exceptions "
               "where exception_id = ?" + (" and as_of_date = ?" if at else "") + " order by as_of_date desc limit 1")
        return con.execute(sql, [exception_id] + ([at] if at else [])).fetchone()
    return lookup
