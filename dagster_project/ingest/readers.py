"""Reading one export file into a table of strings, whatever its format.

Every reader returns a `ReadResult`: the normalised column names (trimmed, lower case), an Arrow
table with one string column per file column (`c0`, `c1`, ...) plus `_row_number`, and the rows
that could not be mapped onto the columns at all (wrong field count, a JSON line that is not an
object). Typing happens afterwards, in DuckDB (typing.py), identically for every format.

Row numbers: CSV = the record's number in the file with the header as row 1 (so the first data
row is 2; blank lines count; equal to the line number unless a quoted value spans lines);
Parquet and JSON arrays = 1-based record index; JSON Lines = 1-based line number.

A problem that makes the whole file unusable raises `FileRejected` with a one-line reason.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from itertools import islice

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_BOM = b"\xef\xbb\xbf"
_CHUNK_ROWS = 100_000
_BATCH_ROWS = 122_880
_MAX_FIELD = 1 << 30


class FileRejected(Exception):
    """The whole file is unusable; str(exc) is a one-line reason (without the file name)."""


@dataclass
class BadRow:
    row_number: int
    reason: str
    record: object  # JSON-serialisable: what could be read of the row


@dataclass
class ReadResult:
    columns: list[str]               # normalised names, in file order; table column i is f"c{i}"
    table: pa.Table                  # c0..c{n-1} (string) + _row_number (int64)
    bad_rows: list[BadRow] = field(default_factory=list)
    rows_read: int = 0               # data records seen (excluding header and blank lines)
    fast_path: bool = False          # CSV read by Arrow's parallel reader (for the record)


def normalise_header(names: list[str]) -> list[str]:
    """Trim and lower-case; reject empty and duplicate names (naming them)."""
    norm = [str(n).replace("\ufeff", "").strip().lower() for n in names]
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


def _string_table(columns: list[list | pa.Array | pa.ChunkedArray], row_numbers) -> pa.Table:
    arrays = {}
    for i, col in enumerate(columns):
        arrays[f"c{i}"] = col if isinstance(col, (pa.Array, pa.ChunkedArray)) else pa.array(col, pa.string())
    arrays["_row_number"] = pa.array(row_numbers, pa.int64())
    table = pa.table(arrays)
    # DuckDB scans Arrow batches in parallel: give it several (zero-copy slices).
    return pa.Table.from_batches(table.to_batches(max_chunksize=_BATCH_ROWS), table.schema)


def _utf8_error(data: bytes) -> str | None:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return f"not valid UTF-8 (line {line}, byte {e.start}: {e.reason})"
    return None


# --------------------------------------------------------------------------------------- CSV

def _csv_quotes_regular(data: bytes) -> bool:
    """True when every double quote is balanced and sits next to a delimiter, a line end or
    another quote, i.e. Arrow's reader and Python's strict RFC 4180 reader must split the file
    the same way. Otherwise (a quote inside unquoted text, text after a closing quote, an
    unterminated quote) the file goes through Python's csv module, which reports it exactly."""
    count = data.count(b'"')
    if count == 0:
        return True
    if count % 2:
        return False
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    arr = np.frombuffer(body, dtype=np.uint8)
    n = arr.size
    q = np.flatnonzero(arr == 0x22)
    delim = np.zeros(256, dtype=bool)
    delim[[0x2C, 0x22, 0x0D, 0x0A]] = True
    prev_ok = np.ones(q.size, dtype=bool)
    has_prev = q > 0
    prev_ok[has_prev] = delim[arr[q[has_prev] - 1]]
    next_ok = np.ones(q.size, dtype=bool)
    has_next = q < n - 1
    next_ok[has_next] = delim[arr[q[has_next] + 1]]
    return bool(np.all(prev_ok | next_ok))


def _text(data: bytes) -> io.TextIOWrapper:
    return io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")


