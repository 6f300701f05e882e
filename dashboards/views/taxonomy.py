"""Taxonomy: the declared governance model (taxonomy/*.yaml) as the last build applied it, read
only from the warehouse's taxonomy.* tables, beside how many assets each class and rule holds."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from dagster_project.governance.report import POLICY_MEANINGS
from dashboards.data import columns, has, query
from dashboards.downloads import show_table
from dashboards.filters import current, note_unapplied, predicate
from dashboards.ui import header

f = current()
header("Taxonomy", f, "The governance model is changed in `taxonomy/*.yaml` (reviewed like code) and applied "
       "by the next `itam build`; this page only reads it. `itam taxonomy report` prints the same model.")

if not has("taxonomy.asset_classes"):
    st.info("This warehouse has no `taxonomy.*` tables: it was built before the taxonomy was loaded. "
            "Run `itam build` to publish them.", icon=":material/construction:")
    st.stop()

if has("taxonomy.meta", "content_hash"):
    meta = query("select cast(loaded_at as varchar) as loaded_at, content_hash from taxonomy.meta limit 1")
    if not meta.empty:
        st.caption(f"Model version `{meta['content_hash'][0][:12]}`, loaded {meta['loaded_at'][0][:19]}.")

p = predicate(f, "marts.dim_asset", "a")
tabs = st.tabs(["Asset classes", "Classification", "Ownership", "Lifecycle", "Policies", "Dictionaries"])

with tabs[0]:
    # A class counts its descendants' assets too (class_ancestors: distance 0 = itself).
    classes = query(
        "select c.*, coalesce(n.assets, 0) as assets_at_date from taxonomy.asset_classes c left join ("
        "  select x.ancestor_class_id as class_id, count(*) as assets from marts.dim_asset a "
        "  join taxonomy.class_ancestors x on x.class_id = a.asset_class "
        f"  where {p.sql} group by 1) n using (class_id) order by c.class_path", p.params)
    classes.insert(0, "class", ["\u00a0\u00a0\u00a0\u00a0" * int(d or 0) + ("└─ " if d else "") + c
                                for c, d in zip(classes["class_id"], classes["depth"])])
    show_table(classes.drop(columns=["class_id"]), "taxonomy_asset_classes",
               caption="assets_at_date counts the class and its descendants under the global filters.")
    unclassified = query(f"select count(*) as n from marts.dim_asset a where {p.sql} and a.asset_class is null",
                         p.params)["n"][0]
    st.metric("Unclassified assets", f"{int(unclassified):,}")
    note_unapplied(p)

with tabs[1]:
    st.markdown("The first matching rule (lowest precedence) assigns the class; conditions are "
                "case-insensitive regular expressions, empty = any.")
    rule_col = "classification_rule" in columns("marts.dim_asset")
    counts = (f"left join (select a.classification_rule as rule_id, count(*) as assets_at_date "
              f"from marts.dim_asset a where {p.sql} group by 1) n using (rule_id)") if rule_col else ""
    rules = query(f"select r.*{', coalesce(n.assets_at_date, 0) as assets_at_date' if rule_col else ''} "
                  f"from taxonomy.classification_rules r {counts} order by r.precedence",
                  p.params if rule_col else [])
    show_table(rules, "taxonomy_classification_rules")

with tabs[2]:
    st.markdown("Every asset gets the owner of the first matching rule (lowest precedence); a rule's class "
                "covers its descendants. No match = `unowned` exception.")
    rule_col = "ownership_rule" in columns("marts.dim_asset")
    counts = (f"left join (select a.ownership_rule as rule_id, count(*) as assets_at_date "
              f"from marts.dim_asset a where {p.sql} group by 1) n using (rule_id)") if rule_col else ""
    show_table(query(f"select r.*{', coalesce(n.assets_at_date, 0) as assets_at_date' if rule_col else ''} "
                     f"from taxonomy.ownership_rules r {counts} order by r.precedence", p.params if rule_col else []),
               "taxonomy_ownership_rules")

with tabs[3]:
    left, right = st.columns(2)
    with left:
        st.markdown("**States and allowed moves**")
        show_table(query("select s.ordinal, s.state, string_agg(t.to_state, ', ' order by t.to_state) as may_move_to "
                         "from taxonomy.lifecycle_states s left join taxonomy.lifecycle_transitions t "
                         "on t.from_state = s.state group by all order by s.ordinal"), "taxonomy_lifecycle")
        if has("taxonomy.retirement_evidence"):
            st.caption("Retirement evidence required: " + ", ".join(
                query("select * from taxonomy.retirement_evidence").iloc[:, 0].astype(str)))
    with right:
        st.markdown("**Source status words → state**")
        show_table(query("select * from taxonomy.status_map order by 1, 3, 2"), "taxonomy_status_map")

with tabs[4]:
    pol = query("select * from taxonomy.policy limit 1")
    if not pol.empty:
        rows = [{"policy": k, "value": str(pol[k][0]), "meaning": POLICY_MEANINGS.get(k, "")} for k in pol.columns]
        show_table(pd.DataFrame(rows), "taxonomy_policy")
    left, right = st.columns(2)
    with left:
        st.markdown("**Stale window by discovery source**")
        show_table(query("select * from taxonomy.stale_windows order by 1"), "taxonomy_stale_windows")
    with right:
        st.markdown("**FX rates to the reporting currency**")
        show_table(query("select * from taxonomy.fx_rates order by 1, 2"), "taxonomy_fx_rates")

with tabs[5]:
    for table, title in (("saas_categories", "SaaS function categories"), ("publisher_aliases", "Publisher aliases"),
                         ("product_aliases", "Product aliases"), ("unauthorised_software", "Unauthorised software")):
        if has(f"taxonomy.{table}"):
            st.markdown(f"**{title}**")
            show_table(query(f"select * from taxonomy.{table} order by all"), f"taxonomy_{table}")
