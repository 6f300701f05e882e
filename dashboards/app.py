"""ITAM governance dashboards: `itam dashboard` (or `streamlit run dashboards/app.py`).

This entry point draws what every page shares (the global filters in the sidebar, the warehouse
caption) and then runs the chosen page from views/. Without a built warehouse it shows how to
build one instead of any page."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `dashboards` importable under streamlit run

from dashboards.data import reading, show_how_to_build, warehouse_path, warehouse_problem  # noqa: E402
from dashboards.filters import sidebar_filters  # noqa: E402
from dashboards.pages import PAGES, VIEWS  # noqa: E402
from dashboards.viewer import login_gate  # noqa: E402

st.set_page_config(page_title="ITAM governance", page_icon=":bar_chart:", layout="wide")
login_gate()  # with an [auth] login configured, nothing is read before it (dashboards/viewer.py)

with reading():  # at most one short-lived read-only connection for this whole run
    problem = warehouse_problem()
    if problem is None:
        nav = st.navigation([st.Page(str(VIEWS / file), title=title, icon=icon, default=(i == 0))
                             for i, (file, title, icon) in enumerate(PAGES)])
        st.session_state["_filters"] = sidebar_filters()
        st.sidebar.caption(f"Warehouse: `{warehouse_path()}` (read-only)")
    else:  # whatever page was asked for, explain how to get a warehouse
        nav = st.navigation([st.Page(lambda: show_how_to_build(problem), title="Build a warehouse",
                                     url_path="build", icon=":material/construction:", default=True)])
    nav.run()
