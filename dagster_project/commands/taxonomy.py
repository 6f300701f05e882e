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
    """Names no eol_products rule matches, each with a rule stub to review (governance/eol_suggest.py)."""
    import duckdb

    from dagster_project.cli import CliError
    from dagster_project.governance.eol_suggest import rule_stub, suggestions

    warehouse, limit = args.warehouse, args.limit
    if not warehouse.is_file():
        raise CliError(f"warehouse {warehouse} does not exist (run `itam build` or point --warehouse at it)")
    try:
        as_of, rows = suggestions(warehouse, limit)
    except duckdb.Error as exc:
        raise CliError(f"cannot read {warehouse}: {str(exc).splitlines()[0]} (built by an older version? run `itam build`)")
    if not rows:
        print(f"as of {as_of}: every installed product, OS and firmware is matched by an eol_products rule")
        return 0
    print(f"as of {as_of}: {len(rows)} name(s) no eol_products rule matches (taxonomy/normalisation.yaml)")
    for r in rows:
        sug = ", ".join(r["products"]) if r["products"] else "no catalogue product resembles it"
        print(f"  [{r['basis']}] {r['name']} ({r['devices']} device(s); e.g. '{r['example']}') → {sug}")
        if r["products"]:
            print(f"      {rule_stub(r)}")
    print("Check each cycle against the product's endoflife.date page before adding a rule.")
    return 0
