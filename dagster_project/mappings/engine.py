"""The generic import: native files + a declared mapping → canonical landing files + a rejects
report. Nothing in here knows a particular tool; mappings/*.yaml say everything.

    <landing>/<source>/<export_date>/<entity>.csv           one per entity the files produced
    <landing>/_imports/<system>-<export_date>-rejects.csv   file,row,field,value,reason

Exports are immutable: a canonical file that already exists for that date is left alone when the
new content is byte-identical and the whole import is refused otherwise (nothing is written).
Several native files given in one call are merged into one canonical file per entity; rows that
are identical are kept once, a second row with the same natural key (contract.py) is rejected.
"""
from __future__ import annotations

import csv
import io
import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster_project.contract import Column, Entity
from dagster_project.mappings.paths import evaluate
from dagster_project.mappings.readers import CsvRow, FileProblem, Record, peek, read
from dagster_project.mappings.schema import FieldSpec, Input, Mapping, MappingError, Target, load_mapping_file
from dagster_project.mappings.values import (
    BooleanPolicy,
    DatePolicy,
    NumberPolicy,
    ValueProblem,
    as_text,
    canonical_date,
    canonical_decimal,
    canonical_integer,
    canonical_period,
    canonical_timestamp,
    check_json,
)

REJECT_COLUMNS = ("file", "row", "field", "value", "reason")


def mappings_dir() -> Path:
    from dagster_project.settings import Settings  # the one reader of the environment (issue 15.1)

    return Settings.from_env().mappings


def list_systems(directory: Path | None = None) -> list[str]:
    d = directory or mappings_dir()
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []


def load_mapping(system_or_path: str | Path, directory: Path | None = None) -> Mapping:
    """A mapping by system name (mappings/<system>.yaml) or by path to a YAML file."""
    text = str(system_or_path)
    p = Path(text)
    if text.endswith((".yaml", ".yml")) or p.is_file():
        m = load_mapping_file(p)
        return m
    d = directory or mappings_dir()
    f = d / f"{text}.yaml"
    if not f.is_file():
        known = list_systems(d)
        raise MappingError(f"unknown system '{text}' (known: {', '.join(known) or 'none'}; or "
                           "give the path of a mapping .yaml)")
    m = load_mapping_file(f)
    if m.system != f.stem:
        raise MappingError(f"{f.name}: system: says '{m.system}' but the file is {f.name}; "
                           "name the file after the system")
    return m


def check_mappings(directory: Path | None = None) -> list[str]:
    """Every problem of every shipped mapping (empty list = all valid)."""
    problems = []
    for name in list_systems(directory):
        try:
            load_mapping(name, directory)
        except MappingError as exc:
            problems.extend(exc.problems)
    return problems


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Reject:
    file: str
    row: str
    field: str
    value: str
    reason: str

    def as_row(self) -> list[str]:
        return [self.file, self.row, self.field, self.value, self.reason]


@dataclass
class FileResult:
    path: Path
    system: str
    input: str
    encoding: str = ""
    records: int = 0
    notes: list[str] = field(default_factory=list)
    skipped: str = ""  # why a file found in a folder was not imported
    undeclared: list[str] = field(default_factory=list)  # native columns neither read nor declared


@dataclass
class Accounting:
    """Row accounting of one native file for one entity (issue 14's fidelity contract):
    read = written + rejected + other_entity + identical, always."""
    file: str
    entity: str  # source/name
    read: int = 0          # records (items, when exploded) the target looked at
    written: int = 0       # rows in the canonical file
    rejected: int = 0      # rows refused, each with reasons in the rejects report
    other_entity: int = 0  # rows the target's `when` leaves to another target
    identical: int = 0     # rows identical to one already kept (one row in the canonical file)

    @property
    def balanced(self) -> bool:
        return self.read == self.written + self.rejected + self.other_entity + self.identical

    def line(self) -> str:
        parts = [f"{self.written} written", f"{self.rejected} rejected"]
        if self.other_entity:
            parts.append(f"{self.other_entity} for another entity")
        if self.identical:
            parts.append(f"{self.identical} identical repeat(s) kept once")
        return f"{self.entity}: {self.read} read = " + " + ".join(parts)


@dataclass
class OutputFile:
    entity: str  # source/name
    path: Path
    rows: int
    status: str  # written | unchanged


