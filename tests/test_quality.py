"""Data quality (docs/data-quality.md): every Great Expectations suite catches its planted defects;
warnings publish and blocking failures do not (the old file stays, the build names the check, the
table and the offending keys); a silent discovery source is one finding in fct_stale_records;
fct_data_quality pass rates as counted by hand; Data Docs written next to the warehouse."""
from __future__ import annotations

import hashlib
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import REALDATA, REPO, Warehouse, build, make_settings

from dagster_project.contract import ENTITY_BY_NAME

QUALITY_LANDING = REPO / "tests" / "fixtures" / "landing_quality"
DEFECTS_LANDING = REPO / "tests" / "fixtures" / "landing_quality_defects"
LAST, FIRST = date(2026, 9, 30), date(2026, 6, 30)


def quiet(_msg: str) -> None:
    pass


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingested(landing: Path, db: Path) -> duckdb.DuckDBPyConnection:
    from dagster_project.ingest.load import ingest_landing

    con = duckdb.connect(str(db))
    ingest_landing(con, landing, log=quiet)
    return con


def judgements(con) -> dict[str, dict[str, tuple[int, int, bool]]]:
    """entity → check → (rows_checked, rows_failed, passed), over every suite."""
    from dagster_project.quality.suites import load_suites
    from dagster_project.quality.validation import validate_entity

    return {entity: {j.expectation.check: (j.rows_checked, j.rows_failed, j.passed)
                     for j in validate_entity(con, suite, log=quiet).judgements}
            for entity, suite in load_suites().items()}


# ---------------------------------------------------------------------------------------------
# The suites on their own (ingestion + GX, no build)
# ---------------------------------------------------------------------------------------------

# tests/fixtures/landing_quality_defects: one export (2026-09-30) per entity with planted defects.
# check → (rows checked, rows failed), counted from the files; rows with a missing value are not
# checked (except by not-null expectations). Every other check of the suite must pass.
# Rows failing a row-level critical expectation never reach raw: ingestion quarantines them
# with rule gx:<check> (EXPECTED_HELD_BACK), so those checks pass on what is loaded and the
# counts below exclude the held-back rows.
EXPECTED_FAILURES = {
    "purchase_lines": {                     # PO1/1/SN1 twice: held back, 3 rows left
        "quantity_positive": (3, 1),        # PO3 quantity 0
        "unit_cost_not_negative": (3, 1),   # PO3 -50
        "order_date_sane": (3, 1),          # PO2 ordered 2026-10-15, after the export date
        "currency_is_iso_code": (3, 1),     # EURO
        "hardware_serial_present": (2, 1),  # 2 hardware rows left, PO4 without serial: 50% < 80%
        "requester_email_format": (2, 1),   # 2 e-mails given, bob-at-example is none
    },
    "license_entitlements": {                     # E1 twice and E2 (-1 x -5) held back: E3, E4 left
        "term_end_not_before_start": (1, 1),      # only E4 has both; ends 2025-12-31 < 2026-01-01
        "purchase_date_sane": (2, 1),             # E3 bought 2027-01-01
        "subscription_term_end_present": (2, 1),  # E3, E4 are subscriptions; E3 has no end: 50% < 90%
    },
    "gl_lines": {"line_no_positive": (1, 1)},     # J1/1 twice held back; J2 line 0
    "cost_centers": {"cost_center_unique": (3, 2),   # CC-ENG twice
                     "owner_email_present": (3, 1)},  # CC-OPS without owner: 67% < 80%
    "fixed_assets": {                                # AT-1 twice and AT-2 (0 months, -100) held back
        "disposal_not_before_in_service": (1, 1),    # AT-3 disposed 2023-06-01 < in service 2024-01-01
        "serial_present": (1, 1),                    # AT-3 without serial: 0% < 80%
    },
    "devices": {
        "observed_not_after_export": (4, 1),  # LAP-2 seen 2026-10-05: 25% > 1%
        "observed_after_2000": (4, 1),        # LAP-3 seen 1999-12-31
        "agent_serial_present": (4, 1),       # 4 agent rows, LAP-3 without serial: 75% < 95%
        "mac_address_format": (4, 1),         # zz:zz
        "ip_address_format": (4, 1),          # not-an-ip
        "sighting_unique": (4, 2),            # LAP-1 sighting twice
    },
    "software_installs": {
        "observed_not_after_export": (2, 1),    # seen 2026-10-05
        "last_used_not_after_export": (2, 1),   # used 2026-10-06
        "installed_before_observed": (2, 1),    # installed 2026-10-10 after seen 2026-10-05
        "version_present": (2, 1),              # 50% < 80%
    },
    "saas_usage": {
        "observed_not_after_export": (3, 1),    # read 2026-10-29
        "user_email_format": (3, 1),            # svc-bot
        "active_not_after_observed": (3, 1),    # active 2026-11-01 after read 2026-10-29
        "seat_reading_unique": (3, 2),          # ann's Slack reading twice
    },
    "configuration_items": {
        "ci_id_unique": (3, 2),                 # CI1 twice
        "updated_not_after_export": (3, 1),     # CI2 updated 2026-10-15
        "serial_present": (3, 1),               # 67% < 90%
        "cost_center_present": (3, 1),
        "assigned_user_email_format": (3, 1),   # not-an-email
        "warranty_end_plausible": (3, 1),       # 9999-12-31
    },
    "ci_relationships": {"relationship_unique": (2, 2), "updated_not_after_export": (2, 1)},
    "cloud_costs": {
        "charge_id_unique": (3, 2), "charge_not_after_export": (3, 1),
        "charge_period_ordered": (3, 1), "currency_is_iso_code": (3, 1),  # "US Dollar"
    },
    "eol_cycles": {"cycle_unique": (3, 2), "eol_not_before_release": (3, 1)},
    "sku_products": {"sku_plan_unique": (3, 2), "sku_id_is_guid": (3, 1)},  # ENTERPRISEPACK
}

