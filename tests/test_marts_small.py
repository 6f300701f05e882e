"""Hand-computed expectations on the small hand-written landing (tests/fixtures/landing_small).
The fixture's README-style comments are here: every expected number is derived in the test.

Policy used (taxonomy/policies.yaml): agent stale window 30 days, network_scan 45, deployment
window 60, reclaim window 90, capitalisation threshold 1000 EUR, USD->EUR 0.92 before 2026-07."""
from __future__ import annotations

from decimal import Decimal

Q3, Q2 = "2026-09-30", "2026-06-30"


def asset_by_serial(wh, serial, as_of=Q3):
    return wh.rows(
        "select asset_id, asset_class, classification_rule, ownership_rule, owner_function, "
        "accountable_owner, match_rules, in_cmdb, in_discovery, in_procurement, in_fixed_assets, "
        "hostname, lifecycle_state from marts.dim_asset where as_of_date = ? and serial_number = ?",
        [as_of, serial])


def test_one_snapshot_per_export_date(small_warehouse):
    dates = [str(r[0]) for r in small_warehouse.rows("select distinct as_of_date from marts.dim_asset order by 1")]
    assert dates == [Q2, Q3]


def test_matching_builds_thirteen_devices_from_four_sources(small_warehouse):
    # 10 CMDB CIs (CI004/CI005 share serial DUP1 -> 9 clusters) + ROGUE1 + OLD1 (discovery only)
    # + NEW1 + NEW2 (procurement only) = 13 devices; 5 entitlements; one SaaS app whose three
    # spellings ("Adobe Creative Cloud", "Creative Cloud", "creative cloud ") are one product.
    kinds = dict(small_warehouse.rows(
        "select asset_kind, count(*) from marts.dim_asset where as_of_date = ? group by 1", [Q3]))
    assert kinds == {"device": 13, "entitlement": 5, "saas_app": 1}


def test_serial_match_normalises_case_and_whitespace(small_warehouse):
    # CMDB "ab-123 ", discovery "AB123", purchase line and register "AB123" are one laptop.
    (row,) = asset_by_serial(small_warehouse, "AB123")
    assert row[1] == "laptop" and row[2] == "cmdb-laptop-class"
    assert row[7:11] == (True, True, True, True)
    assert row[6] == "serial"


def test_tag_then_hostname_match(small_warehouse):
    # CI008 has no serial: the register row joins it by asset tag AT-8, and the network scan of
    # "dsk-008.corp.example.com" joins it by normalised hostname.
    (row,) = small_warehouse.rows(
        "select match_rules, in_cmdb, in_discovery, in_fixed_assets, asset_class from marts.dim_asset "
        "where as_of_date = ? and asset_tag = 'AT-8'", [Q3])
    assert row == ("asset_tag,hostname", True, True, True, "desktop")


def test_mac_match_after_hostname(small_warehouse):
    # The printer: scan "prn-01" joins by hostname; scan "printer-x" (same MAC, other name) by MAC.
    (row,) = asset_by_serial(small_warehouse, "PRN1")
    assert row[6] == "hostname,mac,serial"
    assert row[1] == "printer"


def test_ownership_precedence(small_warehouse):
    # SRV1 is in CC-IT-INFRA: the class+cost-center rule (precedence 10) beats the class rule.
    srv1 = asset_by_serial(small_warehouse, "SRV1")[0]
    srv3 = asset_by_serial(small_warehouse, "SRV3")[0]
    assert srv1[3:6] == ("servers-in-infrastructure", "IT", "infra.lead@example.com")
    assert srv3[3:6] == ("servers", "IT", "cto@example.com")
    # The printer class has no ownership rule: unowned.
    assert asset_by_serial(small_warehouse, "PRN1")[0][3] is None


def exceptions(wh, as_of):
    return {
        (t, key): status
        for t, key, status in wh.rows(
            "select exception_type, problem_key, status from marts.fct_reconciliation_exceptions "
            "where as_of_date = ?", [as_of])
    }