@dataclass
class ImportReport:
    system: str
    export_date: date
    files: list[FileResult] = field(default_factory=list)
    outputs: list[OutputFile] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    rejects_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    duplicates_collapsed: int = 0
    accounting: list[Accounting] = field(default_factory=list)

    def account(self, file: str | Path, entity: str) -> Accounting | None:
        """The accounting of one file (path or name) for one entity (name or source/name)."""
        for a in self.accounting:
            if (a.file == str(file) or Path(a.file).name == str(file)) and (
                    a.entity == entity or a.entity.split("/")[1] == entity):
                return a
        return None

    def accounting_lines(self) -> list[str]:
        out = []
        for f in self.files:
            if f.skipped:
                continue
            accs = [a for a in self.accounting if a.file == str(f.path)]
            if not accs:
                out.append(f"{f.path.name}: {f.records} record(s) read, none mapped"
                           + (f" ({f.input} is not mapped)" if f.input else ""))
            for a in accs:
                out.append(f"{f.path.name}: {a.line()}")
        return out

    def rows(self, entity: str) -> int:
        return next((o.rows for o in self.outputs if o.entity == entity or
                     o.entity.split("/")[1] == entity), 0)

    def output(self, entity: str) -> OutputFile | None:
        return next((o for o in self.outputs if o.entity == entity or
                     o.entity.split("/")[1] == entity), None)

    def summary(self) -> str:
        imported = [f for f in self.files if not f.skipped]
        outs = ", ".join(f"{o.entity} {o.rows} rows" + (" (unchanged)" if o.status == "unchanged"
                                                        else "") for o in self.outputs) or "no rows"
        dup = f", {self.duplicates_collapsed} identical rows kept once" if \
            self.duplicates_collapsed else ""
        return (f"{self.system} {self.export_date.isoformat()}: {len(imported)} file(s), "
                f"{sum(f.records for f in imported)} records → {outs}{dup}; "
                f"{len(self.rejects)} rejected (see {self.rejects_path})")


# ---------------------------------------------------------------------------------------------
# Field evaluation
# ---------------------------------------------------------------------------------------------

@dataclass
class _Ctx:
    file: Path
    export_date: date
    record: Record
    item: object
    root: object
    row: str


