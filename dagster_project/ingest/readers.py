"""Staging one export file in DuckDB as a table of strings, with DuckDB's own readers.

`stage_file(con, path, file_format, data, kinds, name)` reads the file with `read_csv` (strict
RFC 4180, rejected rows captured with `store_rejects`), `read_parquet` or `read_json_objects`
into a temporary view `name` with one VARCHAR column per file column (`c0`, `c1`, ...) plus
`_row_number`, and returns a `Staged`: the normalised column names (trimmed, lower case), the
rows that could not be mapped onto the columns at all (wrong field count, broken quoting,
invalid UTF-8, a JSON line that does not parse or is not an object) and the staging objects to
drop. Typing happens afterwards, in DuckDB (validate.py), identically for every format.

Row numbers: CSV = the record's number in the file with the header as row 1 (first data row 2;
blank lines count; equal to the line number unless a quoted value spans lines) — DuckDB's own
`line` of a rejected row uses the same numbering; Parquet and JSON arrays = 1-based record
index; JSON Lines = 1-based line number.

A problem that makes the whole file unusable raises `FileRejected` with a one-line reason.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

_BOM = b"\xef\xbb\xbf"
# DuckDB's default maximum line is 2 MB; exports carry long descriptions and JSON tag columns.
# read_csv's buffer defaults to 16 maximum lines (1 GiB at this maximum, refused under a 1 GB
# memory_limit): stage_csv sets the buffer to one maximum line.
MAX_LINE_BYTES = 64 << 20


def _raise_if_machine(e: duckdb.Error) -> None:
    """Out of memory is the machine's problem, not the file's: re-raise it so the build stops with
    "nothing published: system" instead of rejecting every file as malformed and publishing an
    empty warehouse."""
    if isinstance(e, duckdb.OutOfMemoryException):
        raise e
# read_csv turns empty values into NULL; the quarantine keeps records as delivered (""), and the
# typing step makes blanks NULL itself. So the reader's NULL string is one no export contains.
_NO_NULL = "\x01\x02itam:never-null\x03"


_CONTROL = re.compile("[\x00-\x1f\x7f]")


class FileRejected(Exception):
    """The whole file is unusable; str(exc) is a one-line reason (without the file name)."""


@dataclass
class BadRow:
    row_number: int
    reason: str
    record: object  # JSON-serialisable: what could be read of the row


@dataclass
class Staged:
    columns: list[str]               # normalised names, in file order; view column i is f"c{i}"
    stage: str                       # temp view: c0..c{n-1} VARCHAR + _row_number BIGINT
    rows: int                        # rows in the view
    bad_rows: list[BadRow] = field(default_factory=list)
    objects: list[tuple[str, str]] = field(default_factory=list)  # (kind, name) to drop
    arrow: list[str] = field(default_factory=list)                # registered Arrow names

    @property
    def rows_read(self) -> int:
        """Data records seen (excluding header and blank lines)."""
        return self.rows + len(self.bad_rows)

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        for kind, name in reversed(self.objects):
            con.execute(f"DROP {kind} IF EXISTS {name}")
        for name in self.arrow:
            con.unregister(name)


def normalise_header(names: list[str]) -> list[str]:
    """Trim and lower-case; reject empty and duplicate names (naming them)."""
    norm = [str(n).replace("\ufeff", "").strip().lower() for n in names]
    control = [str(i + 1) for i, n in enumerate(norm) if _CONTROL.search(n)]
    if control:
        raise FileRejected(f"control character in the column name at position(s) {', '.join(control)} "
                           "of the header")
    empty = [str(i + 1) for i, n in enumerate(norm) if not n]
    if empty:
        raise FileRejected(f"empty column name at position(s) {', '.join(empty)} of the header")
    seen: dict[str, int] = {}
    for n in norm:
        seen[n] = seen.get(n, 0) + 1
    dups = [n for n, k in seen.items() if k > 1]
    if dups:
        raise FileRejected(f"duplicate column name(s) {', '.join(dups)} (names are case-insensitive)")
    return norm


def _lit(s: str) -> str:
    return "'" + s.replace("'", "''") + "'"


def _ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _one_line(e: BaseException) -> str:
    # DuckDB appends its reader options and generic "Possible fixes" (aimed at someone writing
    # SQL): the reason is what comes before them.
    s = " ".join(str(e).split(" Possible fixes:")[0].split("  file = ")[0].split())
    return s[:300] if s else type(e).__name__


def _utf8_error(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return f"not valid UTF-8 (line {line}, byte {e.start}: {e.reason})"
    return None


def _numbered(con, staged: Staged, raw: str, numbers: np.ndarray | None, first: int) -> None:
    """The view `staged.stage` over the temp table `raw` (insertion order = file order), with
    `_row_number` = `numbers[i]` for the i-th row, or i + first when numbers is None."""
    cols = ", ".join(f"r.c{i}" for i in range(len(staged.columns)))
    sep = ", " if cols else ""
    if numbers is None:
        sql = f"SELECT {cols}{sep}CAST(r.rowid + {first} AS BIGINT) AS _row_number FROM {raw} r"
    else:
        mapping = f"{staged.stage}_rn"
        con.register(mapping, pa.table({"k": pa.array(np.arange(len(numbers)), pa.int64()),
                                        "rn": pa.array(numbers, pa.int64())}))
        staged.arrow.append(mapping)
        sql = f"SELECT {cols}{sep}m.rn AS _row_number FROM {raw} r JOIN {mapping} m ON r.rowid = m.k"
    con.execute(f"CREATE TEMP VIEW {staged.stage} AS {sql}")
    staged.objects.append(("VIEW", staged.stage))


# --------------------------------------------------------------------------------------- CSV

def _header_record(body: bytes) -> bytes:
    """The bytes of the header record (up to the first line end outside quotes)."""
    end = body.find(b"\n")
    if end < 0:
        return body
    if body.count(b'"', 0, end) % 2 == 0:
        return body[:end]
    starts = _record_starts(body)
    return body[:starts[1] - 1] if len(starts) > 1 else body


def _record_starts(body: bytes) -> np.ndarray:
    """Byte offsets where each CSV record starts: after every line feed outside quotes. Quote
    parity is exact for RFC 4180 (an escaped quote is two quotes)."""
    arr = np.frombuffer(body, dtype=np.uint8)
    in_quotes = (np.cumsum(arr == 0x22) & 1).astype(bool)
    ends = np.flatnonzero((arr == 0x0A) & ~in_quotes)
    return np.concatenate(([0], ends + 1))


def _blank_records(body: bytes, quoted: bool = True) -> np.ndarray:
    """Record numbers (1-based) of blank lines, which DuckDB skips but counts. quoted: line
    feeds inside quotes do not end a record (CSV); JSON Lines cannot hold a raw line feed."""
    if quoted:
        starts = _record_starts(body)
    else:
        starts = np.concatenate(([0], np.flatnonzero(np.frombuffer(body, dtype=np.uint8) == 0x0A) + 1))
    n = len(body)
    ends = np.append(starts[1:] - 1, n)  # position of each record's line feed (or end of file)
    length = ends - starts
    arr = np.frombuffer(body, dtype=np.uint8)
    cr_only = np.zeros(len(starts), dtype=bool)
    one = np.flatnonzero(length == 1)
    cr_only[one] = arr[starts[one]] == 0x0D
    blank = (length == 0) | cr_only
    if starts[-1] >= n:
        blank[-1] = False  # nothing after the final line feed: not a line
    return np.flatnonzero(blank) + 1


def _csv_fields(text: str) -> list[str] | None:
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error:
        return None
    return [f for row in rows for f in row] if len(rows) > 1 else (rows[0] if rows else [])


def _csv_bad_row(columns: list[str], line: int, errors: list[tuple]) -> BadRow:
    """One quarantined row from DuckDB's reject records of one line."""
    _, error_type, csv_line, message = errors[0]
    text = (csv_line or "").lstrip("\r\n").rstrip("\r\n")
    width = len(columns)
    types = {e[1] for e in errors}
    fields = _csv_fields(text)
    if types & {"MISSING COLUMNS", "TOO MANY COLUMNS"} and fields is not None:
        rec: dict = dict(zip(columns, fields))
        if len(fields) > width:
            rec["_unnamed_fields"] = fields[width:]
        return BadRow(line, f"row has {len(fields)} field(s), expected {width} as in the header", rec)
    if "UNQUOTED VALUE" in types:
        col = errors[0][0]  # DuckDB names the staged column, c<i>
        if col and col[:1] == "c" and col[1:].isdigit() and int(col[1:]) < width:
            col = columns[int(col[1:])]
        reason = (f"malformed CSV quoting{' in column ' + col if col else ''}: a quote inside an "
                  "unquoted value, or text after a closing quote (RFC 4180: quote the whole value "
                  'and double inner quotes "")')
    elif "INVALID ENCODING" in types:
        reason = "row is not valid UTF-8 (exports are UTF-8)"
    elif "LINE SIZE OVER MAXIMUM" in types:
        reason = f"row is longer than {MAX_LINE_BYTES >> 20} MB"
        text = text[:2000]
    else:
        reason = f"unreadable CSV row ({error_type}: {_one_line(Exception(message))})"
    return BadRow(line, reason, {"_line": text})


