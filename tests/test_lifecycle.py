"""Hand-computed expectations for fct_utilization, fct_refresh_plan and fct_refresh_plan_rollup on
tests/fixtures/landing_lifecycle, built once for this module.

The landing gets its end-of-life reference data the way a user would: the real endoflife.date
product files (../shared/realdata/endoflife-date, as published) mapped at 2026-06-30, and the
project's own fixture tests/fixtures/mappings/endoflife-date/exampleos.md (eol given as a date,
as `false` and as `true`) mapped at 2026-09-30. The taxonomy is the shipped one plus two
eol_products rules for the fictional Example OS.

Policy used (taxonomy/policies.yaml): agent stale window 30 days, network_scan 45, reclaim window
90 days, warranty / eol / age horizons 6 months, USD->EUR 0.90 from 2026-07. Class refresh cycles:
laptop 48 months, desktop 60, server 60. As of 2026-09-30 every horizon ends 2027-03-30; the
agent window starts 2026-08-31, the network_scan window 2026-08-16, the reclaim window 2026-07-02.

Real end-of-life dates used (endoflife.date): windows 10-22h2 2025-10-14, windows 11-24h2-w
2026-10-13, windows 11-24h2-e 2027-10-12, windows-server 2016 2027-01-12.
Assets are named by their serial as dim_asset normalises it (SN-L1 in the exports is SNL1).
"""
from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal

import pytest
from conftest import REALDATA, REPO, Warehouse, build, make_settings

FIXTURE = REPO / "tests" / "fixtures" / "landing_lifecycle"
EXAMPLE_OS = REPO / "tests" / "fixtures" / "mappings" / "endoflife-date" / "exampleos.md"
Q3, Q2 = "2026-09-30", "2026-06-30"

# Example OS cycles are "3.10", "3.9" and "2": the 3.x rule first, then the major version.
EXAMPLE_OS_RULES = """
  - {id: example-os-3, match: os, pattern: "example os (3\\\\.\\\\d+)", product: example-os, cycle: "\\\\1"}
  - {id: example-os, match: os, pattern: "example os (\\\\d+)", product: example-os, cycle: "\\\\1"}
"""

# The PowerEdge R760 cannot run a supported Example OS release after 2: its end of life there
# means new hardware (model_families, issue 13).
EXAMPLE_OS_FAMILY = """
  - {id: r760-example-os-2, model: "poweredge r760", os: "^example os 2", os_upgrade: false}
"""

@pytest.fixture(scope="module")
def wh(tmp_path_factory) -> Warehouse:
    if not (REALDATA / "endoflife-date").is_dir():
        pytest.skip(f"real endoflife.date sample not found at {REALDATA}")
    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.mappings import import_native

    root = tmp_path_factory.mktemp("lifecycle")
    landing = root / "landing"
    shutil.copytree(FIXTURE, landing)
    import_native(None, [REALDATA / "endoflife-date"], landing, date(2026, 6, 30), log=lambda m: None)
    import_native(None, [EXAMPLE_OS], landing, date(2026, 9, 30), log=lambda m: None)
    taxonomy = root / "taxonomy"
    shutil.copytree(REPO / "taxonomy", taxonomy)
    with (taxonomy / "normalisation.yaml").open("a", encoding="utf-8") as fh:
        fh.write(EXAMPLE_OS_RULES)  # eol_products is the file's last list
    with (taxonomy / "asset_classes.yaml").open("a", encoding="utf-8") as fh:
        fh.write(EXAMPLE_OS_FAMILY)  # model_families is the file's last list
    assert [r.id for r in load_taxonomy(taxonomy).normalisation.eol_products][-2:] == ["example-os-3", "example-os"]
    outcome = build(make_settings(landing, root / "warehouse.duckdb", taxonomy=taxonomy))
    assert outcome.success, outcome.failures
    return Warehouse(root / "warehouse.duckdb")


# --------------------------------------------------------------------------------------------
# fct_utilization
# --------------------------------------------------------------------------------------------

