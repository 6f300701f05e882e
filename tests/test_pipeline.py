"""The real pipeline (Dagster graph, ingestion, taxonomy, dbt, publish) on generated exports:
planted cases found, bad rows quarantined, re-ingest idempotent, failed builds never publish."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, SMALL_LANDING, Warehouse, build, make_settings

LAST = "2026-09-30"


@pytest.fixture(scope="session")
def generated(tmp_path_factory):
    from dagster_project.generate import generate_landing

    base = tmp_path_factory.mktemp("generated")
    landing = base / "landing"
    generate_landing(landing, devices=60, seed=7, exports=4, progress=lambda m: None)
    settings = make_settings(landing, base / "warehouse.duckdb")
    outcome = build(settings)
    assert outcome.success, outcome.failures
    manifest = json.loads((landing / "_generator" / "manifest.json").read_text())
    return settings, Warehouse(settings.warehouse), manifest


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_copy(small_warehouse: Warehouse, tmp_path: Path) -> tuple[Path, Path]:
    """The small landing and a copy of its published warehouse (the session's small_warehouse, a
    good build of exactly that landing), so a test of a failing second build needs no first build
    of its own. Loads are keyed on the file's path inside the landing, so the copy's are the same."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    shutil.copytree(SMALL_LANDING, landing)
    shutil.copyfile(small_warehouse.path, warehouse)
    return landing, warehouse


def test_every_planted_exception_is_found(generated):
    _, wh, manifest = generated
    found = {(t, k): s for t, k, s in wh.rows(
        "select exception_type, problem_key, status from marts.fct_reconciliation_exceptions "
        "where as_of_date = ?", [LAST])}
    for exception_type, cases in manifest["planted"].items():
        assert len(cases) >= 2, exception_type
        for case in cases:
            if LAST not in case["exports"]:
                continue
            key = "serial:" + case["serial_number"]
            if exception_type == "attribute_drift":
                key += "|" + case["field"]
            assert found.get((exception_type, key)) in ("new", "open", "reopened"), (exception_type, key)


def test_every_planted_invalid_transition_is_an_exception(generated):
    # disposed -> in_use between the last two exports is not in taxonomy/lifecycle.yaml.
    _, wh, manifest = generated
    cases = manifest["other"]["invalid_transition"]
    assert cases
    found = {k: (s, d) for k, s, d in wh.rows(
        "select problem_key, status, detail from marts.fct_reconciliation_exceptions "
        "where as_of_date = ? and exception_type = 'invalid_transition'", [LAST])}
    for case in cases:
        key = f"ci:{case['ci_id']}|disposed>in_use|{case['to_export']}"
        assert found[key][0] == "new", key
        assert "does not allow disposed -> in_use" in found[key][1]
    # Only the planted ones: every other state change in the generated CMDB is allowed.
    assert len(found) == len(cases)


def test_every_planted_end_of_life_case_is_in_the_refresh_plan(generated):
    # The generator writes reference/eol_cycles (endoflife.date cycles of the OSes it generates)
    # and lists the devices whose OS cycle ends within the 6-month horizon of each export. At the
    # last export (2026-09-30, horizon 2027-03-30) that is windows 10-22h2 (2025-10-14) and
    # 11-23h2-w (2025-11-11), both overdue; 11-23h2-e (2026-11-10), within the horizon; and
    # macos 14, published `eol: true` without a date, so due on the snapshot date itself.
    _, wh, manifest = generated
    eol = manifest["other"]["end_of_life"]
    assert eol["horizon_months"] == 6
    states = {(c["product"], c["cycle"]): c["last_export"] for c in eol["cycles"]}
    assert {s for s in states.values()} == {"past", "within_horizon", "later", "eol_true", "eol_false"}
    due = {k for k, s in states.items() if s in ("past", "within_horizon", "eol_true")}
    assert due == {("windows", "10-22h2"), ("windows", "11-23h2-w"), ("windows", "11-23h2-e"), ("macos", "14")}
    cases = [c for c in eol["cases"] if LAST in c["exports"]]
    # seed 7, 60 devices: every kind of due cycle has at least one device
    assert {(c["product"], c["cycle"]) for c in cases} == due
    plan = {(str(d), s): (reasons, p, c, str(due_date)) for d, s, reasons, p, c, due_date in wh.rows(
        "select as_of_date, serial_number, reasons, eol_product, eol_cycle, eol_due_date "
        "from marts.fct_refresh_plan where serial_number is not null")}
    expected_last = set()
    for case in cases:
        for export in case["exports"]:
            for serial in case["serial_numbers"]:
                reasons, product, cycle, due_date = plan[(export, serial)]
                assert "end_of_life" in reasons.split(","), (export, serial, reasons)
                assert (product, cycle) == (case["product"], case["cycle"]), (export, serial)
                # a published date is the due date; `eol: true` is due on the snapshot date
                assert due_date == (case["eol_date"] or export), (export, serial)
                if export == LAST:
                    expected_last.add(serial)
    assert len(expected_last) == sum(c["devices_last_export"] for c in eol["cycles"])
    # Cycles that are later or `eol: false` never put a device in the plan for end of life.
    listed = {(p, c) for p, c in wh.rows(
        "select distinct eol_product, eol_cycle from marts.fct_refresh_plan "
        "where as_of_date = ? and list_contains(string_split(reasons, ','), 'end_of_life')", [LAST])}
    assert listed <= due


