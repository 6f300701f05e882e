"""itam purge --older-than AGE: landing-derived personal data beyond the retention age replaced by
pseudonyms, counts and costs unchanged, published like a build (dagster_project/governance/retention.py)."""
from __future__ import annotations

import dataclasses

from dagster_project.cli import CliError
from dagster_project.commands.build import settings_from_args


def run(args) -> int:
    from dagster_project.build.runner import EXIT_SYSTEM
    from dagster_project.governance.privacy import load_privacy
    from dagster_project.governance.problems import TaxonomyError
    from dagster_project.governance.retention import PurgeError, parse_age, purge

    settings = settings_from_args(args)
    try:
        policy = load_privacy(settings.taxonomy)
    except TaxonomyError as exc:
        raise CliError(f"the privacy policy in {settings.taxonomy} is invalid: {str(exc).splitlines()[0]}") from exc
    try:
        days = parse_age(args.older_than) if args.older_than else policy.retention_days
    except ValueError as exc:
        raise CliError(str(exc), code=2) from exc
    if days > policy.retention_days:
        print(f"note: --older-than {days} days keeps personal data longer than privacy.yaml's retention "
              f"({policy.retention_days} days); the next purge without --older-than removes the rest")
    try:
        result = purge(dataclasses.replace(settings), days, dry_run=args.dry_run, wait_seconds=args.wait)
    except PurgeError as exc:
        raise CliError(f"{exc} (the published warehouse is unchanged)", code=EXIT_SYSTEM) from exc
    changed = [t for t in result["targets"] if t.rows]
    verb = "would replace" if args.dry_run else "replaced"
    print(f"purge {result['purge_id']}: personal data of exports before {result['cutoff']} "
          f"({days} days before the latest export, {result['latest_export_date']})")
    for t in changed:
        print(f"  {t.table}.{t.column}: {verb} {t.rows} value(s) by pseudonyms")
    if not changed:
        print("  nothing older than the cutoff holds personal data")
    for table in result["undated"]:
        print(f"  {table}: holds personal columns but no date to age them by; left as is (rebuilt by each build)")
    if args.dry_run:
        print("dry run: nothing changed")
        return 0
    print(f"published {result['published']}; recorded in audit.purges"
          + (f"; {result['versions_dropped']} kept version(s) deleted (a rollback would bring the data back)"
             if result["versions_dropped"] else ""))
    return 0