def stage_csv(con, path: Path, data: bytes, name: str) -> Staged:
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    if not body.strip(b" \t\r\n"):
        raise FileRejected("empty file (no header row)")
    head = _header_record(body)
    try:
        head_text = head.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRejected(_utf8_error(data) or "not valid UTF-8") from None
    try:
        header_raw = next(csv.reader([head_text.rstrip("\r")], strict=True))
    except csv.Error as e:
        raise FileRejected(f"malformed CSV header: {e}") from None
    if not header_raw or not "".join(header_raw).strip():
        raise FileRejected("the first line is empty (expected the header row)")
    columns = normalise_header(header_raw)
    staged = Staged(columns, name, 0)
    raw, rejects, scans = f"{name}_raw", f"{name}_rej", f"{name}_scan"
    spec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(columns))) + "}"
    try:
        staged.objects.append(("TABLE", raw))
        staged.objects += [("TABLE", rejects), ("TABLE", scans)]
        con.execute(
            f"CREATE TEMP TABLE {raw} AS SELECT * FROM read_csv(?, header = true, auto_detect = false, "
            f"columns = {spec}, delim = ',', quote = '\"', escape = '\"', strict_mode = true, "
            f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{scans}', "
            f"max_line_size = {MAX_LINE_BYTES}, buffer_size = {MAX_LINE_BYTES}, encoding = 'utf-8', nullstr = ?, allow_quoted_nulls = false)",
            [str(path), _NO_NULL])
        errors = con.execute(
            f"SELECT line, column_name, CAST(error_type AS VARCHAR), csv_line, error_message "
            f"FROM {rejects} ORDER BY line, column_idx").fetchall()
    except duckdb.Error as e:
        _raise_if_machine(e)
        staged.drop(con)
        raise FileRejected(f"malformed CSV ({_one_line(e)})") from None
    by_line: dict[int, list[tuple]] = {}
    for line, *rest in errors:
        by_line.setdefault(int(line), []).append(tuple(rest))
    for line, errs in by_line.items():
        csv_line = (errs[0][2] or "").strip("\r\n")
        if errs[0][1] == "UNQUOTED VALUE" and csv_line.count('"') % 2 and "\n" in csv_line:
            # An unterminated quote swallows every later line: nothing after it can be trusted.
            staged.drop(con)
            raise FileRejected(f"malformed CSV near line {line}: a quoted value is never closed")
    staged.bad_rows = [_csv_bad_row(columns, line, errs) for line, errs in sorted(by_line.items())]
    staged.rows = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
    numbers = None
    blank = b"\n\n" in body or b"\n\r\n" in body
    if staged.bad_rows or blank:
        skip = np.union1d(_blank_records(body) if blank else np.array([], dtype=np.int64),
                          np.array(sorted(by_line), dtype=np.int64))
        candidates = np.arange(2, 2 + staged.rows + len(skip), dtype=np.int64)
        numbers = np.setdiff1d(candidates, skip, assume_unique=True)[:staged.rows]
    _numbered(con, staged, raw, numbers, 2)
    return staged


