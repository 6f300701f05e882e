"""GX Data Docs: static HTML a person opens in a browser, written next to the warehouse.

`<warehouse>.datadocs/index.html` lists, per entity, the validation of its latest export (and of
every export validated by the build), with each expectation's counts and sample values. It
describes the latest build attempt, a blocked one included: that is when someone needs to see
what failed. Pages are rendered from the results stored in audit.expectation_validations, one
entity at a time as its checks run, so every check step leaves the site complete up to itself.
"""
from __future__ import annotations

import shutil
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from dagster_project.quality.gx import context
from dagster_project.quality.suites import Suite

SITE_NAME = "itam"


def datadocs_dir(warehouse: Path | str) -> Path:
    return Path(f"{warehouse}.datadocs")


@lru_cache(maxsize=4)
def _site(directory: str) -> str:
    """Register the site once per process; a fresh build starts from an empty folder."""
    shutil.rmtree(directory, ignore_errors=True)
    ctx = context()
    _forget_validations(ctx, lambda key: True)  # those of another warehouse built in this process
    name = f"{SITE_NAME}_{len(ctx.get_config().data_docs_sites or {})}"
    ctx.add_data_docs_site(site_name=name, site_config={
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": directory},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    return name


def _forget_validations(ctx, which) -> None:
    """The index lists every result in GX's (in-memory) store: keep only what this site shows."""
    store = ctx.validation_results_store
    for key in list(store.list_keys()):
        if which(key):
            store.remove_key(key)


def write_entity_pages(warehouse: Path | str, suite: Suite, documents: list[dict]) -> Path:
    """Render the given stored GX results of one entity (and the index). Returns index.html."""
    from great_expectations.core import ExpectationSuite
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.exceptions import DataContextError

    directory = datadocs_dir(Path(warehouse).resolve())
    site = _site(str(directory))
    ctx = context()
    # The suite page shows the suite as written (with each expectation's why and severity).
    try:
        ctx.suites.delete(suite.entity)
    except DataContextError:  # not registered yet in this process
        pass
    ctx.suites.add(ExpectationSuite(**suite.gx_document()))
    shutil.rmtree(directory / "validations" / suite.entity, ignore_errors=True)
    _forget_validations(ctx, lambda key: key.expectation_suite_identifier.name == suite.entity)
    keys = []
    schema = ExpectationSuiteValidationResultSchema()
    for doc in documents:
        meta = doc.get("meta") or {}
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite.entity),
            run_id=RunIdentifier(run_name=str(meta.get('export_date', 'export')),
                                 run_time=datetime.fromisoformat(meta.get("export_date", "1970-01-01"))),
            batch_identifier=str(meta.get("file", meta.get("load_id", "export"))).replace("/", "__"))
        ctx.validation_results_store.set(key, schema.load(doc))
        keys.append(key)
    ctx.build_data_docs(site_names=[site], resource_identifiers=keys or None)
    return directory / "index.html"