UTIL_COLS = ("assets_total, assets_active, assets_idle, seats_owned, seats_assigned, seats_active, "
             "utilisation_basis, utilisation_pct")


def util(wh, asset_class, cost_center, as_of=Q3):
    return wh.rows(f"select {UTIL_COLS} from marts.fct_utilization where as_of_date = ? "
                   "and asset_class is not distinct from ? and cost_center is not distinct from ?",
                   [as_of, asset_class, cost_center])


def test_laptops_active_vs_idle_by_the_agent_window(wh):
    # Laptops of CC-A: L1 (agent 09-28), L2 (09-25), L4 (09-29) seen after 2026-08-31: active.
    # L3 last seen 2026-08-20 (41 days > 30): idle; L5 in stock, never seen: idle.
    # 5 total, 3 active, 2 idle, 100 * 3 / 5 = 60.00 %. No seats: the basis is assets.
    assert util(wh, "laptop", "CC-A") == [(5, 3, 2, 0, 0, 0, "assets", Decimal("60.00"))]
    assert util(wh, "laptop", "CC-B") == [(1, 1, 0, 0, 0, 0, "assets", Decimal("100.00"))]  # L6


def test_window_is_the_one_of_the_source_that_saw_the_device(wh):
    # Desktops of CC-B, both last seen 2026-08-20 (41 days ago): D1 by the network scan
    # (window 45 days: active), D2 by the agent (window 30 days: idle). 1 / 2 = 50.00 %.
    assert util(wh, "desktop", "CC-B") == [(2, 1, 1, 0, 0, 0, "assets", Decimal("50.00"))]
    assert util(wh, "server", "CC-C") == [(3, 3, 0, 0, 0, 0, "assets", Decimal("100.00"))]


def test_subscription_seats_shared_by_the_owning_cost_centers(wh):
    # Zoom: ENT-Z1 (CC-A), ENT-Z2 (CC-B), ENT-Z3 (CC-C), 10 seats each, are in force; ENT-Z0
    # (5 seats, CC-B) ended 2025-12-31: not owned, and retired so not an asset in service.
    # Usage: u1..u4 have a seat (assigned 4); u1 09-20, u2 08-01, u3 07-15 are within the reclaim
    # window (from 2026-07-02), u4 05-01 is not (active 3); u5 has no seat.
    # Shared by owned seats, 10/30 each: assigned 4 / 3 = 1.333 -> 1.33, 1.33, and the largest
    # owner (tie: first cost center, CC-A) takes the remainder 4 - 2.66 = 1.34; active 3 / 3 = 1.00.
    # utilisation = 100 * 1.00 / 10 = 10.00 % everywhere. Each entitlement is active (Zoom is used).
    def seats(assigned):
        return (1, 1, 0, Decimal("10.00"), Decimal(assigned), Decimal("1.00"), "seats", Decimal("10.00"))

    assert util(wh, "subscription", "CC-A") == [seats("1.34")]
    assert util(wh, "subscription", "CC-B") == [seats("1.33")]
    assert util(wh, "subscription", "CC-C") == [seats("1.33")]


def test_saas_apps_and_an_unpaid_app(wh):
    # The Zoom app takes its cost center from its latest entitlement (ENT-Z3, CC-C); its seats are
    # on the subscription rows, so the saas row counts the app only: active (u1 09-20), 100.00 %.
    assert util(wh, "saas", "CC-C") == [(1, 1, 0, 0, 0, 0, "assets", Decimal("100.00"))]
    # Miro has no entitlement (no cost center): m1 and m2 have a seat (assigned 2), m1 was active
    # 09-10 (active 1), m2 03-01 was not; owned 0, so no percentage.
    assert util(wh, "saas", None) == [(1, 1, 0, 0, Decimal("2.00"), Decimal("1.00"), "seats", None)]


