"""Personal data governed (issue 17.6): the policy file, the one masker, the dashboards (AppTest)
masking unless the logged-in viewer has the role, `itam dashboard` refusing a non-loopback host
without a login, and `itam purge` removing personal values while every aggregate stays the same.
The reconciliation pack's masking is tested with the pack, in test_reconcile.py."""
from __future__ import annotations

import contextlib
import hashlib
import hmac
import io
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pandas as pd
import pytest
from conftest import REPO, SMALL_LANDING
from streamlit.testing.v1 import AppTest

AS_OF = "2026-09-30"
PREV = "2026-06-30"


def itam(*args) -> SimpleNamespace:
    from dagster_project.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return SimpleNamespace(rc=rc, out=out.getvalue(), err=err.getvalue())


# ------------------------------------------------------------------------------------- policy

def test_privacy_policy_errors_name_the_key_and_the_fix(tmp_path):
    from dagster_project.governance.privacy import load_privacy
    from dagster_project.governance.problems import TaxonomyError

    (tmp_path / "privacy.yaml").write_text(
        "classes:\n"
        "  email: {mode: hash, clear_roles: [privacy_officer]}\n"
        "  person: {mode: initials}\n"
        "  staff: {mode: initials, clear_roles: [controller]}\n"
        "  free_text: {mode: initials}\n"
        "roles:\n"
        "  privacy_officer: [dpo@example.com, '*@audit.example.com']\n"
        "retention: {personal_data_days: 730}\n")
    with pytest.raises(TaxonomyError) as exc:
        load_privacy(tmp_path)
    msg = str(exc.value)
    assert "privacy.yaml: classes: class 'quarantined' has no policy" in msg and \
        "add `quarantined: {mode: hash, clear_roles: [...]}`" in msg
    assert "privacy.yaml: classes.free_text.mode: initials cannot mask free_text (it is not a name) — use mode: hash" in msg
    assert "privacy.yaml: classes.staff.clear_roles: role 'controller' is not declared under roles" in msg
    (tmp_path / "privacy.yaml").write_text(
        "classes: {email: {mode: blur}}\nroles: {}\nretention: {days: 7}\n")
    with pytest.raises(TaxonomyError) as exc:
        load_privacy(tmp_path)
    msg = str(exc.value)
    assert "classes.email.mode: 'blur' is not an allowed value — use 'hash' or 'initials'" in msg
    assert "retention.days: unknown key 'days' — allowed keys here: personal_data_days" in msg
    # the shipped policy loads, and a viewer gets roles by exact address or *@domain
    policy = load_privacy(REPO / "taxonomy")
    assert policy.roles_of("DPO@example.com") == {"privacy_officer"}
    assert policy.roles_of("someone@example.com") == set() and policy.roles_of(None) == set()


def test_masker_masks_by_class_and_only_personal_values():
    from dagster_project.governance.privacy import Masker, load_privacy

    policy = load_privacy(REPO / "taxonomy")
    anyone = Masker.for_viewer(policy)
    # the pseudonym: anon- + 10 hex of HMAC-SHA256(key, trimmed lower-cased value)
    expected = "anon-" + hmac.new(b"itam-personal-data", b"alice@example.com", hashlib.sha256).hexdigest()[:10]
    assert expected == "anon-d9e87e4857"
    columns = ["asset_id", "assigned_user", "last_logged_on_user", "consumer_key", "attribute", "old_value",
               "new_value", "resolved_by", "detail", "units"]
    rows = [["AS-1", " Alice@Example.com", "CORP\\alice.smith", "seat:alice@example.com", "assigned_user",
             "alice@example.com", None, "hannah.asset@example.com", "user alice@example.com differs", 3],
            ["AS-2", None, "", "host:lap-002", "cost_center", "CC-FIN", "CC-ENG", "", None, 2]]
    assert anyone.rows(columns, rows) == [
        ["AS-1", "anon-d9e87e4857", "A.S.", "seat:anon-d9e87e4857", "assigned_user", "anon-d9e87e4857", None,
         "H.A.", "anon-" + hmac.new(b"itam-personal-data", b"user alice@example.com differs",
                                    hashlib.sha256).hexdigest()[:10], 3],
        ["AS-2", None, "", "host:lap-002", "cost_center", "CC-FIN", "CC-ENG", "", None, 2]]
    # an auditor sees who decided in clear, nothing else; a privacy officer sees everything
    auditor = Masker.for_viewer(policy, ["auditor"]).rows(columns, rows)
    assert auditor[0][7] == "hannah.asset@example.com" and auditor[0][1] == "anon-d9e87e4857"
    assert Masker.for_viewer(policy, ["privacy_officer"]).rows(columns, rows) == rows
    # with ITAM_MASKING_KEY the pseudonym changes (a guessed e-mail no longer gives it away)
    assert Masker.for_viewer(policy, (), "k").value("email", "alice@example.com") != "anon-d9e87e4857"
    # frames: the same, and a KPI's numeric `value` is never personal
    df = pd.DataFrame({"user_email": ["alice@example.com"], "value": [12.5], "quarantined_value": ["x@y.org"]})
    masked = anyone.frame(df)
    assert masked["user_email"].tolist() == ["anon-d9e87e4857"] and masked["value"].tolist() == [12.5]
    assert masked["quarantined_value"].iloc[0].startswith("anon-") and df["user_email"].iloc[0] == "alice@example.com"


