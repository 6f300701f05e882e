"""The mapping format (mappings/*.yaml) as pydantic models, and its validation.

A mapping is data: which native files it recognises (`inputs`), how each is read (`reader`,
`encoding`, `records_path`, null words, date formats, number style) and how each row becomes rows
of contract entities (`targets`, one per entity, column by column). `load_mapping` checks the
shape (unknown keys are errors, so a typo never passes as an ignored key) and the meaning against
the contract in dagster_project/contract.py (entity exists, every required column is mapped, enum
constants and value maps land on allowed words, date formats and regular expressions compile) and
raises one `MappingError` listing every problem as ``<file>: <key path>: <problem>``.
"""
from __future__ import annotations

import codecs
import difflib
import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from dagster_project.contract import ENTITIES, Entity
from dagster_project.mappings.paths import PathError, parse_path
from dagster_project.mappings.values import compile_format
from dagster_project.yamlfile import NotesDuplicateKeys, parse

SPECIALS = ("$export_date", "$file", "$file_stem", "$row")


class MappingError(Exception):
    """A mapping is invalid, unknown, or an import cannot proceed. str() lists every problem, one
    per line, each naming the file, the key path (or row) and the problem."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _as_list(v):
    if v is None:
        return v
    return [v] if isinstance(v, str) else v


class Pattern(_Model):
    pattern: str
    reason: str = "value has a form the mapping refuses"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"'{v}' is not a regular expression: {exc}")
        return v


class When(_Model):
    """Keep only rows whose value at `from` is (or is not) one of the listed words
    (case-insensitive). Rows left out are not rejects: they belong to another target."""
    from_: list[str] = Field(alias="from")
    in_: list[str] | None = Field(None, alias="in")
    not_in: list[str] | None = None

    _list = field_validator("from_", mode="before")(_as_list)

    @model_validator(mode="after")
    def _one(self):
        if (self.in_ is None) == (self.not_in is None):
            raise ValueError("give exactly one of `in` or `not_in`")
        return self


class Case(_Model):
    """One rule of a field's `cases`: when the value matches `pattern` (a case-insensitive regular
    expression searched in it; omitted = any value, including empty) and the row satisfies `when`
    (another field's value), the field becomes `value`. First matching case wins. `note` is
    counted in the import's notes each time the case is used (for fall-backs a reviewer should
    see)."""
    pattern: str | None = None
    when: list[When] | None = None  # all must hold; one condition may be written without a list
    value: str
    note: str | None = None

    @field_validator("when", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, dict) else v

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v):
        if v is not None:
            try:
                re.compile(v)
            except re.error as exc:
                raise ValueError(f"'{v}' is not a regular expression: {exc}")
        return v


class FieldSpec(_Model):
    """How one contract column gets its value. Exactly one of `from`, `value`, `template`."""
    from_: list[str] | None = Field(None, alias="from")
    value: str | None = None
    template: str | None = None
    json_path: str | None = None
    pick: Literal["first", "join"] = "first"
    separator: str = ";"
    regex: str | None = None
    default: str | None = None
    map: dict[str, str] | None = None
    unmapped: Literal["reject", "keep", "blank"] = "reject"
    if_type: Literal["date", "boolean"] | None = None
    formats: list[str] | None = None
    ambiguous_dates: Literal["reject", "first"] | None = None
    reject_if: Pattern | None = None
    blank_if: Pattern | None = None
    json_: Literal["any", "object", "array"] | None = Field(None, alias="json")
    # issue 14: ordered rules (pattern and/or a condition on another field) tried before `map`
    cases: list[Case] | None = None
    # issue 14: a date plus a whole number of months read from other native field(s), e.g.
    # Snipe-IT's purchase date + `Warranty` months → warranty end; empty months → empty
    add_months: list[str] | None = None

    _list = field_validator("from_", "add_months", mode="before")(_as_list)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, v):
        return {"from": v} if isinstance(v, (str, list)) else v

    @model_validator(mode="after")
    def _check(self):
        given = [k for k, v in (("from", self.from_), ("value", self.value),
                                ("template", self.template)) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of `from` (native column or path), `value` (a "
                             f"constant) or `template` (got {', '.join(given) or 'none'})")
        if self.from_ is not None and not self.from_:
            raise ValueError("`from` lists no column or path")
        if self.regex is not None:
            try:
                rx = re.compile(self.regex)
            except re.error as exc:
                raise ValueError(f"regex '{self.regex}' does not compile: {exc}")
            if rx.groups > 1:
                raise ValueError(f"regex '{self.regex}' has {rx.groups} groups; use at most one "
                                 "(the part kept)")
        for f in self.formats or ():
            try:
                compile_format(f)
            except ValueError as exc:
                raise ValueError(str(exc))
        if self.template is not None and not re.search(r"\{[^{}]+\}", self.template):
            raise ValueError(f"template '{self.template}' has no {{column}} placeholder; use "
                             "`value` for a constant")
        return self

    def sources(self) -> list[str]:
        if self.from_ is not None:
            return list(self.from_)
        if self.template is not None:
            return re.findall(r"\{([^{}]+)\}", self.template)
        return []

    def all_sources(self) -> list[str]:
        """Every native field this spec reads (for the fidelity declaration)."""
        out = list(self.sources()) + list(self.add_months or [])
        for c in self.cases or ():
            for w in c.when or ():
                out += w.from_
        return out


def _field_map(v):
    if isinstance(v, dict):
        return {k: ({"from": x} if isinstance(x, (str, list)) else x) for k, x in v.items()}
    return v


class Target(_Model):
    entity: str
    explode: str | None = None
    when: When | None = None
    columns: dict[str, FieldSpec]
    extra: dict[str, FieldSpec] = {}

    _fields = field_validator("columns", "extra", mode="before")(_field_map)

    @field_validator("entity")
    @classmethod
    def _entity(cls, v: str) -> str:
        _entity_of(v)
        return v

    @field_validator("explode")
    @classmethod
    def _explode(cls, v):
        if v is not None:
            try:
                parse_path(v[2:] if v.startswith("$.") else v)
            except PathError as exc:
                raise ValueError(str(exc))
        return v

    @property
    def contract(self) -> Entity:
        return _entity_of(self.entity)


def _entity_of(name: str) -> Entity:
    if name.count("/") != 1:
        raise ValueError(f"'{name}' is not <source>/<entity> (e.g. cmdb/configuration_items)")
    source, ent = name.split("/")
    for e in ENTITIES:
        if e.source == source and e.name == ent:
            return e
    known = [f"{e.source}/{e.name}" for e in ENTITIES]
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]}?" if close else f"; known: {', '.join(known)}"
    raise ValueError(f"'{name}' is not an entity of the landing contract{hint}")


class Detect(_Model):
    """What a native file must show to be recognised as this input."""
    columns: list[str] = []      # csv: header names, all present (case-insensitive)
    keys: list[str] = []         # json / front matter: top-level keys, all present
    record_keys: list[str] = []  # json: keys of the first record, all present
    extensions: list[str] = []   # file name endings, e.g. [.csv]; empty = any


class Numbers(_Model):
    currency_symbols: list[str] = ["$", "€", "£", "¥"]
    thousands_separator: str | None = None
    decimal_separator: str = "."


class Booleans(_Model):
    true: list[str] = ["true", "1", "yes", "y", "t"]
    false: list[str] = ["false", "0", "no", "n", "f"]


class Dialect(_Model):
    description: str
    date_formats: list[str] | None = None
    ambiguous_dates: Literal["reject", "first"] | None = None
    numbers: Numbers | None = None
    null_values: list[str] | None = None
    booleans: Booleans | None = None

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, v):
        for f in v or ():
            compile_format(f)
        return v


class Input(_Model):
    description: str
    reader: Literal["csv", "json", "jsonl", "markdown_front_matter", "xml"]
    detect: Detect
    encoding: list[str] = ["utf-8"]
    delimiter: str = ","
    records_path: str | None = None
    null_values: list[str] = [""]
    date_formats: list[str] = ["iso"]
    ambiguous_dates: Literal["reject", "first"] = "reject"
    numbers: Numbers = Numbers()
    booleans: Booleans = Booleans()
    trim: bool = True
    targets: list[Target] = []
    not_mapped: str | None = None  # why a recognised file produces nothing
    # issue 14.3: a format-specific step between reading and mapping (dagster_project/mappings/
    # readers.py PREPARERS), e.g. glpi_inventory; default_timezone: the IANA zone it assumes for
    # local times that carry no offset.
    prepare: Literal["glpi_inventory"] | None = None
    default_timezone: str = "UTC"
    # issue 14: the fidelity declaration. Native fields the targets do not read, each with why it
    # is not used; together with the targets this lists every native field and where it lands
    # (docs/mappings.md's field tables are generated from it). A CSV column neither read nor
    # listed here is reported by every import as undeclared.
    unused: dict[str, str] = {}
    # issue 14: named dialects for non-conformant exports, chosen with `--dialect NAME`; each
    # overrides the input's reading rules (date_formats, ambiguous_dates, numbers, null_values,
    # booleans). Without --dialect the strict rules above apply and other values are rejected.
    dialects: dict[str, Dialect] = {}

    _enc = field_validator("encoding", mode="before")(_as_list)

    @field_validator("encoding")
    @classmethod
    def _encodings(cls, v: list[str]) -> list[str]:
        for name in v:
            try:
                codecs.lookup(name)
            except LookupError:
                raise ValueError(f"'{name}' is not an encoding Python knows (e.g. utf-8, cp1252, "
                                 "utf-16, latin-1)")
        if not v:
            raise ValueError("list at least one encoding")
        return v

    @field_validator("date_formats")
    @classmethod
    def _formats(cls, v: list[str]) -> list[str]:
        for f in v:
            compile_format(f)
        if not v:
            raise ValueError("list at least one date format")
        return v

    @field_validator("default_timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not an IANA time zone name (e.g. UTC, Europe/Paris)")
        return v

    @field_validator("delimiter")
    @classmethod
    def _delim(cls, v: str) -> str:
        if len(v) != 1:
            raise ValueError(f"delimiter must be one character, got '{v}'")
        return v

    @model_validator(mode="after")
    def _shape(self):
        if not self.targets and not self.not_mapped:
            raise ValueError("an input with no `targets` must say why in `not_mapped`")
        if self.reader == "csv":
            if self.records_path:
                raise ValueError("`records_path` is for json/jsonl/markdown_front_matter readers")
            if not self.detect.columns:
                raise ValueError("a csv input needs `detect.columns` (header names that identify it)")
        else:
            if self.detect.columns:
                raise ValueError("`detect.columns` is for csv inputs; use `detect.keys` / "
                                 "`detect.record_keys`")
            if not (self.detect.keys or self.detect.record_keys):
                raise ValueError(f"a {self.reader} input needs `detect.keys` or `detect.record_keys`")
        if self.records_path:
            try:
                parse_path(self.records_path)
            except PathError as exc:
                raise ValueError(f"records_path: {exc}")
        return self


class Mapping(_Model):
    system: str
    title: str
    description: str
    documentation: list[str] = []
    inputs: dict[str, Input]
    _source_file: str = PrivateAttr("")

    @property
    def source_file(self) -> str:
        return self._source_file

    @field_validator("system")
    @classmethod
    def _name(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", v):
            raise ValueError(f"'{v}' must be lower-case letters, digits and '-' (e.g. snipe-it)")
        return v

    @field_validator("inputs")
    @classmethod
    def _inputs(cls, v: dict) -> dict:
        if not v:
            raise ValueError("declare at least one input")
        for name in v:
            if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", name):
                raise ValueError(f"input name '{name}' must be lower-case letters, digits, '_', '-'")
        return v

    def with_dialect(self, name: str | None) -> Mapping:
        """The mapping with each input that declares dialect `name` reading by it."""
        if not name:
            return self
        having = [i for i, inp in self.inputs.items() if name in inp.dialects]
        if not having:
            known = sorted({d for inp in self.inputs.values() for d in inp.dialects})
            raise MappingError(f"{self.system} declares no dialect '{name}' (declared: "
                               f"{', '.join(known) or 'none'})")
        inputs = {}
        for iname, inp in self.inputs.items():
            d = inp.dialects.get(name)
            if d is None:
                inputs[iname] = inp
                continue
            upd = {k: getattr(d, k) for k in ("date_formats", "ambiguous_dates", "numbers",
                                              "null_values", "booleans")
                   if getattr(d, k) is not None}
            inputs[iname] = inp.model_copy(update=upd)
        out = self.model_copy(update={"inputs": inputs})
        out._source_file = self._source_file
        return out

    def input(self, name: str) -> Input:
        try:
            return self.inputs[name]
        except KeyError:
            raise MappingError(f"{self.system} has no input '{name}' (inputs: "
                               f"{', '.join(self.inputs)})")


# ---------------------------------------------------------------------------------------------
# Reading and validating
# ---------------------------------------------------------------------------------------------

class _Loader(NotesDuplicateKeys, yaml.BaseLoader):
    """YAML where every scalar stays text (no `no` → False, no 2024-01-01 → date, no `1` → int;
    pydantic converts where a number or flag is expected) and a key written twice in one block is
    an error instead of silently keeping the last."""

    def construct_mapping(self, node, deep=False):
        self.note_keys(node)
        return super().construct_mapping(node, deep=deep)


def read_yaml_text(text: str, name: str) -> tuple[object, list[str]]:
    """Parse YAML with all scalars as text; returns (data, problems)."""
    data, syntax, duplicates = parse(text, _Loader)
    if syntax is not None:
        return None, [f"{name}: {syntax.where}: YAML syntax error: {syntax.what}"]
    problems = [f"{name}: line {line}: key '{k}' is written twice in the same block (first at "
                f"line {first}); YAML would silently keep only the last" for k, line, first in duplicates]
    return data, problems


def _keypath(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _clean_loc(loc: tuple) -> tuple:
    # pydantic puts validator names (function-after[...]) and union branches in loc; drop them
    return tuple(p for p in loc if not (isinstance(p, str) and ("[" in p and "(" in p or
                                                                   p.startswith("function-"))))


def parse_mapping(data, name: str) -> Mapping:
    problems: list[str] = []
    if not isinstance(data, dict):
        raise MappingError(f"{name}: (top level): a mapping file is a set of `key: value` entries "
                           f"(system, title, description, inputs), not a {type(data).__name__}")
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as exc:
        for e in exc.errors():
            loc = _clean_loc(tuple(e["loc"]))
            msg = e["msg"]
            if e["type"] == "extra_forbidden":
                msg = f"unknown key '{loc[-1]}'"
                holder = _holder_keys(loc[:-1])
                close = difflib.get_close_matches(str(loc[-1]), holder, n=1)
                msg += f" (did you mean '{close[0]}'?)" if close else (
                    f" (allowed: {', '.join(holder)})" if holder else "")
            elif e["type"] == "missing":
                msg = f"required key '{loc[-1]}' is missing"
            elif msg.startswith("Value error, "):
                msg = msg[len("Value error, "):]
            problems.append(f"{name}: {_keypath(loc)}: {msg}")
        raise MappingError(problems)
    problems.extend(_meaning(mapping, name))
    if problems:
        raise MappingError(problems)
    mapping._source_file = name
    return mapping


def _holder_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] | None = Mapping
    i = 0
    while model is not None and i < len(loc):
        part = loc[i]
        field = next((f for n, f in model.model_fields.items() if (f.alias or n) == part), None)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        origin = getattr(ann, "__origin__", None)
        if origin is dict:
            model, i = args[1], i + 2
        elif origin is list:
            model, i = args[0], i + 2
        else:
            model = next((a for a in (args or (ann,)) if isinstance(a, type) and
                          issubclass(a, BaseModel)), None)
            i += 1
    if model is None or not (isinstance(model, type) and issubclass(model, BaseModel)):
        return []
    return [f.alias or n for n, f in model.model_fields.items()]


def _meaning(m: Mapping, name: str) -> list[str]:
    """Checks against the contract that need the entity of each target."""
    out: list[str] = []
    for iname, inp in m.inputs.items():
        for ti, t in enumerate(inp.targets):
            at = f"inputs.{iname}.targets[{ti}]"
            ent = t.contract
            if t.explode and inp.reader == "csv":
                out.append(f"{name}: {at}.explode: a csv row has no nested list to explode")
            unknown = [c for c in t.columns if c not in ent.column_names]
            for c in unknown:
                close = difflib.get_close_matches(c, ent.column_names, n=1)
                hint = f"did you mean '{close[0]}'?" if close else (
                    "put native extras under `extra`")
                out.append(f"{name}: {at}.columns.{c}: '{c}' is not a column of {t.entity} "
                           f"({hint})")
            for c in ent.required:
                if c not in t.columns:
                    out.append(f"{name}: {at}.columns: required column '{c}' of {t.entity} is "
                               "not mapped (give `from`, `value` or `template`)")
            for c in t.extra:
                if c in ent.column_names:
                    out.append(f"{name}: {at}.extra.{c}: '{c}' is a contract column; map it "
                               "under `columns`")
                if not re.fullmatch(r"[a-z][a-z0-9_]*", c):
                    out.append(f"{name}: {at}.extra.{c}: extra column names are lower_snake_case")
            for c, spec in list(t.columns.items()) + list(t.extra.items()):
                where = f"{at}.{'columns' if c in t.columns else 'extra'}.{c}"
                col = ent.column(c) if c in ent.column_names else None
                out.extend(_check_field(name, where, spec, col, inp))
    return out


def _check_field(name: str, where: str, spec: FieldSpec, col, inp: Input) -> list[str]:
    out = []
    kind = col.kind if col is not None else "text"
    for src in spec.sources():
        if src.startswith("$") and not src.startswith("$.") and src not in SPECIALS:
            out.append(f"{name}: {where}: '{src}' is not a known value (use one of "
                       f"{', '.join(SPECIALS)}, or '$.path' for the document root)")
        elif src.startswith("$.") and inp.reader == "csv":
            out.append(f"{name}: {where}: '{src}' reads a document root, which a csv file has "
                       "not; name the column")
        elif (inp.reader != "csv" and not src.startswith("$")) or src.startswith("$."):
            try:
                parse_path(src[2:] if src.startswith("$.") else src)
            except PathError as exc:
                out.append(f"{name}: {where}: {exc}")
    if spec.json_path:
        try:
            parse_path(spec.json_path)
        except PathError as exc:
            out.append(f"{name}: {where}.json_path: {exc}")
    if col is not None and col.kind == "enum":
        allowed = col.values
        if spec.value is not None and spec.value.lower() not in allowed:
            out.append(f"{name}: {where}.value: '{spec.value}' is not one of {', '.join(allowed)}")
        for k, v in (spec.map or {}).items():
            if v.lower() not in allowed:
                out.append(f"{name}: {where}.map.{k}: '{v}' is not one of {', '.join(allowed)}")
        if spec.map is None:
            for i, c in enumerate(spec.cases or ()):
                if c.value.lower() not in allowed:
                    out.append(f"{name}: {where}.cases[{i}].value: '{c.value}' is not one of "
                               f"{', '.join(allowed)}")
        if spec.default is not None and spec.map is None and spec.default.lower() not in allowed:
            out.append(f"{name}: {where}.default: '{spec.default}' is not one of "
                       f"{', '.join(allowed)}")
    if spec.if_type == "date" and kind not in ("date", "timestamp", "period"):
        out.append(f"{name}: {where}.if_type: 'date' needs a date or timestamp column "
                   f"(this one is {kind})")
    if spec.add_months and kind not in ("date", "timestamp"):
        out.append(f"{name}: {where}.add_months: needs a date column (this one is {kind})")
    if spec.if_type == "boolean" and kind != "boolean":
        out.append(f"{name}: {where}.if_type: 'boolean' needs a boolean column (this one is {kind})")
    if (spec.formats or spec.ambiguous_dates) and kind not in ("date", "timestamp", "period"):
        out.append(f"{name}: {where}: `formats`/`ambiguous_dates` apply to date and timestamp "
                   f"columns (this one is {kind})")
    if spec.json_ and kind != "text":
        out.append(f"{name}: {where}.json: JSON text is kept in text columns (this one is {kind})")
    return out


def load_mapping_file(path: Path) -> Mapping:
    name = path.name
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise MappingError(f"{path}: (file): no such mapping file")
    except UnicodeDecodeError as exc:
        raise MappingError(f"{name}: (file): mapping files are UTF-8 ({exc.reason} at byte "
                           f"{exc.start})")
    data, problems = read_yaml_text(text, name)
    if data is None:
        raise MappingError(problems)
    try:
        mapping = parse_mapping(data, name)
    except MappingError as exc:
        raise MappingError(problems + exc.problems)
    if problems:
        raise MappingError(problems)
    return mapping