def test_seats_agree_with_the_license_position(wh):
    # Every product's consumption is reported once, on one class x cost center row.
    util_sum = wh.one("select sum(seats_assigned), sum(seats_active), sum(seats_owned) from marts.fct_utilization "
                      "where as_of_date = ? and class_path like 'software/%'", [Q3])
    pos_sum = wh.one("select sum(consumption), sum(active_consumption_90d), sum(entitlements) "
                     "from marts.fct_license_position_detail where as_of_date = ?", [Q3])
    assert util_sum == pos_sum == (Decimal("4.00"), Decimal("3.00"), Decimal("30.00"))


def test_utilization_keeps_one_row_per_class_cost_center_and_date(wh):
    rows = wh.rows("select as_of_date, asset_class, cost_center, count(*) from marts.fct_utilization "
                   "group by all having count(*) > 1")
    assert rows == []
    # 2026-06-30: only SRV-S1 (seen 06-28, within the agent window).
    assert util(wh, "server", "CC-C", as_of=Q2) == [(1, 1, 0, 0, 0, 0, "assets", Decimal("100.00"))]


# --------------------------------------------------------------------------------------------
# fct_refresh_plan
# --------------------------------------------------------------------------------------------

PLAN_COLS = ("planned_quarter, due_date, is_overdue, reason, reasons, replacement_cost_estimate, "
             "cost_basis")


def plan(wh, serial, as_of=Q3):
    return wh.rows(f"select {PLAN_COLS} from marts.fct_refresh_plan where as_of_date = ? and serial_number = ?",
                   [as_of, serial])


def d(s: str) -> date:
    return date.fromisoformat(s)


def test_plan_holds_exactly_the_assets_due_within_the_horizons(wh):
    # Due: L1 (warranty), L3 and L4 (end of life), L5 and D1 (age), S1 (all three), S2 (eol: true).
    # Not due: L2 (warranty 2027-04-15 after 2027-03-30), L6, D2, S3 (Example OS 3.9: eol false).
    serials = [r[0] for r in wh.rows("select serial_number from marts.fct_refresh_plan where as_of_date = ? "
                                     "order by 1", [Q3])]
    assert serials == ["SND1", "SNL1", "SNL3", "SNL4", "SNL5", "SNS1", "SNS2"]


def test_warranty_inside_and_outside_the_horizon(wh):
    # L1: warranty 2027-02-15 <= 2027-03-30 -> 2027Q1. Replacement: latest Latitude 5440 purchase
    # is PO-L2 of 2026-08-20, 1300 USD * 0.90 = 1170.00 EUR (not PO-L1 1100, nor PO-L5 1000).
    assert plan(wh, "SNL1") == [("2027Q1", d("2027-02-15"), False, "warranty_end", "warranty_end",
                                  Decimal("1170.00"), "model")]
    # L2: warranty 2027-04-15 > 2027-03-30, OS Windows 11 Enterprise 24H2 ends 2027-10-12,
    # ordered 2026-08-20 + 48 months: nothing due.
    assert plan(wh, "SNL2") == []


def test_end_of_life_os_with_a_published_date(wh):
    # L3 runs Windows 10 Pro 10.0.19045 -> windows 10-22h2, end of life 2025-10-14: overdue, so
    # planned in the first quarter not yet begun at the snapshot (2026-09-30 -> 2026Q4). No model family stops a ThinkPad X1 Carbon from running a
    # supported release: an os_upgrade (policy os_upgrade_cost 0), no new hardware.
    assert plan(wh, "SNL3") == [("2026Q4", d("2025-10-14"), True, "end_of_life", "end_of_life",
                                  Decimal("0.00"), "os_upgrade")]
    (row,) = wh.rows("select eol_basis, eol_product, eol_cycle, eol_date, cost_po_number, action, due_status, "
                     "planned_cost from marts.fct_refresh_plan where as_of_date = ? and serial_number = 'SNL3'", [Q3])
    assert row == ("os", "windows", "10-22h2", d("2025-10-14"), None, "os_upgrade", "backlog", Decimal("0.00"))