def test_unmasked_export_needs_a_role_the_policy_grants(monkeypatch):
    from dagster_project.governance.privacy import masker_for

    with pytest.raises(ValueError, match="--unmasked needs a role: set ITAM_ROLES"):
        masker_for(REPO / "taxonomy", unmasked=True)
    with pytest.raises(ValueError, match="see no personal data in clear"):
        masker_for(REPO / "taxonomy", roles=["intern"], unmasked=True)
    assert not masker_for(REPO / "taxonomy", roles=["privacy_officer"], unmasked=True).masks_anything
    assert masker_for(REPO / "taxonomy", roles=["privacy_officer"]).masks_anything  # no flag: masked
    # the CLI takes the role from the environment through Settings
    monkeypatch.delenv("ITAM_ROLES", raising=False)
    r = itam("export", "cost-allocation", "--period", "2026-09", "--format", "csv", "--unmasked",
             "--warehouse", "/nonexistent.duckdb")
    assert r.rc == 2 and "--unmasked needs a role: set ITAM_ROLES" in r.err


# ---------------------------------------------------------------------------------- dashboards

def _app(warehouse: Path, user: dict | None = None) -> AppTest:
    os.environ["ITAM_WAREHOUSE"] = str(warehouse)
    at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=120)
    if user is not None:
        at.user = user
    at.run()
    at.switch_page("views/overview.py").run()
    at.selectbox(key="drill_ov_class").set_value("laptop").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _assets(at: AppTest) -> pd.DataFrame:
    found = [d.value for d in at.dataframe if "assigned_user" in d.value.columns]
    assert found, [list(d.value.columns) for d in at.dataframe]
    return found[0].set_index("asset_name")


def test_dashboard_masks_personal_data_unless_the_viewer_has_the_role(small_warehouse):
    import streamlit as st

    wh = small_warehouse
    clear = dict(wh.rows("select asset_name, assigned_user from marts.dim_asset where as_of_date = ? "
                         "and asset_name = 'lap-001'", [AS_OF]))
    assert clear == {"lap-001": "alice@example.com"}
    # nobody logged in (the loopback default): masked, the exact pseudonym and initials
    at = _app(wh.path)
    assets = _assets(at)
    assert assets.loc["lap-001", "assigned_user"] == "anon-d9e87e4857"
    assert not any("@" in str(v) for v in assets["assigned_user"].tolist())
    # a logged-in viewer without a role: masked too
    st.cache_data.clear()
    assets = _assets(_app(wh.path, {"is_logged_in": True, "email": "someone@example.com"}))
    assert assets.loc["lap-001", "assigned_user"] == "anon-d9e87e4857"
    # the privacy officer (privacy.yaml roles) sees clear values
    st.cache_data.clear()
    assets = _assets(_app(wh.path, {"is_logged_in": True, "email": "DPO@example.com"}))
    assert assets.loc["lap-001", "assigned_user"] == "alice@example.com"
    # the default AppTest user (an e-mail without is_logged_in) is not a login
    st.cache_data.clear()
    assets = _assets(_app(wh.path, {"email": "dpo@example.com"}))
    assert assets.loc["lap-001", "assigned_user"] == "anon-d9e87e4857"