# -- The offline data-quality report (issue 16.8) ------------------------------------------------
# GX's Data Docs pages load their CSS and JavaScript from CDNs, so opened without internet they
# are blank. This report is one HTML file with its styles inline and no script, rendered from the
# results the build stored in the warehouse (audit.expectation_results): it opens from disk, from
# `itam docs` and from the Quality page, online or not (docs/decisions/offline-docs.md).

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;max-width:80rem;
color:#1f2a37;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f5f8}td.n{text-align:right;font-variant-numeric:tabular-nums}
.fail{color:#b42318;font-weight:600}.pass{color:#1a7f37}.warn{color:#9a6700;font-weight:600}
.muted{color:#57606a}code{background:#f3f5f8;padding:0 .2rem}
"""


def _h(x) -> str:
    from html import escape

    from dagster_project import formatting as fmt

    return fmt.MISSING if fmt.is_missing(x) else escape(str(x))


def quality_report_html(con, title: str = "Data-quality report", masker=None) -> str:
    """The report of a warehouse connection (read-only is enough): per source and entity, the
    pass rate of every export validated, then every expectation of the latest export with its
    severity, counts and a sample of failing keys. Failures first within an entity. `masker`
    (governance/privacy.Masker, issue 17.6): the sample of an expectation on a personal column
    as the reader may see it."""
    from dagster_project import formatting as fmt

    have = {r[0] for r in con.execute("select table_schema || '.' || table_name from information_schema.tables").fetchall()}
    if "audit.expectation_results" not in have:
        body = "<p>This warehouse holds no expectation results yet (build it with <code>itam build</code>).</p>"
        return _page(title, body)
    per_export = con.execute("""
        select source, entity, cast(export_date as varchar), count(*) as expectations,
               count(*) filter (where not success) as failed_expectations,
               sum(rows_checked), sum(rows_failed)
        from audit.expectation_results group by all order by 1, 2, 3""").fetchall()
    latest = con.execute("""
        with l as (select source, entity, max(export_date) as export_date from audit.expectation_results group by all)
        select r.source, r.entity, cast(r.export_date as varchar), r.file, r.expectation, r.expectation_type,
               r.column_name, r.severity, r.rows_checked, r.rows_failed, r.success, r.sample, r.error,
               cast(r.validated_at as varchar)
        from audit.expectation_results r join l using (source, entity, export_date)
        order by r.source, r.entity, r.success, r.severity, r.expectation""").fetchall()
    as_of = con.execute("select max(export_date) from audit.expectation_results").fetchone()[0]

    checked = sum(r[5] or 0 for r in per_export)
    failed = sum(r[6] or 0 for r in per_export)
    parts = [f"<p class='muted'>Great Expectations results stored by the build (audit.expectation_results), "
             f"latest export {_h(as_of)}. Rows checked {fmt.count(checked)}, failing {fmt.count(failed)}, "
             f"pass rate {fmt.percent(100.0 * (1 - failed / checked) if checked else None)}. "
             "Severity <b>error</b> blocks publishing; <b>warn</b> is reported only.</p>",
             "<h2>Pass rate per export</h2><table><tr><th>Source</th><th>Entity</th><th>Export date</th>"
             "<th>Expectations</th><th>Failed</th><th>Rows checked</th><th>Rows failing</th><th>Pass rate</th></tr>"]
    for src, ent, day, n, nf, rc, rf in per_export:
        rate = 100.0 * (1 - (rf or 0) / rc) if rc else None
        parts.append(f"<tr><td>{_h(src)}</td><td>{_h(ent)}</td><td>{_h(day)}</td><td class=n>{fmt.count(n)}</td>"
                     f"<td class='n {'fail' if nf else ''}'>{fmt.count(nf)}</td><td class=n>{fmt.count(rc)}</td>"
                     f"<td class=n>{fmt.count(rf)}</td><td class=n>{fmt.percent(rate)}</td></tr>")
    parts.append("</table>")
    current = None
    for (src, ent, day, file, exp, etype, col, sev, rc, rf, ok, sample, err, at) in latest:
        if (src, ent) != current:
            if current is not None:
                parts.append("</table>")
            current = (src, ent)
            parts.append(f"<h2 id='{_h(src)}.{_h(ent)}'>{_h(src)} / {_h(ent)} — export {_h(day)}</h2>"
                         f"<p class='muted'>File <code>{_h(file)}</code>, validated {_h(at)} UTC.</p>"
                         "<table><tr><th>Result</th><th>Expectation</th><th>Type</th><th>Column</th><th>Severity</th>"
                         "<th>Rows checked</th><th>Rows failing</th><th>Sample of failing keys / error</th></tr>")
        word = "<span class=pass>passed</span>" if ok else (
            "<span class=fail>failed</span>" if sev == "error" else "<span class=warn>warning</span>")
        parts.append(f"<tr><td>{word}</td><td>{_h(exp)}</td><td>{_h(etype)}</td><td>{_h(col)}</td><td>{_h(sev)}</td>"
                     f"<td class=n>{fmt.count(rc)}</td><td class=n>{fmt.count(rf)}</td>"
                     f"<td>{_h(err) if err else _h(_masked(masker, col, sample)) if sample else ''}</td></tr>")
    if current is not None:
        parts.append("</table>")
    return _page(title, "\n".join(parts))


def _masked(masker, column: str | None, text: str) -> str:
    return text if masker is None or not column else masker.column_value(column, text)


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8><title>{_h(title)}</title>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'><style>{_CSS}</style></head>"
            f"<body><h1>{_h(title)}</h1>\n{body}\n</body></html>\n")


def write_quality_report(warehouse: Path | str, out: Path | str, masker=None) -> Path:
    """Render the report of a published warehouse (opened read-only) into the file `out`, the
    samples of personal columns as `masker` shows them."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        text = quality_report_html(con, masker=masker)
    finally:
        con.close()
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    return out