def read_csv(data: bytes) -> ReadResult:
    if not data.strip(b" \t\r\n" + _BOM):
        raise FileRejected("empty file (no header row)")
    old_limit = csv.field_size_limit(_MAX_FIELD)
    try:
        try:
            header_raw = next(csv.reader(_text(data), strict=True))
        except UnicodeDecodeError:
            raise FileRejected(_utf8_error(data) or "not valid UTF-8") from None
        except csv.Error as e:
            raise FileRejected(f"malformed CSV header: {e}") from None
        except StopIteration:
            raise FileRejected("empty file (no header row)") from None
        if not header_raw:
            raise FileRejected("the first line is empty (expected the header row)")
        columns = normalise_header(header_raw)
        if _csv_quotes_regular(data):
            result = _read_csv_arrow(data, header_raw, columns)
            if result is not None:
                return result
        return _read_csv_python(data, columns)
    finally:
        csv.field_size_limit(old_limit)


def _read_csv_arrow(data: bytes, header_raw: list[str], columns: list[str]) -> ReadResult | None:
    """Arrow's multi-threaded reader. Returns None (use the exact reader) as soon as anything
    is irregular, so the row numbers are always those of the Python reader."""
    irregular = []

    def on_invalid(row) -> str:
        irregular.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(block_size=8 << 20, use_threads=True),
            parse_options=pacsv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False,
                                              invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header_raw},
                strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[]),
        )
    except pa.ArrowException:  # e.g. invalid UTF-8: the exact reader says where
        return None
    if irregular or table.column_names != header_raw:
        return None
    # Arrow reads a blank line as a row of empty values; Python's reader skips it. A row that is
    # all empty is rare in real exports, so settle any of them with the exact reader.
    if table.num_rows and len(header_raw) > 1:
        all_empty = None
        for col in table.columns:
            empty = pc.equal(pc.binary_length(col), 0)
            all_empty = empty if all_empty is None else pc.and_(all_empty, empty)
        if pc.any(all_empty).as_py():
            return None
    n = table.num_rows
    cols = [table.column(i) for i in range(len(columns))]
    return ReadResult(columns, _string_table(cols, np.arange(2, n + 2, dtype=np.int64)),
                      rows_read=n, fast_path=True)


def _read_csv_python(data: bytes, columns: list[str]) -> ReadResult:
    width = len(columns)
    reader = csv.reader(_text(data), strict=True)
    batches: list[pa.Table] = []
    bad: list[BadRow] = []
    rows_read = 0
    record = 1  # the header
    try:
        next(reader)
        while True:
            chunk = list(islice(reader, _CHUNK_ROWS))
            if not chunk:
                break
            base = record + 1
            record += len(chunk)
            if set(map(len, chunk)) == {width}:
                good, numbers = chunk, np.arange(base, base + len(chunk), dtype=np.int64)
            else:
                good, numbers = [], []
                for i, row in enumerate(chunk):
                    k = len(row)
                    if k == width:
                        good.append(row)
                        numbers.append(base + i)
                    elif k == 0:
                        continue  # blank line: not a record
                    else:
                        rows_read += 1
                        bad.append(BadRow(base + i, f"row has {k} field(s), expected {width} as in the header",
                                          _ragged_record(columns, row)))
            rows_read += len(good)
            if good:
                batches.append(_string_table([list(c) for c in zip(*good)], numbers))
    except UnicodeDecodeError:
        raise FileRejected(_utf8_error(data) or "not valid UTF-8") from None
    except csv.Error as e:
        raise FileRejected(f"malformed CSV near line {reader.line_num}: {e}") from None
    if batches:
        table = pa.concat_tables(batches)
    else:
        table = _string_table([[] for _ in columns], [])
    return ReadResult(columns, table, bad, rows_read)


def _ragged_record(columns: list[str], row: list[str]) -> dict:
    rec: dict = dict(zip(columns, row))
    if len(row) > len(columns):
        rec["_unnamed_fields"] = row[len(columns):]
    return rec


# ------------------------------------------------------------------------------------ Parquet