class _Plan:
    """One contract (or extra) column of one target, compiled once."""

    def __init__(self, name: str, spec: FieldSpec, col: Column | None, inp: Input, target: Target):
        self.name, self.spec, self.col, self.inp = name, spec, col, inp
        self.kind = col.kind if col is not None else "text"
        self.required = bool(col and col.required)
        self.label = f"{target.entity}.{name}"
        self.nulls = {v.strip().casefold() for v in inp.null_values}
        self.dates = DatePolicy.of(spec.formats or inp.date_formats,
                                   spec.ambiguous_dates or inp.ambiguous_dates)
        self.numbers = NumberPolicy(tuple(inp.numbers.currency_symbols),
                                    inp.numbers.thousands_separator, inp.numbers.decimal_separator)
        self.booleans = BooleanPolicy(tuple(inp.booleans.true), tuple(inp.booleans.false))
        self.map = ({k.strip().casefold(): v for k, v in spec.map.items()}
                    if spec.map is not None else None)
        self.regex = re.compile(spec.regex) if spec.regex else None
        self.reject_rx = re.compile(spec.reject_if.pattern) if spec.reject_if else None
        self.blank_rx = re.compile(spec.blank_if.pattern) if spec.blank_if else None
        self.cases = [(c, re.compile(c.pattern, re.IGNORECASE) if c.pattern is not None else None)
                      for c in spec.cases or ()]

    # -- raw value -----------------------------------------------------------------------------
    def _clean(self, v) -> str:
        t = as_text(v)
        if self.inp.trim:
            t = t.strip()
        return "" if t.casefold() in self.nulls else t

    def _resolve(self, src: str, ctx: _Ctx) -> list[str]:
        if src == "$export_date":
            return [ctx.export_date.isoformat()]
        if src == "$file":
            return [ctx.file.name]
        if src == "$file_stem":
            return [ctx.file.stem]
        if src == "$row":
            return [ctx.row]
        if src.startswith("$."):
            found = evaluate(ctx.root, src[2:]) if ctx.root is not None else []
        elif isinstance(ctx.item, CsvRow):
            v = ctx.item.get(src)
            found = [] if v is None else [v]
        else:
            found = evaluate(ctx.item, src)
        return [c for c in (self._clean(v) for v in found) if c != ""]

    def raw(self, ctx: _Ctx, stats: Counter, skipped: list) -> tuple[str, str]:
        """The native value: the first non-empty one among the alternatives of `from` (a value
        matching `blank_if` does not count and the next alternative is tried)."""
        s = self.spec
        if s.value is not None:
            return s.value, "(constant)"
        if s.template is not None:
            parts = {}
            for name in s.sources():
                got = self._usable(self._resolve(name, ctx), name, stats, skipped)
                if not got:
                    return "", s.template
                parts[name] = got[0]
            return re.sub(r"\{([^{}]+)\}", lambda m: parts[m.group(1)], s.template), s.template
        for src in s.from_:
            got = self._usable(self._resolve(src, ctx), src, stats, skipped)
            if got:
                return (got[0] if s.pick == "first" else s.separator.join(got)), src
        return "", s.from_[0]

    def _usable(self, values: list[str], src: str, stats: Counter, skipped: list) -> list[str]:
        if self.blank_rx is None:
            return values
        keep = []
        for v in values:
            if self.blank_rx.search(v):
                stats[(self.label, f"left blank: {self.spec.blank_if.reason}")] += 1
                skipped.append((src, v))
            else:
                keep.append(v)
        return keep

    # -- the whole pipeline --------------------------------------------------------------------
    def value(self, ctx: _Ctx, stats: Counter) -> tuple[str, str, str, str | None]:
        """(canonical text, native field name, raw value, problem or None)."""
        s = self.spec
        skipped: list[tuple[str, str]] = []
        raw, src = self.raw(ctx, stats, skipped)
        if not raw and skipped:
            src = skipped[0][0]
        v = raw
        try:
            if v and s.json_path:
                try:
                    doc = json.loads(v)
                except ValueError:
                    raise ValueProblem(f"'{_short(v)}' is not JSON, so `json_path` "
                                       f"'{s.json_path}' cannot be read")
                got = [c for c in (self._clean(x) for x in evaluate(doc, s.json_path)) if c]
                v = got[0] if got else ""
            if v and self.regex:
                m = self.regex.search(v)
                if not m:
                    raise ValueProblem(f"'{v}' does not match the declared regex '{s.regex}'")
                v = (m.group(1) if self.regex.groups else m.group(0)) or ""
            if v and self.reject_rx and self.reject_rx.search(v):
                raise ValueProblem(f"'{_short(v)}': {s.reject_if.reason}")
            defaulted = False
            if not v and s.default is not None:
                v, defaulted = self._special(s.default, ctx), True
                stats[(self.label, f"empty → declared default '{s.default}'")] += 1
            case_hit = False
            for c, rx in self.cases:
                if (rx is None or rx.search(v)) and all(_holds(w, ctx, self.nulls)
                                                        for w in c.when or ()):
                    if c.note:
                        stats[(self.label, c.note.replace("{value}", v))] += 1
                    v, case_hit = c.value, True
                    break
            if self.map is not None and not case_hit and (v or "" in self.map):
                key = v.strip().casefold()
                if key in self.map:
                    v = self.map[key]
                elif s.unmapped == "reject":
                    known = ", ".join(sorted(k for k in s.map if k)) if s.map else ""
                    raise ValueProblem(f"'{v}' is not in the declared value map (known: "
                                       f"{_short(known, 200)})")
                elif s.unmapped == "blank":
                    stats[(self.label, "not in the value map → blank")] += 1
                    v = ""
                elif not defaulted:
                    stats[(self.label, "not in the value map → kept as written")] += 1
            elif s.cases and not case_hit and v and s.unmapped == "reject" and self.map is None:
                raise ValueProblem(f"'{_short(v)}' matches none of the declared cases (add a case "
                                   f"for it to the mapping)")
            if v and s.if_type:
                ok = (self.dates.matches(v) if s.if_type == "date" else self.booleans.matches(v))
                if not ok:
                    stats[(self.label, f"not a {s.if_type} → blank (if_type)")] += 1
                    v = ""
            months = self._months(ctx, stats) if v and s.add_months else None
            if s.add_months and months is None:
                v = ""  # no months: no end date (and a bad start date does not matter)
            if v:
                v = self._typed(v)
            if v and months is not None:
                v = add_months_iso(v, months)
            if not v and self.required:
                if skipped:
                    raise ValueProblem(f"required value is missing: '{_short(skipped[0][1], 40)}' in "
                                       f"{skipped[0][0]} is {s.blank_if.reason}")
                raise ValueProblem("required value is missing" + (
                    f" (no value in {', '.join(s.sources())})" if s.sources() else ""))
        except ValueProblem as exc:
            return "", src, (raw or (skipped[0][1] if skipped else "")), f"{self.label}: {exc}"
        return v, src, raw, None

    def _months(self, ctx: _Ctx, stats: Counter) -> int | None:
        got = [x for src in self.spec.add_months for x in self._resolve(src, ctx)]
        if not got:
            stats[(self.label, f"no months in {', '.join(self.spec.add_months)} → blank")] += 1
            return None
        m = re.fullmatch(r"(\d+)(?:\s*months?)?", got[0].strip(), re.IGNORECASE)
        if not m:
            raise ValueProblem(f"'{got[0]}' in {', '.join(self.spec.add_months)} is not a whole "
                               "number of months")
        return int(m.group(1))

    def _special(self, text: str, ctx: _Ctx) -> str:
        return self._resolve(text, ctx)[0] if text in ("$export_date", "$file", "$file_stem",
                                                       "$row") else text

    def _typed(self, v: str) -> str:
        k = self.kind
        if k == "date":
            return canonical_date(self.dates.parse(v))
        if k == "timestamp":
            return canonical_timestamp(self.dates.parse(v))
        if k == "period":
            if re.fullmatch(r"\d{4}-\d{2}", v):
                return v
            return canonical_period(self.dates.parse(v))
        if k in ("money", "number"):
            return canonical_decimal(self.numbers.parse(v))
        if k == "integer":
            return canonical_integer(self.numbers.parse(v), v)
        if k == "boolean":
            return self.booleans.parse(v)
        if k == "enum":
            low = v.strip().lower()
            if low not in self.col.values:
                raise ValueProblem(f"'{v}' is not one of {', '.join(self.col.values)}")
            return low
        if self.spec.json_:
            return check_json(v, self.spec.json_)
        return v