def test_with_a_login_configured_nothing_shows_before_it(small_warehouse):
    os.environ["ITAM_WAREHOUSE"] = str(small_warehouse.path)
    at = AppTest.from_file(str(REPO / "dashboards" / "app.py"), default_timeout=120)
    at.secrets["auth"] = {"redirect_uri": "https://itam.example.com/oauth2callback", "cookie_secret": "x",
                          "client_id": "c", "client_secret": "s",
                          "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration"}
    at.user = {"is_logged_in": False}
    at.run()
    assert not at.exception
    assert [b.label for b in at.button] == ["Log in"] and len(at.dataframe) == 0 and len(at.metric) == 0


# ------------------------------------------------------------------------- dashboard exposure

def test_dashboard_refuses_a_network_address_without_a_login(tmp_path, monkeypatch):
    from dagster_project.commands import dashboard

    started = []
    monkeypatch.setattr(dashboard.subprocess, "call", lambda cmd, **kw: started.append(cmd) or 0)
    secrets = tmp_path / "secrets.toml"
    monkeypatch.setattr(dashboard, "secrets_files", lambda cwd=None: [secrets])
    wh = ["--warehouse", tmp_path / "w.duckdb"]

    for host in ("127.0.0.1", "localhost", "::1"):  # loopback: no login needed
        assert itam("dashboard", "--host", host, *wh).rc == 0
    assert len(started) == 3

    r = itam("dashboard", "--host", "0.0.0.0", *wh)
    assert r.rc == 2 and len(started) == 3
    assert "refusing to serve 0.0.0.0" in r.err and "no secrets file" in r.err and "--insecure" in r.err

    secrets.write_text('[auth]\nredirect_uri = "https://itam.example.com/oauth2callback"\n')
    r = itam("dashboard", "--host", "10.0.0.5", *wh)
    assert r.rc == 2 and "[auth] lacks cookie_secret, a provider (client_id, client_secret, server_metadata_url)" in r.err

    r = itam("dashboard", "--host", "0.0.0.0", "--insecure", *wh)
    assert r.rc == 0 and len(started) == 4 and started[-1][started[-1].index("--server.address") + 1] == "0.0.0.0"
    assert "WARNING: --insecure: serving 0.0.0.0:8501 WITHOUT A LOGIN" in r.err

    secrets.write_text('[auth]\nredirect_uri = "https://itam.example.com/oauth2callback"\ncookie_secret = "s3"\n'
                       '[auth.corp]\nclient_id = "itam"\nclient_secret = "x"\n'
                       'server_metadata_url = "https://idp.example.com/.well-known/openid-configuration"\n')
    r = itam("dashboard", "--host", "0.0.0.0", *wh)
    assert r.rc == 0 and len(started) == 5 and "WARNING" not in r.err


# -------------------------------------------------------------------------------------- purge

AGGREGATES = {
    "assets": "select as_of_date, asset_class, count(*) from marts.dim_asset group by all order by all",
    "users": "select as_of_date, count(distinct assigned_user), count(distinct last_logged_on_user), "
             "count(assigned_user) from marts.dim_asset group by all order by all",
    "exceptions": "select as_of_date, exception_type, status, count(*) from marts.fct_reconciliation_exceptions "
                  "group by all order by all",
    "tco": "select as_of_date, sum(tco_to_date), sum(tco_annualised) from marts.fct_asset_tco group by all order by all",
    "allocation": "select as_of_date, period, cost_center, sum(amount) from marts.fct_cost_allocation "
                  "group by all order by all",
    "kpis": "select as_of_date, kpi, value from marts.fct_governance_kpis order by all",
    "raw_counts": "select (select count(*) from raw.configuration_items), (select count(*) from raw.devices), "
                  "(select count(*) from raw.cost_centers), (select count(distinct assigned_user_email) "
                  "from raw.configuration_items where _export_date = date '2026-06-30')",
}