def read_parquet(data: bytes, kinds: dict[str, str] | None = None) -> ReadResult:
    """`kinds` maps normalised column names to contract kinds: a timestamp column that holds a
    contract date is read as a date when its time part is midnight."""
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except Exception as e:  # pyarrow raises several types for a damaged file
        raise FileRejected(f"not a readable Parquet file ({_one_line(e)})") from None
    columns = normalise_header(table.column_names)
    kinds = kinds or {}
    cols = []
    for name, col in zip(columns, table.columns):
        try:
            cols.append(arrow_to_string(col, kinds.get(name)))
        except Exception as e:
            raise FileRejected(f"column {name}: cannot read values of type {col.type} ({_one_line(e)})") from None
    n = table.num_rows
    return ReadResult(columns, _string_table(cols, np.arange(1, n + 1, dtype=np.int64)), rows_read=n)


def arrow_to_string(col: pa.ChunkedArray, kind: str | None = None) -> pa.ChunkedArray:
    """A column of any Arrow type as text the typing step parses: ISO dates and timestamps
    (UTC, zone dropped), plain decimals, true/false, JSON for nested values."""
    t = col.type
    if pa.types.is_dictionary(t):
        return arrow_to_string(pc.cast(col, t.value_type), kind)
    if pa.types.is_string(t):
        return col
    if pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pc.cast(col, pa.string())
    if pa.types.is_null(t):
        return pa.chunked_array([pa.nulls(len(col), pa.string())])
    if pa.types.is_timestamp(t):
        naive = pc.cast(col, pa.timestamp(t.unit)) if t.tz else col  # the stored instant is UTC
        as_text = pc.cast(naive, pa.string())
        if kind == "date":
            d = pc.cast(naive, pa.date32(), safe=False)
            midnight = pc.equal(pc.cast(d, pa.timestamp(t.unit)), naive)
            return pc.if_else(midnight, pc.cast(d, pa.string()), as_text)
        return as_text
    if pa.types.is_date64(t):
        return pc.cast(pc.cast(col, pa.date32()), pa.string())
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pc.cast(col, pa.string())  # validates UTF-8
    if pa.types.is_nested(t):
        return pa.chunked_array([pa.array(
            [None if v is None else json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str)
             for v in col.to_pylist()],
            pa.string())])
    try:
        return pc.cast(col, pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        return pa.chunked_array([pa.array([None if v is None else str(v) for v in col.to_pylist()], pa.string())])


# --------------------------------------------------------------------------------------- JSON

def _json_text(v) -> str | None:
    if v is None:
        return None
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)


def read_json(data: bytes) -> ReadResult:
    """A JSON array of objects, a single object, or JSON Lines (one object per line)."""
    body = data[len(_BOM):] if data.startswith(_BOM) else data
    stripped = body.lstrip()
    if not stripped:
        raise FileRejected("empty file (no records)")
    if stripped[:1] == b"{":
        fast = _read_json_lines_arrow(body)
        if fast is not None:
            return fast
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise FileRejected(_utf8_error(body) or "not valid UTF-8") from None
    bad: list[BadRow] = []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if stripped[:1] != b"{":
            raise FileRejected(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg})") from None
        records, first_error = _json_lines(text, bad)
        if not records:
            raise FileRejected(f"not valid JSON or JSON Lines ({first_error})") from None
    else:
        if isinstance(doc, list):
            records = list(enumerate(doc, 1))
        elif isinstance(doc, dict):
            records = [(1, doc)]
        else:
            raise FileRejected("JSON must be an array of objects, an object, or JSON Lines")
    del text
    if not bad and records and all(type(r) is dict for _, r in records):
        fast = _records_arrow(records)
        if fast is not None:
            return fast
    return _records_python(records, bad)


def _read_json_lines_arrow(body: bytes) -> ReadResult | None:
    """JSON Lines through Arrow's parallel reader when every line is one object (then the row
    number is the line number). None: use the exact Python path."""
    import pyarrow.json as pajson

    def read(schema=None):
        opts = pajson.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer") if schema else None
        return pajson.read_json(pa.BufferReader(body), parse_options=opts)

    try:
        table = read()
        lines = body.count(b"\n") + (0 if body.endswith(b"\n") else 1)
        if table.num_rows != lines:
            return None  # blank lines or objects spanning lines: numbering needs the exact path
        # Arrow turns date-like strings into timestamps; read those fields again as text.
        as_text = [f for f in table.schema if pa.types.is_timestamp(f.type)]
        if as_text:
            table = read(pa.schema([(f.name, pa.string()) for f in as_text]))
        columns = normalise_header(table.column_names)
        cols = [arrow_to_string(c) for c in table.columns]
    except (pa.ArrowException, FileRejected, ValueError, TypeError, OverflowError):
        return None
    n = table.num_rows
    return ReadResult(columns, _string_table(cols, np.arange(1, n + 1, dtype=np.int64)), rows_read=n)


