"""`itam`: the one command line. Every command that reads or writes data takes --landing and
--warehouse with the same defaults; failures exit non-zero with a one-line reason."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from dagster_project.settings import DEFAULT_LANDING, DEFAULT_TAXONOMY, DEFAULT_WAREHOUSE


class CliError(Exception):
    """A failure the user can act on: printed as one line; exit code 1 unless the command says
    which (itam build: README "Exit codes")."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Every option shows its default (16.9) unless its help already says it; epilogs keep their
    line breaks, so the examples read as typed."""

    def _get_help_string(self, action):
        text = action.help or ""
        if ("default" in text or action.default is None or action.default is False
                or action.default is argparse.SUPPRESS or not action.option_strings):
            return text
        return f"{text} (default: %(default)s)"


class _Parser(argparse.ArgumentParser):
    """All parsers, sub-commands' included (add_subparsers builds them with this class)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        epilog = kwargs.get("epilog")
        if epilog and not epilog.startswith("example"):
            kwargs["epilog"] = "examples:\n" + epilog
        super().__init__(*args, **kwargs)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("itam-warehouse")
    except PackageNotFoundError:
        return "unknown (not installed)"


def _data_args(p: argparse.ArgumentParser, landing: bool = True, warehouse: bool = True) -> None:
    if landing:
        p.add_argument("--landing", type=Path, default=DEFAULT_LANDING,
                       help=f"landing folder of exports (default {DEFAULT_LANDING})")
    if warehouse:
        p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE,
                       help=f"published warehouse file (default {DEFAULT_WAREHOUSE})")


