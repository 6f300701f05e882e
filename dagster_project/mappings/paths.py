"""A small path language for nested records (JSON, YAML front matter).

    content.hardware.name                   key after key
    content.networks[0].mac                 list item by position (0-based)
    content.networks[*].mac                 every item (a list met without [...] is walked too)
    content.networks[?virtualdev!=true].mac items whose key is (or is not) a value
    content.network_device.ips[?@!=127.0.0.1]   '@' is the item itself

A key that itself contains dots (ServiceNow's dot-walked `assigned_to.email`) is found as written
before the path is split. Evaluation returns every value reached, in document order; the mapping
then picks the first non-empty one (or joins them).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

_SEGMENT = re.compile(r"^([^\[\]]*)((?:\[[^\[\]]*\])*)$")
_SELECTOR = re.compile(r"\[([^\[\]]*)\]")
_COND = re.compile(r"^\?\s*([^=!]+?)\s*(!=|=)\s*(.*?)\s*$")


class PathError(ValueError):
    pass


@dataclass(frozen=True)
class Selector:
    kind: str  # all | index | where
    index: int = 0
    key: str = ""
    op: str = "="
    value: str = ""


@dataclass(frozen=True)
class Segment:
    name: str
    selectors: tuple[Selector, ...]


def _split(path: str) -> list[str]:
    parts, depth, cur = [], 0, []
    for ch in path:
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        if ch == "." and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


@cache
def parse_path(path: str) -> tuple[Segment, ...]:
    if not path or not path.strip():
        raise PathError("empty path")
    out = []
    for raw in _split(path):
        m = _SEGMENT.match(raw)
        if not m or (not m.group(1) and not m.group(2)):
            raise PathError(f"'{raw}' in '{path}' is not a key, key[N], key[*] or key[?k=v]")
        sels = []
        for sel in _SELECTOR.findall(m.group(2)):
            sel = sel.strip()
            if sel == "*":
                sels.append(Selector("all"))
            elif re.fullmatch(r"-?\d+", sel):
                sels.append(Selector("index", index=int(sel)))
            else:
                c = _COND.match(sel)
                if not c:
                    raise PathError(f"'[{sel}]' in '{path}' is not [N], [*] or [?key=value]")
                sels.append(Selector("where", key=c.group(1), op=c.group(2), value=c.group(3)))
        out.append(Segment(m.group(1), tuple(sels)))
    return tuple(out)


def _text(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _holds(item, sel: Selector) -> bool:
    if sel.key == "@":
        got = item if not isinstance(item, (dict, list)) else None
    else:
        got = item.get(sel.key) if isinstance(item, dict) else None
    same = _text(got) is not None and _text(got).casefold() == sel.value.casefold()
    return same if sel.op == "=" else not same


def _apply(values: list, sel: Selector) -> list:
    out = []
    for v in values:
        if sel.kind == "all":
            out.extend(v if isinstance(v, list) else [v])
        elif sel.kind == "index":
            if isinstance(v, list) and -len(v) <= sel.index < len(v):
                out.append(v[sel.index])
        else:
            items = v if isinstance(v, list) else [v]
            out.extend(i for i in items if _holds(i, sel))
    return out


def evaluate(obj, path: str) -> list:
    """Every value the path reaches in obj (lists at the end are flattened)."""
    if isinstance(obj, dict) and path in obj:
        found = [obj[path]]
    else:
        current = [obj]
        for seg in parse_path(path):
            nxt = []
            for c in current:
                if seg.name:
                    items = c if isinstance(c, list) else [c]
                    for it in items:
                        if isinstance(it, dict) and seg.name in it:
                            nxt.append(it[seg.name])
                else:
                    nxt.append(c)
            for sel in seg.selectors:
                nxt = _apply(nxt, sel)
            current = nxt
            if not current:
                return []
        found = current
    out = []
    for v in found:
        if isinstance(v, list) and all(not isinstance(i, (dict, list)) for i in v):
            out.extend(v)
        else:
            out.append(v)
    return out