# entity → (row number, rule) of every row ingestion holds back on the defects landing.
EXPECTED_HELD_BACK = {
    "purchase_lines": [(2, "gx:line_key_unique"), (3, "gx:line_key_unique")],
    "license_entitlements": [(2, "gx:entitlement_id_unique"), (3, "gx:entitlement_id_unique"),
                             (4, "gx:quantity_not_negative"), (4, "gx:unit_cost_not_negative")],
    "gl_lines": [(2, "gx:line_key_unique"), (3, "gx:line_key_unique")],
    "fixed_assets": [(2, "gx:asset_tag_unique"), (3, "gx:asset_tag_unique"),
                     (4, "gx:acquisition_cost_not_negative"), (4, "gx:useful_life_in_range")],
}


@pytest.fixture(scope="module")
def defect_judgements(tmp_path_factory):
    con = ingested(DEFECTS_LANDING, tmp_path_factory.mktemp("defects") / "w.duckdb")
    try:
        held: dict[str, list] = {}
        for entity, row, rule in con.execute(
                "select entity, row_number, rule from audit.quarantine order by 1, 2, 3").fetchall():
            held.setdefault(entity, []).append((row, rule))
        assert held == EXPECTED_HELD_BACK
        return judgements(con)
    finally:
        con.close()


def test_every_entity_has_a_suite_and_every_suite_a_planted_defect():
    from dagster_project.contract import ENTITY_BY_NAME
    from dagster_project.quality.suites import load_suites

    assert set(load_suites()) == set(ENTITY_BY_NAME) == set(EXPECTED_FAILURES)


@pytest.mark.parametrize("entity", sorted(EXPECTED_FAILURES))
def test_each_suite_catches_its_planted_defects(defect_judgements, entity):
    got = defect_judgements[entity]
    failed = {check: (checked, n) for check, (checked, n, passed) in got.items() if not passed}
    assert failed == EXPECTED_FAILURES[entity]


