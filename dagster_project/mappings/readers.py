"""Readers: native bytes → records. One per structural shape (csv, json, jsonl, Markdown with YAML
front matter); everything else about a format is declared in its mapping.

Decoding: a byte-order mark decides (UTF-8, UTF-16); UTF-16 without a mark is recognised by its
NUL bytes; otherwise the mapping's encodings are tried strictly. UTF-8 (or any multi-byte
encoding) that decodes the whole file wins outright; among single-byte encodings that all decode
it (cp1252, mac_roman, latin-1 decode almost anything) the one whose accented characters read as
letters of the words around them wins, ties going to the declared order. CSV rows keep
the line number they start on (the header is line 1), so a reject points at the line an editor
shows; nested records are numbered from 1 in document order.
"""
from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dagster_project.mappings import glpi
from dagster_project.mappings.paths import evaluate
from dagster_project.mappings.schema import Input, read_yaml_text

_BOMS = ((b"\xef\xbb\xbf", "utf-8-sig", "UTF-8 with BOM"),
         (b"\xff\xfe", "utf-16", "UTF-16 (LE BOM)"),
         (b"\xfe\xff", "utf-16", "UTF-16 (BE BOM)"))

csv.field_size_limit(1 << 26)


class FileProblem(Exception):
    """The whole file cannot be read as this input."""


@dataclass
class Decoded:
    text: str
    encoding: str  # what was used, for the log
    note: str = ""  # why, when it had to be chosen among several


def decode(data: bytes, encodings: list[str]) -> Decoded:
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return Decoded(data.decode(codec), label)
            except UnicodeDecodeError as exc:
                raise FileProblem(f"starts with a {label} byte-order mark but is not valid "
                                  f"{label} ({exc.reason} at byte {exc.start})")
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return utf16
    failures, single = [], []
    for enc in encodings:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError as exc:
            failures.append(f"{enc}: {exc.reason} at byte {exc.start}")
            continue
        if not _single_byte(enc) or text.isascii():
            if not single:
                return Decoded(text, enc)
        single.append((enc, text))
    if single:
        if len(single) == 1:
            return Decoded(single[0][1], single[0][0])
        scored = sorted(single, key=lambda et: -_plausibility(et[1]))  # stable: declared order
        best = scored[0]
        return Decoded(best[1], best[0], f"encoding {best[0]} chosen: its accented characters "
                       "read as letters of their words (also decodable: "
                       f"{', '.join(e for e, _ in single if e != best[0])})")
    raise FileProblem("cannot be decoded with the declared encodings (" + "; ".join(failures)
                      + "); add the file's encoding to the mapping's `encoding` list")


def _single_byte(enc: str) -> bool:
    import codecs
    name = codecs.lookup(enc).name
    return not (name.startswith("utf") or name in ("gb18030", "gbk", "big5", "shift_jis",
                                                   "euc_jp", "euc_kr", "cp932", "cp949", "cp950"))


def _utf16_without_bom(data: bytes) -> Decoded | None:
    """UTF-16 text without a byte-order mark: ASCII characters give one NUL byte in every pair,
    at odd offsets (little endian) or even ones (big endian). Excel's 'Unicode text' is UTF-16."""
    sample = data[:4096]
    if len(sample) < 4 or len(sample) % 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    for zeros, other, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros >= 0.6 * half and other <= 0.05 * half:
            try:
                return Decoded(data.decode(codec), codec, f"encoding {codec} recognised without "
                               "a byte-order mark (NUL bytes of ASCII characters)")
            except UnicodeDecodeError:
                return None
    return None


def _plausibility(text: str) -> int:
    """How many non-ASCII characters read as letters of the word they stand in (same case as a
    neighbouring letter), minus those that read as symbols or wrong-case letters inside a word.
    Mac Roman's 'é' (0x8E) read as cp1252 is 'Ž' inside a lower-case word: implausible."""
    score = 0
    for m in re.finditer(r"[^\x00-\x7f]", text):
        i, c = m.start(), m.group()
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < len(text) else " "
        in_word = prev.isalpha() or nxt.isalpha()
        if not in_word:
            continue
        if c.isalpha():
            neighbours = [x for x in (prev, nxt) if x.isalpha() and x.isascii()]
            if not neighbours or any(x.islower() == c.islower() for x in neighbours):
                score += 1
            else:
                score -= 1
        elif unicodedata.category(c) in ("Pd", "Pi", "Pf", "Po", "Zs"):
            continue  # dashes, quotes, apostrophes sit next to words in every encoding
        else:
            score -= 1
    return score


class Header:
    """A CSV header: names as written, looked up case-insensitively."""

    def __init__(self, names: list[str]):
        self.names = names
        self.index: dict[str, list[int]] = {}
        for i, n in enumerate(names):
            self.index.setdefault(n.casefold(), []).append(i)

    def positions(self, name: str) -> list[int]:
        exact = [i for i, n in enumerate(self.names) if n == name]
        return exact if exact else self.index.get(name.casefold(), [])

    def has(self, name: str) -> bool:
        return bool(self.positions(name))


