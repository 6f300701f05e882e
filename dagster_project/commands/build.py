"""itam build (and the settings every data command starts from)."""
from __future__ import annotations

import dataclasses

from dagster_project.cli import CliError
from dagster_project.quality.datadocs import datadocs_dir
from dagster_project.settings import Settings


def settings_from_args(args) -> Settings:
    """The environment's settings (Settings.from_env, the one reader) overridden by the options."""
    base = Settings.from_env()
    return dataclasses.replace(
        base,
        landing=args.landing.resolve(),
        warehouse=args.warehouse.resolve(),
        taxonomy=(getattr(args, "taxonomy", None) or base.taxonomy).resolve(),
        as_of=getattr(args, "as_of", None),
        decisions=(getattr(args, "decisions", None) or base.decisions).resolve(),
        engine=getattr(args, "engine", None) or base.engine,
    )


def export_masker(args, settings: Settings | None = None):
    """The masker of a CLI export (issue 17.6): personal data masked per taxonomy/privacy.yaml;
    in clear only with --unmasked AND a role in ITAM_ROLES that the policy lets see it."""
    from dagster_project.governance.privacy import masker_for
    from dagster_project.governance.problems import TaxonomyError

    settings = settings or Settings.from_env()
    folder = (getattr(args, "taxonomy", None) or settings.taxonomy)
    try:
        masker = masker_for(folder, roles=settings.roles, key=settings.masking_key,
                            unmasked=bool(getattr(args, "unmasked", False)))
    except TaxonomyError as exc:
        raise CliError(f"the privacy policy in {folder} is invalid: {str(exc).splitlines()[0]}") from exc
    except ValueError as exc:
        raise CliError(str(exc), code=2) from exc
    if not masker.masks_anything:
        print(f"warning: personal data in clear (--unmasked, role(s) {', '.join(sorted(masker.roles))})")
    return masker


def require_landing(settings: Settings) -> None:
    from dagster_project.build.runner import EXIT_SYSTEM

    if not settings.landing.is_dir():
        raise CliError(f"landing folder {settings.landing} does not exist "
                       "(run `itam generate --landing DIR` or point --landing at your exports)", code=EXIT_SYSTEM)


def build_or_fail(settings: Settings, verbose: bool = False, wait_seconds: float = 0.0):
    """Run the build; on failure print the other failures and raise the first as a CliError whose
    exit code says data or system (README "Exit codes")."""
    from dagster_project.build.runner import run_build

    outcome = run_build(settings, verbose=verbose, wait_seconds=wait_seconds)
    for w in outcome.warnings:
        print(f"warning: {w}")
    docs = datadocs_dir(settings.warehouse) / "index.html"
    if docs.exists():  # written for blocked builds too: that is when they are needed
        print(f"data docs (Great Expectations): {docs}")
    if outcome.log_file:
        print(f"full log: {outcome.log_file} (dbt: {settings.dbt_log_dir / 'dbt.log'})")
    if not outcome.success:
        for f in outcome.failures[1:]:
            print(f"  also: {f}")
        first = outcome.failures[0] if outcome.failures else "the build did not publish"
        kept = "the previously published warehouse is unchanged" if settings.warehouse.exists() else "nothing was published"
        raise CliError(f"{first} ({kept}) [{outcome.kind}, exit {outcome.exit_code}]", code=outcome.exit_code)
    return outcome


def run(args) -> int:
    from dagster_project.build.summary import print_summary

    settings = settings_from_args(args)
    require_landing(settings)
    outcome = build_or_fail(settings, verbose=args.verbose, wait_seconds=args.wait)
    if outcome.unchanged:  # the runner said "nothing new, published file unchanged"
        print(f"{outcome.published} as of {outcome.as_of}, checked in {outcome.seconds} s")
        return outcome.exit_code
    warned = f" with {len(outcome.warnings)} warning(s)" if outcome.warnings else ""
    print(f"published {outcome.published} as of {outcome.as_of} in {outcome.seconds} s{warned}")
    print_summary(settings.warehouse)
    return outcome.exit_code


def rollback(args) -> int:
    from dagster_project.build import lock
    from dagster_project.build.publish import PublishError
    from dagster_project.build.publish import rollback as do_rollback
    from dagster_project.build.runner import EXIT_SYSTEM

    settings = dataclasses.replace(Settings.from_env(), warehouse=args.warehouse.resolve())
    try:
        with lock.warehouse_lock(settings.warehouse, wait_seconds=args.wait, say=print):
            restored, left = do_rollback(settings)
    except (lock.LockHeld, PublishError) as exc:
        raise CliError(str(exc), code=EXIT_SYSTEM) from exc
    print(f"rolled back {settings.warehouse} to the version published before it ({restored.name}); "
          f"{left} older version(s) still kept; the replaced file is {settings.warehouse}.rolled-back")
    return 0