# ------------------------------------------------------------------------------------ Parquet

def _parquet_text(col: str, duck_type: str, kind: str | None) -> str:
    """SQL turning a typed Parquet column into text the typing step parses: ISO dates and
    timestamps (UTC, zone dropped), plain decimals, true/false, JSON for nested values."""
    t = duck_type.upper()
    c = _ident(col)
    if t == "VARCHAR":
        return c
    if t.startswith("TIMESTAMP"):
        ts = f"timezone('UTC', {c})" if "TIME ZONE" in t else f"CAST({c} AS TIMESTAMP)"
        text = f"CAST({c} AS VARCHAR)" if "TIME ZONE" not in t else f"CAST({ts} AS VARCHAR)"
        if kind == "date":  # a timestamp column holding a contract date: midnight is the date
            return (f"CASE WHEN {ts} = date_trunc('day', {ts}) THEN CAST(CAST({ts} AS DATE) AS VARCHAR) "
                    f"ELSE {text} END")
        return text
    if t == "BLOB":
        return f"decode({c})"  # validates UTF-8
    if t.endswith("]") or t.startswith(("STRUCT", "MAP", "UNION")):
        return f"CAST(to_json({c}) AS VARCHAR)"
    return f"CAST({c} AS VARCHAR)"


def stage_parquet(con, path: Path, name: str, kinds: dict[str, str]) -> Staged:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as e:
        _raise_if_machine(e)
        raise FileRejected(f"not a readable Parquet file ({_one_line(e)})") from None
    names = [r[0] for r in described]
    columns = normalise_header(names)
    staged = Staged(columns, name, 0)
    raw = f"{name}_raw"
    texts = [f"{_parquet_text(n, r[1], kinds.get(norm))} AS c{i}"
             for i, (n, r, norm) in enumerate(zip(names, described, columns))]
    select = ", ".join(texts + ["file_row_number"]) if texts else "file_row_number"
    try:
        staged.objects.append(("TABLE", raw))
        con.execute(f"CREATE TEMP TABLE {raw} AS SELECT {select} FROM read_parquet(?, file_row_number = true)",
                    [str(path)])
    except duckdb.Error as e:
        _raise_if_machine(e)
        staged.drop(con)
        raise FileRejected(f"not a readable Parquet file ({_one_line(e)})") from None
    staged.rows = con.execute(f"SELECT count(*) FROM {raw}").fetchone()[0]
    cols = ", ".join(f"c{i}" for i in range(len(columns)))
    con.execute(f"CREATE TEMP VIEW {name} AS SELECT {cols}{', ' if cols else ''}"
                f"CAST(file_row_number + 1 AS BIGINT) AS _row_number FROM {raw}")
    staged.objects.append(("VIEW", name))
    return staged