def test_exceptions_first_quarter(small_warehouse):
    assert exceptions(small_warehouse, Q2) == {
        ("unmanaged_device", "serial:OLD1"): "new",        # agent saw it 5 days ago, no CI
        ("ghost_ci", "serial:SRV1"): "new",                # in_use, agent last saw it 60 days ago
        ("missing_from_fixed_assets", "serial:SN2"): "new",  # 1200 EUR laptop, not in register
        ("unowned", "serial:PRN1"): "new",                 # printers have no ownership rule
    }


def test_exceptions_second_quarter_with_status(small_warehouse):
    assert exceptions(small_warehouse, Q3) == {
        ("unmanaged_device", "serial:OLD1"): "resolved",   # not seen for 97 days > 30
        ("unmanaged_device", "serial:ROGUE1"): "new",
        ("ghost_ci", "serial:SRV1"): "open",
        ("purchased_not_deployed", "serial:NEW1"): "new",  # ordered 121 days ago; NEW2 only 15
        ("attribute_drift", "serial:SN2|assigned_user"): "new",   # bob in CMDB, carol logged on
        ("attribute_drift", "serial:DUP1|model"): "new",          # Latitude vs ThinkPad
        ("attribute_drift", "tag:AT-8|cost_center"): "new",       # CC-FIN vs register CC-OPS
        ("attribute_drift", "serial:PRN1|hostname"): "new",       # latest scan answers printer-x
        ("missing_from_fixed_assets", "serial:SN2"): "open",
        ("duplicate_record", "serial:DUP1"): "new",        # CI004 and CI005
        ("unclassified", "serial:W1"): "new",              # ci_class "widget"
        ("unowned", "serial:W1"): "new",
        ("unowned", "serial:PRN1"): "open",
    }


def test_exception_ids_are_stable_across_quarters(small_warehouse):
    rows = small_warehouse.rows(
        "select exception_id, count(distinct as_of_date), min(first_detected_on) "
        "from marts.fct_reconciliation_exceptions where problem_key = 'serial:SRV1' group by 1")
    assert len(rows) == 1 and rows[0][1] == 2 and str(rows[0][2]) == Q2


def license_row(wh, product):
    cols = ("publisher", "license_metric", "entitlements", "entitlements_expired", "consumption",
            "active_consumption_90d", "position", "reclaimable", "unit_cost", "true_up_units",
            "true_up_exposure_one_time", "true_up_exposure_per_year", "recurring_savings_per_year",
            "reharvest_value", "shelfware_cost_per_year", "consumers_with_default_cores")
    (row,) = wh.rows(f"select {', '.join(cols)} from marts.fct_license_position "
                     "where as_of_date = ? and product = ?", [Q3, product])
    return dict(zip(cols, row))


def test_license_position_device_metric(small_warehouse):
    # Entitlements E1 (2) + E2 (1) = 3; installs on 4 devices under 4 publisher spellings and 3
    # product names; LAP-002 last used 2026-03-01 (> 90 days) is reclaimable; LAP-004's use is
    # unknown (never reclaimed). Unit cost = latest purchase in force (E2, 320, perpetual).
    # Reclaim first, buy the rest: LAP-002's license covers the shortfall, so nothing to buy and
    # nothing saved; the reused perpetual license is reharvest value (320, one-time).
    r = license_row(small_warehouse, "Visio Professional")
    assert r["publisher"] == "Microsoft" and r["license_metric"] == "device"
    assert (r["entitlements"], r["consumption"], r["active_consumption_90d"]) == (3, 4, 3)
    assert (r["position"], r["reclaimable"], r["true_up_units"]) == (-1, 1, 0)
    assert (r["true_up_exposure_one_time"], r["recurring_savings_per_year"], r["reharvest_value"]) \
        == (Decimal("0.00"), Decimal("0.00"), Decimal("320.00"))


