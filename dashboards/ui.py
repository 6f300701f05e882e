"""Small shared page pieces: headers, notices for marts not built yet, number formats."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.data import currency, has
from dashboards.filters import Filters


def header(title: str, f: Filters, intro: str | None = None) -> None:
    st.title(title)
    st.caption(f"{f.describe().capitalize()}" + (f" · money in {currency()}" if currency() else ""))
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


def _missing(x) -> bool:
    try:
        return x is None or bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def num(x, digits: int = 0) -> str:
    if _missing(x):
        return "—"
    return f"{float(x):,.{digits}f}"


def money(x) -> str:
    return num(x, 0)


def pct(x, digits: int = 1) -> str:
    if _missing(x):
        return "—"
    return f"{float(x):.{digits}f} %"
