"""Validate an entity's exports and judge each expectation: what the asset checks report.

`validate_entity(con, suite)`:
  1. validates every loaded export (audit.loads) of the entity that has no stored result yet
     (an export is validated once, as it is ingested), and the latest export again when the suite
     file changed since it was validated;
  2. judges every expectation over the exports validated now plus the latest export: the check
     fails when it failed on any of them. So a bad export blocks the build that ingests it, and
     the current data is always held to the current rules.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb

from dagster_project.quality import results
from dagster_project.quality.gx import validate_load
from dagster_project.quality.suites import ExpectationDef, Suite

MAX_DETAIL_FILES = 3


@dataclass
class CheckJudgement:
    expectation: ExpectationDef
    rows_checked: int = 0
    rows_failed: int = 0
    passed: bool = True
    exports: int = 0
    details: list[str] = field(default_factory=list)  # per failing file: counts and offending keys

    @property
    def pass_rate(self) -> float | None:
        return None if self.rows_checked == 0 else round(1 - self.rows_failed / self.rows_checked, 6)


@dataclass
class EntityValidation:
    entity: str
    validated: list[str] = field(default_factory=list)   # files validated in this run
    evaluated: list[str] = field(default_factory=list)   # files the judgements cover
    judgements: list[CheckJudgement] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)  # stored GX results of the evaluated files


def validate_entity(con: duckdb.DuckDBPyConnection, suite: Suite,
                    log: Callable[[str], None] = print) -> EntityValidation:
    results.ensure_tables(con)
    out = EntityValidation(suite.entity)
    loads = con.execute(
        "SELECT load_id, source, export_date, file FROM audit.loads "
        "WHERE entity = ? AND status = 'loaded' ORDER BY export_date, file", [suite.entity]).fetchall()
    if not loads:
        out.judgements = [CheckJudgement(e) for e in suite.expectations]
        return out
    latest = max(load[2] for load in loads)
    done = dict(con.execute("SELECT load_id, suite_hash FROM audit.expectation_validations "
                            "WHERE entity = ?", [suite.entity]).fetchall())
    evaluate: list[str] = []
    for load_id, source, export_date, file in loads:
        stale = load_id not in done or (export_date == latest and done[load_id] != suite.content_hash)
        if stale:
            v = validate_load(con, suite, load_id, export_date,
                              meta={"file": file, "load_id": load_id, "export_date": str(export_date)})
            results.store(con, load_id=load_id, source=source, entity=suite.entity,
                          export_date=export_date, file=file, suite_hash=suite.content_hash, validation=v)
            out.validated.append(file)
            failed = [o.check for o in v.outcomes if not o.success]
            log(f"{suite.entity}: {file} validated against expectations/{suite.path.name}: "
                + (f"{len(failed)} expectation(s) failed ({', '.join(failed)})" if failed else "all passed"))
        if stale or export_date == latest:
            evaluate.append(load_id)
            out.evaluated.append(file)
    out.judgements = _judge(con, suite, evaluate)
    out.documents = [json.loads(r[0]) for r in con.execute(
        "SELECT result FROM audit.expectation_validations WHERE list_contains(?, load_id) "
        "ORDER BY export_date, file", [evaluate]).fetchall()]
    return out


def _judge(con, suite: Suite, load_ids: list[str]) -> list[CheckJudgement]:
    rows = con.execute(
        "SELECT expectation, file, rows_checked, rows_failed, success, sample, error "
        "FROM audit.expectation_results WHERE list_contains(?, load_id) "
        "ORDER BY export_date, file", [load_ids]).fetchall()
    by_check: dict[str, list[tuple]] = {}
    for r in rows:
        by_check.setdefault(r[0], []).append(r)
    judgements = []
    for e in suite.expectations:
        j = CheckJudgement(e)
        for _, file, checked, failed, success, sample, error in by_check.get(e.check, []):
            j.exports += 1
            j.rows_checked += checked or 0
            j.rows_failed += failed or 0
            if not success:
                j.passed = False
                if len(j.details) < MAX_DETAIL_FILES:
                    what = (f"could not be evaluated: {error}" if error else
                            f"{failed} of {checked} rows failed" + (f"; offending keys: {sample}" if sample else ""))
                    j.details.append(f"raw.{suite.entity} ({file}): {what}")
        judgements.append(j)
    return judgements
