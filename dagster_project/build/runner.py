"""Run the whole build graph and explain the outcome: what `itam build`, the bench and the tests
call. Above the definitions: it takes the warehouse lock, builds the graph for its settings, runs
it on the persistent Dagster instance (so `make dagster` shows the CLI's runs), follows it quietly
(progress.py) and classifies the result into an exit code (issue 17.5)."""
from __future__ import annotations

import contextlib
import re
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.build import lock
from dagster_project.build.fingerprint import NOTHING_NEW, unchanged_since_published
from dagster_project.settings import DBT_DIR, Settings

# Exit codes of `itam build` (README "Exit codes"). 1 and 2 stay the CLI's usage/argument errors.
EXIT_PUBLISHED = 0
EXIT_PUBLISHED_WITH_WARNINGS = 3
EXIT_DATA = 4     # nothing published: the data or the governance files stopped it
EXIT_SYSTEM = 5   # nothing published: disk, lock, permissions, a killed child

# Causes that are the machine's, not the data's; the first one found is named in the message.
_SYSTEM_CAUSES = (
    "No space left on device", "Disk quota exceeded", "Read-only file system", "Permission denied",
    "Too many open files", "Cannot allocate memory", "Out of Memory", "another build (pid",
    "Input/output error", "Could not set lock on file", "IO Error", "is gone: another process",
    "another writer replaced it", "died with signal", "Killed",
)


@dataclass
class BuildOutcome:
    success: bool
    published: Path | None
    as_of: str | None
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    step_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    run_id: str | None = None
    log_file: Path | None = None
    system_cause: str | None = None  # set when nothing was published for a reason of the machine
    unchanged: bool = False  # nothing new: the published file was left as it was (no Dagster run)

    @property
    def exit_code(self) -> int:
        if self.success:
            return EXIT_PUBLISHED_WITH_WARNINGS if self.warnings else EXIT_PUBLISHED
        return EXIT_SYSTEM if self.system_cause else EXIT_DATA

    @property
    def kind(self) -> str:
        return {EXIT_PUBLISHED: "published", EXIT_PUBLISHED_WITH_WARNINGS: "published with warnings",
                EXIT_DATA: "nothing published: data", EXIT_SYSTEM: "nothing published: system"}[self.exit_code]


def system_cause(text: str) -> str | None:
    for cause in _SYSTEM_CAUSES:
        if cause.lower() in text.lower():
            return cause
    return None


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


_INSTANCE_YAML = """\
# Written by `itam build` when it created this instance (dagster_project/build/runner.py).
telemetry:
  enabled: false
# Step output goes to the build's own log (<warehouse folder>/logs/); capturing it again would
# start `tail` processes that could outlive a killed build.
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
# One build per warehouse (issue 17.1): runs of the build job carry their warehouse as a tag.
concurrency:
  runs:
    tag_concurrency_limits:
      - key: itam/warehouse
        value:
          applyLimitPerUniqueValue: true
        limit: 1
"""


def ensure_instance_home(home: Path) -> Path:
    """The persistent instance's folder with its dagster.yaml, created when missing (a fresh clone's
    `make dagster` and the first `itam build` both call this)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(_INSTANCE_YAML)
    return home


def open_instance(home: Path):
    """The persistent Dagster instance in `home` (created when missing).

    Builds of different warehouses in one folder share it. Opening creates and migrates its
    SQLite files; two builds doing that at once each stamped alembic_version, leaving two heads
    that break every later open ("has more than one head present"). A flock serialises the
    opening only; runs then write their own run's events (build-isolation.md)."""
    import fcntl

    from dagster import DagsterInstance

    ensure_instance_home(home)
    with open(home / ".open.lock", "a") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        return DagsterInstance.from_config(str(home))


def run_build(settings: Settings, progress: Callable[[str], None] = print, verbose: bool = False,
              wait_seconds: float = 0.0, tty: bool | None = None) -> BuildOutcome:
    started = time.perf_counter()
    outcome = BuildOutcome(success=False, published=None, as_of=None)
    try:
        lock.acquire(settings.warehouse, wait_seconds=wait_seconds, say=progress)
    except lock.LockHeld as exc:
        outcome.failures.append(str(exc))
        outcome.system_cause = "lock"
        return outcome
    except OSError as exc:  # the lock file cannot be created: permissions, disk, read-only folder
        outcome.failures.append(f"cannot lock {lock.lock_path(settings.warehouse)}: {exc.strerror or exc}")
        outcome.system_cause = exc.strerror or str(exc)
        return outcome
    try:
        # Nothing new (issue 15.2): same landing files by checksum, same governance, same dbt
        # code and as-of setting as the published build. Stop before Dagster and dbt, so the
        # published file keeps its bytes and mtime and the answer takes seconds.
        unchanged_as_of = unchanged_since_published(settings)
        if unchanged_as_of is not None:
            outcome.success, outcome.unchanged = True, True
            outcome.published, outcome.as_of = settings.warehouse, unchanged_as_of
            progress(NOTHING_NEW)
        else:
            _run_locked(settings, outcome, progress, verbose, tty)
    except OSError as exc:
        # Disk full, permissions: before or outside any step (creating the instance, the log file).
        outcome.failures.insert(0, f"{exc.strerror or exc} ({exc.filename or settings.warehouse})")
        outcome.system_cause = exc.strerror or str(exc)
    finally:
        lock.release(settings.warehouse)
        _clean_dbt_run_folders()
    outcome.seconds = round(time.perf_counter() - started, 1)
    return outcome