def add_months_iso(v: str, months: int) -> str:
    """A canonical date (or timestamp) plus whole months, the day clamped to the month's end
    (2024-01-31 + 1 → 2024-02-29)."""
    import calendar

    d = date.fromisoformat(v[:10])
    y, m = divmod(d.month - 1 + months, 12)
    y, m = d.year + y, m + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1])).isoformat() + v[10:]


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ---------------------------------------------------------------------------------------------
# Detection
# ---------------------------------------------------------------------------------------------

def _matching_inputs(path: Path, data: bytes, mapping: Mapping) -> list[str]:
    out = []
    for name, inp in mapping.inputs.items():
        got = peek(path, inp, data)
        if got is None:
            continue
        top, first = got
        d = inp.detect
        if inp.reader == "csv":
            ok = all(c.strip().casefold() in top for c in d.columns)
        else:
            ok = (all(k.casefold() in top for k in d.keys) and
                  all(k.casefold() in first for k in d.record_keys))
        if ok:
            out.append(name)
    return out


def _all_mappings(directory: Path | None) -> list[Mapping]:
    return [load_mapping(s, directory) for s in list_systems(directory)]


def candidates(path: Path, directory: Path | None = None) -> list[tuple[str, str]]:
    """(system, input) pairs whose detection rules the file satisfies."""
    data = Path(path).read_bytes()
    return [(m.system, i) for m in _all_mappings(directory) for i in
            _matching_inputs(Path(path), data, m)]


def _expand(paths: list[Path]) -> list[tuple[Path, bool]]:
    out = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p).parts
                if f.is_file() and not any(part.startswith(".") for part in rel):
                    out.append((f, True))
        elif p.is_file():
            out.append((p, False))
        else:
            raise MappingError(f"{p}: no such file or folder")
    if not out:
        raise MappingError("no files to import")
    return out


