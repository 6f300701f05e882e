"""Run the whole asset graph in process and explain the outcome: what `itam build`, the bench
and the tests call. A failure is reported as the failing checks and steps, with offending keys."""
from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from dagster_project.settings import Settings


@dataclass
class BuildOutcome:
    success: bool
    published: Path | None
    as_of: str | None
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _failed_test_sample(settings: Settings, check_name: str, limit: int = 5) -> str:
    """The first offending rows dbt stored for a failing test (store_failures)."""
    import duckdb

    if not settings.build_db.exists():
        return ""
    try:
        con = duckdb.connect(str(settings.build_db), read_only=True)
    except duckdb.Error:
        return ""
    try:
        tables = {r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_schema = 'test_failures'").fetchall()}
        name = check_name if check_name in tables else next((t for t in tables if check_name.startswith(t) or t.startswith(check_name[:60])), None)
        if not name:
            return ""
        rel = con.execute(f'select * from test_failures."{name}" limit {limit}')
        cols = [d[0] for d in rel.description]
        rows = rel.fetchall()
        return "; ".join(", ".join(f"{c}={v}" for c, v in zip(cols, r)) for r in rows)
    finally:
        con.close()


def run_build(settings: Settings, progress: Callable[[str], None] = print) -> BuildOutcome:
    settings.export_env()
    from dagster import DagsterEventType, DagsterInstance

    from dagster_project.definitions import defs  # imported after the environment is set

    job = defs.resolve_job_def("build_warehouse")
    started = time.perf_counter()
    progress(f"building {settings.warehouse} from {settings.landing}"
             + (f" as of {settings.as_of}" if settings.as_of else " (as of the latest export date)"))
    step_started: dict[str, float] = {}
    outcome = BuildOutcome(success=False, published=None, as_of=None)
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        for entry in instance.all_logs(result.run_id):
            ev = entry.dagster_event
            if ev is None:
                continue
            et = ev.event_type
            if et == DagsterEventType.STEP_START:
                step_started[ev.step_key] = entry.timestamp
            elif et in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE):
                outcome.step_seconds[ev.step_key] = round(entry.timestamp - step_started.get(ev.step_key, entry.timestamp), 2)
                if et == DagsterEventType.STEP_FAILURE:
                    err = ev.event_specific_data.error
                    msg = (err.message or "").strip() if err else ""
                    # A Failure's description is the actionable part; keep it whole.
                    desc = getattr(ev.event_specific_data, "user_failure_data", None)
                    if desc is not None and desc.description:
                        msg = desc.description
                    # dbt names its failing tests; add the offending rows it stored for each.
                    tests = re.findall(r"Failure in test (\w+)", msg)
                    samples = [f"{t}: {_failed_test_sample(settings, t) or 'see dbt/target/run_results.json'}" for t in tests]
                    if samples:
                        outcome.failures.append("dbt test failed — " + " | ".join(samples))
                    else:
                        outcome.failures.append(f"step {ev.step_key} failed: {msg}")
            elif et == DagsterEventType.ASSET_CHECK_EVALUATION:
                ev_data = ev.event_specific_data
                if not ev_data.passed:
                    key = "/".join(ev_data.asset_key.path)
                    severity = getattr(ev_data.severity, "value", str(ev_data.severity))
                    line = f"check {ev_data.check_name} on {key} failed"
                    meta = {k: getattr(v, "value", v) for k, v in (ev_data.metadata or {}).items()}
                    detail = meta.get("rejections") or meta.get("detail") or ""
                    if severity == "ERROR":
                        sample = _failed_test_sample(settings, ev_data.check_name)
                        if sample:
                            line += f" — offending rows: {sample}"
                        elif detail:
                            line += f" — {detail}"
                        outcome.failures.insert(0, line)
                    else:
                        if detail and detail != "none":
                            line += f" — {detail}"
                        outcome.warnings.append(line)
            elif et == DagsterEventType.ASSET_MATERIALIZATION:
                mat = ev.event_specific_data.materialization
                if mat.asset_key.path == ["published_warehouse"]:
                    outcome.published = settings.warehouse
                    outcome.as_of = str(mat.metadata["as_of_date"].value)
        outcome.success = result.success and outcome.published is not None
    outcome.seconds = round(time.perf_counter() - started, 1)
    _clean_dbt_run_folders()
    return outcome


def _clean_dbt_run_folders() -> None:
    """dagster-dbt leaves per-invocation folders under dbt/target; keep only the shared one."""
    from dagster_project.settings import DBT_DIR

    target = DBT_DIR / "target"
    if target.is_dir():
        for p in target.iterdir():
            if p.is_dir() and re.fullmatch(r"[0-9a-f]{7}|dagster-.*", p.name):
                shutil.rmtree(p, ignore_errors=True)
