"""The Great Expectations suites in `expectations/`, read and checked without importing GX.

One YAML file per landing entity, `expectations/<entity>.yaml`, in GX 1.x's own suite shape
(`name`, `meta`, `expectations: [{type, kwargs, severity, meta}]`) so GX loads it unchanged.
Project conventions on top (docs/data-quality.md):

- `meta.sample_columns`: the columns that identify a row in a failure message (offending keys).
- every expectation has `meta.check` (a short snake_case name; the Dagster asset check is
  `gx_<check>`) and `meta.why` (one line shown beside the check);
- `severity` is GX's: `critical` blocks publishing (an ERROR asset check, blocking), `warning`
  (or `info`) only warns. This file is where a check's severity is declared.
- `{$PARAMETER: ...}` values are filled per export: `export_date` (the folder date, midnight),
  `export_date_end` (the last instant that is still the export date in any time zone: the next
  day 12:00 UTC).

Importing this module is cheap: Dagster reads the check names at definition time.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from dagster_project.contract import ENTITY_BY_NAME, LINEAGE_COLUMNS
from dagster_project.settings import PROJECT_ROOT

DEFAULT_EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
PARAMETERS = ("export_date", "export_date_end")
BLOCKING_SEVERITY = "critical"
SEVERITIES = ("critical", "warning", "info")
CHECK_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
COLUMN_KWARGS = ("column", "column_A", "column_B")
COLUMN_LIST_KWARGS = ("column_list",)


class SuiteError(Exception):
    """The suite files are invalid; one problem per line, each naming file, key path and fix."""


@dataclass(frozen=True)
class ExpectationDef:
    check: str                 # meta.check
    type: str                  # GX expectation type
    kwargs: dict
    severity: str              # critical | warning | info
    why: str
    columns: tuple[str, ...]   # the columns it judges
    condition_columns: tuple[str, ...] = ()  # columns its row_condition reads

    @property
    def reads(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.columns + self.condition_columns))

    @property
    def blocking(self) -> bool:
        return self.severity == BLOCKING_SEVERITY

    @property
    def check_name(self) -> str:
        """The Dagster asset check name."""
        return f"gx_{self.check}"

    @property
    def column_label(self) -> str:
        return ",".join(self.columns)


@dataclass(frozen=True)
class Suite:
    entity: str
    source: str
    path: Path
    sample_columns: tuple[str, ...]
    expectations: tuple[ExpectationDef, ...]
    document: dict = field(repr=False, compare=False)  # the GX suite as written
    content_hash: str = ""

    @property
    def columns(self) -> tuple[str, ...]:
        """Every column the suite reads (its expectations' and the sample columns)."""
        cols = dict.fromkeys(["_row_number", *self.sample_columns])
        for e in self.expectations:
            cols.update(dict.fromkeys(e.reads))
        return tuple(cols)

    def gx_document(self) -> dict:
        """The suite for GX: as written, minus keys GX does not know."""
        doc = json.loads(json.dumps(self.document, default=str))
        doc["name"] = self.entity
        return doc


def expectations_dir() -> Path:
    from dagster_project.settings import Settings  # the one reader of the environment (issue 15.1)

    return Settings.from_env().expectations


def _condition_columns(condition) -> list[str]:
    """Columns a structured row_condition reads ({type, column: {name}, ...}, nested and/or)."""
    if isinstance(condition, dict):
        col = condition.get("column")
        own = [col["name"]] if isinstance(col, dict) and isinstance(col.get("name"), str) else []
        return own + [c for k, v in condition.items() if k != "column" for c in _condition_columns(v)]
    if isinstance(condition, list):
        return [c for v in condition for c in _condition_columns(v)]
    return []


def _columns_of(kwargs: dict) -> list[str]:
    cols = [kwargs[k] for k in COLUMN_KWARGS if isinstance(kwargs.get(k), str)]
    for k in COLUMN_LIST_KWARGS:
        if isinstance(kwargs.get(k), list):
            cols += [c for c in kwargs[k] if isinstance(c, str)]
    return list(dict.fromkeys(cols))


def _parameters_in(value) -> list[str]:
    if isinstance(value, dict):
        if set(value) == {"$PARAMETER"}:
            return [str(value["$PARAMETER"])]
        return [p for v in value.values() for p in _parameters_in(v)]
    if isinstance(value, list):
        return [p for v in value for p in _parameters_in(v)]
    return []


def _read_suite(path: Path, problems: list[str]) -> Suite | None:
    f = path.name
    entity_name = path.stem
    e = ENTITY_BY_NAME.get(entity_name)
    if e is None:
        problems.append(f"{f}: (file): '{entity_name}' is not a landing entity — name the file "
                        f"<entity>.yaml, one of {', '.join(sorted(ENTITY_BY_NAME))}")
        return None
    text = path.read_bytes()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        problems.append(f"{f}: (file): not valid YAML ({exc}) — fix the syntax")
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        problems.append(f"{f}: expectations: missing or not a list — write `expectations:` "
                        "followed by a list of {type, kwargs, severity, meta}")
        return None
    if doc.get("name") != entity_name:
        problems.append(f"{f}: name: is {doc.get('name')!r}, expected '{entity_name}' — the suite "
                        "is named after its entity (the file name)")
    known = set(e.column_names) | {n for n, _ in LINEAGE_COLUMNS}
    meta = doc.get("meta") or {}
    samples = meta.get("sample_columns") or list(e.natural_key) or list(e.required[:2])
    for c in samples:
        if c not in known:
            problems.append(f"{f}: meta.sample_columns: unknown column '{c}' — use columns of "
                            f"{entity_name}: {', '.join(e.column_names)}")
    defs: list[ExpectationDef] = []
    seen: set[str] = set()
    for i, x in enumerate(doc["expectations"]):
        where = f"{f}: expectations[{i}]"
        if not isinstance(x, dict) or not isinstance(x.get("type"), str) \
                or not x["type"].startswith("expect_"):
            problems.append(f"{where}.type: missing or not a GX expectation type — e.g. "
                            "expect_column_values_to_not_be_null")
            continue
        kwargs = x.get("kwargs") or {}
        xmeta = x.get("meta") or {}
        check = xmeta.get("check")
        if not isinstance(check, str) or not CHECK_PATTERN.match(check):
            problems.append(f"{where}.meta.check: missing or not snake_case ({check!r}) — name the "
                            "check, e.g. `check: serial_present`")
            continue
        if check in seen:
            problems.append(f"{where}.meta.check: '{check}' is used twice in this suite — give "
                            "every expectation its own check name")
        seen.add(check)
        if not str(xmeta.get("why") or "").strip():
            problems.append(f"{where}.meta.why: missing — say in one line why the check exists")
        severity = str(x.get("severity", BLOCKING_SEVERITY)).lower()
        if "severity" not in x:
            problems.append(f"{where}.severity: missing — declare `severity: critical` (blocks "
                            "publishing) or `severity: warning` (warns)")
        elif severity not in SEVERITIES:
            problems.append(f"{where}.severity: '{x['severity']}' is not one of {', '.join(SEVERITIES)}")
        cols = _columns_of(kwargs)
        cond = _condition_columns(kwargs.get("row_condition"))
        for c in dict.fromkeys(cols + cond):
            if c not in known:
                problems.append(f"{where}.kwargs: unknown column '{c}' — use columns of "
                                f"{entity_name}: {', '.join(e.column_names)}")
        for p in _parameters_in(kwargs):
            if p not in PARAMETERS:
                problems.append(f"{where}.kwargs: unknown $PARAMETER '{p}' — one of {', '.join(PARAMETERS)}")
        defs.append(ExpectationDef(check=check, type=x["type"], kwargs=kwargs, severity=severity,
                                   why=str(xmeta.get("why") or "").strip(), columns=tuple(cols),
                                   condition_columns=tuple(c for c in cond if c not in cols)))
    return Suite(entity=entity_name, source=e.source, path=path, sample_columns=tuple(samples),
                 expectations=tuple(defs), document=doc,
                 content_hash=hashlib.sha256(text).hexdigest()[:16])


@lru_cache(maxsize=8)
def _load(directory: Path, stamp: tuple) -> dict[str, Suite]:
    problems: list[str] = []
    suites: dict[str, Suite] = {}
    for path in sorted(directory.glob("*.yaml")):
        s = _read_suite(path, problems)
        if s is not None:
            suites[s.entity] = s
    if problems:
        raise SuiteError("\n".join(problems))
    return suites


def load_suites(directory: Path | None = None) -> dict[str, Suite]:
    """Every suite of the folder by entity. Raises SuiteError listing every problem."""
    d = Path(directory or expectations_dir()).resolve()
    if not d.is_dir():
        raise SuiteError(f"{d}: (folder): the expectations folder does not exist — point "
                         "ITAM_EXPECTATIONS at the folder of <entity>.yaml suites")
    stamp = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(d.glob("*.yaml")))
    return _load(d, stamp)