def test_every_critical_expectation_is_proven_by_a_planted_defect():
    # A blocking check nobody has seen fail is a check that may never fire.
    from dagster_project.quality.suites import load_suites

    # Row-level ones hold their planted rows back at ingestion; aggregate ones fail as checks.
    for entity, suite in load_suites().items():
        for e in suite.expectations:
            if e.blocking:
                held = {rule for _, rule in EXPECTED_HELD_BACK.get(entity, [])}
                assert e.check in EXPECTED_FAILURES[entity] or f"gx:{e.check}" in held, (entity, e.check)


def test_suites_pass_on_generated_exports(tmp_path):
    # The sample generator's exports are clean beyond what ingestion quarantines: not one
    # expectation may fail on them, or every build would carry noise (or be blocked).
    from dagster_project.generate import generate_landing

    generate_landing(tmp_path / "landing", devices=60, seed=11, exports=2, progress=quiet)
    con = ingested(tmp_path / "landing", tmp_path / "w.duckdb")
    try:
        got = judgements(con)
    finally:
        con.close()
    failed = {(e, c) for e, checks in got.items() for c, (_, _, passed) in checks.items() if not passed}
    assert failed == set()
    assert got["devices"]["observed_not_after_export"][0] > 0  # it did look at the rows


@pytest.mark.skipif(not REALDATA.is_dir(), reason=f"real public samples not found at {REALDATA}")
def test_no_blocking_check_fires_on_real_public_exports(tmp_path):
    from dagster_project.mappings import import_native
    from dagster_project.quality.suites import load_suites

    landing = tmp_path / "landing"
    for system, paths in [("glpi", [REALDATA / "glpi-inventory"]), ("snipe-it", [REALDATA / "snipe-it"]),
                          ("focus", [REALDATA / "focus" / "focus_sample.csv"]),
                          ("endoflife-date", [REALDATA / "endoflife-date"]),
                          ("m365-sku", [REALDATA / "m365-sku" / "product_name_2023-08.csv"])]:
        import_native(system, paths, landing, date(2025, 6, 30), log=quiet)
    con = ingested(landing, tmp_path / "w.duckdb")
    try:
        got = judgements(con)
    finally:
        con.close()
    suites = load_suites()
    blocking = {(entity, e.check) for entity, s in suites.items() for e in s.expectations if e.blocking}
    failed = {(e, c) for e, checks in got.items() for c, (_, _, passed) in checks.items() if not passed}
    assert failed & blocking == set()
    # ...while the warnings do see the mess: Snipe-IT's mock assets carry no serial numbers.
    assert got["configuration_items"]["serial_present"] == (22, 22, False)


def test_docs_list_every_check_with_its_severity():
    from dagster_project.quality.suites import load_suites

    text = (REPO / "docs" / "data-quality.md").read_text()
    for entity, suite in load_suites().items():
        section = text.split(f"#### {suite.source}/{entity}\n")[1].split("\n#### ")[0]
        for e in suite.expectations:
            severity = "**blocking**" if e.blocking else "warning"
            assert f"| `{e.check_name}` | {severity} |" in section, (entity, e.check)


def test_suite_enums_match_the_landing_contract():
    from dagster_project.contract import ENTITY_BY_NAME
    from dagster_project.quality.suites import load_suites

    for entity, suite in load_suites().items():
        for e in suite.expectations:
            if e.type == "expect_column_values_to_be_in_set":
                column = ENTITY_BY_NAME[entity].column(e.kwargs["column"])
                assert tuple(e.kwargs["value_set"]) == column.values, (entity, e.check)