def _run_locked(settings: Settings, outcome: BuildOutcome, progress, verbose, tty) -> None:
    from dagster._core.utils import make_new_run_id

    from dagster_project.build.definitions import build_definitions
    from dagster_project.build.progress import BuildWatcher, stage_of

    progress(f"building {settings.warehouse} from {settings.landing}"
             + (f" as of {settings.as_of}" if settings.as_of else " (as of the latest export date)"))
    defs = build_definitions(settings)
    job = defs.resolve_job_def("build_warehouse")
    totals: dict[str, int] = {}
    for node in job.graph.node_dict.values():  # one step per asset/check op in the in-process plan
        totals[stage_of(node.name)] = totals.get(stage_of(node.name), 0) + 1
    run_id = make_new_run_id()
    real_stdout = sys.stdout
    outcome.run_id = run_id
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    outcome.log_file = settings.logs_dir / f"build-{stamp}-{run_id[:8]}.log"
    instance = open_instance(settings.instance_dir)
    try:
        # dagster-dbt echoes every dbt line to stdout: that goes to the log file; our lines do not.
        def say(message: str) -> None:
            if progress is print:
                print(message, file=real_stdout, flush=True)
            else:
                progress(message)

        watcher = BuildWatcher(instance, run_id, totals, outcome.log_file, say, verbose=verbose, tty=tty)
        from dagster_project.dbt.assets import itam_dbt_assets

        watcher.stages["dbt"].counts["nodes_total"] = len(itam_dbt_assets.keys) + len(itam_dbt_assets.check_keys)
        with watcher, contextlib.redirect_stdout(watcher.raw_sink()):
            result = job.execute_in_process(
                instance=instance, run_id=run_id, raise_on_error=False,
                # Our own output replaces Dagster's console logger; everything is in the log file.
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
        _explain(settings, outcome, instance, result)
    finally:
        instance.dispose()


def _explain(settings: Settings, outcome: BuildOutcome, instance, result) -> None:
    from dagster import DagsterEventType

    step_started: dict[str, float] = {}
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
                cause = err
                while cause is not None and not system_cause(msg):  # the root cause names the disk
                    cause = cause.cause
                    if cause is not None and system_cause(cause.message or ""):
                        msg = f"{msg.splitlines()[0] if msg else ''} — {(cause.message or '').strip()}"
                # A Failure's description is the actionable part; keep it whole.
                desc = getattr(ev.event_specific_data, "user_failure_data", None)
                if desc is not None and desc.description:
                    msg = desc.description
                if system_cause(msg) and not outcome.system_cause:
                    outcome.system_cause = system_cause(msg)
                # dbt names its failing tests; add the offending rows it stored for each.
                tests = re.findall(r"Failure in test (\w+)", msg)
                results = settings.dbt_target_dir / "run_results.json"
                samples = [f"{t}: {_failed_test_sample(settings, t) or f'see {results}'}" for t in tests]
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
                detail = meta.get("detail") or meta.get("rejections") or ""
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
                    elif "dagster_dbt/failed_row_count" in meta:  # a dbt test of severity warn
                        line += (f" — {meta['dagster_dbt/failed_row_count']} row(s) of {key}; see "
                                 f"test_failures.{ev_data.check_name} in the warehouse")
                    outcome.warnings.append(line)
        elif et == DagsterEventType.ASSET_MATERIALIZATION:
            mat = ev.event_specific_data.materialization
            if mat.asset_key.path == ["published_warehouse"]:
                outcome.published = settings.warehouse
                outcome.as_of = str(mat.metadata["as_of_date"].value)
    outcome.success = result.success and outcome.published is not None
    if outcome.success:
        outcome.system_cause = None


def _clean_dbt_run_folders() -> None:
    """dagster-dbt leaves per-invocation folders under dbt/target; keep only the shared one."""
    target = DBT_DIR / "target"
    if target.is_dir():
        for p in target.iterdir():
            if p.is_dir() and re.fullmatch(r"[0-9a-f]{7}|dagster-.*", p.name):
                shutil.rmtree(p, ignore_errors=True)