def detect_system(path: Path, directory: Path | None = None) -> str | None:
    """The one system whose mapping recognises the file unambiguously (for a folder: every file
    that is recognised at all, by one input each, and all by the same system); None otherwise."""
    systems = set()
    for f, _ in _expand([Path(path)]):
        found = candidates(f, directory)
        if len(found) > 1:
            return None
        systems |= {s for s, _ in found}
    return systems.pop() if len(systems) == 1 else None


def _describe_inputs(m: Mapping) -> str:
    parts = []
    for name, inp in m.inputs.items():
        need = inp.detect.columns or (inp.detect.keys + inp.detect.record_keys)
        parts.append(f"{name} ({inp.reader} with {', '.join(need)})")
    return "; ".join(parts)


# ---------------------------------------------------------------------------------------------
# Import
# ---------------------------------------------------------------------------------------------

@dataclass
class _Acc:
    entity: Entity
    extra: list[str] = field(default_factory=list)
    rows: list[dict] = field(default_factory=list)
    origin: list[tuple[str, str]] = field(default_factory=list)  # (file, row) per row


def _plans(inp: Input, target: Target) -> list[_Plan]:
    ent = target.contract
    out = [_Plan(n, s, ent.column(n), inp, target) for n, s in target.columns.items()]
    out += [_Plan(n, s, None, inp, target) for n, s in target.extra.items()]
    return out


def _csv_header_check(res, path: Path, target: Target, plans: list[_Plan], rejects: list[Reject],
                      notes: list[str]) -> bool:
    """A CSV lacking the native columns a required contract column needs cannot feed the target
    (the file is rejected for that entity, as the contract rejects a file missing a required
    column); an absent column behind an optional one is only noted."""
    header = res.header
    ok = True
    for p in plans:
        srcs = [s for s in p.spec.sources() if not s.startswith("$")]
        if not srcs:
            continue
        present = [s for s in srcs if header.has(s)]
        if p.spec.template is not None:
            missing = [s for s in srcs if not header.has(s)]
        else:
            missing = [] if present else srcs
        if missing:
            if p.required and p.spec.default is None and not p.spec.cases:
                rejects.append(Reject(str(path), "", ", ".join(missing), "",
                                      f"{p.label}: required, but column(s) {', '.join(missing)} "
                                      f"not in the header; no {target.entity} rows from this file"))
                ok = False
            else:
                notes.append(f"{p.label}: column(s) {', '.join(missing)} not in the file; "
                             + ("declared default used" if p.spec.default is not None else
                                "declared cases decide" if p.spec.cases else "left blank"))
    return ok


def _when(target: Target, ctx: _Ctx, nulls: set[str]) -> bool:
    return target.when is None or _holds(target.when, ctx, nulls)


def _holds(w, ctx: _Ctx, nulls: set[str]) -> bool:
    """A `when` condition: the first non-empty value among `from` is (not) one of the words."""
    val = ""
    for src in w.from_:
        if src.startswith("$."):
            found = evaluate(ctx.root, src[2:]) if ctx.root is not None else []
        elif isinstance(ctx.item, CsvRow):
            got = ctx.item.get(src)
            found = [] if got is None else [got]
        else:
            found = evaluate(ctx.item, src)
        found = [as_text(f).strip() for f in found if as_text(f).strip().casefold() not in nulls]
        if found:
            val = found[0]
            break
    words = {x.strip().casefold() for x in (w.in_ if w.in_ is not None else w.not_in)}
    return (val.casefold() in words) == (w.in_ is not None)


def declared_fields(inp: Input) -> dict[str, list[str]]:
    """Every native field the input declares → where it lands: 'source/entity.column' (a contract
    column), 'source/entity: extra <name>' (kept in raw `_extra`), 'source/entity: condition'
    (decides which rows feed it), or 'not used: <why>' (`unused`)."""
    out: dict[str, list[str]] = {}

    def add(src: str, dest: str) -> None:
        if src.startswith("$") and not src.startswith("$."):
            return
        src = src[2:] if src.startswith("$.") else src
        lst = out.setdefault(src, [])
        if dest not in lst:
            lst.append(dest)

    for t in inp.targets:
        if t.explode:
            add(t.explode, f"{t.entity}: one row per item")
        if t.when is not None:
            for src in t.when.from_:
                add(src, f"{t.entity}: condition")
        for kind, fields in (("column", t.columns), ("extra", t.extra)):
            for name, spec in fields.items():
                dest = f"{t.entity}.{name}" if kind == "column" else f"{t.entity}: extra {name}"
                for src in spec.sources():
                    add(src, dest)
                for src in spec.add_months or ():
                    add(src, f"{dest} (months added)")
                for c in spec.cases or ():
                    for w in c.when or ():
                        for src in w.from_:
                            add(src, f"{dest} (condition)")
    for src, why in inp.unused.items():
        out.setdefault(src, []).append(f"not used: {why}")
    return out