def test_chunked_validation_counts_as_one_frame(tmp_path):
    # Large exports are validated in chunks (row-wise expectations) and one frame of key columns
    # (uniqueness): with chunks of 2 rows the counts must equal the single-frame run's.
    from dagster_project.quality.gx import validate_load
    from dagster_project.quality.suites import load_suites

    con = ingested(DEFECTS_LANDING, tmp_path / "w.duckdb")
    try:
        suite = load_suites()["devices"]
        load_id, export_date = con.execute(
            "select load_id, export_date from audit.loads where entity = 'devices'").fetchone()
        whole = validate_load(con, suite, load_id, export_date)
        chunked = validate_load(con, suite, load_id, export_date, chunk_rows=2)
    finally:
        con.close()
    counts = lambda v: {o.check: (o.rows_checked, o.rows_failed, o.success) for o in v.outcomes}  # noqa: E731
    assert counts(chunked) == counts(whole)
    assert counts(whole)["sighting_unique"] == (4, 2, False)  # the duplicates sit in two chunks


def test_invalid_suite_files_name_file_key_and_fix(tmp_path):
    from dagster_project.quality.suites import SuiteError, load_suites

    (tmp_path / "devices.yaml").write_text(
        "name: devices\nexpectations:\n"
        "  - type: expect_column_values_to_not_be_null\n"
        "    kwargs: {column: serial}\n"
        "    severity: fatal\n"
        "    meta: {check: Serial, why: x}\n"
        "  - type: expect_column_values_to_be_between\n"
        "    kwargs: {column: observed_at, max_value: {$PARAMETER: tomorrow}}\n"
        "    meta: {check: later}\n")
    (tmp_path / "widgets.yaml").write_text("name: widgets\nexpectations: []\n")
    with pytest.raises(SuiteError) as err:
        load_suites(tmp_path)
    lines = str(err.value).splitlines()
    assert "devices.yaml: expectations[0].meta.check: missing or not snake_case ('Serial')" in lines[0]
    message = str(err.value)
    assert "devices.yaml: expectations[1].meta.why: missing" in message
    assert "devices.yaml: expectations[1].severity: missing — declare `severity: critical`" in message
    assert "devices.yaml: expectations[1].kwargs: unknown $PARAMETER 'tomorrow'" in message
    assert "widgets.yaml: (file): 'widgets' is not a landing entity" in message
    (tmp_path / "widgets.yaml").unlink()
    (tmp_path / "devices.yaml").write_text(
        "name: devices\nexpectations:\n"
        "  - type: expect_column_values_to_not_be_null\n"
        "    kwargs: {column: serial}\n"
        "    severity: fatal\n"
        "    meta: {check: serial_present, why: matching}\n")
    with pytest.raises(SuiteError) as err:
        load_suites(tmp_path)
    assert str(err.value).splitlines() == [
        "devices.yaml: expectations[0].severity: 'fatal' is not one of critical, warning, info",
        "devices.yaml: expectations[0].kwargs: unknown column 'serial' — use columns of devices: "
        + ", ".join(ENTITY_BY_NAME["devices"].column_names)]  # the contract's list (it grows)


def test_broken_suite_files_become_one_failing_blocking_check(tmp_path):
    # Definitions must still load (so the build can say what is wrong) and must not publish.
    from dagster_project.quality import checks

    (tmp_path / "devices.yaml").write_text("name: devices\nexpectations: oops\n")
    # the settings' expectations folder (ITAM_EXPECTATIONS, read by Settings.from_env only)
    (only,) = checks.quality_checks(tmp_path)
    (spec,) = only.check_specs
    assert (spec.name, spec.blocking, spec.asset_key.path) == ("expectation_suites_valid", True,
                                                                ["warehouse_workspace"])


