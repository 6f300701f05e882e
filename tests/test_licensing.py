"""License position, reclamation, unauthorised software and SaaS overlap on a hand-written landing
(tests/fixtures/landing_licensing), built once for this module. Every number is derived here.

Policy (taxonomy/policies.yaml): reclaim window 90 days, agent stale window 30 days, default 8
cores per device, USD->EUR 0.92 before 2026-07 and 0.90 from 2026-07. As-of date 2026-09-30, so
"reclaimable" means last used before 2026-07-02 (2026-09-30 - 90 days).

Devices (CMDB assignment / last logged-on user): L1 ann/ann, L2 ben/ben, L3 -/cat, L4 ann/ann,
L5 -/- (no user known), SV1 32 cores, SV2 no core count (-> default 8), SV3 4 cores; L9 last
seen 2026-08-01 (60 days > 30: stale, its installs do not count)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from conftest import REPO, Warehouse, built_warehouse

LANDING = REPO / "tests" / "fixtures" / "landing_licensing"
Q3, Q2 = "2026-09-30", "2026-06-30"


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return built_warehouse(LANDING, tmp_path_factory.mktemp("licensing") / "warehouse.duckdb")


POSITION_COLS = ("license_metric", "entitlements", "entitlements_expired", "entitlements_outside_version_rights",
                 "consumption", "active_consumption_90d", "position", "over_licensed", "reclaimable",
                 "unit_cost", "reclaim_savings", "true_up_exposure", "consumers_with_default_cores",
                 "consumption_rule")


def position(wh, product, as_of=Q3):
    (row,) = wh.rows(f"select {', '.join(POSITION_COLS)} from marts.fct_license_position "
                     "where as_of_date = ? and product = ?", [as_of, product])
    return dict(zip(POSITION_COLS, row))


def numbers(r, *cols):
    return tuple(r[c] for c in cols)


def reclaim_rows(wh, product, as_of=Q3):
    return wh.rows(
        "select consumer_type, consumer_key, hostname, user_email, cast(last_used_at as date)::varchar, "
        "days_idle, units, savings from marts.fct_license_reclamation "
        "where as_of_date = ? and product = ? order by consumer_key", [as_of, product])


def test_device_metric_counts_distinct_current_devices(wh):
    # Project Professional (P1: 5 devices at 1000 EUR). Installed on L1 (two spellings -> one
    # device), L2, L3, and on L9 which is stale -> consumption 3. L2 last used 2026-05-01 ->
    # reclaimable; L3's last use is unknown -> never reclaimed. position 5 - 3 = +2.
    r = position(wh, "Project Professional")
    assert r["license_metric"] == "device"
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "over_licensed",
                   "reclaimable") == (5, 3, 2, 2, 2, 1)
    assert r["reclaim_savings"] == Decimal("1000.00")   # 1 x 1000
    assert r["true_up_exposure"] == Decimal("0.00")     # max(0, -2) = 0
    assert r["consumption_rule"].startswith("distinct devices")


def test_reclaim_row_names_device_user_and_savings(wh):
    # The one reclaimable Project install: L2 (ben), idle 2026-05-01 -> 2026-09-30 =
    # 31 + 30 + 31 + 31 + 29 = 152 days; savings 1 x 1000.
    assert reclaim_rows(wh, "Project Professional") == [
        ("device", wh.one("select asset_id from marts.dim_asset where as_of_date = ? and serial_number = 'S2'", [Q3]),
         "l2", "ben@example.com", "2026-05-01", 152, Decimal("1.00"), Decimal("1000.00"))]
    (cc,) = wh.rows("select cost_center from marts.fct_license_reclamation where product = 'Project Professional'")
    assert cc == ("CC-ENG",)


def test_user_metric_joins_devices_to_users(wh):
    # IntelliJ (J1: 2 users at 500 USD bought 2026-08 -> 500 x 0.90 = 450 EUR). Installs: L1 and
    # L4 are both ann (one user; latest use 2026-09-01), L3 is cat through the last logged-on
    # user (no CMDB assignment; last use 2026-01-01 -> reclaimable), L5 has no known user and
    # counts as one consumer. consumption 3, position 2 - 3 = -1.
    r = position(wh, "IntelliJ IDEA Ultimate")
    assert r["license_metric"] == "user"
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "reclaimable") \
        == (2, 3, 2, -1, 1)
    assert r["unit_cost"] == Decimal("450.00")
    assert r["true_up_exposure"] == Decimal("450.00")   # max(0, 1) x 450
    assert r["reclaim_savings"] == Decimal("450.00")    # 1 x 450
    # cat idle 2026-01-01 -> 2026-09-30: 243 + 29 = 272 days
    assert reclaim_rows(wh, "IntelliJ IDEA Ultimate") == [
        ("user", "cat@example.com", "l3", "cat@example.com", "2026-01-01", 272, Decimal("1.00"), Decimal("450.00"))]


def test_core_metric_default_cores_flagged_and_reclaimed_in_cores(wh):
    # Oracle (O1: 16 cores at 20000 EUR): SV3 4 cores (last used 2026-06-01, idle 121 days ->
    # reclaimable) + SV2 with no core count -> default 8, flagged. consumption 12, position +4.
    r = position(wh, "Oracle Database Enterprise Edition")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "over_licensed",
                   "reclaimable", "consumers_with_default_cores") == (16, 12, 8, 4, 4, 4, 1)
    assert "1 devices at the default of 8 cores" in r["consumption_rule"]
    assert r["reclaim_savings"] == Decimal("80000.00")  # 4 cores x 20000
    # One row (one device) carrying 4 cores: reclaimable counts cores for the core metric.
    assert reclaim_rows(wh, "Oracle Database Enterprise Edition") == [
        ("device", wh.one("select asset_id from marts.dim_asset where as_of_date = ? and serial_number = 'SV3'", [Q3]),
         "sv3", None, "2026-06-01", 121, Decimal("4.00"), Decimal("80000.00"))]


def test_version_rights_leave_out_entitlements_that_cannot_cover_the_release(wh):
    # SQL Server: Q1 16 cores with rights up to 2019, Q2 24 cores without limit (7500, latest).
    # SV1 runs "SQL Server 2022 Enterprise" on 32 cores, SV2 "SQL Server 2019 Enterprise" on the
    # default 8. Q1 can cover only SV2's 8 cores: 16 - 8 = 8 entitled cores left out.
    # entitlements 16 + 24 - 8 = 32; consumption 32 + 8 = 40; position -8 (without the rights
    # rule it would be 0: the 2022 cores need 32 and only Q2's 24 may cover them).
    r = position(wh, "SQL Server Enterprise")
    assert numbers(r, "entitlements", "entitlements_outside_version_rights", "consumption", "position",
                   "consumers_with_default_cores") == (32, 8, 40, -8, 1)
    assert r["unit_cost"] == Decimal("7500.00")
    assert r["true_up_exposure"] == Decimal("60000.00")  # 8 x 7500
    assert "8 entitled units left out" in r["consumption_rule"] and "release 2019" in r["consumption_rule"]


def test_subscription_counts_assigned_seats_of_the_latest_export(wh):
    # Figma (F1: 10 seats at 540 USD bought 2026-01 -> 540 x 0.92 = 496.80 EUR). Latest feed:
    # ann, ben, dan assigned (cat active but not assigned); eve was assigned in June and is gone
    # from the September export -> 3 seats. ben last active 2026-04-01 (182 days) -> reclaimable.
    r = position(wh, "Figma")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "reclaimable") \
        == (10, 3, 2, 7, 1)
    assert r["reclaim_savings"] == Decimal("496.80")
    assert r["consumption_rule"] == "seats assigned in the SaaS usage feed"
    assert reclaim_rows(wh, "Figma") == [
        ("user", "ben@example.com", None, "ben@example.com", "2026-04-01", 182, Decimal("1.00"), Decimal("496.80"))]


def test_expired_subscription_does_not_count(wh):
    # Acrobat Pro A1 (10 seats, 200 EUR) ended 2026-06-30; ann's install on L1 (no SaaS feed for
    # it -> users of devices) is under-licensed: 0 - 1 = -1, true-up 1 x 200.
    r = position(wh, "Acrobat Pro")
    assert numbers(r, "entitlements", "entitlements_expired", "consumption", "position") == (0, 10, 1, -1)
    assert r["true_up_exposure"] == Decimal("200.00")


def test_reclaimable_equals_reclamation_rows_everywhere(wh):
    # The dbt test assert_reclaimable_matches_reclamation_rows blocks a build otherwise; checked
    # here on the published marts as well (sum of units; rows for non-core metrics).
    bad = wh.rows(
        "select p.product from marts.fct_license_position p left join ("
        "  select as_of_date, product_norm, license_metric, count(*) n, sum(units) u, sum(savings) s"
        "  from marts.fct_license_reclamation group by all) r using (as_of_date, product_norm, license_metric) "
        "where p.reclaimable <> coalesce(r.u, 0) or p.reclaim_savings <> coalesce(r.s, 0) "
        "   or (p.license_metric <> 'core' and p.reclaimable <> coalesce(r.n, 0))")
    assert bad == []
    # 5 candidates: Project (L2), IntelliJ (cat), Oracle (SV3), Figma (ben), Zoom (ben)
    assert wh.one("select count(*) from marts.fct_license_reclamation where as_of_date = ?", [Q3]) == 5


def test_unauthorised_installs_are_exceptions(wh):
    # uTorrent on L2 (rule p2p-file-sharing) and TeamViewer 15 on L3 (rule teamviewer); XMRig on
    # L4 was last seen 2026-08-01, outside the 30-day agent window -> no exception.
    rows = wh.rows(
        "select problem_key, status, detail from marts.fct_reconciliation_exceptions "
        "where as_of_date = ? and exception_type = 'unauthorised_software' order by problem_key", [Q3])
    assert [(k, s) for k, s, _ in rows] == [
        ("serial:S2|bittorrent|utorrent", "new"),
        ("serial:S3|teamviewer germany|teamviewer 15", "new"),
    ]
    assert "rule p2p-file-sharing" in rows[0][2] and "peer-to-peer" in rows[0][2] and "l2" in rows[0][2]
    assert "rule teamviewer" in rows[1][2] and "remote-access" in rows[1][2]


def saas(wh, app, as_of=Q3):
    cols = ("function_category", "apps_in_category", "paid_apps_in_category", "is_paid", "paid_seats",
            "assigned_seats", "active_users_90d", "unused_paid_seats", "annual_cost", "overlap_flag",
            "overlapping_apps")
    (row,) = wh.rows(f"select {', '.join(cols)} from marts.fct_saas_overlap where as_of_date = ? and app_name = ?",
                     [as_of, app])
    return dict(zip(cols, row))


def test_saas_overlap_category_with_two_paid_apps(wh):
    # video_conferencing: Zoom (20 seats x 150 = 3000) and Webex (5 x 144 = 720) paid, Teams free.
    # Zoom: assigned ann, ben, cat; active within 90 days ann (09-20), cat (09-29) -> 2;
    # unused paid seats 20 - 2 = 18.
    z = saas(wh, "Zoom")
    assert (z["function_category"], z["apps_in_category"], z["paid_apps_in_category"]) == ("video_conferencing", 3, 2)
    assert (z["paid_seats"], z["assigned_seats"], z["active_users_90d"], z["unused_paid_seats"]) == (20, 3, 2, 18)
    assert z["annual_cost"] == Decimal("3000.00")
    assert z["overlap_flag"] is True and z["overlapping_apps"] == "Webex, Zoom"
    w = saas(wh, "Webex")
    assert w["overlap_flag"] is True and w["annual_cost"] == Decimal("720.00")
    # Teams is in the category but free: not an overlapping subscription.
    t = saas(wh, "Microsoft Teams")
    assert (t["is_paid"], t["overlap_flag"], t["assigned_seats"]) == (False, False, 2)


def test_saas_no_overlap_with_one_paid_app(wh):
    # crm: Salesforce paid (3 x 1980 = 5940), HubSpot free -> no overlap.
    s = saas(wh, "Salesforce")
    assert (s["apps_in_category"], s["paid_apps_in_category"], s["overlap_flag"]) == (2, 1, False)
    assert s["annual_cost"] == Decimal("5940.00")
    # project_management: Asana paid (4 x round(131.88 x 0.90, 4) = 4 x 118.692 = 474.768 ->
    # 474.77), Trello's only subscription ended 2026-06-30 -> not paid -> no overlap.
    a = saas(wh, "Asana")
    assert (a["paid_seats"], a["annual_cost"], a["overlap_flag"]) == (4, Decimal("474.77"), False)
    tr = saas(wh, "Trello")
    assert (tr["is_paid"], tr["paid_seats"], tr["paid_apps_in_category"], tr["overlap_flag"]) == (False, 0, 1, False)
    # design: Figma alone; 10 x 496.80 = 4968; active ann and cat (cat not assigned) -> 2.
    f = saas(wh, "Figma")
    assert (f["apps_in_category"], f["active_users_90d"], f["annual_cost"], f["overlap_flag"]) \
        == (1, 2, Decimal("4968.00"), False)


def test_saas_snapshot_per_export_date(wh):
    # June: only Figma in the feed (ann, ben, eve assigned); no entitlements exported yet -> unpaid.
    f = saas(wh, "Figma", Q2)
    assert (f["assigned_seats"], f["paid_seats"], f["is_paid"]) == (3, 0, False)