def test_earliest_reason_wins_and_all_are_listed(wh):
    # L4: Windows 11 Pro 10.0.26100 -> 11-24h2-w ends 2026-10-13; warranty 2027-01-20.
    # Earliest: end_of_life 2026-10-13 -> 2026Q4.
    assert plan(wh, "SNL4") == [("2026Q4", d("2026-10-13"), False, "end_of_life", "end_of_life,warranty_end",
                                  Decimal("1170.00"), "model")]
    # S1: warranty 2026-12-31, Windows Server 2016 ends 2027-01-12, in service 2022-01-15 + 60
    # months = 2027-01-15. No PowerEdge R740 purchase: the latest server purchase, PO-S line 2,
    # 9000 USD * 0.90 = 8100.00 EUR. Age makes it a replacement, and the 2026Q4 capacity is taken
    # by S2 and L5 (test_replacements_are_spread_by_capacity): planned 2027Q1.
    assert plan(wh, "SNS1") == [("2027Q1", d("2026-12-31"), False, "warranty_end",
                                  "warranty_end,end_of_life,age", Decimal("8100.00"), "class")]


def test_end_of_life_given_as_true_or_false(wh):
    # S2: Example OS 2.8 -> cycle "2", published as `eol: true` without a date: already at end of
    # life, due at the snapshot date 2026-09-30 (2026Q3, not overdue). The module's model family
    # says an R760 cannot run a later Example OS: replace, at the PowerEdge R760 model price,
    # planned in 2026Q4: 2026Q3 is over at the snapshot.
    assert plan(wh, "SNS2") == [("2026Q4", d("2026-09-30"), False, "end_of_life", "end_of_life",
                                  Decimal("8100.00"), "model")]
    (row,) = wh.rows("select eol_cycle, eol_date, eol_due_date from marts.fct_refresh_plan "
                     "where as_of_date = ? and serial_number = 'SNS2'", [Q3])
    assert row == ("2", None, d("2026-09-30"))
    # S3: Example OS 3.9.7 -> cycle "3.9", `eol: false`: never due for end of life.
    assert plan(wh, "SNS3") == []
    assert wh.one("select eol_flag from intermediate.int_asset_eol a join marts.dim_asset d using (as_of_date, asset_id) "
                  "where a.as_of_date = ? and d.serial_number = 'SNS3'", [Q3]) is False


def test_actions_backlog_and_os_upgrade_blocks(wh):
    # issue 13: age / model end of life / OS end of life on a blocked model family → replace; OS end
    # of life alone → os_upgrade; warranty end alone → extend_or_replace (policy warranty_end_action).
    rows = {r[0]: r[1:] for r in wh.rows(
        "select serial_number, action, due_status, needs_os_upgrade, os_upgrade_blocked_by, planned_cost, "
        "due_quarter from marts.fct_refresh_plan where as_of_date = ?", [Q3])}
    assert rows == {
        "SNL1": ("extend_or_replace", "newly_due", False, None, Decimal("1170.00"), "2027Q1"),  # warranty only
        "SNL3": ("os_upgrade", "backlog", True, None, Decimal("0.00"), "2025Q4"),             # Windows 10 EOL
        "SNL4": ("extend_or_replace", "newly_due", True, None, Decimal("1170.00"), "2026Q4"),  # OS EOL + warranty
        "SNL5": ("replace", "newly_due", False, None, Decimal("1170.00"), "2026Q4"),           # age
        "SND1": ("replace", "newly_due", False, None, Decimal("850.00"), "2026Q4"),            # age
        "SNS1": ("replace", "newly_due", False, None, Decimal("8100.00"), "2026Q4"),           # age (+ warranty, EOL)
        "SNS2": ("replace", "newly_due", False, "r760-example-os-2", Decimal("8100.00"), "2026Q3"),  # blocked
    }