def test_malformed_rows_are_quarantined_with_file_row_and_column(generated):
    _, wh, manifest = generated
    quarantined = {(f, r, c) for f, r, c in wh.rows("select file, row_number, column_name from audit.quarantine")}
    for bad in manifest["malformed_rows"]:
        column = bad["column"] if bad["problem"] != "too_many_fields" else None
        assert (bad["file"], bad["row"], column) in quarantined, bad
    # Valid rows of the same files loaded: nothing else was lost.
    assert wh.one("select count(*) from audit.loads where status = 'rejected'") == 0
    assert wh.one("select sum(rows_loaded) + sum(rows_quarantined) from audit.loads") == sum(manifest["rows"].values())


def test_every_export_date_is_a_snapshot(generated):
    _, wh, manifest = generated
    dates = [str(r[0]) for r in wh.rows("select distinct as_of_date from marts.fct_license_position order by 1")]
    assert dates == manifest["generator"]["export_dates"]


def test_rebuild_is_idempotent(generated, tmp_path):
    settings, wh, _ = generated
    before_loads = wh.rows("select load_id, content_hash, rows_loaded from audit.loads order by 1")
    before_raw = wh.one("select count(*) from raw.software_installs")
    before_assets = wh.rows("select asset_id from marts.dim_asset where as_of_date = ? order by 1", [LAST])
    published = sha(settings.warehouse)

    # Nothing new: no Dagster run, the published file keeps its bytes and its one build.
    outcome = build(settings)
    assert outcome.success and outcome.unchanged, outcome.failures
    assert sha(settings.warehouse) == published
    assert wh.one("select count(*) from audit.builds") == 1

    # A governance file whose bytes change but not its meaning forces a real build: the same
    # landing files are not loaded twice and asset ids stay what they were.
    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(REPO / "taxonomy", taxonomy)
    with (taxonomy / "policies.yaml").open("a") as f:
        f.write("\n# reviewed by the governance meeting, no change\n")
    outcome = build(make_settings(settings.landing, settings.warehouse, taxonomy=taxonomy))
    assert outcome.success and not outcome.unchanged, outcome.failures
    assert wh.rows("select load_id, content_hash, rows_loaded from audit.loads order by 1") == before_loads
    assert wh.one("select count(*) from raw.software_installs") == before_raw
    assert wh.rows("select asset_id from marts.dim_asset where as_of_date = ? order by 1", [LAST]) == before_assets
    assert wh.one("select count(*) from audit.builds") == 2


def test_broken_taxonomy_fails_and_keeps_the_published_file(small_warehouse, tmp_path):
    # A good build (published), then the same warehouse with a taxonomy whose class has a bad parent.
    landing, warehouse = published_copy(small_warehouse, tmp_path)
    published = sha(warehouse)

    taxonomy = tmp_path / "taxonomy"
    shutil.copytree(REPO / "taxonomy", taxonomy)
    text = (taxonomy / "asset_classes.yaml").read_text()
    (taxonomy / "asset_classes.yaml").write_text(text.replace("parent: end_user_device\n", "parent: end_user_devices\n", 1))
    # A new export arrives too: it must not become visible.
    new = landing / "cmdb" / "2026-12-31"
    new.mkdir()
    shutil.copy(SMALL_LANDING / "cmdb" / "2026-09-30" / "configuration_items.csv", new)

    outcome = build(make_settings(landing, warehouse, taxonomy=taxonomy))
    assert not outcome.success
    message = " ".join(outcome.failures)
    assert "asset_classes.yaml" in message and "end_user_devices" in message
    assert sha(warehouse) == published


def test_failing_blocking_dbt_test_keeps_the_published_file(small_warehouse, tmp_path):
    # A purchase in a currency the policy has no rate for must stop the publish and say so.
    landing, warehouse = published_copy(small_warehouse, tmp_path)
    published = sha(warehouse)

    new = landing / "procurement" / "2026-12-31"
    new.mkdir()
    lines = (SMALL_LANDING / "procurement" / "2026-09-30" / "purchase_lines.csv").read_text()
    (new / "purchase_lines.csv").write_text(
        lines + "PO9,1,2026-11-02,Sony,hardware,Camera,1,150000,JPY,CC-MKT,Sony,A7,JPY1\n")
    outcome = build(make_settings(landing, warehouse))
    assert not outcome.success
    message = " ".join(outcome.failures)
    assert "assert_fx_rate_for_every_amount" in message and "JPY" in message and "2026-11" in message
    assert sha(warehouse) == published


def test_the_silent_network_scan_is_one_stale_finding(generated):
    # The generator silences network_scan in the last export (manifest other.silent_source): one
    # feed finding; its records and the in-use network gear and printers only it sees are stale
    # but point at it instead of being findings of their own (docs/decisions/stale-records.md).
    _, wh, manifest = generated
    silent = manifest["other"]["silent_source"]
    assert wh.rows("select source, record_key, is_finding from marts.fct_stale_records "
                   "where as_of_date = ? and record_kind = 'feed' and is_stale", [LAST]) == [
        (silent["source"], silent["source"], True)]
    side_effect = silent["ghost_ci_side_effect"]
    assert side_effect
    not_discovered = wh.rows(
        "select record_key, silent_feed from marts.fct_stale_records where as_of_date = ? "
        "and source = 'cmdb' and list_contains(?, record_key) and stale_reason = 'not_discovered'",
        [LAST, side_effect])
    assert not_discovered and all(feed == silent["source"] for _, feed in not_discovered)
    assert wh.one("select count(*) from marts.fct_stale_records where as_of_date = ? and source = ? "
                  "and record_kind = 'record' and (is_finding or not is_stale)", [LAST, silent["source"]]) == 0