def _records_arrow(records: list[tuple[int, dict]]) -> ReadResult | None:
    """Objects to columns in C++ (pyarrow infers one type per key); None when the types are
    mixed or keys collide after normalisation."""
    try:
        arr = pa.array([r for _, r in records])
        if not pa.types.is_struct(arr.type):
            return None
        names = [arr.type.field(i).name for i in range(arr.type.num_fields)]
        columns = normalise_header(names)
        cols = [arrow_to_string(pa.chunked_array([arr.field(i)])) for i in range(len(names))]
    except (pa.ArrowException, FileRejected, ValueError, TypeError, OverflowError):
        return None
    return ReadResult(columns, _string_table(cols, [n for n, _ in records]), rows_read=len(records))


def _records_python(records: list[tuple[int, object]], bad: list[BadRow]) -> ReadResult:
    objects: list[dict] = []
    numbers: list[int] = []
    key_order: dict[str, None] = {}
    # Keys are case-insensitive and trimmed. Records of one file nearly always share one key
    # tuple, so normalisation is worked out once per distinct tuple.
    shapes: dict[tuple, tuple[tuple[str, ...] | None, str | None]] = {}
    for n, rec in records:
        if not isinstance(rec, dict):
            bad.append(BadRow(n, f"record is a JSON {type(rec).__name__}, not an object", rec))
            continue
        sig = tuple(rec)
        shape = shapes.get(sig)
        if shape is None:
            norm = tuple(k.replace("\ufeff", "").strip().lower() for k in sig)
            if "" in norm:
                raise FileRejected(f"empty key in record {n} (keys name the columns)")
            dups = sorted({k for k in norm if norm.count(k) > 1})
            if dups:
                shape = (None, f"keys differ only in case or spaces: {', '.join(dups)}")
            else:
                shape = (None if norm == sig else norm, None)
                for k in norm:
                    key_order.setdefault(k, None)
            shapes[sig] = shape
        norm, problem = shape
        if problem:
            bad.append(BadRow(n, problem, rec))
            continue
        objects.append(rec if norm is None else dict(zip(norm, rec.values())))
        numbers.append(n)
    columns = list(key_order)
    cols = []
    for k in columns:
        cols.append([None if (v := o.get(k)) is None else v if v.__class__ is str else _json_text(v)
                     for o in objects])
    bad.sort(key=lambda b: b.row_number)
    return ReadResult(columns, _string_table(cols, numbers), bad, len(objects) + len(bad))


def _json_lines(text: str, bad: list[BadRow]) -> tuple[list[tuple[int, object]], str]:
    records = []
    first_error = ""
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.strip()
        if not line:
            continue
        try:
            records.append((lineno, json.loads(line)))
        except json.JSONDecodeError as e:
            first_error = first_error or f"line {lineno}, column {e.colno}: {e.msg}"
            bad.append(BadRow(lineno, f"line is not valid JSON ({e.msg} at column {e.colno})",
                              {"_line": line[:2000]}))
    if not records:
        bad.clear()
    return records, first_error


def _one_line(e: Exception) -> str:
    s = " ".join(str(e).split())
    return s[:300] if s else type(e).__name__


def read_file(file_format: str, data: bytes, kinds: dict[str, str] | None = None) -> ReadResult:
    if file_format == "csv":
        return read_csv(data)
    if file_format == "parquet":
        return read_parquet(data, kinds)
    if file_format == "json":
        return read_json(data)
    raise FileRejected(f"unsupported format {file_format!r}")
