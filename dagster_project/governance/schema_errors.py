"""pydantic schema errors turned into governance-readable problems, and the "partial" model of a
file with schema errors that lets the semantic checks still run on the rest of it.

The checks run on every file, also on one with schema errors: such a file is rebuilt "partially"
(every value that failed its schema becomes INVALID, everything else is kept), so a single typo
does not hide the other problems. Checks skip INVALID values (their problem is already listed),
and checks that need the whole file (inheritance, coverage) run only on a schema-valid file."""
from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from dagster_project.governance.problems import Problem
from dagster_project.governance.schema import FILE_MODELS, PATTERN_WORDS


def _unwrap(t):
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(t) if a is not type(None)]
            if len(args) != 1:
                return t
            t = args[0]
        else:
            return t


def _field_at(model: type[BaseModel], loc: tuple):
    """The FieldInfo of the last key of loc (None when it is not a model field)."""
    holder = _model_at(model, loc[:-1]) if loc else None
    if holder is None:
        return None
    return next((f for n, f in holder.model_fields.items() if (f.alias or n) == loc[-1]), None)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    t: Any = model
    for part in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            f = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if f is None:
                return None
            t = f.annotation
        elif get_origin(t) is dict:
            t = get_args(t)[1]
        elif get_origin(t) is list:
            t = get_args(t)[0]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def key_path(data: Any, loc: tuple) -> str:
    """Key path for humans: dict keys joined by '.', list items as [rule-id] or [#n] (1-based)."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            out += f"[{ident}]" if isinstance(ident, (str, int)) and str(ident) else f"[#{part + 1}]"
            node = item
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def schema_problems(file: str, data: dict, exc: ValidationError) -> list[Problem]:
    model = FILE_MODELS[file]
    out: list[Problem] = []
    for e in exc.errors():
        loc, kind, value = tuple(e["loc"]), e["type"], e.get("input")
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            key = loc[-1] if loc else value
            rx = (e.get("ctx") or {}).get("pattern")
            problem = f"name '{key}' is not allowed here"
            fix = f"write it as {PATTERN_WORDS.get(rx, 'a valid name')}" if rx else "rename it"
            out.append(Problem(file, key_path(data, loc), problem, fix))
            continue
        path = key_path(data, loc)
        if kind == "extra_forbidden":
            holder = _model_at(model, loc[:-1])
            allowed = _keys(holder) if holder else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            out.append(Problem(file, path, f"unknown key '{loc[-1]}'",
                               f"{hint}allowed keys here: {', '.join(allowed)}"))
            continue
        info = _field_at(model, loc)
        desc = info.description if info is not None and info.description else None
        if desc is None:  # a value inside a field (a dict entry, a list item): the field's description
            for n in range(len(loc) - 1, 0, -1):
                outer = _field_at(model, loc[:n])
                if outer is not None and outer.description:
                    desc = f"a value as in: {outer.description}"
                    break
        if kind == "missing":
            out.append(Problem(file, path, "required key is missing",
                               f"add `{loc[-1]}:`" + (f" ({desc})" if desc else "")))
        elif kind == "literal_error":
            out.append(Problem(file, path, f"{value!r} is not an allowed value",
                               f"use {e['ctx']['expected']}"))
        elif kind == "string_pattern_mismatch":
            rx = e["ctx"]["pattern"]
            out.append(Problem(file, path, f"{value!r} is not valid",
                               f"write {PATTERN_WORDS.get(rx, desc or 'a valid value')}"))
        elif kind == "value_error":
            out.append(Problem(file, path, e["msg"].removeprefix("Value error, "),
                               f"expected {desc}" if desc else "see docs/taxonomy.md"))
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
            shown = "nothing" if value is None else repr(value)
            out.append(Problem(file, path, f"{msg} (found {shown})",
                               f"write {desc}" if desc else "correct the value"))
    return out

class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


def any_invalid(*values) -> bool:
    return any(v is INVALID for v in values)


def _annotation(info) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def partial_model(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        return INVALID
    values = {}
    keys = {info.alias or name for name, info in model.model_fields.items()}
    misspelt = any(k not in keys for k in data)  # an absent optional key may be the misspelt one
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in data:
            values[name] = _partial_value(_annotation(info), data[key])
        elif info.is_required() or misspelt:
            values[name] = INVALID
        else:
            values[name] = info.get_default(call_default_factory=True)
    return model.model_construct(**values)


def _partial_value(tp: Any, value: Any) -> Any:
    try:
        return TypeAdapter(tp).validate_python(value)
    except ValidationError:
        pass
    base = _unwrap(tp)
    origin = get_origin(base)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return partial_model(base, value)
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return INVALID
        key_type, value_type = get_args(base)
        out = {}
        for k, v in value.items():
            try:
                TypeAdapter(key_type).validate_python(k)
            except ValidationError:
                continue  # a bad name is reported; the entry cannot be referred to anyway
            out[k] = _partial_value(value_type, v)
        return out
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            return INVALID
        (item_type,) = get_args(base)
        return [_partial_value(item_type, v) for v in value]  # positions kept for key paths
    return INVALID
