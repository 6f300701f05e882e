"""Writing one entity file: CSV through DuckDB COPY (RFC 4180, quotes only where needed, blanks for
nulls), Parquet with native types, JSON as one array of objects; plus the file-level mess (BOM and
CRLF, renamed/reordered headers, malformed rows) at exact, reported row numbers."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


@dataclass
class Malformed:
    column: str | None  # None: a row-level problem (too many fields)
    value: str | None
    problem: str
    key_updates: dict = field(default_factory=dict)  # keep natural keys unique in the bad copy


@dataclass
class Style:
    fmt: str = "csv"
    ts_suffix: dict = field(default_factory=dict)  # column -> "Z" | "" | "+00:00"
    bool_words: tuple[str, str] = ("true", "false")
    header_map: dict = field(default_factory=dict)
    column_order: list | None = None
    bom_crlf: bool = False
    malformed: list = field(default_factory=list)  # list[Malformed]
    too_many_fields: int | None = None  # data row (0-based) to copy with one field too many
    insert_seed: int = 0


def as_strings(table: pa.Table, style: Style) -> pa.Table:
    cols = {}
    for name in table.column_names:
        col = table[name].combine_chunks() if isinstance(table[name], pa.ChunkedArray) else table[name]
        t = col.type
        if pa.types.is_timestamp(t):
            s = pc.replace_substring(pc.cast(col, pa.string()), " ", "T")
            suffix = style.ts_suffix.get(name, "")
            if suffix:
                s = pc.binary_join_element_wise(s, pa.scalar(suffix), "")
        elif pa.types.is_boolean(t):
            yes, no = style.bool_words
            s = pc.if_else(col, pa.scalar(yes), pa.scalar(no))
        elif pa.types.is_string(t):
            s = col
        else:
            s = pc.cast(col, pa.string())
        cols[name] = s
    return pa.table(cols)


def _json_ready(table: pa.Table, style: Style) -> pa.Table:
    """Dates and timestamps as ISO text, numbers and booleans kept native."""
    cols = {}
    strings = as_strings(table, style)
    for name in table.column_names:
        t = table[name].type
        if pa.types.is_timestamp(t) or pa.types.is_date(t):
            cols[name] = strings[name]
        elif pa.types.is_decimal(t):
            cols[name] = pc.cast(table[name], pa.float64())
        else:
            cols[name] = table[name]
    return pa.table(cols)


class Writer:
    def __init__(self, root: Path):
        self.root = root
        self.con = duckdb.connect()
        self.con.execute("SET threads = 2; SET preserve_insertion_order = true")
        self.files: list[str] = []
        self.malformed_rows: list[dict] = []

    def close(self) -> None:
        self.con.close()

    def write(self, source: str, export: str, entity: str, table: pa.Table, style: Style) -> tuple[str, int]:
        folder = self.root / source / export
        folder.mkdir(parents=True, exist_ok=True)
        rel = f"{source}/{export}/{entity}.{style.fmt}"
        path = self.root / rel
        if style.fmt == "parquet":
            pq.write_table(table, path, compression="snappy")
            rows = table.num_rows
        elif style.fmt == "json":
            self._copy(_json_ready(table, style), path, "(FORMAT json, ARRAY true)")
            rows = table.num_rows
        else:
            rows = self._write_csv(rel, path, table, style)
        self.files.append(rel)
        return rel, rows

    def _copy(self, table: pa.Table, path: Path, options: str) -> None:
        self.con.register("_t", table)
        try:
            self.con.execute(f"COPY _t TO '{path.as_posix()}' {options}")
        finally:
            self.con.unregister("_t")

    def _write_csv(self, rel: str, path: Path, table: pa.Table, style: Style) -> int:
        s = as_strings(table, style)
        n = s.num_rows
        bad_rows: list[tuple[int, Malformed]] = []
        if style.malformed:
            # copies of valid rows with one broken field, each inserted right after its original
            m = len(style.malformed)
            step = max(1, n // (m + 1))
            picks = [min(max(n - 1, 0), step * (j + 1) + style.insert_seed % step) for j in range(m)]
            pieces, last = [], 0
            for j, (src, bad) in enumerate(zip(picks, style.malformed)):
                src = max(src, last - 1)
                if n:
                    pieces.append(s.slice(last, src + 1 - last))
                    row = {c: s[c][src].as_py() for c in s.column_names}
                else:
                    row = {c: None for c in s.column_names}
                row.update(bad.key_updates)
                if bad.column is not None:
                    row[bad.column] = bad.value
                pieces.append(pa.table({c: pa.array([row[c]], pa.string()) for c in s.column_names}))
                last = src + 1 if n else 0
                bad_rows.append((last + j, bad))  # 0-based data index of the inserted row
            pieces.append(s.slice(last))
            s = pa.concat_tables(pieces)
        if style.column_order:
            s = s.select(style.column_order)
        if style.header_map:
            s = s.rename_columns([style.header_map.get(c, c) for c in s.column_names])
        self._copy(s, path, "(FORMAT csv, HEADER true, DELIMITER ',', QUOTE '\"', ESCAPE '\"')")
        for data_index, bad in bad_rows:
            self.malformed_rows.append({"file": rel, "row": data_index + 2, "column": bad.column,
                                        "value": bad.value, "problem": bad.problem})
        rows = s.num_rows
        if style.too_many_fields is not None or style.bom_crlf:
            data = path.read_bytes()
            if style.too_many_fields is not None and rows:
                lines = data.split(b"\n")
                r = min(style.too_many_fields, rows - 1)  # copy data row r, insert the copy after it
                extra = lines[r + 1] + b",UNEXPECTED-EXTRA-FIELD"
                lines.insert(r + 2, extra)
                data = b"\n".join(lines)
                for m in self.malformed_rows:  # rows after the insertion moved down by one
                    if m["file"] == rel and m["row"] >= r + 3:
                        m["row"] += 1
                self.malformed_rows.append({"file": rel, "row": r + 3, "column": None,
                                            "value": None, "problem": "too_many_fields"})
                rows += 1
            if style.bom_crlf:
                data = b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n")
            path.write_bytes(data)
        return rows
