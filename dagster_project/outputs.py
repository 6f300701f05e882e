"""Safe outputs: the one writer of the CSV and XLSX files a user opens (the reconciliation pack,
`itam export`, the dashboard downloads). docs/decisions/safe-outputs.md.

Cells: text that a spreadsheet would run as a formula (it starts with =, +, -, @, tab or CR: the
OWASP CSV-injection rule) is prefixed with a single quote, so it shows as typed and never runs;
numbers stay numbers (typed values are never touched, and a text that is a plain number such as
"-12.50" is not a formula). Characters XLSX cannot hold (C0 controls other than tab, LF, CR) are
written as a visible `\\xNN` escape in both CSV and XLSX, so a control character in a hostname
neither crashes the writer nor disappears.

Files: a target that exists is refused unless `force`; a DuckDB database, and anything inside the
folders an output must never touch (landing, decisions, taxonomy, the warehouse and its build
file), is refused even with `force`. Writes go to a temporary file in the same folder, are
fsynced, then linked (no overwrite) or renamed (force) into place: a crash leaves the old file or
the new one, never half of one.
"""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
# What the XLSX (XML 1.0) format cannot hold; the same set openpyxl refuses.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

# Excel number-format codes (one place; the dashboards' formatting module is for screens).
COUNT_FORMAT = "#,##0"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MAX_WIDTH = 60


def money_format(currency: str | None = None) -> str:
    """'#,##0.00 "EUR"': two decimals, thousands separators, the currency shown in the cell."""
    return f'#,##0.00 "{currency}"' if currency else "#,##0.00"


class OutputError(Exception):
    """An output cannot be written where asked (a one-line reason naming the path)."""


# ------------------------------------------------------------------------------------ cells

