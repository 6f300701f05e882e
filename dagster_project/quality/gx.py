"""Running one suite on one export with Great Expectations on pandas DataFrames.

GX's SQL path on DuckDB does not work here, so rows are read from raw.<entity> into pandas:
only the columns the suite reads, in chunks of CHUNK_ROWS rows for row-by-row expectations; the
expectations that need every row at once (uniqueness, table-level) get one frame of just their
columns. Importing GX costs ~5 s, so it is imported lazily, once per process, with one ephemeral
context reused by every entity of a build.

Counts follow GX: rows_checked = the rows the expectation judged (after its row_condition, and
without the rows whose value is missing, which GX skips except for not-null expectations),
rows_failed = its unexpected rows; success honours `mostly` over the same rows, as GX does. Offending keys are looked up from
the positions GX reports (its own key lookup is row-by-row Python and far too slow on big
failures), using the suite's sample_columns and the file's row number.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any

from dagster_project.quality.suites import ExpectationDef, Suite

CHUNK_ROWS = 200_000
SAMPLE_ROWS = 5
KEEP_PARTIAL = 20
# Expectations that must see every row of the export at once.
WHOLE_FRAME = {"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique",
               "expect_select_column_values_to_be_unique_within_record"}
ROW_PREFIXES = ("expect_column_values_to_", "expect_column_pair_values_", "expect_multicolumn_",
                "expect_compound_columns_")


def is_row_wise(e: ExpectationDef) -> bool:
    return e.type not in WHOLE_FRAME and e.type.startswith(ROW_PREFIXES)


@dataclass
class Outcome:
    check: str
    expectation_type: str
    columns: str
    severity: str
    rows_checked: int
    rows_failed: int
    success: bool
    sample: str = ""
    error: str | None = None


@dataclass
class LoadValidation:
    outcomes: list[Outcome] = field(default_factory=list)
    result: dict = field(default_factory=dict)  # the GX suite validation result (trimmed), for Data Docs


def parameters_for(export_date: date) -> dict[str, Any]:
    import pandas as pd

    day = pd.Timestamp(export_date)
    return {
        "export_date": day,
        # The last instant that is still the export date somewhere (UTC-12): timestamps are UTC.
        "export_date_end": day + pd.Timedelta(days=1, hours=12),
    }


@lru_cache(maxsize=1)
def _gx():
    """(gx module, context, pandas batch definition), created once per process."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_definition = (ctx.data_sources.add_pandas("itam_raw")
                        .add_dataframe_asset("export").add_batch_definition_whole_dataframe("whole"))
    return gx, ctx, batch_definition


def context():
    return _gx()[1]


def _gx_suite(suite: Suite, part: str, expectations: list[ExpectationDef]):
    """A GX suite holding the given expectations of `suite` (registered under a unique name)."""
    _, ctx, _ = _gx()
    from great_expectations.core import ExpectationSuite
    from great_expectations.exceptions import DataContextError

    doc = suite.gx_document()
    wanted = {e.check for e in expectations}
    doc["expectations"] = [x for x in doc["expectations"] if (x.get("meta") or {}).get("check") in wanted]
    doc["name"] = f"{suite.entity}.{part}.{suite.content_hash}"
    try:
        return ctx.suites.get(doc["name"])
    except DataContextError:  # not registered yet in this process
        return ctx.suites.add(ExpectationSuite(**doc))


def _run(suite_obj, df, params: dict):
    _, _, batch_definition = _gx()
    batch = batch_definition.get_batch(batch_parameters={"dataframe": df})
    return batch.validate(suite_obj, expectation_parameters=params,
                          result_format={"result_format": "COMPLETE",
                                         "return_unexpected_index_query": False,
                                         "partial_unexpected_count": KEEP_PARTIAL})


def _text(v, limit: int = 60) -> str:
    if v is None:
        return "NULL"
    try:
        import pandas as pd

        if pd.isna(v):
            return "NULL"
    except (TypeError, ValueError):
        pass
    text = str(v)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _sample(df, positions, suite: Suite, e: ExpectationDef) -> list[str]:
    cols = [c for c in dict.fromkeys([*suite.sample_columns, *e.columns]) if c in df.columns]
    out = []
    for pos in list(positions)[:SAMPLE_ROWS]:
        row = df.iloc[int(pos)]
        keys = ", ".join(f"{c}={_text(row[c])}" for c in cols)
        out.append(f"row {_text(row['_row_number'])}: {keys}")
    return out