def test_stale_window_policies_are_validated(tmp_path):
    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.governance.problems import TaxonomyError

    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(REPO / "taxonomy", taxonomy)
    text = (taxonomy / "policies.yaml").read_text()
    text = text.replace("stale_window_class_days: {}", "stale_window_class_days: {agnet: {laptop: 10}, cmdb: {laptops: 5}}")
    text = text.replace("  cmdb: 100\n", "  cmdb: 100\n  warehouse: 3\n")
    (taxonomy / "policies.yaml").write_text(text)
    with pytest.raises(TaxonomyError) as err:
        load_taxonomy(taxonomy)
    assert [str(p) for p in err.value.problems] == [
        "policies.yaml: export_stale_window_days.warehouse: unknown landing source 'warehouse' — use one "
        "of the landing sources: cmdb, discovery, finance, procurement, reference",
        "policies.yaml: stale_window_class_days.agnet: unknown record source 'agnet' — did you mean "
        "'agent'? use one of the record sources: agent, cloud_api, cmdb, mdm, network_scan",
        "policies.yaml: stale_window_class_days.cmdb.laptops: unknown class 'laptops' — did you mean "
        "'laptop'? use one of the classes of asset_classes.yaml: " + ", ".join(sorted(
            load_taxonomy(REPO / "taxonomy").asset_classes.classes)),
    ]


# ---------------------------------------------------------------------------------------------
# One build of tests/fixtures/landing_quality (exports 2026-06-30 and 2026-09-30)
# ---------------------------------------------------------------------------------------------
# What the landing holds, and why:
#   network_scan saw PRN-01, SW-01 and LAP-002 on 2026-06-29, then nothing: at 2026-09-30 it is
#     93 days silent (window 45) — one finding, its 3 records and the 2 CIs only it saw covered.
#   the agent last saw LAP-009 on 2026-07-01 (91 days > 30) and SRV-01 on 2026-09-20 (10 days >
#     the class window of 7 days for servers this taxonomy sets).
#   CMDB CI005 was last updated 2025-12-01 (303 days > 180); CI006 is retired (never stale);
#     CI007's assigned user is "not-an-email" (a GX warning); CI008's status "broken" is quarantined;
#     CI009 (switch SW-02) is new on 2026-09-30: nothing saw it, but only the silent network scan
#     sees network gear, so the silence explains it.
#   procurement/purchase_lines arrived only on 2026-06-30: 92 days > this taxonomy's 60-day window.


@pytest.fixture(scope="module")
def quality_build(tmp_path_factory):
    base = tmp_path_factory.mktemp("quality")
    landing = base / "landing"
    shutil.copytree(QUALITY_LANDING, landing)
    taxonomy = base / "taxonomy"
    shutil.copytree(REPO / "taxonomy", taxonomy)
    text = (taxonomy / "policies.yaml").read_text()
    text = text.replace("stale_window_class_days: {}", "stale_window_class_days: {agent: {server: 7}}")
    text = text.replace("export_stale_window_days:\n  procurement: 100", "export_stale_window_days:\n  procurement: 60")
    (taxonomy / "policies.yaml").write_text(text)
    settings = make_settings(landing, base / "warehouse.duckdb", taxonomy=taxonomy)
    outcome = build(settings)
    return settings, outcome, Warehouse(settings.warehouse)


def test_warnings_do_not_block(quality_build):
    settings, outcome, _ = quality_build
    assert outcome.success, outcome.failures
    assert outcome.published == settings.warehouse and settings.warehouse.exists()
    warnings = "\n".join(outcome.warnings)
    assert ("check gx_assigned_user_email_format on raw/configuration_items failed — raw.configuration_items "
            "(cmdb/2026-09-30/configuration_items.csv): 1 of 3 rows failed; offending keys: row 8: "
            "ci_id=CI007, name=LAP-007, serial_number=SN7, assigned_user_email=not-an-email") in warnings
    assert "check assert_no_silent_feeds on marts/fct_stale_records failed" in warnings