def escape_controls(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def safe_text(text: str) -> str:
    """A text cell as written: control characters escaped, a formula neutralised."""
    text = escape_controls(text)
    if text.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def safe_cell(value):
    """A value for an XLSX cell: numbers, dates and booleans as they are, everything else as safe text."""
    if value is None or isinstance(value, (bool, int, float, Decimal, date, datetime)):
        return value
    if isinstance(value, (list, tuple)):
        value = ", ".join(map(str, value))
    return safe_text(str(value))


def csv_text(value) -> str:
    """A value for a CSV field: ISO dates, UTC timestamps with Z, true/false, exact decimals."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (int, float, Decimal, date)):
        return str(value)
    return safe_cell(value)


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_text(c) for c in columns])
    for r in rows:
        w.writerow([csv_text(v) for v in r])
    return buf.getvalue().encode("utf-8")


# ------------------------------------------------------------------------------------ sheets

@dataclass(frozen=True)
class Validation:
    """A drop-down list on one column (every data row, plus `spare` empty rows below)."""
    column: str
    values: Sequence[str]
    prompt: str = ""
    spare: int = 0


def _width(value) -> int:
    if value is None:
        return 0
    if isinstance(value, Decimal | float):
        return len(f"{value:,.2f}") + 5
    if isinstance(value, datetime):
        return 16
    return len(str(value))


def table_sheet(wb, title: str, columns: Sequence[str], rows: Sequence[Sequence], *,
                formats: dict[str, str] | None = None, totals: dict[str, object] | None = None,
                total_label: str = "Total", validations: Sequence[Validation] = (),
                editable: Sequence[str] = ()):
    """One sheet holding a table as a user expects it: bold frozen header, autofilter, widths,
    number formats per column, a bold totals row under the data (values, not formulas, so a
    sort or filter cannot change them), drop-downs and shaded editable columns."""
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    formats = formats or {}
    ws = wb.create_sheet(title[:31])
    ws.append([safe_text(c) for c in columns])
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    for r in rows:
        ws.append([safe_cell(v) for v in r])
    n = len(rows)
    last_col = get_column_letter(max(1, len(columns)))
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{last_col}{n + 1}"
    for i, name in enumerate(columns, start=1):
        letter = get_column_letter(i)
        fmt = formats.get(name)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=2, max_row=n + 1, min_col=i, max_col=i):
                cell.number_format = fmt
        longest = max([len(name)] + [_width(r[i - 1]) for r in rows[:500]])
        ws.column_dimensions[letter].width = min(MAX_WIDTH, longest + 2)
    if totals is not None:
        row = [total_label] + [None] * (len(columns) - 1)
        for name, value in totals.items():
            row[columns.index(name)] = value
        ws.append([safe_cell(v) for v in row])
        for i, name in enumerate(columns, start=1):
            cell = ws.cell(n + 2, i)
            cell.font = bold
            if formats.get(name):
                cell.number_format = formats[name]
    shade = PatternFill("solid", fgColor="FFF2CC")
    for name in editable:
        i = columns.index(name) + 1
        for (cell,) in ws.iter_rows(min_row=2, max_row=n + 1, min_col=i, max_col=i):
            cell.fill = shade
    for v in validations:
        letter = get_column_letter(columns.index(v.column) + 1)
        dv = DataValidation(type="list", formula1='"' + ",".join(v.values) + '"', allow_blank=True,
                            showErrorMessage=True, errorTitle="Not a valid choice",
                            error="Choose one of: " + ", ".join(v.values))
        if v.prompt:
            dv.promptTitle, dv.prompt, dv.showInputMessage = v.column, v.prompt, True
        dv.add(f"{letter}2:{letter}{max(2, n + 1 + v.spare)}")
        ws.add_data_validation(dv)
    return ws


def key_value_sheet(wb, title: str, pairs: Sequence[tuple[str, object]], *, formats: dict[str, str] | None = None):
    """A two-column sheet (a cover or a header): bold labels, values, widths."""
    from openpyxl.styles import Font

    formats = formats or {}
    ws = wb.create_sheet(title[:31])
    for key, value in pairs:
        ws.append([safe_text(key), safe_cell(value)])
        ws.cell(ws.max_row, 1).font = Font(bold=True)
        if key in formats:
            ws.cell(ws.max_row, 2).number_format = formats[key]
    ws.column_dimensions["A"].width = max([len(k) for k, _ in pairs] + [10]) + 2
    ws.column_dimensions["B"].width = min(MAX_WIDTH + 20, max([_width(v) for _, v in pairs] + [10]) + 2)
    return ws


def new_workbook(title: str | None = None, created: datetime | None = None):
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.creator = "itam"
    if title:
        wb.properties.title = safe_text(title)
    if created:
        wb.properties.created = created
    return wb


def workbook_bytes(wb, pinned: datetime | None = None) -> bytes:
    """The workbook's bytes. With `pinned`, the save time openpyxl stamps into docProps/core.xml
    and every zip entry is replaced by it, so the same data gives the same bytes."""
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if pinned is None:
        return data
    iso = pinned.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
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


# ----------------------------------------------------------------------------- data frames

def frame_rows(df) -> tuple[list[str], list[list]]:
    """A pandas DataFrame as (columns, rows of plain Python values): missing as None, time zones
    dropped (Excel has none), whole-day timestamps as dates."""
    import pandas as pd

    columns = [str(c) for c in df.columns]
    out = df.copy()
    for c in out.columns:
        s = out[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            out[c] = s.dt.tz_localize(None)
    out = out.astype(object).where(pd.notna(out), None)
    rows = []
    for r in out.itertuples(index=False, name=None):
        row = []
        for v in r:
            if isinstance(v, pd.Timestamp):
                v = v.date() if v == v.normalize() else v.to_pydatetime()
            elif hasattr(v, "item") and not isinstance(v, (str, bytes)):
                v = v.item()  # numpy scalars
            row.append(v)
        rows.append(row)
    return columns, rows


def frame_csv_bytes(df) -> bytes:
    return csv_bytes(*frame_rows(df))


def frame_xlsx_bytes(df, sheet: str = "data") -> bytes:
    columns, rows = frame_rows(df)
    wb = new_workbook()
    formats = {}
    for i, c in enumerate(columns):
        sample = next((r[i] for r in rows if r[i] is not None), None)
        if isinstance(sample, datetime):
            formats[c] = DATETIME_FORMAT
        elif isinstance(sample, date):
            formats[c] = DATE_FORMAT
        elif isinstance(sample, (float, Decimal)):
            formats[c] = "#,##0.00"
    table_sheet(wb, re.sub(r"[\[\]:*?/\\]", "_", sheet)[:31] or "data", columns, rows, formats=formats)
    return workbook_bytes(wb)


# ------------------------------------------------------------------------------------ files

def is_duckdb_file(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(12)[8:12] == b"DUCK"
    except OSError:
        return False


def protected_paths(settings) -> list[tuple[Path, str]]:
    """What no output may ever write over or into, with how to name it in the refusal."""
    w = Path(settings.warehouse)
    return [(w, "the published warehouse"), (Path(f"{w}.building"), "the warehouse's build file"),
            (Path(f"{w}.wal"), "the warehouse's write-ahead log"), (Path(settings.build_db), "the build file"),
            (Path(f"{w}.versions"), "the kept versions of the warehouse"),
            (Path(settings.landing), "the landing folder"), (Path(settings.decisions), "the decisions store"),
            (Path(settings.taxonomy), "the taxonomy folder")]


def check_target(path: Path, *, force: bool = False, protected: Sequence[tuple[Path, str]] = ()) -> Path:
    """The resolved target when an output may be written there; else OutputError."""
    target = Path(path).resolve()
    for p, what in protected:
        p = Path(p).resolve()
        if target == p or p in target.parents:
            where = "is" if target == p else "is inside"
            raise OutputError(f"{path} {where} {what} ({p}): outputs never write there; choose another --out")
    if target.is_dir():
        raise OutputError(f"{path} is a folder")
    if not target.parent.is_dir():
        raise OutputError(f"folder {target.parent} does not exist (create it or choose another --out)")
    if is_duckdb_file(target):
        raise OutputError(f"{path} is a DuckDB database: outputs never replace one, even with --force")
    if target.exists() and not force:
        raise OutputError(f"{path} exists; pass --force to replace it")
    return target


def write_file(path: Path, data: bytes, *, force: bool = False,
               protected: Sequence[tuple[Path, str]] = ()) -> Path:
    """Write `data` to `path` under the rules above; returns the resolved path."""
    target = check_target(path, force=force, protected=protected)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # atomic, and fails if something appeared meanwhile
            except FileExistsError:
                raise OutputError(f"{path} exists; pass --force to replace it") from None
            except OSError:  # a file system without hard links: check, then rename
                if target.exists():
                    raise OutputError(f"{path} exists; pass --force to replace it") from None
                os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass
    return target
