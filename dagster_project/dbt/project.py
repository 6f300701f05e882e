"""The dbt project as Dagster sees it, and the one way to (re)parse its manifest."""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from dagster_project.settings import DBT_DIR

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def dbt_executable() -> str:
    """The dbt of this interpreter's environment, not whatever `dbt` is first on PATH, through
    `itam-dbt` so that it dies with the build (dagster_project/build/child.py)."""
    wrapper = Path(sys.executable).parent / "itam-dbt"
    if wrapper.exists():
        return str(wrapper)
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


class ItamDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without its in-process dbt adapter. Before every invocation it
    imports dbt and loads the profile inside this process, only to fetch column metadata or row
    counts afterwards, which this project never asks for (27 s in a fresh process on a loaded
    machine; docs/decisions/build-speed.md). dbt itself still runs as its own process.
    A private hook of dagster-dbt, pinned in pyproject.toml; it logs a warning and goes on if the
    hook ever fails."""

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_resource() -> DbtCliResource:
    return ItamDbtCliResource(project_dir=dbt_project, profiles_dir=DBT_DIR, dbt_executable=dbt_executable())


def _newest_source_mtime() -> float:
    files = [p for d in ("models", "macros", "tests") for p in (DBT_DIR / d).rglob("*") if p.is_file()]
    files += [DBT_DIR / "dbt_project.yml", DBT_DIR / "profiles.yml"]
    return max(p.stat().st_mtime for p in files if p.exists())


def ensure_manifest() -> Path:
    """Parse the project when the manifest is missing or older than a dbt file (~4 s).

    The checkout's manifest is only the shape of the graph the Dagster definitions load; builds
    run dbt in their own target folder (Settings.dbt_target_dir). Two processes may find it stale
    at once: each parses into a private folder and renames its manifest into place, so nobody
    ever reads a half-written one."""
    manifest = dbt_project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        manifest.parent.mkdir(parents=True, exist_ok=True)
        private = Path(tempfile.mkdtemp(prefix=".parse-", dir=manifest.parent))
        try:
            dbt_resource().cli(["parse", "--quiet"], target_path=private).wait()
            # dagster-dbt seeds a build's empty target folder with this partial parse: whole files only.
            if (private / "partial_parse.msgpack").exists():
                os.replace(private / "partial_parse.msgpack", manifest.parent / "partial_parse.msgpack")
            os.replace(private / "manifest.json", manifest)
        finally:
            shutil.rmtree(private, ignore_errors=True)
    return manifest
