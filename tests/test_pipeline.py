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
    outcome = build(settings)
    assert outcome.success, outcome.failures
    assert wh.rows("select load_id, content_hash, rows_loaded from audit.loads order by 1") == before_loads
    assert wh.one("select count(*) from raw.software_installs") == before_raw
    # asset ids are stable across builds
    assert wh.rows("select asset_id from marts.dim_asset where as_of_date = ? order by 1", [LAST]) == before_assets
    assert wh.one("select count(*) from audit.builds") == 2


def test_broken_taxonomy_fails_and_keeps_the_published_file(tmp_path):
    # First a good build, then the same warehouse with a taxonomy whose class has a bad parent.
    warehouse = tmp_path / "warehouse.duckdb"
    landing = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing)
    assert build(make_settings(landing, warehouse)).success
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


def test_failing_blocking_dbt_test_keeps_the_published_file(tmp_path):
    # A purchase in a currency the policy has no rate for must stop the publish and say so.
    warehouse = tmp_path / "warehouse.duckdb"
    landing = tmp_path / "landing"
    shutil.copytree(SMALL_LANDING, landing)
    assert build(make_settings(landing, warehouse)).success
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
