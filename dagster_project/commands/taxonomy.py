"""itam taxonomy check | report"""
from __future__ import annotations


def check(args) -> int:
    from pathlib import Path

    from dagster_project.governance.privacy import PRIVACY, load_privacy
    from dagster_project.governance.problems import TaxonomyError
    from dagster_project.governance.report import check_command

    rc = check_command(args.taxonomy)
    folder = Path(args.taxonomy or ".")
    if not (folder / PRIVACY).is_file():  # exports and dashboards refuse to run without it
        print(f"warning: {folder / PRIVACY} is missing: exports and dashboards need it to mask personal data")
        return rc
    try:  # issue 17.6: the personal-data policy, validated like the rest
        p = load_privacy(folder)
    except TaxonomyError as exc:
        for problem in exc.problems:
            print(f"  {problem}")
        return 1
    print(f"privacy OK: {len(p.classes)} classes, {len(p.roles)} roles, retention {p.retention_days} days")
    return rc


def report(args) -> int:
    from dagster_project.governance.report import report_command

    return report_command(args.taxonomy, args.format, args.out)


def eol_suggest(args) -> int:
    from dagster_project.governance.eol_suggest import eol_suggest_command

    return eol_suggest_command(args.warehouse, args.limit)