def _undeclared(header, inp: Input) -> list[str]:
    """Header names neither read nor declared unused (`unused` keys may be globs: `x_*`)."""
    import fnmatch

    known = {k.casefold() for k in declared_fields(inp)}
    globs = [k.casefold() for k in inp.unused if any(c in k for c in "*?[")]
    return [n for n in header.names if n.casefold() not in known and not n.startswith("(column ")
            and " (column " not in n and not any(fnmatch.fnmatchcase(n.casefold(), g)
                                                 for g in globs)]


def _map_file(path: Path, data: bytes, mapping: Mapping, input_name: str, export_date: date,
              accs: dict[str, _Acc], rejects: list[Reject], stats: Counter,
              accounting: dict[tuple[str, str], Accounting]) -> FileResult:
    inp = mapping.inputs[input_name]
    fr = FileResult(path, mapping.system, input_name)
    try:
        res = read(path, inp, data)
    except FileProblem as exc:
        rejects.append(Reject(str(path), "", "", "", f"file rejected: {path.name} {exc}"))
        fr.notes.append(f"rejected: {exc}")
        return fr
    fr.encoding, fr.records = res.encoding, len(res.records)
    fr.notes.extend(res.notes)
    if not inp.targets:
        fr.notes.append(f"recognised as {mapping.system} {input_name}; not mapped: {inp.not_mapped}")
        return fr
    if res.header is not None:
        fr.undeclared = _undeclared(res.header, inp)
        if fr.undeclared:
            fr.notes.append("undeclared column(s), neither mapped nor listed as unused in the "
                            f"mapping, so not imported: {', '.join(fr.undeclared)}")
    nulls = {v.strip().casefold() for v in inp.null_values}
    for target in inp.targets:
        plans = _plans(inp, target)
        ent = target.contract
        key = f"{ent.source}/{ent.name}"
        acct = accounting.setdefault((str(path), key), Accounting(str(path), key))
        if res.header is not None and target.when is not None and not any(
                res.header.has(c) for c in target.when.from_) and not _holds(
                target.when, _Ctx(path, export_date, None, CsvRow(res.header, []), None, ""),
                nulls):
            # the condition's columns are absent and "empty" does not qualify: every row
            # belongs to another target (e.g. no purchase cost column: no purchase lines)
            acct.read += len(res.records)
            acct.other_entity += len(res.records)
            fr.notes.append(f"{key}: column(s) {', '.join(target.when.from_)} not in the file; "
                            "no rows for this entity")
            continue
        if res.header is not None and not _csv_header_check(res, path, target, plans, rejects,
                                                            fr.notes):
            acct.read += len(res.records)
            acct.rejected += len(res.records)
            continue
        acc = accs.setdefault(key, _Acc(ent))
        for n in target.extra:
            if n not in acc.extra:
                acc.extra.append(n)
        for rec in res.records:
            if rec.problem:
                acct.read += 1
                acct.rejected += 1
                rejects.append(Reject(str(path), rec.row, "", "", f"{key}: {rec.problem}"))
                continue
            items: list[tuple[str, object]]
            if target.explode:
                src = target.explode
                base = res.root if src.startswith("$.") else rec.data
                found = evaluate(base, src[2:] if src.startswith("$.") else src)
                items = []
                for v in found:
                    for it in (v if isinstance(v, list) else [v]):
                        items.append((f"{rec.row}:{src}[{len(items)}]", it))
            else:
                items = [(rec.row, rec.data)]
            root = res.root if res.root is not None else (rec.data if not isinstance(
                rec.data, CsvRow) else None)
            for row_label, item in items:
                acct.read += 1
                ctx = _Ctx(path, export_date, rec, item, root, row_label)
                if not _when(target, ctx, nulls):
                    acct.other_entity += 1
                    continue
                out, problems, row_stats = {}, [], Counter()
                for p in plans:
                    v, src, raw, problem = p.value(ctx, row_stats)
                    if problem:
                        problems.append(Reject(str(path), row_label, src, raw, problem))
                    out[p.name] = v
                if problems:
                    acct.rejected += 1
                    rejects.extend(problems)
                    continue
                stats.update(row_stats)
                acct.written += 1
                acc.rows.append(out)
                acc.origin.append((str(path), row_label))
    return fr


