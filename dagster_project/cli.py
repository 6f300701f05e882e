"""`itam`: the one command line. Every command that reads or writes data takes --landing and
--warehouse with the same defaults; failures exit non-zero with a one-line reason."""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from dagster_project.settings import DEFAULT_LANDING, DEFAULT_TAXONOMY, DEFAULT_WAREHOUSE


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit code 1."""


def _data_args(p: argparse.ArgumentParser, landing: bool = True, warehouse: bool = True) -> None:
    if landing:
        p.add_argument("--landing", type=Path, default=DEFAULT_LANDING,
                       help=f"landing folder of exports (default {DEFAULT_LANDING})")
    if warehouse:
        p.add_argument("--warehouse", type=Path, default=DEFAULT_WAREHOUSE,
                       help=f"published warehouse file (default {DEFAULT_WAREHOUSE})")


def _iso_date(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date (expected YYYY-MM-DD)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="itam", description="ITAM governance warehouse")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("generate", help="write deterministic sample exports of all four sources")
    _data_args(p, warehouse=False)
    p.add_argument("--devices", type=int, default=2000)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--exports", type=int, default=4, help="number of quarter-end export dates")
    p.set_defaults(func="dagster_project.commands.generate:run")

    p = sub.add_parser("build", help="ingest, apply the taxonomy, build the marts, check and publish")
    _data_args(p)
    p.add_argument("--as-of", type=_iso_date, default=None,
                   help="snapshot date (default: the latest export date found, never the clock)")
    p.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY)
    p.set_defaults(func="dagster_project.commands.build:run")

    p = sub.add_parser("dashboard", help="serve the dashboards on the published warehouse")
    _data_args(p, landing=False)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.set_defaults(func="dagster_project.commands.dashboard:run")

    p = sub.add_parser("bench", help="generate, build and print time, rows and peak memory per stage")
    _data_args(p)
    p.add_argument("--devices", type=int, default=10000)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(func="dagster_project.commands.bench:run")

    p = sub.add_parser("taxonomy", help="check or report the declared governance model")
    tsub = p.add_subparsers(dest="taxonomy_command", required=True)
    t = tsub.add_parser("check", help="validate taxonomy/*.yaml (exit 1 on any error)")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY)
    t.set_defaults(func="dagster_project.commands.taxonomy:check")
    t = tsub.add_parser("report", help="a readable page of the model for the governance meeting")
    t.add_argument("--taxonomy", type=Path, default=DEFAULT_TAXONOMY)
    t.add_argument("--format", choices=("md", "html"), default="md")
    t.add_argument("--out", type=Path, default=None)
    t.set_defaults(func="dagster_project.commands.taxonomy:report")

    p = sub.add_parser("landing", help="bring native tool exports into the landing contract")
    lsub = p.add_subparsers(dest="landing_command", required=True)
    t = lsub.add_parser("import", help="map a native export (glpi, snipe-it, focus, servicenow, "
                                       "endoflife-date, m365-sku) onto contract files")
    t.add_argument("paths", type=Path, nargs="+")
    t.add_argument("--from", dest="system", default=None, help="source system (default: detect)")
    _data_args(t, warehouse=False)
    t.add_argument("--export-date", type=_iso_date, required=True)
    t.set_defaults(func="dagster_project.commands.landing:import_")
    from dagster_project.mappings.cli import add_parser as add_mappings_parser

    add_mappings_parser(lsub)

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
        return 1
    except KeyboardInterrupt:
        print(f"itam {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    # Run through the package module: under `python -m` this file is `__main__`, and commands
    # raise dagster_project.cli.CliError, which a CliError defined here would not catch.
    from dagster_project.cli import main as package_main

    sys.exit(package_main())
