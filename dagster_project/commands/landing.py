"""itam landing import"""
from __future__ import annotations

from datetime import date

from dagster_project.cli import CliError


def import_(args) -> int:
    from dagster_project.mappings import MappingError, import_native

    try:
        report = import_native(args.system, list(args.paths), args.landing.resolve(),
                               date.fromisoformat(args.export_date), log=print,
                               dialect=getattr(args, "dialect", None))
    except MappingError as exc:
        raise CliError(str(exc)) from exc
    print(report.summary() if hasattr(report, "summary") else report)
    return 0