def _render(acc: _Acc) -> tuple[list[str], list[list[str]]]:
    cols = list(acc.entity.column_names) + acc.extra
    return cols, [[r.get(c, "") for c in cols] for r in acc.rows]


def _csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")


def _dedupe(acc: _Acc, rejects: list[Reject],
            accounting: dict[tuple[str, str], Accounting] | None = None) -> int:
    """Identical rows are kept once; a later row sharing the natural key with different values
    is rejected (it would make the export contradict itself)."""
    cols = list(acc.entity.column_names) + acc.extra
    nk = acc.entity.natural_key
    seen_rows: set[tuple] = set()
    seen_keys: dict[tuple, tuple[str, str]] = {}
    kept, origin, collapsed = [], [], 0
    label = f"{acc.entity.source}/{acc.entity.name}"
    for r, o in zip(acc.rows, acc.origin):
        full = tuple(r.get(c, "") for c in cols)
        acct = (accounting or {}).get((o[0], label))
        if full in seen_rows:
            collapsed += 1
            if acct:
                acct.written -= 1
                acct.identical += 1
            continue
        if nk:
            k = tuple(r.get(c, "") for c in nk)
            if any(k):
                if k in seen_keys:
                    f0, r0 = seen_keys[k]
                    rejects.append(Reject(o[0], o[1], ", ".join(nk), " | ".join(k),
                                          f"{label}: same natural key ({', '.join(nk)}) as "
                                          f"{Path(f0).name} row {r0} but different values"))
                    if acct:
                        acct.written -= 1
                        acct.rejected += 1
                    continue
                seen_keys[k] = o
        seen_rows.add(full)
        kept.append(r)
        origin.append(o)
    acc.rows, acc.origin = kept, origin
    return collapsed


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _plan_files(system: str | None, paths: list[Path], directory: Path | None
                ) -> tuple[Mapping, list[tuple[Path, bytes, str | None, str]]]:
    """(mapping, [(file, bytes, input or None when skipped, skip reason)])."""
    files = _expand(paths)
    forced = None
    if system:
        name = str(system)
        if ":" in name and not Path(name).exists():
            name, forced = name.split(":", 1)
        mapping = load_mapping(name, directory)
        if forced:
            mapping.input(forced)
        planned = []
        for f, from_dir in files:
            data = f.read_bytes()
            inputs = [forced] if forced else _matching_inputs(f, data, mapping)
            if not inputs:
                if from_dir:
                    planned.append((f, data, None, f"not a {mapping.system} export"))
                    continue
                raise MappingError(f"{f}: does not look like a {mapping.system} export; its "
                                   f"inputs need: {_describe_inputs(mapping)} (name one with "
                                   f"--from {mapping.system}:<input> to read it anyway)")
            if len(inputs) > 1:
                raise MappingError(f"{f}: matches several {mapping.system} inputs "
                                   f"({', '.join(inputs)}); name one with --from "
                                   f"{mapping.system}:<input>")
            planned.append((f, data, inputs[0], ""))
        return mapping, planned
    mappings = {m.system: m for m in _all_mappings(directory)}
    chosen: dict[Path, tuple[str, str]] = {}
    planned_raw = []
    for f, from_dir in files:
        data = f.read_bytes()
        cands = [(s, i) for s, m in mappings.items() for i in _matching_inputs(f, data, m)]
        systems = sorted({s for s, _ in cands})
        if not cands:
            if from_dir:
                planned_raw.append((f, data, None, "no mapping recognises it"))
                continue
            raise MappingError(f"{f}: no mapping recognises this file (candidates: none; known "
                               f"systems: {', '.join(mappings)}); name the system with --from")
        if len(systems) > 1 or len(cands) > 1:
            listed = ", ".join(f"{s}:{i}" for s, i in cands)
            raise MappingError(f"{f}: ambiguous, it matches {listed}; name one with --from")
        chosen[f] = cands[0]
        planned_raw.append((f, data, cands[0][1], ""))
    systems = sorted({s for s, _ in chosen.values()})
    if not systems:
        raise MappingError("no file in " + ", ".join(str(p) for p in paths) + " is recognised by "
                           f"a mapping (known systems: {', '.join(mappings)})")
    if len(systems) > 1:
        raise MappingError("the files belong to several systems (" + ", ".join(
            f"{f.name}: {s}" for f, (s, _) in chosen.items()) + "); import one system per call")
    return mappings[systems[0]], planned_raw