def test_replacements_are_spread_by_capacity(wh):
    # 11 devices in scope (L1-L6, D1, D2, S1-S3, none retired) x refresh_capacity_pct_per_quarter 10 %
    # = 1.1 → 2 replacements a quarter. Queue by due date: S2 (2026-09-30, 2026Q3), L5 (2026-11-10),
    # D1 (2026-12-01), S1 (2026-12-31). 2026Q3 is over at the snapshot, so the first plannable
    # quarter is 2026Q4 and all four arrive there: it serves S2 and L5; D1 and S1 wait for 2027Q1.
    # Non-replacement actions take no capacity (L4 stays in 2026Q4).
    assert wh.rows("select planned_quarter, string_agg(serial_number, ',' order by serial_number) "
                   "from marts.fct_refresh_plan where as_of_date = ? and action = 'replace' group by 1 order by 1",
                   [Q3]) == [("2026Q4", "SNL5,SNS2"), ("2027Q1", "SND1,SNS1")]


def test_age_beyond_the_refresh_cycle(wh):
    # D1: in service 2021-12-01 (fixed-asset register) + 60 months = 2026-12-01 -> due 2026Q4,
    # planned 2027Q1 (capacity). Latest OptiPlex 7010 purchase: PO-D2 2025-05-05 at 850.00 (not D1's own 800.00 of 2021).
    assert plan(wh, "SND1") == [("2027Q1", d("2026-12-01"), False, "age", "age", Decimal("850.00"), "model")]
    # L5: no register row, ordered 2022-11-10 + 48 months = 2026-11-10 -> 2026Q4.
    assert plan(wh, "SNL5") == [("2026Q4", d("2026-11-10"), False, "age", "age", Decimal("1170.00"), "model")]
    (row,) = wh.rows("select service_start_date, service_start_basis, refresh_cycle_months, age_due_date "
                     "from marts.fct_refresh_plan where as_of_date = ? and serial_number = 'SNL5'", [Q3])
    assert row == (d("2022-11-10"), "order_date", 48, d("2026-11-10"))


def test_horizon_moves_with_the_snapshot_date(wh):
    # As of 2026-06-30 the horizons end 2026-12-30: S1's warranty (2026-12-31) and end of life
    # (2027-01-12) are both beyond it, and the register (age) arrived only in the 09-30 export.
    assert plan(wh, "SNS1", as_of=Q2) == []
    assert wh.one("select count(*) from marts.fct_refresh_plan where as_of_date = ?", [Q2]) == 0


# --------------------------------------------------------------------------------------------
# fct_refresh_plan_rollup
# --------------------------------------------------------------------------------------------

def test_rollup_per_quarter_and_cost_center(wh):
    rows = wh.rows("select planned_quarter, cost_center, assets_due, assets_warranty_end, assets_end_of_life, "
                   "assets_age, assets_overdue, replacement_cost_estimate, assets_without_cost_estimate "
                   "from marts.fct_refresh_plan_rollup where as_of_date = ? order by 1, 2", [Q3])
    assert rows == [
        ("2026Q4", "CC-A", 3, 0, 2, 1, 1, Decimal("2340.00"), 0),   # L3 os_upgrade 0 + L4 1170 + L5 1170
        ("2026Q4", "CC-C", 1, 0, 1, 0, 0, Decimal("8100.00"), 0),   # S2 8100
        ("2027Q1", "CC-A", 1, 1, 0, 0, 0, Decimal("1170.00"), 0),   # L1 1170
        ("2027Q1", "CC-B", 1, 0, 0, 1, 0, Decimal("850.00"), 0),    # D1 850 (capacity)
        ("2027Q1", "CC-C", 1, 1, 0, 0, 0, Decimal("8100.00"), 0),   # S1 8100 (capacity)
    ]
    # The rollup adds up to the plan: 2340 + 8100 + 1170 + 850 + 8100 = 20560.00.
    assert wh.one("select sum(replacement_cost_estimate) from marts.fct_refresh_plan where as_of_date = ?",
                  [Q3]) == Decimal("20560.00")
    assert wh.rows("select planned_quarter, sum(assets_replace), sum(assets_extend_or_replace), sum(assets_os_upgrade), "
                   "sum(assets_backlog), sum(assets_newly_due), sum(planned_cost) from marts.fct_refresh_plan_rollup "
                   "where as_of_date = ? group by 1 order by 1", [Q3]) == [
        ("2026Q4", 2, 1, 1, 1, 3, Decimal("10440.00")),  # S2 8100 + L5 1170 + L4 1170 + L3 0
        ("2027Q1", 2, 1, 0, 0, 3, Decimal("10120.00")),  # D1 850 + S1 8100 + L1 1170
    ]


