"""Global filters every page honours, kept in the sidebar and in session state."""
from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from dashboards.data import query


@dataclass(frozen=True)
class Filters:
    as_of: str
    cost_centers: tuple[str, ...]
    departments: tuple[str, ...]
    classes: tuple[str, ...]
    owners: tuple[str, ...]

    def asset_where(self, alias: str = "a") -> tuple[str, list]:
        """SQL predicate and parameters restricting dim_asset rows (alias) to the filters."""
        clauses, params = [f"{alias}.as_of_date = ?"], [self.as_of]
        for column, values in (("cost_center", self.cost_centers), ("asset_class", self.classes),
                               ("owner_function", self.owners)):
            if values:
                clauses.append(f"{alias}.{column} in ({', '.join('?' * len(values))})")
                params += list(values)
        if self.departments:
            clauses.append(
                f"{alias}.cost_center in (select cost_center from marts.dim_cost_center "
                f"where department in ({', '.join('?' * len(self.departments))}))")
            params += list(self.departments)
        return " and ".join(clauses), params


def sidebar_filters() -> Filters:
    dates = query("select distinct as_of_date from marts.dim_asset order by 1 desc")["as_of_date"].astype(str).tolist()
    st.sidebar.header("Filters")
    as_of = st.sidebar.selectbox("As-of date", dates, key="f_as_of")
    dims = query(
        "select distinct cost_center, asset_class, owner_function from marts.dim_asset where as_of_date = ?", [as_of])
    try:
        departments = query("select distinct department from marts.dim_cost_center order by 1")["department"].dropna().tolist()
    except Exception:  # noqa: BLE001 - the cost-center dimension is optional for the first page
        departments = []
    cc = st.sidebar.multiselect("Cost center", sorted(dims["cost_center"].dropna().unique()), key="f_cc")
    dep = st.sidebar.multiselect("Department", departments, key="f_dep") if departments else []
    cls = st.sidebar.multiselect("Asset class", sorted(dims["asset_class"].dropna().unique()), key="f_cls")
    own = st.sidebar.multiselect("Owner", sorted(dims["owner_function"].dropna().unique()), key="f_own")
    return Filters(as_of, tuple(cc), tuple(dep), tuple(cls), tuple(own))