def _exception(info) -> str | None:
    """GX nests exception details per metric; the first raised one, as one line."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return " ".join(str(info.get("exception_message") or "error").split())[:300]
    for v in info.values():
        found = _exception(v)
        if found is not None:
            return found
    return None


class _Acc:
    """One expectation's counts, summed over chunks."""

    def __init__(self, e: ExpectationDef):
        self.e = e
        self.checked = 0
        self.failed = 0
        self.elements = 0
        self.missing = 0
        self.samples: list[str] = []
        self.error: str | None = None
        self.first = None  # the first chunk's GX result, kept for Data Docs
        self.aggregate_success: bool | None = None

    def add(self, r, df, suite: Suite) -> None:
        if self.first is None:
            self.first = r
        failure = _exception(r.exception_info)
        if failure is not None:
            self.error = failure
            return
        res = r.result or {}
        if "unexpected_count" not in res:  # an aggregate expectation: one check, pass or fail
            self.checked += 1
            self.failed += 0 if r.success else 1
            self.aggregate_success = bool(r.success) and self.aggregate_success is not False
            return
        self.elements += int(res.get("element_count") or 0)
        self.missing += int(res.get("missing_count") or 0)
        self.checked = self.elements - self.missing
        self.failed += int(res.get("unexpected_count") or 0)
        if len(self.samples) < SAMPLE_ROWS and res.get("unexpected_index_list"):
            self.samples += _sample(df, res["unexpected_index_list"], suite, self.e)[:SAMPLE_ROWS - len(self.samples)]

    def outcome(self) -> Outcome:
        e = self.e
        if self.error is not None:
            success = False
        elif self.aggregate_success is not None:
            success = self.aggregate_success
        else:
            mostly = float(e.kwargs.get("mostly", 1.0))
            success = self.checked == 0 or (self.checked - self.failed) / self.checked >= mostly - 1e-12
        return Outcome(check=e.check, expectation_type=e.type, columns=e.column_label,
                       severity=e.severity, rows_checked=self.checked, rows_failed=self.failed,
                       success=success, sample="; ".join(self.samples), error=self.error)


def _trim(result_json: dict) -> dict:
    """Drop the per-row lists GX returns in COMPLETE format: Data Docs need only the partial ones."""
    for r in result_json.get("results", []):
        res = r.get("result") or {}
        for k in ("unexpected_list", "unexpected_index_list", "partial_unexpected_index_list",
                  "unexpected_index_query"):
            res.pop(k, None)
    return result_json


def _read(con, suite: Suite, load_id: str, columns: list[str], limit: int | None = None, offset: int = 0):
    cols = ", ".join(f'"{c}"' for c in columns)
    sql = f'select {cols} from raw."{suite.entity}" where _load_id = ? order by _row_number'
    if limit is not None:
        sql += f" limit {int(limit)} offset {int(offset)}"
    return con.execute(sql, [load_id]).df()


def validate_load(con, suite: Suite, load_id: str, export_date: date, meta: dict | None = None,
                  chunk_rows: int = CHUNK_ROWS) -> LoadValidation:
    """Validate the rows of one load (one export file) of raw.<entity> against the suite."""
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult

    params = parameters_for(export_date)
    rows = con.execute(f'select count(*) from raw."{suite.entity}" where _load_id = ?', [load_id]).fetchone()[0]
    row_wise = [e for e in suite.expectations if is_row_wise(e)]
    whole = [e for e in suite.expectations if not is_row_wise(e)]
    accs = {e.check: _Acc(e) for e in suite.expectations}

    def run(part: str, expectations: list[ExpectationDef], limit: int | None = None, offset: int = 0):
        cols = list(dict.fromkeys(["_row_number", *suite.sample_columns,
                                   *(c for e in expectations for c in e.reads)]))
        df = _read(con, suite, load_id, cols, limit=limit, offset=offset)
        for r in _run(_gx_suite(suite, part, expectations), df, params).results:
            accs[r.expectation_config.meta["check"]].add(r, df, suite)

    if rows <= chunk_rows:  # the usual case: one frame, one GX run
        run("all", list(suite.expectations))
    else:
        if row_wise:
            for offset in range(0, rows, chunk_rows):
                run("rows", row_wise, limit=chunk_rows, offset=offset)
        if whole:  # only the columns these need, but every row at once
            run("whole", whole)

    outcomes = [accs[e.check].outcome() for e in suite.expectations]
    # One GX result per export for Data Docs, in suite order, with the summed counts.
    results = []
    for e, o in zip(suite.expectations, outcomes):
        first = accs[e.check].first
        if first is None:
            continue
        first.success = o.success
        if first.result is not None and "unexpected_count" in first.result and rows > chunk_rows:
            acc = accs[e.check]  # the counts summed over the chunks
            first.result.update(element_count=acc.elements, missing_count=acc.missing,
                                unexpected_count=o.rows_failed,
                                unexpected_percent=100.0 * o.rows_failed / max(o.rows_checked, 1))
        results.append(first)
    combined = ExpectationSuiteValidationResult(
        success=all(o.success for o in outcomes), results=results, suite_name=suite.entity,
        statistics={"evaluated_expectations": len(outcomes),
                    "successful_expectations": sum(o.success for o in outcomes),
                    "unsuccessful_expectations": sum(not o.success for o in outcomes),
                    "success_percent": 100.0 * sum(o.success for o in outcomes) / max(len(outcomes), 1)},
        meta={**(meta or {}), "rows": rows, "suite_hash": suite.content_hash})
    result_json = _trim(json.loads(json.dumps(combined.to_json_dict(), default=str)))
    return LoadValidation(outcomes=outcomes, result=result_json)
