"""Quiet and observable (issue 15.5): one line per stage with counts and elapsed time, a progress
bar over dbt nodes when stderr is a terminal (no ANSI or carriage returns otherwise), every event
in full in the build's log file next to the warehouse, and on screen too with --verbose."""
from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from dagster_project.build.fingerprint import SNAPSHOT_LOG_PREFIX

STAGES = ("workspace", "ingest", "governance", "quality", "dbt", "publish")


def stage_of(step_key: str) -> str:
    if step_key == "warehouse_workspace":
        return "workspace"
    if step_key.startswith("raw__"):
        return "ingest"
    if step_key.startswith(("gx_", "expectation_suites", "audit__")):
        return "quality"
    if step_key in ("taxonomy", "reconciliation_decisions"):
        return "governance"
    if step_key == "published_warehouse":
        return "publish"
    return "dbt"


@dataclass
class Stage:
    name: str
    steps_total: int
    steps_done: int = 0
    started: float | None = None
    ended: float | None = None
    counts: dict = field(default_factory=dict)
    reported: bool = False

    def bump(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n


def _describe(st: Stage) -> str:
    c = st.counts
    if st.name == "workspace":
        return "private build file ready"
    if st.name == "ingest":
        return (f"{st.steps_total} tables, {c.get('files_loaded', 0)} new files, {c.get('rows_loaded', 0):,} rows loaded, "
                f"{c.get('rows_quarantined', 0):,} quarantined, {c.get('files_rejected', 0)} files rejected")
    if st.name == "quality":
        return f"{c.get('checks', 0)} expectations, {c.get('checks_failed', 0)} failed"
    if st.name == "governance":
        return f"{c.get('tables', 0)} taxonomy and decisions tables"
    if st.name == "dbt":
        return f"{c.get('models', 0)} models, {c.get('tests', 0)} tests, {c.get('tests_failed', 0)} failed"
    if st.name == "publish":
        return f"as of {c.get('as_of', '?')}"
    return ""


class _Sink:
    def __init__(self, watcher: BuildWatcher):
        self.w = watcher

    def write(self, text: str) -> int:
        self.w._log.write(text)
        if self.w.verbose:
            self.w.say(text.rstrip("\n")) if text.strip() else None
        return len(text)

    def flush(self) -> None:
        self.w._log.flush()

    def isatty(self) -> bool:
        return False


class BuildWatcher:
    """Follows a run's event log from a thread while the run executes in the main thread."""

    def __init__(self, instance, run_id: str, totals: dict[str, int], log_file: Path,
                 say: Callable[[str], None], verbose: bool = False, tty: bool | None = None):
        self.instance, self.run_id, self.say, self.verbose = instance, run_id, say, verbose
        self.tty = sys.stderr.isatty() if tty is None else tty
        self.stages = {n: Stage(n, totals.get(n, 0)) for n in STAGES}
        self.log_file = log_file
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._cursor = None
        self._bar_shown = False

    # -- lifecycle
    def __enter__(self):
        self.log_file.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_file, "a", encoding="utf-8")
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=30)
        self._poll()  # whatever arrived after the last tick
        self._finish_bar()
        self._log.close()
        return False

    def _loop(self):
        while not self._stop.wait(0.5):
            try:
                self._poll()
            except Exception as exc:  # noqa: BLE001 - the watcher must never break a build
                self._log.write(f"(progress watcher: {exc})\n")

    def raw_sink(self):
        """Where dbt's own lines (echoed by dagster-dbt on stdout) go: the log file."""
        return _Sink(self)

    # -- events
    def _poll(self):
        conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=1000)
        while True:
            for rec in conn.records:
                self._handle(rec.event_log_entry)
            self._cursor = conn.cursor
            if not conn.has_more:
                break
            conn = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=1000)
        self._log.flush()

    def _handle(self, entry):
        from dagster import DagsterEventType

        ts = datetime.fromtimestamp(entry.timestamp, UTC).strftime("%H:%M:%S")
        text = entry.message or (entry.dagster_event.message if entry.dagster_event else "") or ""
        line = f"{ts} {entry.level if isinstance(entry.level, str) else ''}{entry.step_key or '-'}: {text}".rstrip()
        self._log.write(line + "\n")
        if self.verbose:
            self._finish_bar()
            self.say(line)
        ev = entry.dagster_event
        if ev is None and text.startswith(SNAPSHOT_LOG_PREFIX) and not self.verbose:
            self._finish_bar()  # why dbt recomputes what it does (build/fingerprint.py)
            self.say(f"  {text.rstrip()}")
        if ev is None or not ev.step_key:
            return
        st = self.stages[stage_of(ev.step_key)]
        et = ev.event_type
        if et == DagsterEventType.STEP_START:
            st.started = st.started or entry.timestamp
        elif et in (DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED):
            st.steps_done += 1
            st.ended = entry.timestamp
            if et == DagsterEventType.STEP_FAILURE:
                st.bump("failed_steps")
            if st.steps_done >= st.steps_total:
                self._report(st)
        elif et == DagsterEventType.ASSET_MATERIALIZATION:
            mat = ev.event_specific_data.materialization
            meta = {k: getattr(v, "value", v) for k, v in (mat.metadata or {}).items()}
            if st.name == "ingest":
                for k in ("files_loaded", "files_rejected", "rows_loaded", "rows_quarantined"):
                    st.bump(k, int(meta.get(k) or 0))
            elif st.name == "governance":
                st.bump("tables")
            elif st.name == "dbt":
                st.bump("models")
                self._bar(st)
            elif st.name == "publish":
                st.counts["as_of"] = meta.get("as_of_date")
        elif et == DagsterEventType.ASSET_CHECK_EVALUATION:
            data = ev.event_specific_data
            if st.name == "quality":
                st.bump("checks")
                st.bump("checks_failed", 0 if data.passed else 1)
            elif st.name == "dbt":
                st.bump("tests")
                st.bump("tests_failed", 0 if data.passed else 1)
                self._bar(st)

    # -- output
    def _bar(self, st: Stage):
        if not self.tty or self.verbose:
            return
        done = st.counts.get("models", 0) + st.counts.get("tests", 0)
        total = max(st.counts.get("nodes_total", 0), done, 1)
        width = 30
        fill = int(width * done / total)
        sys.stderr.write(f"\r  dbt        [{'#' * fill}{'.' * (width - fill)}] {done}/{total} models and tests")
        sys.stderr.flush()
        self._bar_shown = True

    def _finish_bar(self):
        if self._bar_shown:
            sys.stderr.write("\r" + " " * 78 + "\r")
            sys.stderr.flush()
            self._bar_shown = False

    def _report(self, st: Stage):
        if st.reported:
            return
        st.reported = True
        self._finish_bar()
        secs = (st.ended or time.time()) - (st.started or st.ended or time.time())
        text = "skipped: a blocking failure upstream" if st.started is None else \
            "FAILED (the cause follows)" if st.counts.get("failed_steps") and st.name in ("workspace", "publish") \
            else _describe(st) + (" (a step FAILED)" if st.counts.get("failed_steps") else "")
        self.say(f"  {st.name:<10} {secs:6.1f} s  {text}")
        self._log.write(f"stage {st.name}: {secs:.1f} s, {text}\n")
