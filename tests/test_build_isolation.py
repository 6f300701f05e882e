"""Two `itam build`s of DIFFERENT warehouses from one checkout at the same time are independent
(issue 17.1; docs/decisions/build-isolation.md). Seen once: one build published the other's licence
figures. dbt's target folder (manifest, partial parse, run results, compiled SQL) was shared by every
build of the checkout; each build now has its own beside its warehouse.

One test, the small fixture and a copy with one licence bought more: two real `itam build`
processes started together, then each warehouse's marts compared row for row with a build of the
same landing run alone."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, SMALL_LANDING, Warehouse, built_warehouse

PY = sys.executable
ENTITLEMENTS = Path("procurement") / "2026-09-30" / "license_entitlements.csv"
# Columns stamped with the time of the build, not derived from the landing.
_CLOCK_COLUMNS = ("loaded_at", "built_at", "run_at", "created_at")


def _marts(wh: Warehouse) -> dict[str, list[tuple]]:
    out = {}
    for (table,) in wh.rows("select table_name from information_schema.tables where table_schema = 'marts' "
                            "and table_type = 'BASE TABLE' order by 1"):
        cols = [c for (c,) in wh.rows("select column_name from information_schema.columns where table_schema = "
                                      "'marts' and table_name = ? order by ordinal_position", [table])
                if c not in _CLOCK_COLUMNS]
        select = ", ".join(f'"{c}"' for c in cols)
        out[table] = wh.rows(f'select {select} from marts."{table}" order by all')
    return out


@pytest.mark.heavy
def test_two_warehouses_built_at_once_are_independent(tmp_path):
    # Landing B: the fixture with E1 (Visio Professional, device) bought 2 -> 7.
    a, b = tmp_path / "a", tmp_path / "b"
    shutil.copytree(SMALL_LANDING, a)
    shutil.copytree(SMALL_LANDING, b)
    text = (b / ENTITLEMENTS).read_text()
    assert "E1,Microsoft Corp.,Visio Professional,device,2," in text
    (b / ENTITLEMENTS).write_text(text.replace("E1,Microsoft Corp.,Visio Professional,device,2,",
                                               "E1,Microsoft Corp.,Visio Professional,device,7,"))

    # Both warehouses in one folder, as `data/a.duckdb` and `data/b.duckdb` would be.
    shared = tmp_path / "data"
    env = dict(os.environ, PYTHONPATH=str(REPO), ITAM_DUCKDB_THREADS="1", ITAM_DUCKDB_MEMORY="2GB")
    procs = {name: subprocess.Popen(
        [str(Path(PY).parent / "itam"), "build", "--landing", str(tmp_path / name),
         "--warehouse", str(shared / f"{name}.duckdb")],
        cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for name in ("a", "b")}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=1500)
        assert proc.returncode in (0, 3), f"build {name}: {out}\n{err}"

    # Built alone, one after the other, each in its own folder.
    alone = {name: _marts(built_warehouse(tmp_path / name, tmp_path / f"alone-{name}" / "warehouse.duckdb"))
             for name in ("a", "b")}
    together = {name: _marts(Warehouse(shared / f"{name}.duckdb")) for name in ("a", "b")}

    # The change shows in the licence position, so a swap or a mix-up cannot compare equal.
    assert alone["a"]["fct_license_position"] != alone["b"]["fct_license_position"]
    for name in ("a", "b"):
        assert set(together[name]) == set(alone[name])
        for table, rows in alone[name].items():
            assert together[name][table] == rows, f"{name}: marts.{table} differs from a build run alone"
