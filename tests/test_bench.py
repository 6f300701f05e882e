"""`itam bench --floor --no-rebuilds` runs end to end on tiny generated data and prints its figures
(issue 15.4). Figures are printed, never asserted as timings: only that each is there and is a
number, and that the floor really replayed the landing files and the compiled models."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest
from conftest import REPO

NUMBER = r"\s+([0-9][0-9,]*\.?[0-9]*)"


@pytest.mark.heavy
def test_bench_floor_prints_build_floor_ratio_and_memory(tmp_path):
    # --no-rebuilds: the two rebuilds are three more builds (minutes on a shared machine).
    done = subprocess.run(
        [sys.executable, "-c", "from dagster_project.cli import main; main()", "bench", "--floor",
         "--devices", "20", "--seed", "5", "--no-rebuilds", "--landing", str(tmp_path / "landing"),
         "--warehouse", str(tmp_path / "bench" / "warehouse.duckdb")],
        cwd=REPO, capture_output=True, text=True, timeout=3000)
    out = done.stdout
    assert done.returncode == 0, out + done.stderr
    for label in ("build", "floor readers", "floor models", "floor", "ratio"):
        assert re.search(rf"^{re.escape(label)}{NUMBER}", out, re.M), (label, out)
    assert re.search(r"peak RSS \(build process tree\)\s+[0-9,]+ MB", out), out
    files = int(re.search(r"floor readers.*?(\d+) landing files", out).group(1))
    landing_files = [p for p in (tmp_path / "landing").rglob("*")
                     if p.is_file() and not p.relative_to(tmp_path / "landing").parts[0].startswith("_")]
    assert files == len(landing_files)
    models = int(re.search(r"floor models.*?(\d+) compiled dbt models", out).group(1))
    assert models == len(list((REPO / "dbt" / "models").rglob("*.sql")))
    assert "rebuilds skipped" in out