def import_native(system: str | None, paths: list[Path], landing: Path, export_date: date,
                  log: Callable[[str], None] = print, mappings: Path | None = None,
                  dialect: str | None = None) -> ImportReport:
    """Map native exports onto contract files under `landing` for `export_date`.

    system: a system name (glpi, snipe-it, ...), `system:input` to force one input, the path of a
    mapping YAML, or None to detect it from the files (an unknown or ambiguous file is an error
    naming the candidates). paths: files and/or folders (a folder's files that no input
    recognises are skipped and listed). Raises MappingError when nothing can be imported or a
    canonical file for that date already exists with different content. dialect: a dialect the
    mapping declares for non-conformant exports (docs/mappings.md), else its strict rules.
    The report's `accounting` says, per file and entity, read = written + rejected + rows for
    another entity + identical repeats.
    """
    if isinstance(export_date, str):
        export_date = date.fromisoformat(export_date)
    landing = Path(landing)
    mapping, planned = _plan_files(system, [Path(p) for p in paths], mappings)
    mapping = mapping.with_dialect(dialect)
    report = ImportReport(mapping.system, export_date)
    accs: dict[str, _Acc] = {}
    rejects: list[Reject] = []
    stats: Counter = Counter()
    accounting: dict[tuple[str, str], Accounting] = {}
    for f, data, input_name, skip in planned:
        if input_name is None:
            report.files.append(FileResult(f, mapping.system, "", skipped=skip))
            log(f"{f}: skipped ({skip})")
            continue
        before = len(rejects)
        fr = _map_file(f, data, mapping, input_name, export_date, accs, rejects, stats,
                       accounting)
        report.files.append(fr)
        log(f"{f}: {mapping.system}:{input_name}, {fr.encoding or 'unread'}, {fr.records} "
            f"records, {len(rejects) - before} rejected" + "".join(f"\n  note: {n}" for n in fr.notes))
    for acc in accs.values():
        report.duplicates_collapsed += _dedupe(acc, rejects, accounting)
    report.accounting = list(accounting.values())
    for line in report.accounting_lines():
        log(f"accounting: {line}")
    for (label, what), n in sorted(stats.items()):
        report.notes.append(f"{label}: {n} value(s) {what}")
    # Decide every output before writing any: exports are immutable.
    pending, refused = [], []
    for key, acc in sorted(accs.items()):
        if not acc.rows:
            report.notes.append(f"{key}: no accepted rows; no file written")
            continue
        header, rows = _render(acc)
        data = _csv_bytes(header, rows)
        target = landing / acc.entity.source / export_date.isoformat() / f"{acc.entity.name}.csv"
        if target.exists():
            if target.read_bytes() == data:
                pending.append((key, target, None, len(rows)))
                continue
            refused.append(f"{target}: already exists with different content; exports are "
                           "immutable (import every file of that export in one call, or use a "
                           "new --export-date)")
            continue
        pending.append((key, target, data, len(rows)))
    if refused:
        raise MappingError(refused)
    for key, target, data, n in pending:
        if data is not None:
            _write_atomic(target, data)
        report.outputs.append(OutputFile(key, target, n, "written" if data is not None else
                                         "unchanged"))
        log(f"{'wrote' if data is not None else 'unchanged'} {target} ({n} rows)")
    report.rejects = rejects
    rej_path = landing / "_imports" / f"{mapping.system}-{export_date.isoformat()}-rejects.csv"
    _write_atomic(rej_path, _csv_bytes(list(REJECT_COLUMNS), [r.as_row() for r in rejects]))
    report.rejects_path = rej_path
    for n in report.notes:
        log(f"note: {n}")
    return report
