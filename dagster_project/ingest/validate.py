"""Typing and validation of a string table in DuckDB, vectorised: one SELECT per file.

`file_queries(entity, columns, stage)` returns two queries over the registered string table
`stage` (c0..cN, _row_number): `bad_rows` yields the invalid rows with `_errors`, a list of
{column_name, value, reason}; `valid_rows` yields every contract column present in the file,
typed per contract.KIND_TYPES, `_extra` (JSON of the unknown columns, or NULL) and `_row_number`.
Only invalid rows are materialised; valid rows go straight into raw.<entity>.

Rules per kind (after trimming surrounding whitespace; an empty or blank value is NULL):
  text      kept exactly as delivered (not trimmed)
  enum      lower-cased and trimmed, must be one of the contract values
  date      YYYY-MM-DD, a real calendar date
  timestamp ISO 8601: YYYY-MM-DD[(T| )HH:MM[:SS[.fraction]]][Z|±HH[:MM]]; no zone = UTC;
            stored as the UTC TIMESTAMP
  money, number  decimal: [+-]digits[.digits][e±exp]; no thousands separator, no currency sign;
            must fit DECIMAL(18,4) (more than 4 decimals are rounded)
  integer   [+-]digits (a trailing .0 is accepted), fits BIGINT
  boolean   true/false/1/0/yes/no, any case
  period    YYYY-MM
A required column whose value is NULL after this is an error ("required value is missing").
Every column, extra ones included, is refused when it holds a control character (C0 other than
tab, line feed and carriage return, or DEL; NUL included): such values break XLSX and CSV
consumers downstream (docs/decisions/control-characters.md). A typed value outside its
plausibility range (taxonomy/plausibility.yaml, `ranges`) is an error of rule `plausibility`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dagster_project.contract import Column, Entity

WS = " \t\r\n\f\v\u00a0"
DATE_RE = r"\d{4}-\d{2}-\d{2}"
TS_RE = (r"^(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?))?"
         r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$")
NUM_RE = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
INT_RE = r"[+-]?\d+(?:\.0*)?"
PERIOD_RE = r"\d{4}-(?:0[1-9]|1[0-2])"
TRUE_WORDS = ("true", "1", "yes")
FALSE_WORDS = ("false", "0", "no")
ERROR_TYPE = "STRUCT(column_name VARCHAR, value VARCHAR, reason VARCHAR, rule VARCHAR)"
# C0 controls except tab, LF, CR; and DEL. (RE2 syntax; openpyxl refuses exactly these in cells.)
CONTROL_RE = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x7F]"

EXPECTED = {
    "date": "is not a date (expected YYYY-MM-DD)",
    "timestamp": "is not an ISO 8601 timestamp (expected YYYY-MM-DD[THH:MM[:SS[.fff]]][Z|+HH:MM])",
    "money": "is not a decimal number (expected e.g. 1234.56: no currency sign, no thousands separator, '.' as decimal point)",
    "number": "is not a decimal number (expected e.g. 1234.56: no thousands separator, '.' as decimal point)",
    "integer": "is not an integer",
    "boolean": "is not a boolean (expected true/false/1/0/yes/no)",
    "period": "is not a period (expected YYYY-MM)",
}


def lit(s: str) -> str:
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def ident(s: str) -> str:
    return '"' + s.replace('"', '""') + '"'


def _in_list(words) -> str:
    return "(" + ", ".join(lit(w) for w in words) + ")"


def _typed_expr(c: Column, j: int) -> str:
    """The typed value of contract column c (present as r{j}/t{j}/p{j} in the inner query)."""
    t, r = f"t{j}", f"r{j}"
    k = c.kind
    if k == "text":
        return f"CASE WHEN {t} IS NULL THEN NULL ELSE {r} END"
    if k == "enum":
        return f"CASE WHEN lower({t}) IN {_in_list(c.values)} THEN lower({t}) END"
    if k == "date":
        return f"CASE WHEN regexp_full_match({t}, {lit(DATE_RE)}) THEN TRY_CAST({t} AS DATE) END"
    if k == "timestamp":
        p = f"p{j}"
        tz = f"replace({p}.tz, ':', '')"
        offset_min = (
            f"(CASE WHEN {p}.tz IN ('', 'Z', 'z') THEN 0 ELSE "
            f"(CASE WHEN left({p}.tz, 1) = '-' THEN -1 ELSE 1 END) * "
            f"(CAST(substr({tz}, 2, 2) AS INTEGER) * 60 + "
            f"CASE WHEN length({tz}) = 5 THEN CAST(substr({tz}, 4, 2) AS INTEGER) ELSE 0 END) END)")
        local = (f"TRY_CAST({p}.d || ' ' || coalesce(nullif(replace({p}.tm, ',', '.'), ''), '00:00:00') "
                 f"AS TIMESTAMP)")
        return f"CASE WHEN {p}.d <> '' THEN {local} - to_minutes({offset_min}) END"
    if k in ("money", "number"):
        return f"CASE WHEN regexp_full_match({t}, {lit(NUM_RE)}) THEN TRY_CAST({t} AS {c.sql_type}) END"
    if k == "integer":
        return f"CASE WHEN regexp_full_match({t}, {lit(INT_RE)}) THEN TRY_CAST({t} AS BIGINT) END"
    if k == "boolean":
        return (f"CASE WHEN lower({t}) IN {_in_list(TRUE_WORDS)} THEN true "
                f"WHEN lower({t}) IN {_in_list(FALSE_WORDS)} THEN false END")
    if k == "period":
        return f"CASE WHEN regexp_full_match({t}, {lit(PERIOD_RE)}) THEN {t} END"
    raise ValueError(f"unknown column kind {k!r} for {c.name}")


def _shown(r: str) -> str:
    """The delivered value quoted for a message, cut at 80 characters."""
    return (f"'''' || CASE WHEN length({r}) > 80 THEN left({r}, 77) || '...' ELSE {r} END || ''''")


def _shown_value(r: str) -> str:
    """The delivered value for audit.quarantine.value: as delivered, or JSON-escaped when it
    holds control characters (so no NUL or escape sequence is stored raw)."""
    return f"CASE WHEN regexp_matches({r}, {lit(CONTROL_RE)}) THEN CAST(to_json({r}) AS VARCHAR) ELSE {r} END"


def _control_error(name: str, r: str) -> str:
    code = f"printf('U+%04X', unicode(regexp_extract({r}, {lit(CONTROL_RE)})))"
    return (f"WHEN regexp_matches({r}, {lit(CONTROL_RE)}) THEN {{'column_name': {lit(name)}, "
            f"'value': {_shown_value(r)}, 'reason': {lit(name + ': contains control character ')} || {code} "
            f"|| {lit(' (not allowed in exports: remove it at the source)')}, 'rule': 'control_characters'}}")


def range_statements(entity: Entity, columns: list[str], typed: str, stage: str,
                     ranges: dict | None, export_date: date | None) -> list[str]:
    """UPDATEs of the materialised typed table `typed` adding a `plausibility` error to each row
    whose typed value lies outside its range (rules.Range per column). They run on the stored
    values, so the parsing expressions are not evaluated again; the delivered text for the
    message comes from the staged file `stage` (c0..cN, the file's `columns`)."""
    out = []
    for c in entity.columns:
        rng = (ranges or {}).get(c.name)
        if rng is None or c.name not in columns:
            continue
        v = f"t.{ident(c.name)}"
        typed_kind = "DATE" if c.kind == "date" else "TIMESTAMP" if c.kind == "timestamp" else c.sql_type
        dated = c.kind in ("date", "timestamp")
        bounds, words = [], []
        if rng.min is not None:
            bounds.append(f"{v} < CAST({lit(str(rng.min))} AS {typed_kind})")
            words.append(f"before {rng.min}" if dated else f"below {rng.min}")
        hi = rng.max_for(export_date)
        if hi is not None:
            bounds.append(f"{v} >= CAST({lit(str(hi))} AS DATE) + INTERVAL 1 DAY" if c.kind == "timestamp"
                          else f"{v} > CAST({lit(str(hi))} AS {typed_kind})")
            words.append(f"after {hi}" if dated else f"above {rng.max}")
        if not bounds:
            continue
        why = lit(" is implausible (" + " or ".join(words) + f"; plausibility range {rng.describe()} "
                  "in taxonomy/plausibility.yaml)")
        error = (f"[{{'column_name': {lit(c.name)}, 'value': s.r, 'reason': {lit(c.name + ': ')} || "
                 f"{_shown('s.r')} || {why}, 'rule': 'plausibility'}}]")
        out.append(
            f"UPDATE {typed} AS t SET _errors = list_concat(coalesce(t._errors, []), {error}) "
            f"FROM (SELECT _row_number, c{columns.index(c.name)} AS r FROM {stage}) s "
            f"WHERE s._row_number = t._row_number AND {v} IS NOT NULL AND ({' OR '.join(bounds)})")
    return out


def _error_expr(c: Column, j: int) -> str | None:
    """A {column_name, value, reason, rule} struct when the value of c is unusable, else NULL."""
    t, r, v = f"t{j}", f"r{j}", f"v{j}"

    def err(reason_sql: str, rule: str = "contract") -> str:
        return (f"{{'column_name': {lit(c.name)}, 'value': {_shown_value(r)}, 'reason': {reason_sql}, "
                f"'rule': {lit(rule)}}}")

    whens = [_control_error(c.name, r)]
    if c.required:
        whens.append(f"WHEN {t} IS NULL THEN {err(lit(c.name + ': required value is missing'))}")
    if c.kind != "text":
        if c.kind == "enum":
            why = lit(" is not one of " + ", ".join(c.values))
        elif c.kind in ("money", "number"):
            # A well-formed number that does not fit is out of range, not malformed.
            why = (f"CASE WHEN regexp_full_match({t}, {lit(NUM_RE)}) "
                   f"THEN {lit(' is out of range for ' + c.sql_type)} ELSE {lit(' ' + EXPECTED[c.kind])} END")
        elif c.kind == "integer":
            why = (f"CASE WHEN regexp_full_match({t}, {lit(INT_RE)}) "
                   f"THEN {lit(' is out of range for BIGINT')} ELSE {lit(' ' + EXPECTED[c.kind])} END")
        else:
            why = lit(" " + EXPECTED[c.kind])
        whens.append(f"WHEN {t} IS NOT NULL AND {v} IS NULL THEN "
                     f"{err(lit(c.name + ': ') + ' || ' + _shown(r) + ' || ' + why)}")
    return "CASE " + " ".join(whens) + " END"


_WS_CODES = "(" + ", ".join(str(ord(ch)) for ch in WS) + ")"


def _trimmed(col: str) -> str:
    """Trimmed, NULL when blank. trim() with a character set is slow in DuckDB, so it only runs
    on values that start or end with whitespace."""
    return (f"CASE WHEN {col} = '' THEN NULL "
            f"WHEN ascii({col}) IN {_WS_CODES} OR ascii(right({col}, 1)) IN {_WS_CODES} "
            f"THEN nullif(trim({col}, {lit(WS)}), '') ELSE {col} END")


def _blank_to_null(col: str) -> str:
    """As delivered, NULL when empty or whitespace only (a blank value starts with whitespace)."""
    return (f"CASE WHEN {col} = '' THEN NULL WHEN ascii({col}) NOT IN {_WS_CODES} THEN {col} "
            f"WHEN trim({col}, {lit(WS)}) = '' THEN NULL ELSE {col} END")


@dataclass
class FileQueries:
    present: list[str]      # contract columns the file provides, in contract order
    typed_rows: str         # SELECT <present columns typed>, _extra, _row_number, _errors: every
                            # row once; _errors (a list of ERROR_TYPE) is NULL on a valid row


def file_queries(entity: Entity, columns: list[str], stage: str) -> FileQueries:
    """SQL over the staged string table `stage` (c0..cN, _row_number)."""
    pos = {name: i for i, name in enumerate(columns)}
    present = [(j, c, pos[c.name]) for j, c in enumerate(entity.columns) if c.name in pos]
    contract_names = set(entity.column_names)
    extras = [(name, i) for i, name in enumerate(columns) if name not in contract_names]

    # level 1: raw value r; t = trimmed (typed kinds) or as delivered (text), NULL when blank;
    # _ctl: the row holds a control character somewhere (one scan of the whole row)
    l1 = ["_row_number"]
    for j, c, i in present:
        l1.append(f"c{i} AS r{j}")
        l1.append(f"{_blank_to_null(f'c{i}') if c.kind == 'text' else _trimmed(f'c{i}')} AS t{j}")
    for _, i in extras:
        l1.append(f"c{i} AS x{i}")
    if extras:
        l1.append("json_object(" + ", ".join(f"{lit(n)}, {_blank_to_null(f'c{i}')}" for n, i in extras)
                  + ") AS _extra")
    else:
        l1.append("CAST(NULL AS JSON) AS _extra")
    every = [f"c{i}" for i in range(len(columns))]
    l1.append(f"regexp_matches(concat_ws('', {', '.join(every)}), {lit(CONTROL_RE)}) AS _ctl"
              if every else "false AS _ctl")
    # level 2: parse helpers (timestamp parts)
    l2 = ["*"]
    for j, c, _ in present:
        if c.kind == "timestamp":
            l2.append(f"regexp_extract(t{j}, {lit(TS_RE)}, ['d', 'tm', 'tz']) AS p{j}")
    # level 3: typed values
    l3 = ["*"] + [f"{_typed_expr(c, j)} AS v{j}" for j, c, _ in present]
    inner = (f"(SELECT {', '.join(l3)} FROM (SELECT {', '.join(l2)} FROM "
             f"(SELECT {', '.join(l1)} FROM {stage})))")

    oks, errs = ["NOT coalesce(_ctl, false)"], []
    for j, c, _ in present:
        if c.required:
            oks.append(f"t{j} IS NOT NULL")
        if c.kind != "text":
            oks.append(f"(t{j} IS NULL OR v{j} IS NOT NULL)")
        errs.append(_error_expr(c, j))
    for name, i in extras:
        errs.append(f"CASE {_control_error(name, f'x{i}')} END")
    ok = " AND ".join(oks)
    errors = f"list_filter([{', '.join(errs)}], x -> x IS NOT NULL)"
    out = [f"v{j} AS {ident(c.name)}" for j, c, _ in present] + ["_extra", "_row_number"]
    typed_rows = (f"SELECT {', '.join(out)}, CASE WHEN NOT ({ok}) THEN {errors} END AS _errors "
                  f"FROM {inner}")
    return FileQueries([c.name for _, c, _ in present], typed_rows)


def record_json(columns: list[str]) -> str:
    """The whole delivered record as a JSON object (for the quarantine)."""
    return "json_object(" + ", ".join(f"{lit(n)}, c{i}" for i, n in enumerate(columns)) + ")"