@dataclass
class CsvRow:
    header: Header
    cells: list[str]

    def get(self, name: str) -> str | None:
        pos = self.header.positions(name)
        if not pos:
            return None
        i = pos[0]
        return self.cells[i] if i < len(self.cells) else ""


@dataclass
class Record:
    row: str           # where it is, for rejects: CSV line number, or record number
    data: Any          # CsvRow or a JSON/YAML value
    problem: str = ""  # set when the row itself is broken (rejected for every target)


@dataclass
class ReadResult:
    encoding: str
    root: Any = None               # json / front matter document (for '$.' paths)
    header: Header | None = None   # csv only
    records: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read(path: Path, inp: Input, data: bytes | None = None) -> ReadResult:
    data = path.read_bytes() if data is None else data
    dec = decode(data, inp.encoding)
    if inp.reader == "csv":
        out = _read_csv(dec, inp)
    elif inp.reader == "xml":
        out = _prepared(_read_xml(dec, inp), inp)
    elif inp.reader == "json":
        out = _prepared(_read_json(dec, inp), inp)
    elif inp.reader == "jsonl":
        out = _prepared(_read_jsonl(dec, inp), inp)
    else:
        out = _read_front_matter(dec, inp)
    if dec.note:
        out.notes.insert(0, dec.note)
    return out


def line_endings(text: str) -> str:
    """'CRLF', 'CR' (classic Mac), 'LF' or a mix, for the log."""
    crlf = text.count("\r\n")
    cr, lf = text.count("\r") - crlf, text.count("\n") - crlf
    kinds = [k for k, n in (("CRLF", crlf), ("CR", cr), ("LF", lf)) if n]
    return "+".join(kinds) or "none"


def positional_names(cells: list[str]) -> tuple[list[str], list[str]]:
    """Header names made unique by position, with a warning per change: an empty cell becomes
    '(column N)', the second and later 'X' become 'X (column N)'. The first 'X' keeps its name,
    so a mapping reading 'X' reads the first such column (said in the warning); a mapping can name
    the positional one to read another. Never a reason to refuse the file."""
    names, warnings, seen = [], [], {}
    for i, raw in enumerate(cells, start=1):
        n = raw.strip()
        if not n:
            names.append(f"(column {i})")
            continue
        key = n.casefold()
        if key in seen:
            names.append(f"{n} (column {i})")
            seen[key].append(i)
        else:
            names.append(n)
            seen[key] = [i]
    empties = [i for i, raw in enumerate(cells, start=1) if not raw.strip()]
    if empties:
        warnings.append(f"warning: column(s) {', '.join(map(str, empties))} have an empty header; "
                        f"named '(column N)' (mapped only if a mapping names them)")
    for cols in seen.values():
        if len(cols) > 1:
            first = names[cols[0] - 1]
            warnings.append(f"warning: header '{first}' appears {len(cols)} times (columns "
                            f"{', '.join(map(str, cols))}); '{first}' reads column {cols[0]}, the "
                            "others are named '" + f"{first} (column N)'")
    return names, warnings


# Format-specific steps between reading and mapping (Input.prepare): record → record.
PREPARERS = {"glpi_inventory": glpi.prepare}


def _prepared(res: ReadResult, inp: Input) -> ReadResult:
    if inp.prepare is None:
        return res
    fn = PREPARERS[inp.prepare]
    for rec in res.records:
        if not rec.problem:
            rec.data = fn(rec.data, inp.default_timezone)
    if res.root is not None and len(res.records) == 1 and res.records[0].data is not res.root:
        res.root = res.records[0].data
    return res


def _read_xml(dec: Decoded, inp: Input) -> ReadResult:
    """XML formats with a known document shape (today the GLPI/FusionInventory agent's
    <REQUEST>): one record per device. Python's expat resolves no external entities and limits
    entity expansion, so a hostile file cannot read files or blow up memory."""
    out = ReadResult(dec.encoding)
    try:
        docs = glpi.xml_documents(dec.text)
    except glpi.GlpiProblem as exc:
        raise FileProblem(str(exc))
    out.root = None  # '$.' paths read each device's own document
    out.records = [Record(str(i), d) for i, d in enumerate(docs, start=1)]
    return out


def _read_csv(dec: Decoded, inp: Input) -> ReadResult:
    out = ReadResult(dec.encoding)
    ends = line_endings(dec.text[:1 << 20])
    if ends != "LF":
        out.notes.append(f"line endings: {ends}")
    reader = csv.reader(io.StringIO(dec.text, newline=""), delimiter=inp.delimiter)
    header: list[str] | None = None
    last_line = 0
    blank = 0
    try:
        for cells in reader:
            start, last_line = last_line + 1, reader.line_num
            if header is None:
                if not cells or all(not c.strip() for c in cells):
                    continue
                header, warnings = positional_names(cells)
                out.notes.extend(warnings)
                out.header = Header(header)
                continue
            if not cells or all(not c.strip() for c in cells):
                blank += 1
                continue
            problem = ""
            if len(cells) > len(header):
                if any(c.strip() for c in cells[len(header):]):
                    problem = (f"row has {len(cells)} fields but the header has {len(header)} "
                               "(unquoted delimiter in a value?)")
                cells = cells[: len(header)]
            elif len(cells) < len(header):
                problem = f"row has {len(cells)} fields but the header has {len(header)}"
            out.records.append(Record(str(start), CsvRow(out.header, cells), problem))
    except csv.Error as exc:
        raise FileProblem(f"is not readable as CSV near line {reader.line_num}: {exc}")
    if header is None:
        raise FileProblem("is empty (no header row)")
    if blank:
        out.notes.append(f"{blank} empty row(s) skipped")
    return out


