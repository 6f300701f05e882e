"""How numbers, money and column names read to a person: the one formatter of the project.

Used by the dashboards (tiles, captions, tables via st.column_config) and by anything that
renders text for a human (workbook titles, cover sheets, summaries). Tables keep numbers as
numbers and get a display format; text built in Python goes through these functions.

- money on a tile: the reporting currency's symbol and an abbreviation (`€11.3M`);
- money in a table or a sentence: full precision with thousands separators (`€11,345,516.61`);
- a change of a percentage: percentage points (`+1.2 pp`), never `%` of a `%`;
- anything missing: `—` (never `None`, `nan`, `NaT` or an empty string);
- column names: human labels (`true_up_exposure` → `True-up exposure`, `asset_id` → `Asset ID`).

Currency symbols and abbreviations come from Babel (CLDR data), so any ISO 4217 code a policy
declares reads correctly without a table kept here.
"""
from __future__ import annotations

from babel.numbers import format_compact_currency, format_compact_decimal, get_currency_symbol

LOCALE = "en"    # number grammar (',' thousands, '.' decimals); the currency comes from the policy
MISSING = "—"    # what every missing value reads as


def is_missing(x) -> bool:
    """None, NaN, NaT, pandas NA or an empty string."""
    if x is None:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return bool(x != x) or str(x) in ("NaT", "<NA>")  # NaN/NaT are not equal to themselves
    except (TypeError, ValueError):  # pandas NA raises on bool()
        return True


def _float(x) -> float:
    return float(x)  # Decimal from DuckDB, numpy scalars, int


def currency_symbol(currency: str | None) -> str:
    """`€` for EUR, `$` for USD, `CHF` for CHF: the symbol a reader of English expects."""
    if not currency:
        return ""
    return get_currency_symbol(currency, locale=LOCALE)


def number(x, digits: int = 0) -> str:
    """`11,345,517` (digits after the point as asked)."""
    if is_missing(x):
        return MISSING
    return f"{_float(x):,.{digits}f}"


def count(x) -> str:
    return number(x, 0)


def money(x, currency: str | None, digits: int = 2) -> str:
    """Full precision for tables and sentences: `€11,345,516.61`, `-€1,200.00`."""
    if is_missing(x):
        return MISSING
    v = _float(x)
    sign = "-" if v < 0 else ""
    sym = currency_symbol(currency)
    sep = " " if sym[-1:].isalpha() else ""  # `CHF 1,200.00` but `€1,200.00`
    return f"{sign}{sym}{sep}{abs(v):,.{digits}f}"


def money_short(x, currency: str | None) -> str:
    """For tiles: `€11.3M`, `€845.2K`, `€950` (abbreviated past a thousand, one decimal)."""
    if is_missing(x):
        return MISSING
    v = _float(x)
    if abs(v) < 1000:
        return money(round(v), currency, 0)
    if not currency:
        return format_compact_decimal(v, locale=LOCALE, fraction_digits=1)
    return format_compact_currency(v, currency, locale=LOCALE, fraction_digits=1)


def percent(x, digits: int = 1) -> str:
    """A value already in percent (0–100): `93.4%`."""
    if is_missing(x):
        return MISSING
    return f"{_float(x):,.{digits}f}%"


def signed(x, digits: int = 0) -> str:
    """A change of a count: `+12`, `-3`, `0`."""
    if is_missing(x):
        return MISSING
    v = _float(x)
    return f"{0:.{digits}f}" if round(v, digits) == 0 else f"{v:+,.{digits}f}"


def pp(x, digits: int = 1) -> str:
    """A change of a percentage, in percentage points: `+1.2 pp`."""
    if is_missing(x):
        return MISSING
    return f"{signed(x, digits)} pp"


def money_change(x, currency: str | None) -> str:
    """A change of a money figure, abbreviated like its tile: `+€1.2M`, `-€300`."""
    if is_missing(x):
        return MISSING
    v = _float(x)
    if round(v) == 0:
        return money_short(0, currency)
    return ("+" if v > 0 else "") + money_short(v, currency)


# KPI units as fct_governance_kpis declares them: count, pct (0-100) or currency.
def value(x, unit: str, currency: str | None = None, *, short: bool = True) -> str:
    """A KPI value in its unit (tiles abbreviate money; short=False for tables and sentences)."""
    if unit == "currency":
        return money_short(x, currency) if short else money(x, currency)
    if unit == "pct":
        return percent(x)
    return count(x)


def change(x, unit: str, currency: str | None = None) -> str:
    """A KPI change in its unit: `+€1.2M`, `+1.2 pp`, `+12`."""
    if unit == "currency":
        return money_change(x, currency)
    if unit == "pct":
        return pp(x)
    return signed(x)


# Words that keep their own spelling inside a label.
_WORDS = {
    "id": "ID", "ids": "IDs", "tco": "TCO", "gl": "GL", "cmdb": "CMDB", "saas": "SaaS", "os": "OS",
    "eol": "EOL", "fx": "FX", "sku": "SKU", "vm": "VM", "vms": "VMs", "cpu": "CPU", "ci": "CI",
    "cis": "CIs", "it": "IT", "url": "URL", "pct": "%", "kpi": "KPI", "kpis": "KPIs", "nbv": "NBV",
    "gx": "GX", "csv": "CSV", "xlsx": "XLSX", "sql": "SQL", "ram": "RAM", "po": "PO",
}
# Whole names whose plain reading is wrong or unclear.
_LABELS = {
    "true_up_exposure": "True-up exposure",
    "as_of_date": "As of",
    "prior_as_of_date": "Prior as of",
    "accountable_owner": "Owner",
    "asset_class": "Class",
    "cost_center": "Cost center",
    "cost_center_name": "Cost center name",
    "change_pct": "Change %",
    "value_text": "Detail",
    "tco_annualised": "TCO per year",
}


def label(column: str) -> str:
    """A human column header: `true_up_exposure` → `True-up exposure`, `asset_id` → `Asset ID`."""
    if column in _LABELS:
        return _LABELS[column]
    words = [w for w in str(column).replace("-", "_").split("_") if w]
    if not words:
        return str(column)
    out = [_WORDS.get(w.lower(), w.lower()) for w in words]
    first = out[0]
    if first == words[0].lower():
        out[0] = first[:1].upper() + first[1:]
    return " ".join(out)


def printf_money(currency: str | None, digits: int = 2) -> str:
    """A printf format (Streamlit's NumberColumn) with the symbol and thousands separators."""
    sym = currency_symbol(currency).replace("%", "%%")
    sep = " " if sym[-1:].isalpha() else ""
    return f"{sym}{sep}%,.{digits}f"


def excel_money_format(currency: str | None, digits: int = 2) -> str:
    """An Excel/openpyxl number format showing the currency symbol and thousands separators."""
    sym = currency_symbol(currency).replace('"', "")
    frac = ("." + "0" * digits) if digits else ""
    body = f'"{sym}"#,##0{frac}' if sym else f"#,##0{frac}"
    return f"{body};-{body}"
