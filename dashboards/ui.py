"""Small shared page pieces: headers, notices for marts not built yet or empty selections, and
how a table's columns read (labels and number formats from dagster_project.formatting)."""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

from dagster_project import formatting as fmt
from dashboards.data import currency, has, query
from dashboards.filters import Filters


def header(title: str, f: Filters, intro: str | None = None) -> None:
    st.title(title)
    st.caption(f.describe() + (f" · money in {currency()}" if currency() else ""))
    if intro:
        st.markdown(intro)


def built(table: str, what: str, *cols: str) -> bool:
    """True when the mart is published (with the columns named); else a clear notice."""
    if has(table, *cols):
        return True
    if has(table):
        st.info(f"**{what}**: `{table}` is published but lacks the columns {', '.join(cols)}; "
                "this section needs a newer build (`itam build`).", icon=":material/construction:")
    else:
        st.info(f"**{what}**: `{table}` is not built yet in this warehouse. This section fills in once "
                "a build publishes it (`itam build`, or `make demo` for sample data).",
                icon=":material/construction:")
    return False


def no_match(f: Filters, what: str = "assets") -> None:
    """The empty state of a filtered section: say what matched nothing instead of empty charts."""
    if f.active():
        st.info(f"No {what} match {f.selection()} at {f.as_of}. Widen the filters in the sidebar.",
                icon=":material/filter_alt_off:")
    else:
        st.info(f"No {what} at {f.as_of}.", icon=":material/inbox:")


def num(x, digits: int = 0) -> str:
    return fmt.number(x, digits)


def money(x) -> str:
    """A money figure on a tile: `€11.3M` (the reporting currency's symbol, abbreviated)."""
    return fmt.money_short(x, currency() or None)


def pct(x, digits: int = 1) -> str:
    return fmt.percent(x, digits)


# -- tables ---------------------------------------------------------------------------------------
# Column names that hold money (reporting currency) and percentages (0-100), by word.
_MONEY_WORDS = {"cost", "costs", "exposure", "savings", "amount", "price", "budget", "estimate", "spend",
                "depreciation", "tco", "nbv"}
_PCT = re.compile(r"(_pct$|^pct_|_percent$|pass_rate$|utilisation$)")
_NAMES = ("hostname", "asset_name", "record_name", "product", "app_name", "name")
_HASH_ID = re.compile(r"^[A-Z]{2,3}-[0-9a-f]{8,}$")


def is_text(s: pd.Series) -> bool:
    return s.dtype == object or pd.api.types.is_string_dtype(s)


def is_money(column: str) -> bool:
    words = set(column.lower().split("_"))
    return bool(words & _MONEY_WORDS) or (column.endswith("_value") and column != "value")


def _hash_ids(df: pd.DataFrame) -> list[str]:
    out = []
    for c in df.columns:
        if c.endswith("_id") and is_text(df[c]):
            v = df[c].dropna().astype(str).head(20)
            if not v.empty and v.map(lambda x: bool(_HASH_ID.match(x))).all():
                out.append(c)
    return out


@st.cache_data(ttl=600, show_spinner=False)
def _cost_center_names(as_of: str, _identity) -> dict[str, str]:
    if not has("marts.dim_cost_center", "cost_center_name"):
        return {}
    df = query("select cost_center, cost_center_name from marts.dim_cost_center where as_of_date = ?", [as_of])
    return dict(zip(df["cost_center"], df["cost_center_name"]))


def readable(df: pd.DataFrame, as_of: str | None = None) -> pd.DataFrame:
    """The table as a person reads it: names before ids (hostname, product, cost center name
    first), hash ids (AS-…, EX-…) last, cost centers with their names beside them."""
    out = df
    if as_of and "cost_center" in out.columns and "cost_center_name" not in out.columns:
        from dashboards.data import file_identity

        names = _cost_center_names(as_of, file_identity())
        if names:
            out = out.copy()
            out.insert(out.columns.get_loc("cost_center") + 1, "cost_center_name",
                       out["cost_center"].map(names))
    first = [c for c in _NAMES if c in out.columns]
    last = [c for c in _hash_ids(out) if c not in first]
    middle = [c for c in out.columns if c not in first and c not in last]
    return out[first + middle + last]


def column_config(df: pd.DataFrame) -> dict:
    """Human labels for every column; money with the currency symbol and full precision,
    counts with thousands separators, percentages with %, missing values as —."""
    cur = currency() or None
    out = {}
    for c in df.columns:
        s = df[c]
        label = fmt.label(c)
        if pd.api.types.is_bool_dtype(s):
            out[c] = st.column_config.CheckboxColumn(label)
        elif pd.api.types.is_numeric_dtype(s):
            if is_money(c):
                out[c] = st.column_config.NumberColumn(label, format=fmt.printf_money(cur))
            elif _PCT.search(c):
                out[c] = st.column_config.NumberColumn(label, format="%.1f%%")
            elif pd.api.types.is_integer_dtype(s) or (s.dropna() == s.dropna().round()).all():
                out[c] = st.column_config.NumberColumn(label, format="%,d")
            else:
                out[c] = st.column_config.NumberColumn(label, format="%,.2f")
        elif pd.api.types.is_datetime64_any_dtype(s):
            v = s.dropna()
            if not isinstance(s.dtype, pd.DatetimeTZDtype) and not v.empty and (v == v.dt.normalize()).all():
                out[c] = st.column_config.DateColumn(label, format="YYYY-MM-DD")
            else:
                out[c] = st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
        else:
            out[c] = st.column_config.TextColumn(label)
    return out
