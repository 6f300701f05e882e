"""`itam taxonomy eol-suggest`: installed products, operating systems and firmware that no
taxonomy eol_products rule maps to an endoflife.date product yet, each with the catalogue
products (reference/eol_cycles as loaded) whose id its name resembles, and a rule to start from.

It reads the published warehouse and suggests; it never edits the taxonomy: a person decides
which product and cycle a name means (docs/decisions/software-eol.md).
"""
from __future__ import annotations

import difflib
import re
from pathlib import Path

import duckdb

# What each basis reads, as fct_software_eol does, and where its texts come from.
_TEXTS = {
    "software": """select product_name as name, nullif(trim(concat_ws(' ', product_name, version)), '') as text,
                          count(distinct asset_id) as devices
                   from intermediate.int_software_installs
                   where as_of_date = ? and in_window and asset_id is not null group by all""",
    "os": """select os_name as name, nullif(trim(concat_ws(' ', os_name, os_version)), '') as text,
                    count(distinct asset_id) as devices
             from intermediate.int_device_assets where as_of_date = ? and os_name is not null group by all""",
    "firmware": """select manufacturer as name, nullif(trim(concat_ws(' ', manufacturer, firmware)), '') as text,
                          count(distinct asset_id) as devices
                   from intermediate.int_device_assets where as_of_date = ? and firmware is not null group by all""",
}


def _tokens(text: str) -> list[str]:
    return [t for t in re.split(r"[^a-z0-9]+", text.lower()) if t]


def suggest_products(name: str, catalogue: list[str]) -> list[str]:
    """Catalogue product ids the name resembles: ids whose every part is a word of the name
    (`windows-server` in 'Microsoft Windows Server 2019'), else close spellings."""
    words = _tokens(name)
    joined = "-".join(words)
    hits = [p for p in catalogue if all(t in words for t in _tokens(p)) or p in joined]
    if hits:
        return sorted(hits, key=lambda p: -len(p))[:3]
    return difflib.get_close_matches(joined, catalogue, n=3, cutoff=0.75)


def suggestions(warehouse: Path, limit: int = 50) -> tuple[str, list[dict]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        (as_of,) = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()
        catalogue = [r[0] for r in con.execute(
            "select distinct product from intermediate.int_eol_cycles where as_of_date = ? order by 1",
            [as_of]).fetchall()]
        matched = {(b, t) for b, t in con.execute(
            "select distinct basis, matched_text from marts.fct_software_eol where as_of_date = ?",
            [as_of]).fetchall()}
        out = []
        for basis, sql in _TEXTS.items():
            by_name: dict[str, dict] = {}
            for name, text, devices in con.execute(sql, [as_of]).fetchall():
                if text is None or (basis, text) in matched:
                    continue
                row = by_name.setdefault(name, {"basis": basis, "name": name, "devices": 0, "example": text})
                row["devices"] += devices
            for row in by_name.values():
                row["products"] = suggest_products(row["name"], catalogue)
                out.append(row)
    finally:
        con.close()
    # what the catalogue knows first, then by how many devices would gain a date
    out.sort(key=lambda r: (not r["products"], -r["devices"], r["basis"], r["name"]))
    return str(as_of), out[:limit]


def rule_stub(row: dict) -> str:
    """A YAML line to start a rule from: the name's words up to its first number, then the
    first version number of the text as the cycle (to be checked against the product's page)."""
    product = row["products"][0] if row["products"] else "<endoflife.date product>"
    words = []
    for w in row["name"].lower().split():
        if re.match(r"\d", w):
            break
        words.append(re.escape(w))
    regex = " ".join(words or [re.escape(row["name"].lower())]) + r"\D*(\d+(?:\.\d+)?)"
    rid = "-".join(_tokens(" ".join(row["name"].split()[:len(words) or None])))[:40] or "rule"
    as_yaml = regex.replace("\\", "\\\\").replace('"', '\\"')
    return (f'- {{id: {rid}, match: {row["basis"]}, pattern: "{as_yaml}", product: {product}, '
            f'cycle: "\\\\1"}}')
