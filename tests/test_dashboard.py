"""Streamlit AppTest on the small built warehouse: the page runs and shows the marts' numbers."""
from __future__ import annotations

import os

from streamlit.testing.v1 import AppTest

from conftest import REPO


def run_app(warehouse_path):
    os.environ["ITAM_WAREHOUSE"] = str(warehouse_path)
    at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=60)
    return at.run()


def test_overview_shows_mart_numbers(small_warehouse):
    at = run_app(small_warehouse.path)
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    assets = small_warehouse.one("select count(*) from marts.dim_asset where as_of_date = '2026-09-30'")
    open_exc = small_warehouse.one(
        "select count(*) from marts.fct_reconciliation_exceptions e join marts.dim_asset a "
        "using (asset_id, as_of_date) where as_of_date = '2026-09-30' and status <> 'resolved'")
    assert metrics["Assets"] == f"{assets:,}" == "19"
    assert metrics["Open exceptions"] == f"{open_exc:,}"
    assert metrics["Under-licensed products"] == "3"  # Visio, SQL Server, Acrobat Pro
    assert metrics["True-up exposure"] == "112,520"  # 320 + 112000 + 200


def test_missing_warehouse_explains_how_to_build(tmp_path):
    at = run_app(tmp_path / "nothing.duckdb")
    assert not at.exception
    assert any("No published warehouse" in w.value for w in at.warning)
    assert any("itam build" in m.value for m in at.markdown)
