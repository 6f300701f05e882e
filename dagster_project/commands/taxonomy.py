"""itam taxonomy check | report"""
from __future__ import annotations


def check(args) -> int:
    from dagster_project.governance.report import check_command

    return check_command(args.taxonomy)


def report(args) -> int:
    from dagster_project.governance.report import report_command

    return report_command(args.taxonomy, args.format, args.out)


def eol_suggest(args) -> int:
    from dagster_project.governance.eol_suggest import eol_suggest_command

    return eol_suggest_command(args.warehouse, args.limit)
