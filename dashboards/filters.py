"""Global filters (sidebar) and the one helper that turns them into SQL predicates.

Every page asks `predicate(filters, table, alias)` for its WHERE clause, whatever the mart's
grain: a filter applies to a column the table has (cost_center, asset_class, accountable_owner,
department), else through the table's asset_id (the asset's row in dim_asset at the same as-of
date), else the department through its cost_center (dim_cost_center). A filter that cannot
apply to a table's grain (e.g. owner on a per-product license position) is reported back, and
the page says so under the table instead of silently showing unfiltered numbers as filtered.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import streamlit as st

from dashboards.data import as_of_dates, columns, has, query

NONE = "(none)"  # filter value standing for NULL: unowned, no cost center, unclassified


@dataclass(frozen=True)
class Dimension:
    name: str      # Filters field
    label: str     # sidebar label
    column: str    # column in dim_asset (department: in dim_cost_center)
    param: str     # URL query parameter (repeated once per value)


DIMENSIONS = (
    Dimension("cost_centers", "Cost center", "cost_center", "cc"),
    Dimension("departments", "Department", "department", "dept"),
    Dimension("classes", "Asset class", "asset_class", "class"),
    Dimension("owners", "Owner", "accountable_owner", "owner"),
)
AS_OF_PARAM = "as_of"


@dataclass(frozen=True)
class Filters:
    as_of: str
    cost_centers: tuple[str, ...] = ()
    departments: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()

    def active(self) -> list[tuple[Dimension, tuple[str, ...]]]:
        return [(d, getattr(self, d.name)) for d in DIMENSIONS if getattr(self, d.name)]

    def describe(self) -> str:
        """`As of 2026-09-30; cost center: CC-HR` (codes keep their case)."""
        parts = [f"As of {self.as_of}"] + [f"{d.label.lower()}: {', '.join(v)}" for d, v in self.active()]
        return "; ".join(parts)

    def selection(self) -> str:
        """The chosen values in a few words, for messages: `CC-HR + server`."""
        return " + ".join(", ".join(v) for _, v in self.active())


@dataclass
class Predicate:
    sql: str
    params: list
    unapplied: list[str] = field(default_factory=list)  # labels of filters the table cannot honour


def _in(expr: str, values: tuple[str, ...]) -> tuple[str, list]:
    real = [v for v in values if v != NONE]
    parts = []
    if real:
        parts.append(f"{expr} in ({', '.join('?' * len(real))})")
    if len(real) < len(values):
        parts.append(f"{expr} is null")
    return "(" + " or ".join(parts) + ")", real


def predicate(f: Filters, table: str, alias: str, *, dates: str = "selected") -> Predicate:
    """WHERE clause (without the keyword) restricting `table` (schema-qualified, aliased
    `alias`) to the filters; its sub-queries use the aliases flt_a and flt_cc. dates:
    'selected' = the chosen as-of date; 'upto' = every as-of date up to it (trends, one line per
    date); 'any' = no date restriction."""
    cols = set(columns(table))
    clauses: list[str] = []
    params: list = []
    unapplied: list[str] = []
    dated = "as_of_date" in cols
    if dated and dates == "selected":
        clauses.append(f"{alias}.as_of_date = ?")
        params.append(f.as_of)
    elif dated and dates == "upto":
        clauses.append(f"{alias}.as_of_date <= ?")
        params.append(f.as_of)

    via_asset: list[tuple[Dimension, tuple[str, ...]]] = []
    for dim, values in f.active():
        if dim.column in cols:
            sql, p = _in(f"{alias}.{dim.column}", values)
        elif dim.name == "departments" and "cost_center" in cols and has("marts.dim_cost_center", "department"):
            same_date = f"flt_cc.as_of_date = {alias}.as_of_date" if dated else "flt_cc.as_of_date = ?"
            inner, p = _in("flt_cc.department", values)
            sql = (f"exists (select 1 from marts.dim_cost_center flt_cc where flt_cc.cost_center = {alias}.cost_center "
                   f"and {same_date} and {inner})")
            p = p if dated else [f.as_of, *p]
        elif "asset_id" in cols and table != "marts.dim_asset":
            via_asset.append((dim, values))
            continue
        else:
            unapplied.append(dim.label)
            continue
        clauses.append(sql)
        params += p

    if via_asset:
        sub = Filters(f.as_of, **{d.name: v for d, v in via_asset})
        inner = predicate(sub, "marts.dim_asset", "flt_a", dates="any")
        same_date = f"flt_a.as_of_date = {alias}.as_of_date" if dated else "flt_a.as_of_date = ?"
        clauses.append(f"exists (select 1 from marts.dim_asset flt_a where flt_a.asset_id = {alias}.asset_id "
                       f"and {same_date} and {inner.sql})")
        params += ([] if dated else [f.as_of]) + inner.params
    return Predicate(" and ".join(clauses) or "true", params, unapplied)


def note_unapplied(p: Predicate, what: str = "This view") -> None:
    """Say which global filters a view cannot honour (its grain has no such attribute)."""
    if p.unapplied:
        st.caption(f"{what} is not broken down by {', '.join(x.lower() for x in p.unapplied)}: "
                   "those filters do not apply here.")


def _options(sql: str, params: list) -> list[str]:
    values = query(sql, params).iloc[:, 0]
    out = sorted(str(v) for v in values.dropna())
    return out + [NONE] if values.isna().any() else out


def _restore_from_url() -> None:
    """Once per session, before the widgets exist: a shared URL's filters become the widgets'
    state (values verbatim, so codes keep their case)."""
    if st.session_state.get("_url_restored"):
        return
    st.session_state["_url_restored"] = True
    qp = st.query_params
    if qp.get(AS_OF_PARAM):
        st.session_state["f_as_of"] = qp[AS_OF_PARAM]
    for dim in DIMENSIONS:
        values = qp.get_all(dim.param)
        if values:
            st.session_state[f"f_{dim.name}"] = list(values)


def _write_to_url(f: Filters) -> None:
    """The view in the URL, so it can be bookmarked or sent: as-of date and every filter
    (drill selections are added by dashboards.drill; the page is the URL path)."""
    qp = st.query_params
    want = {AS_OF_PARAM: [f.as_of], **{d.param: list(getattr(f, d.name)) for d in DIMENSIONS}}
    for key, values in want.items():
        if qp.get_all(key) == values:
            continue
        if values:
            qp[key] = values
        elif key in qp:
            del qp[key]


def sidebar_filters() -> Filters:
    """The sidebar widgets (drawn once, in app.py, so they persist across pages)."""
    _restore_from_url()
    dates = as_of_dates()
    st.sidebar.header("Filters")
    # Follow the newest snapshot: when a publish adds a date and the user was looking at the
    # previous newest one, move to the new one on the next rerun.
    latest_seen = st.session_state.get("_latest_as_of")
    if latest_seen and latest_seen != dates[0] and st.session_state.get("f_as_of") == latest_seen:
        st.session_state["f_as_of"] = dates[0]
    st.session_state["_latest_as_of"] = dates[0]
    if st.session_state.get("f_as_of") not in (None, *dates):
        del st.session_state["f_as_of"]
    as_of = st.sidebar.selectbox("As-of date", dates, key="f_as_of",
                                 help="Snapshot date: every page shows this export date")
    values = {}
    for dim in DIMENSIONS:
        if dim.name == "departments":
            if not has("marts.dim_cost_center", "department"):
                values[dim.name] = ()
                continue
            opts = _options("select distinct department from marts.dim_cost_center where as_of_date = ?", [as_of])
        else:
            opts = _options(f"select distinct {dim.column} from marts.dim_asset where as_of_date = ?", [as_of])
        key = f"f_{dim.name}"
        if key in st.session_state:  # keep only choices that still exist at this date
            st.session_state[key] = [v for v in st.session_state[key] if v in opts]
        values[dim.name] = tuple(st.sidebar.multiselect(dim.label, opts, key=key))
    f = Filters(as_of, **values)
    _write_to_url(f)
    return f


def current() -> Filters:
    """The filters app.py drew for this run (pages call this)."""
    f = st.session_state.get("_filters")
    if f is None:  # a page run on its own (tests, `streamlit run views/x.py`)
        f = sidebar_filters()
    return f