def test_license_position_core_metric_with_default(small_warehouse):
    # SRV-02 reports 16 cores; SRV-03 none -> policy default 8 (flagged). 24 used vs 8 owned.
    r = license_row(small_warehouse, "SQL Server Enterprise")
    assert (r["entitlements"], r["consumption"], r["position"]) == (8, 24, -16)
    assert r["consumers_with_default_cores"] == 1
    assert r["true_up_exposure_one_time"] == Decimal("112000.00")  # 16 x 7000, perpetual
    assert r["true_up_exposure_per_year"] == Decimal("0.00")


def test_license_position_subscription_seats_and_fx(small_warehouse):
    # 5 seats bought at 600 USD (x 0.92 = 552 EUR); assigned to alice, bob, dave (carol is not
    # assigned); bob inactive since May -> 1 reclaimable seat worth 552 per year; 2 unassigned
    # seats are shelfware: 2 x 552 = 1104 per year.
    r = license_row(small_warehouse, "Creative Cloud")
    assert (r["entitlements"], r["consumption"], r["active_consumption_90d"]) == (5, 3, 2)
    assert (r["position"], r["reclaimable"]) == (2, 1)
    assert r["unit_cost"] == Decimal("552.00") and r["recurring_savings_per_year"] == Decimal("552.00")
    assert r["shelfware_cost_per_year"] == Decimal("1104.00")


def test_expired_subscription_does_not_count(small_warehouse):
    # E4 (10 seats) ended 2026-06-30: nothing in force; alice's install is under-licensed.
    r = license_row(small_warehouse, "Acrobat Pro")
    assert (r["entitlements"], r["entitlements_expired"], r["consumption"], r["position"]) == (0, 10, 1, -1)
    assert r["true_up_exposure_per_year"] == Decimal("200.00")


def test_lineage_on_every_raw_row(small_warehouse):
    missing = small_warehouse.one(
        "select count(*) from raw.configuration_items where _load_id is null or _file is null "
        "or _row_number is null or _export_date is null or _source is null")
    assert missing == 0
    assert small_warehouse.one(
        "select _file || '#' || _row_number from raw.configuration_items where ci_id = 'CI010'") \
        == "cmdb/2026-09-30/configuration_items.csv#11"


def test_governance_kpis_with_prior_quarter(small_warehouse):
    def kpi(name, as_of=Q3):
        cols = ("value", "prior_value", "change", "change_pct", "trend", "assessment")
        (row,) = small_warehouse.rows(f"select {', '.join(cols)} from marts.fct_governance_kpi_summary "
                                      "where kpi = ? and as_of_date = ?", [name, as_of])
        return dict(zip(cols, row))
    # Q3 exceptions (test_exceptions_second_quarter_with_status): 9 new + 3 open = 12 not resolved;
    # Q2 had 4. change 8 = +200 % of 4; more open exceptions is worse.
    assert kpi("open_exceptions") == {"value": Decimal("12.00"), "prior_value": Decimal("4.00"),
                                      "change": Decimal("8.00"), "change_pct": Decimal("200.00"),
                                      "trend": "up", "assessment": "worsened"}
    assert kpi("new_exceptions")["value"] == Decimal("9.00")
    assert kpi("resolved_exceptions")["value"] == Decimal("1.00")   # OLD1's unmanaged_device
    # True-up after reharvesting: SQL Server 112,000 one-time; Acrobat 200 per year (Visio's
    # shortfall is covered by reclaiming LAP-002). One-time and yearly amounts are never summed.
    assert kpi("true_up_exposure_one_time")["value"] == Decimal("112000.00")
    assert kpi("true_up_exposure_per_year")["value"] == Decimal("200.00")
    assert kpi("recurring_savings_per_year")["value"] == Decimal("552.00")
    assert kpi("under_licensed_products")["value"] == Decimal("3.00")
    # Nothing signed off in this fixture: shown as 0 with no last signed quarter, not left out.
    assert kpi("signed_quarters")["value"] == Decimal("0.00")
    # The first snapshot has nothing to compare with.
    first = kpi("open_exceptions", Q2)
    assert (first["value"], first["prior_value"], first["trend"]) == (Decimal("4.00"), None, "new")