# --------------------------------------------------------------------------------------------
# The shipped eol_products rules against the real endoflife.date files (no build)
# --------------------------------------------------------------------------------------------

# (kind, text as the warehouse builds it, expected rule, product, cycle)
SHIPPED_EOL_CASES = [
    ("os", "Windows 11 Enterprise 10.0.22631", "windows-11-23h2-e", "windows", "11-23h2-e"),
    ("os", "Windows 11 Pro 10.0.26100", "windows-11-24h2-w", "windows", "11-24h2-w"),
    ("os", "Windows 10 Enterprise 10.0.19045", "windows-10-22h2", "windows", "10-22h2"),
    ("os", "Windows 10 Pro", "windows-10", "windows", "10-22h2"),
    ("os", "Windows 10 Enterprise LTSC 2021 10.0.19044", "windows-10-ltsc-2021", "windows", "10-21h2-e-lts"),
    ("os", "Windows Server 2019 Standard 10.0.17763", "windows-server", "windows-server", "2019"),
    ("os", "Windows Server 2012 R2 Datacenter", "windows-server-r2", "windows-server", "2012-r2"),
    ("os", "macOS 14 14.6.1", "macos", "macos", "14"),
    ("os", "macOS Catalina 10.15.7", "macos-10", "macos", "10.15"),
    ("os", "Ubuntu 22.04.4 LTS", "ubuntu", "ubuntu", "22.04"),
    ("os", "Red Hat Enterprise Linux 8.10", "rhel", "rhel", "8"),
    ("os", "VMware ESXi 7.0.3", "esxi", "esxi", "7.0"),
    ("model", "Apple iPhone 13 Pro Max", "iphone-pro-max", "iphone", "13-pro-max"),
    ("model", "Apple iPhone 14 Plus", "iphone-variant", "iphone", "14-plus"),
    ("model", "Apple iPhone 15", "iphone", "iphone", "15"),
    ("model", "Microsoft Surface Laptop 5", "surface-laptop", "surface", "laptop-5"),
    ("model", "Microsoft Surface Pro 9", "surface-pro", "surface", "pro-9"),
]


def test_shipped_eol_rules_name_real_endoflife_cycles(tmp_path):
    if not (REALDATA / "endoflife-date").is_dir():
        pytest.skip(f"real endoflife.date sample not found at {REALDATA}")
    import duckdb

    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.mappings import import_native

    import_native(None, [REALDATA / "endoflife-date"], tmp_path, date(2026, 6, 30), log=lambda m: None)
    con = duckdb.connect()
    cycles = {(p, c) for p, c in con.execute(
        "select lower(product), lower(cycle) from read_csv(?, all_varchar = true)",
        [str(tmp_path / "reference" / "2026-06-30" / "eol_cycles.csv")]).fetchall()}
    rules = load_taxonomy(REPO / "taxonomy").normalisation.eol_products
    for kind, text, rule_id, product, cycle in SHIPPED_EOL_CASES:
        # The semantics of dbt/macros/eol_products.sql: the first rule of the kind whose pattern
        # is found (case-insensitive); the cycle template filled from the leftmost match.
        rule = next(r for r in rules if r.match == kind
                    and con.execute("select regexp_matches(?, ?, 'i')", [text, r.pattern]).fetchone()[0])
        got = con.execute("select lower(trim(regexp_replace(?, '(?is)^.*?(?:' || ? || ').*$', ?)))",
                          [text, rule.pattern, rule.cycle]).fetchone()[0]
        assert (rule.id, rule.product, got) == (rule_id, product, cycle), text
        assert (product, cycle) in cycles, f"{text}: {product} {cycle} is not an endoflife.date cycle"
