"""ITAM governance dashboards: `itam dashboard` (or `streamlit run dashboards/app.py`)."""
from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `dashboards` importable under streamlit run

from dashboards.data import warehouse_path, warehouse_ready  # noqa: E402

st.set_page_config(page_title="ITAM governance", page_icon=":bar_chart:", layout="wide")

VIEWS = Path(__file__).resolve().parent / "views"
pages = [
    st.Page(str(VIEWS / "overview.py"), title="Overview", icon=":material/dashboard:", default=True),
]

nav = st.navigation(pages)
st.sidebar.caption(f"Warehouse: `{warehouse_path()}` (read-only)")
if warehouse_ready():
    nav.run()