def _decisions_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--decisions", type=Path, default=None,
                   help="reconciliation decisions store folder (default ITAM_DECISIONS, else decisions/)")


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (expected YYYY-MM-DD)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="itam", description="ITAM governance warehouse",
                     epilog="  itam generate --devices 2000 && itam build && itam dashboard\n"
                            "  itam <command> --help    options, defaults and examples of a command")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("generate", help="write deterministic sample exports of all four sources",
                       epilog="  itam generate --landing data/landing --devices 2000\n"
                              "  itam generate --devices 300 --seed 7 --exports 2")
    _data_args(p, warehouse=False)
    p.add_argument("--devices", type=int, default=2000, help="number of devices in the sample estate")
    p.add_argument("--seed", type=int, default=42, help="random seed (same seed, same files)")
    p.add_argument("--exports", type=int, default=4, help="number of quarter-end export dates")
    p.set_defaults(func="dagster_project.commands.generate:run")

    p = sub.add_parser("build", help="ingest, apply the taxonomy, build the marts, check and publish",
                       description="Build the warehouse and publish it atomically. Exit codes: 0 published, "
                                   "3 published with warnings, 4 nothing published (data), 5 nothing "
                                   "published (system: disk, lock, permissions).",
                       epilog="  itam build --landing data/landing --warehouse data/warehouse.duckdb\n"
                              "  itam build --as-of 2026-06-30 --verbose\n"
                              "  itam build --wait 600    # queue behind a running build\n"
                              "  itam build --engine spark   # the same models on a local Spark (pip install '.[spark]')")
    _data_args(p)
    p.add_argument("--as-of", type=_iso_date, default=None,
                   help="snapshot date (default: the latest export date found, never the clock)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder")
    _decisions_arg(p)
    p.add_argument("--verbose", action="store_true",
                   help="print the full Dagster log (it is always written to <warehouse folder>/logs/)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for another build of the same warehouse to finish instead of failing at once")
    p.add_argument("--engine", choices=("duckdb", "spark"), default=None,
                   help="where dbt runs the models (default: ITAM_ENGINE, else duckdb); spark needs "
                        "pip install '.[spark]' and Java 17 (docs/scale-out.md)")
    p.set_defaults(func="dagster_project.commands.build:run")

    p = sub.add_parser("dashboard", help="serve the dashboards on the published warehouse",
                       epilog="  itam dashboard --warehouse data/warehouse.duckdb --port 8501")
    _data_args(p, landing=False)
    p.add_argument("--port", type=int, default=8501, help="port to serve on")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1); any other address needs the OIDC login "
                        "configured in .streamlit/secrets.toml [auth] (docs/dashboards.md) or --insecure")
    p.add_argument("--insecure", action="store_true",
                   help="serve a non-loopback address without a login (personal data stays masked)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder (privacy.yaml)")
    p.set_defaults(func="dagster_project.commands.dashboard:run")

    p = sub.add_parser("docs", help="build the documentation (dbt docs, taxonomy, data quality) and serve it offline",
                       description="Writes dbt docs, the taxonomy report and the data-quality report of "
                                   "the published warehouse into one folder that opens without internet, "
                                   "then serves it on 127.0.0.1.",
                       epilog="  itam docs --warehouse data/warehouse.duckdb\n"
                              "  itam docs --no-serve --out site/    # write only, e.g. to zip and send")
    _data_args(p, landing=False)
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY,
                   help="taxonomy folder for the governance report")
    p.add_argument("--out", type=Path, default=None, help="folder to write (default <warehouse>.docs)")
    p.add_argument("--port", type=int, default=8080, help="port to serve on (0 = any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind")
    p.add_argument("--no-serve", action="store_true", help="only write the folder and print where it is")
    p.add_argument("--unmasked", action="store_true",
                   help="failing samples of personal columns in clear (needs ITAM_ROLES holding a role "
                        "taxonomy/privacy.yaml allows)")
    p.set_defaults(func="dagster_project.commands.docs:run")

    p = sub.add_parser("bench", help="generate, build and print time, rows and peak memory per stage",
                       epilog="  itam bench --devices 10000 --landing data/bench/landing --warehouse data/bench/warehouse.duckdb\n"
                              "  itam bench --devices 10000 --floor --landing data/bench/landing --warehouse data/bench/warehouse.duckdb\n"
                              "  itam bench --dashboards --warehouse data/warehouse.duckdb")
    _data_args(p)
    p.add_argument("--devices", type=int, default=10000, help="number of devices to generate")
    p.add_argument("--seed", type=int, default=42, help="random seed of the generated exports")
    p.add_argument("--dashboards", action="store_true",
                   help="only time each dashboard page's queries on the existing --warehouse (no generate/build)")
    p.add_argument("--floor", action="store_true",
                   help="also replay the landing files and the compiled dbt models in plain DuckDB (the floor) "
                        "and print build, floor, ratio, peak memory and the two rebuilds (no-op, one new export)")
    p.add_argument("--no-rebuilds", action="store_true",
                   help="with --floor: skip the no-op and one-new-export rebuilds (three more builds)")
    p.set_defaults(func="dagster_project.commands.bench:run")

    p = sub.add_parser("taxonomy", help="check or report the declared governance model",
                       epilog="  itam taxonomy check\n  itam taxonomy report --format html --out taxonomy.html")
    tsub = p.add_subparsers(dest="taxonomy_command", required=True)
    t = tsub.add_parser("check", help="validate taxonomy/*.yaml (exit 1 on any error)",
                        epilog="  itam taxonomy check --taxonomy taxonomy/")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder")
    t.set_defaults(func="dagster_project.commands.taxonomy:check")
    t = tsub.add_parser("report", help="a readable page of the model for the governance meeting",
                        epilog="  itam taxonomy report --format md\n  itam taxonomy report --format html --out model.html")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder")
    t.add_argument("--format", choices=("md", "html"), default="md", help="output format")
    t.add_argument("--out", type=Path, default=None, help="file to write (default: standard output)")
    t.set_defaults(func="dagster_project.commands.taxonomy:report")
    # issue 14.7
    t = tsub.add_parser("eol-suggest", help="installed products, OSes and firmware no eol_products rule "
                                             "matches, with the endoflife.date products they resemble",
                        epilog="  itam taxonomy eol-suggest --warehouse data/warehouse.duckdb --limit 20")
    _data_args(t, landing=False)
    t.add_argument("--limit", type=int, default=50, help="how many unmatched names to list")
    t.set_defaults(func="dagster_project.commands.taxonomy:eol_suggest")

    p = sub.add_parser("reconcile", help="quarterly reconciliation: the pack, resolutions, sign-off",
                       description="itam reconcile --quarter 2026Q3 builds (or reuses) the quarter's "
                                   "snapshot and writes the reconciliation pack; subcommands record "
                                   "decisions in the decisions store and check packs.",
                       epilog="  itam reconcile --quarter 2026Q3\n"
                              "  itam reconcile resolve EX-1234 --action false_positive --note 'test VM' --by am@example.org\n"
                              "  itam reconcile sign-off --quarter 2026Q3 --by controller@example.org\n"
                              "  itam reconcile verify --pack data/reconciliation/2026Q3")
    _data_args(p)
    p.add_argument("--quarter", default=None, help="calendar quarter to reconcile, YYYYQn or YYYY-Qn (e.g. 2026Q3)")
    p.add_argument("--out", type=Path, default=None, help="pack folder (default data/reconciliation/<quarter>)")
    p.add_argument("--force", action="store_true", help="replace an existing pack whose content differs")
    p.add_argument("--unmasked", action="store_true",
                   help="personal data in clear (needs ITAM_ROLES holding a role taxonomy/privacy.yaml allows)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder")
    _decisions_arg(p)
    p.set_defaults(func="dagster_project.commands.reconcile:run")
    rsub = p.add_subparsers(dest="reconcile_command", required=False)
    t = rsub.add_parser("resolve", help="record resolutions: one exception, or every decision filled in a worked pack",
                        epilog="  itam reconcile resolve EX-1234 --action accepted_risk --note 'lab device' --by am@example.org\n"
                               "  itam reconcile resolve --from worked-2026Q3.xlsx --by am@example.org")
    t.add_argument("exception_id", nargs="?", default=None, help="EX-... as listed in the pack (or use --from)")
    t.add_argument("--action", default=None, choices=("fixed_in_source", "accepted_risk", "false_positive", "retire"),
                   help="what was decided")
    t.add_argument("--note", default=None, help="why (kept with the decision)")
    t.add_argument("--by", default=None, help="e-mail of who decides (with --from: for rows without resolved_by)")
    t.add_argument("--from", dest="from_file", type=Path, default=None,
                   help="a worked pack workbook (.xlsx) or exceptions CSV: every filled decision at once, "
                        "with a report per row (accepted, unchanged, rejected)")
    t.add_argument("--quarter", default=None,
                   help="take the decision against this quarter's snapshot (default: the latest one)")
    _data_args(t, landing=False)
    _decisions_arg(t)
    t.set_defaults(func="dagster_project.commands.reconcile:resolve")
    t = rsub.add_parser("sign-off", help="record who signed a quarter's pack (its content hash) and when",
                        epilog="  itam reconcile sign-off --quarter 2026Q3 --by controller@example.org --note 'Q3 close'")
    t.add_argument("--quarter", required=True, help="the quarter signed, YYYYQn")
    t.add_argument("--by", required=True, help="e-mail of the signer")
    t.add_argument("--pack", type=Path, default=None, help="pack folder (default data/reconciliation/<quarter>)")
    t.add_argument("--note", default="", help="free text kept with the sign-off")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder (sign-off policy)")
    _decisions_arg(t)
    t.set_defaults(func="dagster_project.commands.reconcile:sign_off")
    t = rsub.add_parser("waive", help="record that a quarantined row may be loaded (who and why), in the "
                                      "decisions chain; the next build loads it",
                        epilog="  itam reconcile waive procurement/2026-09-30/purchase_lines.csv#7 "
                               "--by cfo@example.org --reason 'mainframe purchase confirmed'")
    t.add_argument("quarantine_key", help="<file>#<row_number> as audit.quarantine lists it")
    t.add_argument("--by", required=True, help="e-mail of who decides")
    t.add_argument("--reason", required=True, help="why the row may be loaded")
    _decisions_arg(t)
    t.set_defaults(func="dagster_project.commands.reconcile:waive")
    t = rsub.add_parser("verify", help="check the decisions chain, a pack against its manifest and its sign-off",
                        epilog="  itam reconcile verify --pack data/reconciliation/2026Q3")
    t.add_argument("--pack", type=Path, required=True, help="pack folder to verify")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder (sign-off policy)")
    _decisions_arg(t)
    t.set_defaults(func="dagster_project.commands.reconcile:verify")

    p = sub.add_parser("landing", help="bring native tool exports into the landing contract",
                       epilog="  itam landing import --from glpi glpi.xml --export-date 2026-09-30\n"
                              "  itam landing mappings list")
    lsub = p.add_subparsers(dest="landing_command", required=True)
    t = lsub.add_parser("import", help="map a native export (glpi, snipe-it, focus, servicenow, "
                                       "endoflife-date, m365-sku) onto contract files",
                        epilog="  itam landing import --from snipe-it assets.csv --export-date 2026-09-30\n"
                               "  itam landing import focus_export.parquet --export-date 2026-09-30")
    t.add_argument("paths", type=Path, nargs="+", help="native export file(s)")
    t.add_argument("--from", dest="system", default=None, help="source system (default: detect)")
    _data_args(t, warehouse=False)
    t.add_argument("--export-date", type=_iso_date, required=True, help="the export date the files describe, YYYY-MM-DD")
    t.add_argument("--dialect", default=None,
                   help="a dialect the mapping declares for non-conformant exports (issue 14)")
    t.set_defaults(func="dagster_project.commands.landing:import_")
    from dagster_project.mappings.cli import add_parser as add_mappings_parser

    add_mappings_parser(lsub)

    p = sub.add_parser("export", help="write what finance pulls from the published warehouse",
                       epilog="  itam export cost-allocation --period 2026-Q3 --format xlsx")
    esub = p.add_subparsers(dest="export_command", required=True)
    t = esub.add_parser("cost-allocation", help="fct_cost_allocation of a month or quarter, with its "
                                                "as-of date, source loads and totals (docs/marts.md)",
                        epilog="  itam export cost-allocation --period 2026-09 --format csv\n"
                               "  itam export cost-allocation --period 2026Q3 --format xlsx --out finance/")
    t.add_argument("--period", required=True,
                   help="YYYY-MM, or a quarter YYYYQn / YYYY-Qn (its three months), e.g. 2026Q3")
    t.add_argument("--format", required=True, choices=("csv", "parquet", "xlsx"), help="file format")
    _data_args(t, landing=False)
    t.add_argument("--out", type=Path, default=None,
                   help="file or folder (default ./cost-allocation-<PERIOD>.<format>); csv and parquet "
                        "get a sidecar <name>.json, xlsx a header sheet")
    t.add_argument("--force", action="store_true",
                   help="replace an existing output file (never the warehouse, landing, decisions or taxonomy)")
    t.add_argument("--unmasked", action="store_true",
                   help="personal data in clear (needs ITAM_ROLES holding a role taxonomy/privacy.yaml allows)")
    t.set_defaults(func="dagster_project.commands.export:cost_allocation")

    p = sub.add_parser("purge", help="replace landing-derived personal data older than the retention age "
                                     "by pseudonyms (counts and costs unchanged), publish, audit",
                       epilog="  itam purge --older-than 730d\n  itam purge --older-than 2y --dry-run")
    _data_args(p)
    p.add_argument("--older-than", default=None, metavar="AGE",
                   help="an age: N days (730 or 730d), weeks (104w), months (24m) or years (2y) before the "
                        "warehouse's latest export date (default: retention.personal_data_days of taxonomy/privacy.yaml)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY, help="governance model folder (privacy.yaml)")
    p.add_argument("--dry-run", action="store_true", help="count what would be purged; change nothing")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for a running build of the warehouse to finish")
    p.set_defaults(func="dagster_project.commands.purge:run")

    p = sub.add_parser("publish", help="manage published versions of the warehouse",
                       epilog="  itam publish --rollback --warehouse data/warehouse.duckdb")
    _data_args(p, landing=False)
    p.add_argument("--rollback", action="store_true", required=True,
                   help="put back the version published before the current one (kept: ITAM_KEEP_VERSIONS, default 3)")
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="wait this long for a running build of the warehouse to finish")
    p.set_defaults(func="dagster_project.commands.build:rollback")

    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module_name, func_name = args.func.split(":")
    import importlib

    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(args) or 0)
    except CliError as exc:
        print(f"itam {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"itam {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run the importable module's main: under `python -m` this file is __main__, and the handlers'
    # `from dagster_project.cli import CliError` would otherwise be another class than the one caught.
    from dagster_project.cli import main as _main

    sys.exit(_main())
