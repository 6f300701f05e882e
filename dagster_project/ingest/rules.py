"""Row rules ingestion enforces beyond the contract's types, all declared as data:

- plausibility ranges per column (taxonomy/plausibility.yaml): a value outside its range is
  quarantined with rule `plausibility` instead of overflowing a calculation or failing a dbt
  test later;
- the blocking (severity: critical) Great Expectations that judge single rows or keys
  (expect_column_values_to_be_between without `mostly`, expect_column_values_to_be_unique,
  expect_compound_columns_to_be_unique): the offending rows of an export are quarantined with
  rule `gx:<check>`, so one bad line no longer stops every build. Aggregate critical checks
  (`mostly` below 1: a misdated export folder) still block publishing as asset checks.

`load_rules(taxonomy_dir)` reads both; `RulesError` lists every problem of the plausibility file
as `file: key path: problem — fix`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import yaml

from dagster_project.contract import ENTITY_BY_NAME, Entity
from dagster_project.ingest.validate import ident, lit

PLAUSIBILITY_FILE = "plausibility.yaml"
RANGE_KINDS = ("date", "timestamp", "money", "number", "integer")
RANGE_KEYS = ("min", "max", "max_days_after_export")


class RulesError(Exception):
    """The plausibility file is invalid; one problem per line (file, key path, problem, fix)."""


@dataclass(frozen=True)
class Range:
    min: object = None                      # number, or date for date/timestamp columns
    max: object = None
    max_days_after_export: int | None = None

    def max_for(self, export_date: date | None):
        """The upper bound for an export of this date (the tighter of both when both given)."""
        relative = (export_date + timedelta(days=self.max_days_after_export)
                    if export_date is not None and self.max_days_after_export is not None else None)
        if relative is None:
            return self.max
        return relative if self.max is None else min(self.max, relative)

    def describe(self) -> str:
        lo = "" if self.min is None else str(self.min)
        hi = [str(self.max)] if self.max is not None else []
        if self.max_days_after_export is not None:
            hi.append(f"export date + {self.max_days_after_export} days")
        return f"{lo or '…'} to {' / '.join(hi) or '…'}"


@dataclass(frozen=True)
class BlockingRule:
    """A critical expectation enforced row by row at ingestion."""
    check: str
    kind: str                    # unique | between
    columns: tuple[str, ...]
    suite_file: str
    why: str
    min_value: object = None
    max_value: object = None
    strict_min: bool = False
    strict_max: bool = False

    @property
    def rule(self) -> str:
        return f"gx:{self.check}"

    def statement(self, e: Entity, table: str, present: list[str], export_date: date) -> str:
        """An UPDATE of the typed staging table marking the rows this rule holds back. Range
        rules run first (rules_for); a key is then unique among the rows still valid."""
        def col(c: str, alias: str = "t") -> str:
            return f"{alias}.{ident(c)}" if c in present else "CAST(NULL AS VARCHAR)"

        label = ", ".join(self.columns)
        tail = f" (blocking expectation {self.check} in expectations/{self.suite_file}: {self.why})"
        if self.kind == "unique":
            key = ", ".join(col(c, "u") for c in self.columns)
            shown = " || ', ' || ".join(f"coalesce(CAST({col(c)} AS VARCHAR), 'NULL')" for c in self.columns)
            any_value = " OR ".join(f"{col(c, 'u')} IS NOT NULL" for c in self.columns)
            error = (f"[{{'column_name': {lit(label)}, 'value': {shown}, "
                     f"'reason': {lit(label + ' ')} || '(' || {shown} || ') appears ' || d.n || "
                     f"' times in this export; every copy is held back' || {lit(tail)}, "
                     f"'rule': {lit(self.rule)}}}]")
            return (f"UPDATE {table} AS t SET _errors = {error} FROM (SELECT u._row_number AS rn, "
                    f"count(*) OVER (PARTITION BY {key}) AS n FROM {table} u "
                    f"WHERE u._errors IS NULL AND ({any_value})) d "
                    f"WHERE t._row_number = d.rn AND d.n > 1")
        c = self.columns[0]
        typed = e.column(c).sql_type if e.column(c).kind not in ("date", "timestamp") else \
            ("DATE" if e.column(c).kind == "date" else "TIMESTAMP")
        outside, words = [], []
        for bound, strict, op, sop, word in ((self.min_value, self.strict_min, "<", "<=", "below"),
                                             (self.max_value, self.strict_max, ">", ">=", "above")):
            if bound is None:
                continue
            value = _parameter(bound, export_date)
            outside.append(f"t.{ident(c)} {sop if strict else op} CAST({lit(str(value))} AS {typed})")
            words.append(f"{word} {value}")
        error = (f"[{{'column_name': {lit(c)}, 'value': CAST(t.{ident(c)} AS VARCHAR), "
                 f"'reason': {lit(c + ': ')} || CAST(t.{ident(c)} AS VARCHAR) || "
                 f"{lit(' is ' + ' or '.join(words) + tail)}, 'rule': {lit(self.rule)}}}]")
        if c not in present or not outside:
            return "SELECT 1"
        # A row may fail several range rules: each adds its error.
        return (f"UPDATE {table} AS t SET _errors = list_concat(coalesce(t._errors, []), {error}) WHERE "
                f"t.{ident(c)} IS NOT NULL AND ({' OR '.join(outside)})")


def _parameter(value, export_date: date):
    if isinstance(value, dict) and set(value) == {"$PARAMETER"}:
        if value["$PARAMETER"] == "export_date":
            return export_date.isoformat()
        if value["$PARAMETER"] == "export_date_end":  # the next day, 12:00 UTC (suites.py)
            return f"{(export_date + timedelta(days=1)).isoformat()} 12:00:00"
    return value


@dataclass
class IngestRules:
    ranges: dict[str, dict[str, Range]] = field(default_factory=dict)      # entity → column → range
    blocking: dict[str, list[BlockingRule]] = field(default_factory=dict)  # entity → rules


def _read_ranges(path: Path) -> dict[str, dict[str, Range]]:
    if not path.exists():
        return {}
    f = path.name
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RulesError(f"{f}: (file): not valid YAML ({' '.join(str(exc).split())}) — fix the syntax") from None
    if not isinstance(doc, dict):
        raise RulesError(f"{f}: (file): expected <entity>: {{<column>: {{min, max}}}} — write one block per entity")
    problems: list[str] = []
    out: dict[str, dict[str, Range]] = {}
    for entity_name, cols in doc.items():
        e = ENTITY_BY_NAME.get(entity_name)
        if e is None:
            problems.append(f"{f}: {entity_name}: not a landing entity — use one of {', '.join(ENTITY_BY_NAME)}")
            continue
        if not isinstance(cols, dict):
            problems.append(f"{f}: {entity_name}: expected <column>: {{min, max}} — write one line per column")
            continue
        for col, spec in cols.items():
            where = f"{f}: {entity_name}.{col}"
            kind = next((c.kind for c in e.columns if c.name == col), None)
            if kind is None:
                problems.append(f"{where}: not a column of {entity_name} — use one of {', '.join(e.column_names)}")
                continue
            if kind not in RANGE_KINDS:
                problems.append(f"{where}: a {kind} column has no range — ranges apply to {', '.join(RANGE_KINDS)} columns")
                continue
            if not isinstance(spec, dict) or not spec or set(spec) - set(RANGE_KEYS):
                problems.append(f"{where}: expected a mapping of {', '.join(RANGE_KEYS)} — e.g. {{min: 0, max: 1000000}}")
                continue
            r = _range(where, kind, spec, problems)
            if r is not None:
                out.setdefault(entity_name, {})[col] = r
    if problems:
        raise RulesError("\n".join(problems))
    return out


def _range(where: str, kind: str, spec: dict, problems: list[str]) -> Range | None:
    dated = kind in ("date", "timestamp")
    bounds = {}
    for k in ("min", "max"):
        v = spec.get(k)
        if v is None:
            bounds[k] = None
        elif dated and isinstance(v, date):
            bounds[k] = v
        elif not dated and isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            bounds[k] = v
        else:
            problems.append(f"{where}.{k}: {v!r} is not a {'date YYYY-MM-DD' if dated else 'number'} — "
                            f"write e.g. {'1990-01-01' if dated else '1000000'}")
            return None
    days = spec.get("max_days_after_export")
    if days is not None and (not dated or not isinstance(days, int) or isinstance(days, bool) or days < 0):
        problems.append(f"{where}.max_days_after_export: {days!r} — a whole number of days, 0 or more, "
                        "for date and timestamp columns only")
        return None
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        problems.append(f"{where}: min {bounds['min']} is above max {bounds['max']} — swap them")
        return None
    return Range(bounds["min"], bounds["max"], days)


def _blocking_rules() -> dict[str, list[BlockingRule]]:
    """The critical expectations of every suite that can be judged row by row. A broken suite
    folder yields none: the `expectation_suites_valid` check stops the build anyway."""
    from dagster_project.quality.suites import SuiteError, load_suites

    try:
        suites = load_suites()
    except SuiteError:
        return {}
    out: dict[str, list[BlockingRule]] = {}
    for entity_name, s in suites.items():
        for x in s.expectations:
            kw = x.kwargs
            if not x.blocking or kw.get("row_condition") or float(kw.get("mostly", 1.0)) < 1.0:
                continue
            common = dict(check=x.check, columns=x.columns, suite_file=s.path.name, why=x.why)
            if x.type in ("expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"):
                out.setdefault(entity_name, []).append(BlockingRule(kind="unique", **common))
            elif x.type == "expect_column_values_to_be_between" and len(x.columns) == 1:
                out.setdefault(entity_name, []).append(BlockingRule(
                    kind="between", min_value=kw.get("min_value"), max_value=kw.get("max_value"),
                    strict_min=bool(kw.get("strict_min")), strict_max=bool(kw.get("strict_max")), **common))
    for rules in out.values():
        rules.sort(key=lambda r: r.kind == "unique")  # ranges first, then keys
    return out


def load_rules(taxonomy_dir: Path | None = None) -> IngestRules:
    from dagster_project.settings import DEFAULT_TAXONOMY

    d = Path(taxonomy_dir or DEFAULT_TAXONOMY)
    return IngestRules(ranges=_read_ranges(d / PLAUSIBILITY_FILE), blocking=_blocking_rules())
