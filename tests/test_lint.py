"""Lint is part of the test command (issue 15.6, docs/decisions/lint.md): ruff on the Python,
sqlfluff (DuckDB dialect, jinja templater with dbt's builtins) on the dbt models. Both configured
so that whatever they find is fixed by `ruff check --fix .` and `sqlfluff fix dbt/models`."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO

BIN = Path(sys.executable).parent


def run(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_is_clean():
    r = run(str(BIN / "ruff"), "check", "--no-cache", "--output-format", "concise", ".")
    assert r.returncode == 0, f"ruff found problems (`ruff check --fix .` fixes them):\n{r.stdout}{r.stderr}"


def test_sqlfluff_is_clean():
    # --processes 0 = one per core: nothing else runs during this test and sqlfluff is CPU-bound.
    # Parse and templating errors exit non-zero; a rule that crashes is only logged (CRITICAL), so
    # that is checked too.
    r = run(str(BIN / "sqlfluff"), "lint", "dbt/models", "--processes", "0", "--disable-progress-bar",
            "--nocolor")
    assert r.returncode == 0, (f"sqlfluff found problems (`sqlfluff fix dbt/models` fixes them):\n"
                              f"{r.stdout[-20000:]}{r.stderr[-5000:]}")
    assert "CRITICAL" not in r.stderr, r.stderr[-5000:]