def test_a_silent_discovery_source_is_one_finding(quality_build):
    _, _, wh = quality_build
    findings = wh.rows("select record_kind, source, entity, record_key, age_days, threshold_days, stale_reason "
                       "from marts.fct_stale_records where as_of_date = ? and is_finding order by 1, 2, 4", [LAST])
    assert findings == [
        ("feed", "network_scan", "devices", "network_scan", 93, 45, "silent"),      # 06-29 → 09-30
        ("feed", "procurement", "purchase_lines", "procurement/purchase_lines", 92, 60, "silent"),
        ("record", "agent", "devices", "serial:SN9", 91, 30, "not_seen"),         # 07-01 → 09-30
        ("record", "agent", "devices", "serial:SRV1", 10, 7, "not_seen"),         # class window
        ("record", "cmdb", "configuration_items", "CI005", 303, 180, "not_updated"),  # 2025-12-01
    ]
    # The silent feed's records and the CIs only it saw are stale, but covered by the feed's row.
    covered = wh.rows("select source, record_key, stale_reason, silent_feed from marts.fct_stale_records "
                      "where as_of_date = ? and is_stale and not is_finding order by 1, 2", [LAST])
    assert covered == [
        ("cmdb", "CI003", "not_discovered", "network_scan"),
        ("cmdb", "CI004", "not_discovered", "network_scan"),
        ("cmdb", "CI009", "not_discovered", "network_scan"),
        ("network_scan", "host:lap-002", "not_seen", "network_scan"),
        ("network_scan", "host:prn-01", "not_seen", "network_scan"),
        ("network_scan", "host:sw-01", "not_seen", "network_scan"),
    ]
    # A quarter earlier the scan was alive: only CI005 (2025-12-01 → 2026-06-30 = 211 > 180 days).
    assert wh.rows("select record_key from marts.fct_stale_records where as_of_date = ? and is_stale",
                   [FIRST]) == [("CI005",)]


def test_stale_record_thresholds_come_from_policy_by_source_and_class(quality_build):
    _, _, wh = quality_build
    rows = dict(((s, k), (t, rule, last)) for s, k, t, rule, last in wh.rows(
        "select source, record_key, threshold_days, threshold_rule, last_seen_or_updated_at "
        "from marts.fct_stale_records where as_of_date = ?", [LAST]))
    assert rows[("agent", "serial:SRV1")][:2] == (7, "stale_window_class_days.agent.server")
    assert rows[("agent", "serial:SN1")][:2] == (30, "stale_window_days.agent")
    assert rows[("cmdb", "CI006")][:2] == (180, "cmdb_stale_window_days")
    assert rows[("discovery", "discovery/devices")] == (100, "export_stale_window_days.discovery",
                                                         datetime(2026, 9, 30))
    # the retired CI is 637 days old (2025-01-01 → 2026-09-30) and still not stale
    assert wh.one("select (age_days, is_stale, expected_current) from marts.fct_stale_records "
                  "where as_of_date = ? and record_key = 'CI006'", [LAST]) == (637, False, False)