def _records_of(root: Any, inp: Input, what: str) -> list:
    if inp.records_path:
        found = evaluate(root, inp.records_path)
        if not found:
            raise FileProblem(f"has no '{inp.records_path}' in its {what}")
        items = []
        for v in found:
            items.extend(v if isinstance(v, list) else [v])
        return items
    return root if isinstance(root, list) else [root]


def _read_json(dec: Decoded, inp: Input) -> ReadResult:
    out = ReadResult(dec.encoding)
    try:
        root = json.loads(dec.text)
    except ValueError as exc:
        raise FileProblem(f"is not valid JSON ({exc})")
    out.root = root
    for i, item in enumerate(_records_of(root, inp, "JSON document"), start=1):
        out.records.append(Record(str(i), item, "" if isinstance(item, dict) else
                                  f"record is a JSON {type(item).__name__}, not an object"))
    return out


def _read_jsonl(dec: Decoded, inp: Input) -> ReadResult:
    out = ReadResult(dec.encoding)
    for n, line in enumerate(dec.text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError as exc:
            out.records.append(Record(str(n), {}, f"line is not valid JSON ({exc})"))
            continue
        items = _records_of(item, inp, "JSON line") if inp.records_path else [item]
        for k, it in enumerate(items, start=1):
            label = str(n) if len(items) == 1 else f"{n}.{k}"
            out.records.append(Record(label, it, "" if isinstance(it, dict) else
                                      f"record is a JSON {type(it).__name__}, not an object"))
    out.root = None
    return out


def front_matter(text: str) -> str | None:
    lines = text.splitlines()
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i >= len(lines) or lines[i].strip() != "---":
        return None
    for j in range(i + 1, len(lines)):
        if lines[j].strip() in ("---", "..."):
            return "\n".join(lines[i + 1: j])
    return None


def _read_front_matter(dec: Decoded, inp: Input) -> ReadResult:
    out = ReadResult(dec.encoding)
    fm = front_matter(dec.text)
    if fm is None:
        raise FileProblem("has no YAML front matter (a first line '---' and a closing '---')")
    root, problems = read_yaml_text(fm, "front matter")
    if root is None:
        raise FileProblem("front matter is not valid YAML: " + "; ".join(problems))
    out.notes.extend(problems)
    if not isinstance(root, dict):
        raise FileProblem("front matter is not a set of `key: value` entries")
    out.root = root
    for i, item in enumerate(_records_of(root, inp, "front matter"), start=1):
        out.records.append(Record(str(i), item, "" if isinstance(item, dict) else
                                  f"record is a {type(item).__name__}, not a set of keys"))
    return out


def peek(path: Path, inp: Input, data: bytes) -> tuple[set[str], set[str]] | None:
    """The names detection looks at — (header or top-level keys, first record's keys) — or None
    when the file cannot be read as this input's reader at all."""
    if inp.detect.extensions and not any(path.name.lower().endswith(e.lower())
                                         for e in inp.detect.extensions):
        return None
    try:
        dec = decode(data, inp.encoding)
    except FileProblem:
        return None
    try:
        if inp.reader == "csv":
            for cells in csv.reader(io.StringIO(dec.text[:65536], newline=""),
                                    delimiter=inp.delimiter):
                if cells and any(c.strip() for c in cells):
                    return {c.strip().casefold() for c in cells}, set()
            return None
        if inp.reader == "xml":
            try:
                docs = glpi.xml_documents(dec.text)
            except glpi.GlpiProblem:
                return None
            return ({k.casefold() for k in docs[0]} if docs else set()), set()
        if inp.reader == "json":
            root = json.loads(dec.text)
            keys = set(root) if isinstance(root, dict) else set()
            recs = _records_of(root, inp, "document") if (inp.records_path or
                                                          isinstance(root, list)) else [root]
        elif inp.reader == "jsonl":
            first = next((ln for ln in dec.text.splitlines() if ln.strip()), None)
            if first is None:
                return None
            root = json.loads(first)
            keys = set(root) if isinstance(root, dict) else set()
            recs = [root]
        else:
            fm = front_matter(dec.text)
            if fm is None:
                return None
            root, _ = read_yaml_text(fm, "front matter")
            if not isinstance(root, dict):
                return None
            keys = set(root)
            recs = _records_of(root, inp, "front matter") if inp.records_path else [root]
    except (ValueError, FileProblem, RecursionError):
        return None
    first_keys = set(recs[0]) if recs and isinstance(recs[0], dict) else set()
    return {str(k).casefold() for k in keys}, {str(k).casefold() for k in first_keys}
