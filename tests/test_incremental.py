"""Incremental snapshots (issue 15.2, tested as 15.7): a warehouse built export date by export date
gives the same marts as one built from scratch, a build with nothing new leaves the published file
alone and says so, and a taxonomy edit recomputes every snapshot and says why.

Builds are slow (Dagster + dbt), so each landing is built once per step and every assertion reads
those builds: the small fixtures (the session's `small_warehouse` is the from-scratch reference)
and a small generated landing of several quarters."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import REPO, SMALL_LANDING, Warehouse, build, make_settings

# Wall-clock lineage: when a file was loaded or validated differs between any two builds, so
# these are left out of the comparison (they are not computed from the data).
VOLATILE_COLUMNS = {"loaded_at", "validated_at", "quarantined_at", "built_at"}


def export_dates(landing: Path) -> list[str]:
    return sorted({d.name for src in landing.iterdir() if src.is_dir() and not src.name.startswith(("_", "."))
                   for d in src.iterdir() if d.is_dir()})


def mart_results(path: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, ordered by all columns (SELECT * ORDER BY ALL)."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        out = {}
        tables = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts' "
            "and table_type = 'BASE TABLE' order by 1").fetchall()]
        for t in tables:
            cols = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' "
                "and table_name = ? order by ordinal_position", [t]).fetchall()]
            keep = ", ".join(f'"{c}"' for c in cols if c not in VOLATILE_COLUMNS)
            out[t] = con.execute(f'select {keep} from marts."{t}" order by all').fetchall()
        return out
    finally:
        con.close()


def assert_same_marts(incremental: Path, full: Path) -> None:
    got, want = mart_results(incremental), mart_results(full)
    assert sorted(got) == sorted(want)
    assert len(want) >= 25  # every mart of the contract is compared, not an empty schema
    differing = [t for t in want if got[t] != want[t]]
    assert not differing, {t: (len(got[t]), len(want[t]), next(
        (g, w) for g, w in zip(got[t] + [None] * len(want[t]), want[t] + [None] * len(got[t])) if g != w))
        for t in differing}


def build_date_by_date(source: Path, base: Path, taxonomy: Path | None = None) -> tuple[Path, list[list[str]]]:
    """Copy `source`'s export folders into a new landing one export date at a time, building after
    each; returns the warehouse and each build's progress lines."""
    landing, warehouse = base / "landing", base / "warehouse.duckdb"
    said: list[list[str]] = []
    for i, d in enumerate(export_dates(source)):
        for folder in sorted(source.glob(f"*/{d}")) + (sorted(source.glob("_*")) if i == 0 else []):
            shutil.copytree(folder, landing / folder.relative_to(source))
        lines: list[str] = []
        outcome = _build(make_settings(landing, warehouse, taxonomy=taxonomy), lines)
        assert outcome.success, outcome.failures
        said.append(lines)
    return warehouse, said


def _build(settings, lines: list[str]):
    from dagster_project.build.runner import run_build

    return run_build(settings, progress=lines.append, tty=False)


def snapshot_line(lines: list[str]) -> str:
    return next(line for line in lines if "snapshots:" in line)


@pytest.fixture(scope="module")
def small_incremental(tmp_path_factory):
    return build_date_by_date(SMALL_LANDING, tmp_path_factory.mktemp("incr_small"))


def test_small_fixtures_incremental_equals_full(small_incremental, small_warehouse: Warehouse):
    warehouse, said = small_incremental
    assert "first build" in snapshot_line(said[0])
    # The second export date adds one snapshot; the first one is kept as it was.
    assert snapshot_line(said[1]).endswith("recomputing 1 of 2 snapshot(s)"), said[1]
    assert "new or changed export(s): cmdb/2026-09-30" in snapshot_line(said[1])
    assert_same_marts(warehouse, small_warehouse.path)


def test_nothing_new_leaves_the_published_file_alone(small_incremental):
    warehouse, _ = small_incremental
    before = (warehouse.stat().st_mtime_ns, warehouse.read_bytes())
    lines: list[str] = []
    outcome = _build(make_settings(warehouse.parent / "landing", warehouse), lines)
    assert outcome.success and outcome.unchanged and outcome.exit_code == 0
    assert lines == ["nothing new, published file unchanged"]
    assert outcome.as_of == "2026-09-30"
    assert (warehouse.stat().st_mtime_ns, warehouse.read_bytes()) == before


def test_taxonomy_edit_recomputes_every_snapshot_and_reflows(small_incremental, tmp_path):
    warehouse, _ = small_incremental
    tax = tmp_path / "taxonomy"
    shutil.copytree(REPO / "taxonomy", tax)
    owners = yaml.safe_load((tax / "ownership.yaml").read_text())
    for rule in owners["rules"]:
        if rule["id"] == "end-user-devices":
            rule["accountable_owner"] = "new.workplace.lead@example.com"
    (tax / "ownership.yaml").write_text(yaml.safe_dump(owners, sort_keys=False))
    lines: list[str] = []
    outcome = _build(make_settings(warehouse.parent / "landing", warehouse, taxonomy=tax), lines)
    assert outcome.success, outcome.failures
    line = snapshot_line(lines)
    assert "taxonomy changed: ownership.yaml" in line and line.endswith("recomputing 2 of 2 snapshot(s)"), line
    owners_now = {r for r in Warehouse(warehouse).rows(
        "select as_of_date, accountable_owner from marts.dim_asset where serial_number = 'AB123'")}
    # Both snapshots reflowed, not only the latest.
    assert {o for _, o in owners_now} == {"new.workplace.lead@example.com"} and len(owners_now) == 2


@pytest.mark.heavy
def test_generated_quarters_incremental_equals_full(tmp_path_factory):
    from dagster_project.generate import generate_landing

    base = tmp_path_factory.mktemp("incr_generated")
    source = base / "generated"
    generate_landing(source, devices=120, seed=5, exports=3, progress=None)
    full = base / "full" / "warehouse.duckdb"
    outcome = build(make_settings(source, full))
    assert outcome.success, outcome.failures
    warehouse, said = build_date_by_date(source, base / "incremental")
    dates = export_dates(source)
    assert len(dates) >= 3
    for n, lines in enumerate(said[1:], start=2):  # each new quarter: its snapshot only
        assert snapshot_line(lines).endswith(f"recomputing 1 of {n} snapshot(s)"), lines
    assert_same_marts(warehouse, full)