def test_data_quality_pass_rates_by_hand(quality_build):
    _, _, wh = quality_build
    got = {(r[0], r[1], r[2], r[3]): r[4:] for r in wh.rows(
        "select as_of_date, source, entity, rule, rows_checked, rows_failed, cast(pass_rate as double), "
        "cast(prior_pass_rate as double) from marts.fct_data_quality")}
    q = lambda d, s, e, r: got[(d, s, e, r)]  # noqa: E731
    # GX: CI e-mails given 2 (06-30) then 3 (09-30), CI007's is none: 1 − 1/3 = 0.666667
    assert q(FIRST, "cmdb", "configuration_items", "gx.assigned_user_email_format") == (2, 0, 1.0, None)
    assert q(LAST, "cmdb", "configuration_items", "gx.assigned_user_email_format") == (3, 1, 0.666667, 1.0)
    # ingestion: 9 CI rows delivered on 09-30, CI008 quarantined: 8/9
    assert q(LAST, "cmdb", "configuration_items", "ingest.rows_accepted") == (9, 1, 0.888889, 1.0)
    assert q(LAST, "cmdb", "configuration_items", "ingest.files_accepted") == (1, 0, 1.0, 1.0)
    # the export in force for purchase lines at 09-30 is still 06-30's (2 rows)
    assert q(LAST, "procurement", "purchase_lines", "ingest.rows_accepted") == (2, 0, 1.0, 1.0)
    # freshness: agent records 3 current (06-30); 5 on 09-30 of which SN9 and SRV1 stale: 3/5
    assert q(FIRST, "agent", "devices", "freshness.records_current") == (3, 0, 1.0, None)
    assert q(LAST, "agent", "devices", "freshness.records_current") == (5, 2, 0.6, 1.0)
    # CIs expected current: CI001-5 (06-30, CI005 stale: 4/5); CI001-5, CI007, CI009 (09-30;
    # CI003, CI004, CI005, CI009 stale: 3/7). CI006 is retired, CI008 never loaded.
    assert q(FIRST, "cmdb", "configuration_items", "freshness.records_current") == (5, 1, 0.8, None)
    assert q(LAST, "cmdb", "configuration_items", "freshness.records_current") == (7, 4, 0.428571, 0.8)
    assert q(LAST, "network_scan", "devices", "freshness.records_current") == (3, 3, 0.0, 1.0)
    assert q(LAST, "network_scan", "devices", "freshness.feed_current") == (1, 1, 0.0, 1.0)
    assert q(LAST, "procurement", "purchase_lines", "freshness.feed_current") == (1, 1, 0.0, 1.0)
    # dim_asset at 09-30: LAP-001, LAP-002, LAP-006, LAP-007, LAP-009 (laptops), PRN-01, SW-01,
    # SW-02, SRV-01 and entitlement E1 = 10 assets; only the printer has no ownership rule: 9/10.
    # 06-30: the same without LAP-007, LAP-009 and SW-02 = 7, printer unowned: 6/7.
    assert q(FIRST, "warehouse", "dim_asset", "ownership.coverage") == (7, 1, 0.857143, None)
    assert q(LAST, "warehouse", "dim_asset", "ownership.coverage") == (10, 1, 0.9, 0.857143)
    assert q(LAST, "warehouse", "dim_asset", "classification.coverage") == (10, 0, 1.0, 1.0)
    # laptops need an assigned user: LAP-006 (none in the CMDB) and LAP-009 (not in the CMDB)
    # lack one: 3/5; on 06-30 LAP-006 of 3 laptops: 2/3
    assert q(FIRST, "warehouse", "dim_asset", "completeness.laptop.assigned_user") == (3, 1, 0.666667, None)
    assert q(LAST, "warehouse", "dim_asset", "completeness.laptop.assigned_user") == (5, 2, 0.6, 0.666667)
    # servers need a location; SRV-01 has none
    assert q(LAST, "warehouse", "dim_asset", "completeness.server.location") == (1, 1, 0.0, 0.0)


def test_expectation_results_are_stored_per_export(quality_build):
    _, _, wh = quality_build
    # 2 exports × 7 expectations for configuration_items, blocking ones marked error
    assert wh.rows("select export_date, count(*), count(*) filter (where severity = 'error') "
                   "from audit.expectation_results where entity = 'configuration_items' group by 1 order by 1") == [
        (FIRST, 7, 1), (LAST, 7, 1)]
    assert wh.one("select (rows_checked, rows_failed, success, sample) from audit.expectation_results "
                  "where entity = 'configuration_items' and export_date = ? "
                  "and expectation = 'assigned_user_email_format'", [LAST]) == (
        3, 1, False, "row 8: ci_id=CI007, name=LAP-007, serial_number=SN7, assigned_user_email=not-an-email")
    assert wh.one("select count(distinct load_id) from audit.expectation_validations") == \
        wh.one("select count(*) from audit.loads where status = 'loaded'") == 9