def _snapshot(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {k: con.execute(sql).fetchall() for k, sql in AGGREGATES.items()}
    finally:
        con.close()


def test_purge_removes_old_personal_values_and_leaves_every_aggregate(small_warehouse, tmp_path):
    wh = tmp_path / "warehouse.duckdb"
    shutil.copyfile(small_warehouse.path, wh)
    con = duckdb.connect(str(wh))  # one quarantined row of the old export holding an e-mail
    con.execute("insert into audit.quarantine (load_id, source, entity, export_date, file, row_number, column_name, "
                "value, reason, record, quarantined_at) select any_value(load_id), 'discovery', 'saas_usage', "
                "date '2026-06-30', 'discovery/2026-06-30/saas_usage.csv', 9, 'user_email', 'eve@example.com', "
                "'bad', '{\"app_name\": \"Zoom\", \"user_email\": \"eve@example.com\"}', now() from audit.loads")
    con.close()
    versions = Path(f"{wh}.versions")
    versions.mkdir()
    shutil.copyfile(wh, versions / "20260101T000000Z.duckdb")  # a kept version still holding the data
    before = _snapshot(wh)
    assert before["users"][0][1] > 1  # there are users to keep counting

    dry = itam("purge", "--older-than", "1d", "--landing", SMALL_LANDING, "--warehouse", wh, "--dry-run")
    assert dry.rc == 0 and "dry run: nothing changed" in dry.out and "raw.configuration_items.assigned_user_email: " \
        "would replace 2 value(s)" in dry.out
    assert _snapshot(wh) == before

    r = itam("purge", "--older-than", "1d", "--landing", SMALL_LANDING, "--warehouse", wh)
    assert r.rc == 0, r.err
    assert f"personal data of exports before 2026-09-29 (1 days before the latest export, {AS_OF})" in r.out
    assert _snapshot(wh) == before  # counts, distinct users, costs, allocations, KPIs: identical

    con = duckdb.connect(str(wh), read_only=True)
    try:
        old = con.execute("select assigned_user, last_logged_on_user from marts.dim_asset where as_of_date = ?",
                          [PREV]).fetchall()
        new = con.execute("select assigned_user from marts.dim_asset where as_of_date = ? and asset_name = 'lap-001'",
                          [AS_OF]).fetchone()
        raw_old = con.execute("select assigned_user_email from raw.configuration_items where _export_date = ? "
                              "and assigned_user_email is not null", [PREV]).fetchall()
        q = con.execute("select value, record from audit.quarantine where row_number = 9").fetchone()
        audit = con.execute("select table_name, column_name, rows_purged, cutoff_date, older_than_days "
                            "from audit.purges where table_name = 'raw.configuration_items'").fetchall()
        built = con.execute("select build_id from audit.builds order by finished_at desc limit 1").fetchone()[0]
        everywhere = con.execute(
            "select count(*) from raw.devices where _export_date = ? and last_logged_on_user like '%@%'",
            [PREV]).fetchone()[0]
    finally:
        con.close()
    values = [v for row in old for v in row if v is not None]
    assert values and all(v.startswith("purged-") for v in values), values
    assert all(v.startswith("purged-") for (v,) in raw_old) and len(raw_old) == 2 and everywhere == 0
    assert new == ("alice@example.com",)  # the latest export is within retention: untouched
    assert q[0].startswith("purged-") and '"app_name": "Zoom"' in q[1] and "eve@" not in q[1]
    assert audit == [("raw.configuration_items", "assigned_user_email", 2, pd.Timestamp("2026-09-29").date(), 1)]
    assert built.startswith("purge-")  # published by the build's publish step
    assert not list(versions.glob("*.duckdb"))  # a rollback cannot bring the data back
    assert "2 kept version(s) deleted" in r.out  # the one planted and the pre-purge file publish kept
    # a second purge finds nothing left to replace
    again = itam("purge", "--older-than", "1d", "--landing", SMALL_LANDING, "--warehouse", wh)
    assert again.rc == 0 and "nothing older than the cutoff holds personal data" in again.out


def test_purge_age_syntax():
    from dagster_project.governance.retention import parse_age

    assert [parse_age(a) for a in ("730", "730d", "104w", "24m", "2y")] == [730, 730, 728, 720, 730]
    for bad in ("0", "-3d", "2 years", "y"):
        with pytest.raises(ValueError, match="positive number of days"):
            parse_age(bad)