# --------------------------------------------------------------------------------------- JSON

_JSON_TYPE_NAMES = {"VARCHAR": "str", "ARRAY": "list", "BIGINT": "int", "UBIGINT": "int",
                    "DOUBLE": "float", "BOOLEAN": "bool", "NULL": "NoneType"}


def stage_json(con, path: Path, data: bytes, name: str) -> Staged:
    """A JSON array of objects, a sequence of objects (e.g. one object), or JSON Lines."""
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    stripped = body.lstrip()
    if not stripped:
        raise FileRejected("empty file (no records)")
    objs = f"{name}_obj"
    staged = Staged([], name, 0)
    staged.objects.append(("TABLE", objs))
    lines = False
    first = stripped[:1]
    try:
        if first == b"[":
            fmt = "array"
        elif first == b"{":
            fmt = "unstructured"
        else:
            raise FileRejected("JSON must be an array of objects, an object, or JSON Lines")
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {objs} AS SELECT json AS obj "
                        f"FROM read_json_objects(?, format = '{fmt}', maximum_object_size = {MAX_LINE_BYTES})",
                        [str(path)])
        except duckdb.Error as e:
            _raise_if_machine(e)
            if fmt == "array":
                raise FileRejected(f"not valid JSON ({_one_line(e)})") from None
            # JSON Lines with broken lines: each broken line becomes a NULL record, quarantined.
            con.execute(f"CREATE OR REPLACE TEMP TABLE {objs} AS SELECT json AS obj "
                        f"FROM read_json_objects(?, format = 'newline_delimited', ignore_errors = true, "
                        f"maximum_object_size = {MAX_LINE_BYTES})", [str(path)])
            lines = True
            if not con.execute(f"SELECT count(obj) FROM {objs}").fetchone()[0]:
                raise FileRejected(f"not valid JSON or JSON Lines ({_one_line(e)})") from None
    except FileRejected:
        staged.drop(con)
        raise
    except duckdb.Error as e:
        _raise_if_machine(e)
        staged.drop(con)
        raise FileRejected(f"not valid JSON ({_one_line(e)})") from None

    n = con.execute(f"SELECT count(*) FROM {objs}").fetchone()[0]
    if fmt == "unstructured" and not lines:
        # One object per line (JSON Lines) when the records match the non-blank lines.
        total = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
        lines = n > 1 and n == total - len(_blank_records(body, quoted=False))
    numbers = None
    if lines:
        total = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
        numbers = np.setdiff1d(np.arange(1, total + 1), _blank_records(body, quoted=False))[:n].astype(np.int64)

    # Keys, in order of first appearance; normalised (trimmed, lower case) they name the columns.
    keys = [k for (k,) in con.execute(
        f"SELECT k FROM (SELECT rowid AS r, unnest(json_keys(obj)) AS k, "
        f"generate_subscripts(json_keys(obj), 1) AS p FROM {objs} WHERE json_type(obj) = 'OBJECT') "
        f"GROUP BY k ORDER BY min(r), min(p)").fetchall()]
    spellings: dict[str, list[str]] = {}
    for k in keys:
        norm = k.replace("\ufeff", "").strip().lower()
        if not norm:
            staged.drop(con)
            raise FileRejected("empty key in a record (keys name the columns)")
        spellings.setdefault(norm, []).append(k)
    staged.columns = list(spellings)
    try:
        normalise_header(staged.columns)  # control characters in key names
    except FileRejected:
        staged.drop(con)
        raise
    paths = [k for norm in staged.columns for k in spellings[norm]]
    values, pos = [], 1
    for norm in staged.columns:
        parts = [f"v[{pos + i}]" for i in range(len(spellings[norm]))]
        pos += len(parts)
        values.append(f"{parts[0] if len(parts) == 1 else 'coalesce(' + ', '.join(parts) + ')'} AS c{len(values)}")
    clashes = [ks for ks in spellings.values() if len(ks) > 1]
    clash = " OR ".join(
        "(" + " + ".join(f"CAST(json_exists(obj, {_lit(_json_key(k))}) AS INTEGER)" for k in ks) + ") > 1"
        for ks in clashes) or "false"
    raw = f"{name}_raw"
    path_list = ("[" + ", ".join(_lit(_json_key(p)) for p in paths) + "]" if paths
                 else "CAST([] AS VARCHAR[])")
    con.execute(
        f"CREATE TEMP TABLE {raw} AS SELECT rowid AS k, obj, json_type(obj) AS t, ({clash}) AS clash, "
        f"json_extract_string(obj, {path_list}) AS v FROM {objs} ORDER BY rowid")
    staged.objects.append(("TABLE", raw))
    bad = con.execute(
        f"SELECT k, t, clash, CAST(obj AS VARCHAR) FROM {raw} "
        f"WHERE obj IS NULL OR t <> 'OBJECT' OR clash ORDER BY k").fetchall()
    row_of = (lambda k: int(numbers[k])) if numbers is not None else (lambda k: k + 1)
    for k, t, _clash, text in bad:
        if text is None:
            reason, rec = "line is not valid JSON", {"_line": _line_of(body, row_of(k))[:2000]}
        elif t != "OBJECT":
            reason, rec = f"record is a JSON {_JSON_TYPE_NAMES.get(t, t.lower())}, not an object", json.loads(text)
        else:
            dup = [ks[0].strip().lower() for ks in clashes]
            reason, rec = f"keys differ only in case or spaces: {', '.join(dup)}", json.loads(text)
        staged.bad_rows.append(BadRow(row_of(k), reason, rec))
    good = f"{name}_good"
    cols = ", ".join(values)
    con.execute(f"CREATE TEMP TABLE {good} AS SELECT k{', ' + cols if cols else ''} FROM {raw} "
                f"WHERE obj IS NOT NULL AND t = 'OBJECT' AND NOT clash ORDER BY k")
    staged.objects.append(("TABLE", good))
    staged.rows = n - len(bad)
    rn = f"{name}_rn"
    all_numbers = numbers if numbers is not None else np.arange(1, n + 1, dtype=np.int64)
    con.register(rn, pa.table({"k": pa.array(np.arange(n), pa.int64()), "rn": pa.array(all_numbers, pa.int64())}))
    staged.arrow.append(rn)
    sel = ", ".join(f"g.c{i}" for i in range(len(staged.columns)))
    con.execute(f"CREATE TEMP VIEW {name} AS SELECT {sel}{', ' if sel else ''}m.rn AS _row_number "
                f"FROM {good} g JOIN {rn} m ON g.k = m.k")
    staged.objects.append(("VIEW", name))
    return staged


def _json_key(key: str) -> str:
    """A key as DuckDB's JSON functions take it: a plain key unless it would read as a path."""
    return _json_key_path(key) if key.startswith(("$", "/")) else key


def _json_key_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _line_of(body: bytes, line: int) -> str:
    parts = body.split(b"\n", line)
    return parts[line - 1].decode("utf-8", "replace") if len(parts) >= line else ""


def stage_file(con: duckdb.DuckDBPyConnection, path: Path, file_format: str, data: bytes,
               kinds: dict[str, str], name: str) -> Staged:
    """Stage one export (its bytes `data` were read from `path` and hashed by the caller)."""
    if file_format == "csv":
        return stage_csv(con, path, data, name)
    if file_format == "parquet":
        return stage_parquet(con, path, name, kinds)
    if file_format == "json":
        return stage_json(con, path, data, name)
    raise FileRejected(f"unsupported format {file_format!r}")