def test_data_docs_are_written_next_to_the_warehouse(quality_build):
    settings, _, _ = quality_build
    site = Path(f"{settings.warehouse}.datadocs")
    index = (site / "index.html").read_text()
    for entity in ("configuration_items", "devices", "license_entitlements", "purchase_lines", "cost_centers"):
        assert entity in index
        pages = list((site / "validations" / entity).rglob("*.html"))
        assert pages, entity
    page = next((site / "validations" / "configuration_items").rglob("*2026-09-30*configuration_items.csv.html"))
    assert "not-an-email" in page.read_text()


def test_a_duplicate_key_is_held_back_and_an_aggregate_failure_still_blocks(quality_build, tmp_path, capsys):
    from dagster_project.cli import main

    settings, _, _ = quality_build
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(settings.landing, landing)
    shutil.copyfile(settings.warehouse, warehouse)
    args = ["build", "--landing", str(landing), "--warehouse", str(warehouse), "--taxonomy", str(settings.taxonomy)]
    # 1. A new entitlement export lists E1 twice: both copies are quarantined with the rule,
    #    E2-E4 load, and the build publishes (it used to block every build until someone edited
    #    landing history).
    new = landing / "procurement" / "2026-12-31"
    new.mkdir(parents=True)
    (new / "license_entitlements.csv").write_text(
        "entitlement_id,publisher,product,license_metric,quantity,unit_cost,currency,purchase_date,cost_center\n"
        "E1,Microsoft Corporation,Visio Professional,device,2,300.00,EUR,2026-01-10,CC-ENG\n"
        "E1,Microsoft Corporation,Visio Professional,device,5,300.00,EUR,2026-11-10,CC-ENG\n"
        "E2,Adobe,Acrobat Pro,subscription,10,200.00,EUR,2026-11-01,CC-OPS\n"
        "E3,Adobe,Acrobat Pro,subscription,5,200.00,EUR,2026-11-01,CC-OPS\n"
        "E4,Adobe,Acrobat Pro,subscription,1,200.00,EUR,2026-11-01,CC-OPS\n")
    # 3: published with warnings (2 of 5 rows quarantined: under max_quarantined_pct 50)
    assert main(args) == 3, capsys.readouterr().err
    wh = Warehouse(warehouse)
    assert wh.rows("select entitlement_id from raw.license_entitlements where _export_date = '2026-12-31' "
                   "order by 1") == [("E2",), ("E3",), ("E4",)]
    assert wh.rows("select row_number, rule, status from audit.quarantine where file = "
                   "'procurement/2026-12-31/license_entitlements.csv' order by 1") == [
        (2, "gx:entitlement_id_unique", "open"), (3, "gx:entitlement_id_unique", "open")]
    assert wh.one("select max(as_of_date) from marts.dim_asset") == date(2026, 12, 31)
    published = sha(warehouse)
    capsys.readouterr()
    # 2. A misdated discovery export (every sighting after its own date) is an aggregate
    #    critical failure: it still blocks, names the check, and the published file stays.
    late = landing / "discovery" / "2027-03-31"
    late.mkdir(parents=True)
    (late / "devices.csv").write_text("observed_at,discovery_source,hostname\n"
                                      "2027-06-01T08:00:00Z,agent,LAP-001\n2027-06-01T08:00:00Z,agent,LAP-002\n")
    code = main(args)
    err = capsys.readouterr().err
    assert code == 4  # nothing published: data (README "Exit codes")
    assert ("itam build: check gx_observed_not_after_export on raw/devices failed — raw.devices "
            "(discovery/2027-03-31/devices.csv): 2 of 2 rows failed") in err
    assert "(the previously published warehouse is unchanged)" in err
    assert sha(warehouse) == published
    assert Warehouse(warehouse).one("select count(*) from raw.devices where _export_date = '2027-03-31'") == 0


