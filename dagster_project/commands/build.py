"""itam build"""
from __future__ import annotations

from dagster_project.cli import CliError
from dagster_project.quality.datadocs import datadocs_dir
from dagster_project.serving.summary import print_summary
from dagster_project.settings import Settings


def settings_from_args(args) -> Settings:
    base = Settings.from_env()
    return Settings(
        landing=args.landing.resolve(),
        warehouse=args.warehouse.resolve(),
        taxonomy=getattr(args, "taxonomy", base.taxonomy).resolve(),
        as_of=getattr(args, "as_of", None),
        memory_limit=base.memory_limit,
        threads=base.threads,
        decisions=(getattr(args, "decisions", None) or base.decisions).resolve(),
    )


def require_landing(settings: Settings) -> None:
    if not settings.landing.is_dir():
        raise CliError(f"landing folder {settings.landing} does not exist "
                       "(run `itam generate --landing DIR` or point --landing at your exports)")


def build_or_fail(settings: Settings):
    """Run the build; on failure print the other failures and raise the first as a CliError."""
    from dagster_project.serving.run import run_build

    outcome = run_build(settings)
    for w in outcome.warnings:
        print(f"warning: {w}")
    docs = datadocs_dir(settings.warehouse) / "index.html"
    if docs.exists():  # written for blocked builds too: that is when they are needed
        print(f"data docs (Great Expectations): {docs}")
    if not outcome.success:
        for f in outcome.failures[1:]:
            print(f"  also: {f}")
        first = outcome.failures[0] if outcome.failures else "the build did not publish"
        kept = "the previously published warehouse is unchanged" if settings.warehouse.exists() else "nothing was published"
        raise CliError(f"{first} ({kept})")
    return outcome


def run(args) -> int:
    settings = settings_from_args(args)
    require_landing(settings)
    outcome = build_or_fail(settings)
    print(f"published {outcome.published} as of {outcome.as_of} in {outcome.seconds} s")
    print_summary(settings.warehouse)
    return 0
