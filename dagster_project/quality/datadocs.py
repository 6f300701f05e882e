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
