"""Effective license position, reclamation, unauthorised software and SaaS overlap on a
hand-written landing (tests/fixtures/landing_licensing), built once for this module. Every number
is derived here (issue 13; docs/decisions/license-position.md).

Policy (taxonomy/policies.yaml): reclaim window 90 days, agent stale window 30 days, default 8
cores per device, USD->EUR 0.92 before 2026-07 and 0.90 from 2026-07. Licensing
(taxonomy/licensing.yaml): metric order subscription, user, device, core; maintenance 20 %;
SQL Server vm_min_cores 4; Oracle uses core factors (Xeon 0.5). As-of date 2026-09-30, so
"reclaimable" means last used before 2026-07-02 (2026-09-30 - 90 days).

Devices (CMDB assignment / last logged-on user): L1 ann/ann, L2 ben/ben, L3 -/cat, L4 ann/ann,
L5 -/- (no user known), SV1 32 cores, SV2 no core count (-> default 8), SV3 4 cores Xeon; hosts
H1 24 cores, H2 32 cores; VMs VM1 4 vcores on H1 (Virtualized by::Virtualizes), VM2 2 vcores and
VM3 6 vcores on H2 (Runs on::Runs, runs_on), VM4 2 vcores on H1 by discovery's runs_on only; L9 last seen 2026-08-01 (stale: its installs do not
count)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import REPO, Warehouse, built_warehouse

from dagster_project.governance.loading import load_taxonomy
from dagster_project.governance.problems import TaxonomyError

LANDING = REPO / "tests" / "fixtures" / "landing_licensing"
Q3, Q2 = "2026-09-30", "2026-06-30"


@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    return built_warehouse(LANDING, tmp_path_factory.mktemp("licensing") / "warehouse.duckdb")


POSITION_COLS = ("license_metric", "metrics_pooled", "entitlements", "entitlements_expired",
                 "entitlements_outside_version_rights", "consumption", "active_consumption_90d", "position",
                 "over_licensed", "reclaimable", "shortfall_units", "true_up_units", "unit_cost", "license_type",
                 "true_up_exposure_one_time", "true_up_exposure_per_year", "recurring_savings_per_year",
                 "reharvest_value", "shelfware_cost_per_year", "consumers_with_default_cores",
                 "vms_covered_by_host", "consumption_rule")
MONEY = ("true_up_exposure_one_time", "true_up_exposure_per_year", "recurring_savings_per_year",
         "reharvest_value", "shelfware_cost_per_year")


def position(wh, product, as_of=Q3, publisher=None):
    (row,) = wh.rows(f"select {', '.join(POSITION_COLS)} from marts.fct_license_position "
                     "where as_of_date = ? and product = ? and publisher = coalesce(?, publisher)",
                     [as_of, product, publisher])
    return dict(zip(POSITION_COLS, row))


def detail(wh, product, as_of=Q3):
    cols = ("entitlements_in_force", "granted_by_bundles", "entitlements", "allocated", "items_covered",
            "used_by_components", "unused", "reclaimable", "annual_unit_cost", "recurring_savings_per_year",
            "shelfware_cost_per_year")
    rows = wh.rows(f"select license_metric, {', '.join(cols)} from marts.fct_license_position_detail "
                   "where as_of_date = ? and product = ? order by license_metric", [as_of, product])
    return {r[0]: dict(zip(cols, r[1:])) for r in rows}


def numbers(r, *cols):
    return tuple(r[c] for c in cols)


def money(r):
    return tuple(r[c] for c in MONEY)


def D(*xs):
    return tuple(Decimal(str(x)).quantize(Decimal("0.01")) for x in xs)


def reclaim_rows(wh, product, as_of=Q3):
    return wh.rows(
        "select covered_by_metric, consumer_type, consumer_key, hostname, user_email, cast(last_used_at as date)::varchar, "
        "days_idle, units, recurring_savings_per_year, reharvest_value from marts.fct_license_reclamation "
        "where as_of_date = ? and product = ? order by consumer_key", [as_of, product])


def asset(wh, serial):
    return wh.one("select asset_id from marts.dim_asset where as_of_date = ? and serial_number = ?", [Q3, serial])


def test_device_metric_perpetual_savings_are_the_support_fee_and_reharvest_is_apart(wh):
    # Project Professional (P1: 5 perpetual devices at 1000 EUR). Installed on L1 (two spellings
    # -> one device), L2, L3, and on L9 which is stale -> consumption 3. L2 last used 2026-05-01
    # -> reclaimable; L3's last use is unknown -> never reclaimed. position 5 - 3 = +2.
    # Money: nothing to buy; reclaiming L2 saves its annual support fee 20 % x 1000 = 200/yr and
    # makes one perpetual license reusable (reharvest 1000, one-time, not a saving); the 2
    # unassigned licenses cost 2 x 200 = 400/yr of support (shelfware).
    r = position(wh, "Project Professional")
    assert (r["license_metric"], r["license_type"]) == ("device", "perpetual")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "over_licensed",
                   "reclaimable", "shortfall_units", "true_up_units") == (5, 3, 2, 2, 2, 1, 0, 0)
    assert money(r) == D(0, 0, 200, 1000, 400)
    # idle 2026-05-01 -> 2026-09-30 = 31 + 30 + 31 + 31 + 29 = 152 days
    assert reclaim_rows(wh, "Project Professional") == [
        ("device", "device", asset(wh, "S2"), "l2", "ben@example.com", "2026-05-01", 152, *D(1, 200, 1000))]
    (cc,) = wh.rows("select cost_center from marts.fct_license_reclamation where product = 'Project Professional'")
    assert cc == ("CC-ENG",)


def test_reclaim_before_true_up_user_metric(wh):
    # IntelliJ (J1: 2 users at 500 USD bought 2026-08 -> 500 x 0.90 = 450 EUR/yr). Installs: L1
    # and L4 are both ann (one user), L3 is cat (last logged-on user; last use 2026-01-01 ->
    # idle), L5 has no known user and counts as one consumer. 3 users for 2 licenses: short 1
    # as things are, but reclaiming cat's install covers it: true-up 0, and the reclaimed
    # license is reused, so it saves nothing (the "same seats as savings and true-up").
    r = position(wh, "IntelliJ IDEA Ultimate")
    assert numbers(r, "license_metric", "entitlements", "consumption", "active_consumption_90d", "position",
                   "reclaimable", "shortfall_units", "true_up_units") == ("user", 2, 3, 2, -1, 1, 1, 0)
    assert r["unit_cost"] == Decimal("450.00")
    assert money(r) == D(0, 0, 0, 0, 0)
    # cat holds no license (active users were covered first): one uncovered row, no money.
    # cat idle 2026-01-01 -> 2026-09-30: 243 + 29 = 272 days
    assert reclaim_rows(wh, "IntelliJ IDEA Ultimate") == [
        (None, "device", asset(wh, "S3"), "l3", "cat@example.com", "2026-01-01", 272, *D(1, 0, 0))]


def test_reclaim_covers_part_of_the_shortfall_and_the_rest_is_bought(wh):
    # Slack (SL1: 2 seats at 96 EUR/yr): seats of ann, ben, cat active, dan idle since 2026-03-01;
    # the desktop client is installed on L1 and L4 (ann, who has a seat) and L5 (no user known).
    # A subscription covers a user's devices and SaaS seat once (ISO/IEC 19770 ELP): ann is one
    # consumer for 3 items, L5 one more -> 5 consumers (ann, ben, cat, dan, L5) for 2 seats:
    # short 3 as things are; reclaiming dan leaves 4 - 2 = 2 to buy: 2 x 96 = 192 per year.
    r = position(wh, "Slack")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "reclaimable",
                   "shortfall_units", "true_up_units") == (2, 5, 4, -3, 1, 3, 2)
    assert money(r) == D(0, 192, 0, 0, 0)
    assert [x[2] for x in reclaim_rows(wh, "Slack")] == ["seat:dan@example.com"]
    # ann's seat and both installs are one user: 3 items, 1 unit, covered first (most items).
    ann = wh.rows("select consumer_type, covered_metric, held_units from intermediate.int_license_coverage "
                  "where as_of_date = ? and product_norm = 'slack' and user_key = 'ann@example.com' "
                  "order by consumer_type, consumer_key", [Q3])
    assert sorted(x[:2] for x in ann) == [("device", "subscription"), ("device", "subscription"),
                                          ("user", "subscription")]
    assert sum(x[2] for x in ann) == 1


def test_multi_metric_pooling_covers_each_install_once(wh):
    # Visio Professional: V1 2 perpetual device licenses (590), V2 1 user subscription (150/yr,
    # the latest purchase: the true-up metric). Installs on L1 and L4 (ann), L2 (ben), L3 (cat).
    # Order subscription, user, device: the user license covers ann and both her devices, the 2
    # device licenses cover L2 and L3 -> compliant (each metric alone would be short 2).
    r = position(wh, "Visio Professional")
    assert numbers(r, "license_metric", "metrics_pooled", "entitlements", "consumption", "position",
                   "true_up_units") == ("user", "device, user", 3, 3, 0, 0)
    assert money(r) == D(0, 0, 0, 0, 0)
    d = detail(wh, "Visio Professional")
    assert numbers(d["user"], "entitlements", "allocated", "items_covered", "unused") == (1, 1, 2, 0)
    assert numbers(d["device"], "entitlements", "allocated", "items_covered", "unused") == (2, 2, 2, 0)
    # perpetual device support fee: 20 % x 590 = 118
    assert d["device"]["annual_unit_cost"] == Decimal("118.00")


def test_bundle_grants_its_components_through_the_m365_sku_reference(wh):
    # E3 "Microsoft 365 E3" (2 subscription seats, 396/yr) is SKU SPE_E3, whose service plans
    # OFFICESUBSCRIPTION and TEAMS1 taxonomy/licensing.yaml maps to Microsoft 365 Apps for
    # enterprise and Microsoft Teams (EXCHANGE_S_ENTERPRISE is not mapped: ignored).
    # M365 Apps: own M1 1 seat + 2 granted = 3 for installs of ann, ben, cat -> compliant.
    r = position(wh, "Microsoft 365 Apps for enterprise")
    assert numbers(r, "entitlements", "consumption", "position", "true_up_units", "unit_cost") == (3, 3, 0, 0, 264)
    d = detail(wh, "Microsoft 365 Apps for enterprise")["subscription"]
    assert numbers(d, "entitlements_in_force", "granted_by_bundles", "allocated") == (3, 2, 3)
    # Teams: 2 granted seats for the 2 assigned users; no own purchase -> priced as a bundle seat.
    t = position(wh, "Microsoft Teams")
    assert numbers(t, "entitlements", "consumption", "position", "unit_cost") == (2, 2, 0, 396)
    # The bundle's own row: its seats are used through the components (M365 Apps takes 3 - 1 own
    # = 2 granted) -> nothing unused, no shelfware, money stays on this row only.
    e = position(wh, "Microsoft 365 E3")
    assert numbers(e, "entitlements", "consumption", "position") == (2, 2, 0)
    assert money(e) == D(0, 0, 0, 0, 0)
    assert detail(wh, "Microsoft 365 E3")["subscription"]["used_by_components"] == 2


def test_vm_on_licensed_host_and_vm_minimum(wh):
    # SQL Server Standard (SS1: 24 perpetual cores at 2000): H1 (24 physical cores) has it, so
    # VM1 on H1 (CMDB) and VM4 on H1 (only discovery says so: devices.runs_on) are covered by the
    # host (0); H2 has it not, so VM2 counts max(2, 4) = 4 and VM3 6.
    # consumption 24 + 0 + 0 + 4 + 6 = 34 (counting the VMs' own cores would give 24+4+2+2+6 = 38).
    # position 24 - 34 = -10; nothing idle: true-up 10 x 2000 = 20000 one-time.
    r = position(wh, "SQL Server Standard")
    assert numbers(r, "license_metric", "entitlements", "consumption", "position", "true_up_units",
                   "vms_covered_by_host", "consumers_with_default_cores") == ("core", 24, 34, -10, 10, 2, 0)
    assert money(r) == D(20000, 0, 0, 0, 0)
    assert "2 VMs covered by their licensed host" in r["consumption_rule"]
    assert "2 VMs counted by their virtual cores" in r["consumption_rule"]


def test_core_factor_and_default_cores_flagged(wh):
    # Oracle (O1: 16 perpetual cores at 20000): SV3 4 cores Xeon x 0.5 = 2 (last used 2026-06-01,
    # idle 121 days) + SV2 no core count -> default 8 (no processor -> factor 1), flagged.
    # consumption 10, position +6. Money: SV3's 2 cores save 2 x 4000 support = 8000/yr, reharvest
    # 2 x 20000 = 40000 one-time; 6 unused cores cost 6 x 4000 = 24000/yr of support.
    r = position(wh, "Oracle Database Enterprise Edition")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "over_licensed",
                   "reclaimable", "consumers_with_default_cores") == (16, 10, 8, 6, 6, 2, 1)
    assert "1 devices at the default of 8 cores" in r["consumption_rule"]
    assert money(r) == D(0, 0, 8000, 40000, 24000)
    assert reclaim_rows(wh, "Oracle Database Enterprise Edition") == [
        ("core", "device", asset(wh, "SV3"), "sv3", None, "2026-06-01", 121, *D(2, 8000, 40000))]


def test_version_rights_and_downgrade(wh):
    # SQL Server Enterprise: Q1 16 cores with rights up to 2019, Q2 24 cores up to 2022 (7500, the
    # latest). SV1 runs "SQL Server 2022 Enterprise" on 32 cores, SV2 "SQL Server 2019 Enterprise"
    # on the default 8. Q1 can cover only SV2's 8 cores: 16 - 8 = 8 left out; Q2's 2022 rights
    # cover the 2022 release and, by downgrade, 2019. entitlements 32; consumption 40; -8; nothing
    # idle: true-up 8 x 7500 = 60000 one-time.
    r = position(wh, "SQL Server Enterprise")
    assert numbers(r, "entitlements", "entitlements_outside_version_rights", "consumption", "position",
                   "true_up_units", "consumers_with_default_cores") == (32, 8, 40, -8, 8, 1)
    assert money(r) == D(60000, 0, 0, 0, 0)
    assert "8 entitled units left out" in r["consumption_rule"] and "release 2019" in r["consumption_rule"]
    # the part-used remainder of the core pool is allocated, not shelfware
    assert numbers(detail(wh, "SQL Server Enterprise")["core"], "entitlements", "allocated", "unused") == (32, 32, 0)


def test_subscription_seats_savings_and_shelfware(wh):
    # Figma (F1: 10 seats at 540 USD bought 2026-01 -> 496.80 EUR/yr). Latest feed: ann, ben,
    # dan assigned (cat active but not assigned); eve gone since June -> 3 seats; ben idle since
    # 2026-04-01 (182 days). Savings 496.80/yr; 7 unassigned seats: 7 x 496.80 = 3477.60/yr.
    r = position(wh, "Figma")
    assert numbers(r, "entitlements", "consumption", "active_consumption_90d", "position", "reclaimable") \
        == (10, 3, 2, 7, 1)
    assert money(r) == D(0, 0, "496.80", 0, "3477.60")
    assert reclaim_rows(wh, "Figma") == [
        ("subscription", "user", "seat:ben@example.com", None, "ben@example.com", "2026-04-01", 182,
         *D(1, "496.80", 0))]


def test_expired_subscription_is_a_yearly_true_up(wh):
    # Acrobat Pro A1 (10 seats, 200 EUR) ended 2026-06-30; ann's install on L1 -> 0 - 1 = -1,
    # true-up 1 x 200 per year (a subscription), nothing one-time.
    r = position(wh, "Acrobat Pro")
    assert numbers(r, "entitlements", "entitlements_expired", "consumption", "position") == (0, 10, 1, -1)
    assert money(r) == D(0, 200, 0, 0, 0)


def test_money_is_traceable_and_separated_everywhere(wh):
    # The dbt tests assert_license_money_matches_reclamation and assert_license_position_arithmetic
    # block a build otherwise; checked here on the published marts as well.
    bad = wh.rows(
        "select p.product from marts.fct_license_position p left join ("
        "  select as_of_date, publisher_norm, product_norm, sum(recurring_savings_per_year) s, sum(reharvest_value) h"
        "  from marts.fct_license_reclamation group by all) r using (as_of_date, publisher_norm, product_norm) "
        "where p.recurring_savings_per_year <> coalesce(r.s, 0) or p.reharvest_value <> coalesce(r.h, 0) "
        "   or (p.true_up_units > 0 and p.recurring_savings_per_year <> 0)")
    assert bad == []
    # Totals at Q3, each figure under its own name (never summed across periods):
    # one-time 60000 + 20000; per year 200 + Slack 192 + Trello 60 USD x 0.92 = 55.20 -> 447.20;
    # savings 200 + 8000 + 496.80 + Zoom 150 + Zenith Studio 50 = 8896.80; reharvest 1000 + 40000.
    totals = wh.rows("select sum(true_up_exposure_one_time), sum(true_up_exposure_per_year), "
                     "sum(recurring_savings_per_year), sum(reharvest_value) from marts.fct_license_position "
                     "where as_of_date = ?", [Q3])[0]
    assert totals == D(80000, "447.20", "8896.80", 41000)
    # 7 candidates: Project (L2), IntelliJ (cat), Oracle (SV3), Figma (ben), Zoom (ben), Slack (dan),
    # Zenith's Studio (eve)
    assert wh.one("select count(*) from marts.fct_license_reclamation where as_of_date = ?", [Q3]) == 7


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


def test_licensing_declarations_are_validated_with_actionable_errors(tmp_path):
    # No build: taxonomy/licensing.yaml is optional (defaults apply) and its mistakes are named.
    import shutil
    d = tmp_path / "taxonomy"
    shutil.copytree(REPO / "taxonomy", d)
    (d / "licensing.yaml").unlink()
    t = load_taxonomy(d)
    assert t.licensing.metric_order == ["subscription", "user", "device", "core"]
    assert t.table_rows()["vm_host_relationships"][0] == ("Virtualized by::Virtualizes", "child")
    (d / "licensing.yaml").write_text(
        "metric_order: [user, user, device]\n"
        "vm_host_relationships: {runs_on: host}\n"
        "core_factors: [{processor: 'xeon(', factor: 0.5}]\n"
        "products: {Microsoft: {Office: {bundle: [Office], vm_min_core: 4}}}\n")
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(d)
    text = str(e.value)
    assert "licensing.yaml: vm_host_relationships" in text and "parent" in text
    assert "vm_min_core" in text and "vm_min_cores" in text          # unknown key, with the right one
    (d / "licensing.yaml").write_text(
        "metric_order: [user, user, device]\n"
        "core_factors: [{processor: 'xeon(', factor: 0.5}]\n"
        "products: {Microsoft: {Office: {bundle: [Office]}}}\n")
    with pytest.raises(TaxonomyError) as e:
        load_taxonomy(d)
    problems = [str(p) for p in e.value.problems]
    assert any(p.startswith("licensing.yaml: metric_order: metric 'user' is listed twice") for p in problems)
    assert any("metric(s) core, subscription not listed" in p for p in problems)
    assert any(p.startswith("licensing.yaml: core_factors[0].processor: invalid regular expression") for p in problems)
    assert any(p.startswith("licensing.yaml: products.Microsoft.Office.bundle") for p in problems)


def test_saas_seats_meet_entitlements_by_publisher_and_product(wh):
    # "Studio" is two products: Acme Cloud's (ST1: 2 seats at 100/yr) and Zenith Labs' (ST2: 5 seats
    # at 50/yr). The feed's vendor names the publisher ("Acme Cloud Inc." and "Zenith Labs GmbH"
    # normalise like the entitlements' publishers): Acme ann, ben; Zenith cat, dan, and eve idle
    # since 2026-03-01 (reclaimable). fay's row has no vendor and two publishers sell a "Studio":
    # her seat is neither's. Joined by the product name alone, each position would count all six
    # users: Acme 2 - 6 = -4 (a true-up of 4 x 100 = 400/yr), Zenith 5 - 6 = -1.
    acme = position(wh, "Studio", publisher="Acme Cloud")
    assert numbers(acme, "license_metric", "entitlements", "consumption", "active_consumption_90d", "position",
                   "reclaimable", "shortfall_units", "true_up_units") == ("subscription", 2, 2, 2, 0, 0, 0, 0)
    assert money(acme) == D(0, 0, 0, 0, 0)
    # Zenith: 5 - 3 = +2; eve's seat saves 50/yr; the 2 unassigned seats cost 2 x 50 = 100/yr.
    zen = position(wh, "Studio", publisher="Zenith Labs GmbH")
    assert numbers(zen, "entitlements", "consumption", "active_consumption_90d", "position", "reclaimable",
                   "true_up_units") == (5, 3, 2, 2, 1, 0)
    assert money(zen) == D(0, 0, 50, 0, 100)
    assert [x[2] for x in reclaim_rows(wh, "Studio")] == ["seat:eve@example.com"]
    # A row without a vendor whose product one publisher sells is that publisher's: gus's Webex
    # seat is Cisco's (W1 5 seats, dan and gus) -> +3, 3 x 144 = 432/yr of shelfware.
    w = position(wh, "Webex")
    assert numbers(w, "entitlements", "consumption", "position") == (5, 2, 3)
    assert money(w) == D(0, 0, 0, 0, 432)
    # SaaS overlap: one row per publisher's app, fay's unattributed seat on its own unpaid row.
    rows = wh.rows("select publisher_norm, vendor, paid_seats, assigned_seats, active_users_90d, annual_cost, is_paid "
                   "from marts.fct_saas_overlap where as_of_date = ? and app_name = 'Studio' "
                   "order by publisher_norm nulls last", [Q3])
    assert rows == [("acme cloud", "Acme Cloud", 2, 2, 2, Decimal("200.00"), True),
                    ("zenith labs", "Zenith Labs", 5, 3, 2, Decimal("250.00"), True),
                    (None, None, 0, 1, 1, Decimal("0.00"), False)]
    # HubSpot has no entitlement; cat's row has no vendor, ben's names HubSpot: the feed knows the
    # name under one publisher, so it is one app (ben unassigned, cat assigned), not two.
    assert wh.rows("select publisher_norm, assigned_seats, active_users_90d from marts.fct_saas_overlap "
                   "where as_of_date = ? and app_name = 'HubSpot'", [Q3]) == [("hubspot", 1, 2)]
