"""Shared builds: Dagster and dbt cost ~20 s per build here, so each landing is built once per
session and many tests read the result (DEVELOPERS.md: few, wide tests)."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

REPO = Path(__file__).resolve().parents[1]
SMALL_LANDING = REPO / "tests" / "fixtures" / "landing_small"
# ITAM_REALDATA overrides where the real samples are (a git worktree is not next to shared/).
REALDATA = Path(os.environ.get("ITAM_REALDATA", REPO.parent / "shared" / "realdata"))

os.environ.setdefault("ITAM_DUCKDB_MEMORY", "2GB")
os.environ.setdefault("ITAM_DUCKDB_THREADS", "2")


def make_settings(landing: Path, warehouse: Path, taxonomy: Path | None = None, as_of: str | None = None):
    from dagster_project.settings import Settings

    return Settings(landing=landing.resolve(), warehouse=warehouse.resolve(),
                    taxonomy=(taxonomy or REPO / "taxonomy").resolve(), as_of=as_of,
                    memory_limit="2GB", threads=2)


def build(settings):
    from dagster_project.build.runner import run_build

    return run_build(settings, progress=lambda m: None)


class Warehouse:
    """Read-only queries against a published warehouse file."""

    def __init__(self, path: Path):
        self.path = path

    def rows(self, sql: str, params: list | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.path), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def one(self, sql: str, params: list | None = None):
        r = self.rows(sql, params)
        return r[0][0] if r and len(r[0]) == 1 else (r[0] if r else None)


def built_warehouse(landing: Path, warehouse: Path, taxonomy: Path | None = None) -> Warehouse:
    """Build `landing` into `warehouse` (the whole Dagster job) and insist it published."""
    outcome = build(make_settings(landing, warehouse, taxonomy=taxonomy))
    assert outcome.success, outcome.failures
    return Warehouse(warehouse)


@pytest.fixture(scope="session")
def small_warehouse(tmp_path_factory) -> Warehouse:
    return built_warehouse(SMALL_LANDING, tmp_path_factory.mktemp("small") / "warehouse.duckdb")


def pytest_collection_modifyitems(config, items):
    """Tests marked heavy (several full builds each) run only with ITAM_HEAVY_TESTS=1 (`make
    test-heavy`): CI's `make test` has a 30-minute budget (docs/decisions/test-time.md)."""
    if os.environ.get("ITAM_HEAVY_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="heavy: several full builds; run with `make test-heavy`")
    for item in items:
        if "heavy" in item.keywords:
            item.add_marker(skip)
