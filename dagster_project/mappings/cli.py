"""Command-line pieces for the native mappings, for the `itam landing` group.

`itam landing import` is wired in dagster_project/cli.py (handler dagster_project.commands.landing).
`add_parser(landing_subparsers)` adds the helper group

    itam landing mappings list                 systems and their inputs
    itam landing mappings check [--mappings D] validate every mapping (exit 1 on any problem)
    itam landing mappings detect PATH...       which system/input would read each file
    itam landing mappings fields [SYSTEM...]   each native field and where it lands
                                               (--update-docs docs/mappings.md rewrites its tables)

Handlers return an exit code and print one line per item; problems go to stderr.
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("mappings", help="list, check or try the native-format mappings",
                              epilog="  itam landing mappings list\n  itam landing mappings check\n"
                                     "  itam landing mappings detect export.csv")
    msub = p.add_subparsers(dest="mappings_command", required=True)
    t = msub.add_parser("list", help="systems and their inputs", epilog="  itam landing mappings list")
    t.add_argument("--mappings", type=Path, default=None, help="folder of mapping YAML files")
    t.set_defaults(func="dagster_project.mappings.cli:list_")
    t = msub.add_parser("check", help="validate every mapping (exit 1 on any problem)",
                        epilog="  itam landing mappings check --mappings mappings/")
    t.add_argument("--mappings", type=Path, default=None, help="folder of mapping YAML files")
    t.set_defaults(func="dagster_project.mappings.cli:check")
    t = msub.add_parser("detect", help="which system and input would read each file",
                        epilog="  itam landing mappings detect glpi.xml assets.csv")
    t.add_argument("paths", type=Path, nargs="+", help="native export file(s)")
    t.add_argument("--mappings", type=Path, default=None, help="folder of mapping YAML files")
    t.set_defaults(func="dagster_project.mappings.cli:detect")
    t = msub.add_parser("fields", help="each native field and where it lands (docs/mappings.md)",
                        epilog="  itam landing mappings fields snipe-it\n"
                               "  itam landing mappings fields --update-docs docs/mappings.md")
    t.add_argument("systems", nargs="*", help="systems (default: all)")
    t.add_argument("--mappings", type=Path, default=None, help="folder of mapping YAML files")
    t.add_argument("--update-docs", type=Path, default=None, metavar="MD",
                   help="rewrite the generated section of this Markdown file (docs/mappings.md)")
    t.set_defaults(func="dagster_project.mappings.cli:fields")
    return p


def fields(args) -> int:
    from dagster_project.mappings.fidelity import field_tables, update_docs

    if args.update_docs:
        changed = update_docs(args.update_docs, args.mappings)
        print(f"{args.update_docs}: {'updated' if changed else 'already up to date'}")
        return 0
    print(field_tables(args.systems or None, args.mappings))
    return 0


def list_(args) -> int:
    from dagster_project.mappings import MappingError, list_systems, load_mapping

    for name in list_systems(args.mappings):
        try:
            m = load_mapping(name, args.mappings)
        except MappingError as exc:
            print(f"{name}: INVALID ({len(exc.problems)} problem(s); run `itam landing mappings "
                  "check`)")
            continue
        for iname, inp in m.inputs.items():
            ents = ", ".join(t.entity for t in inp.targets) or f"not mapped ({inp.not_mapped})"
            print(f"{m.system}:{iname}\t{inp.reader}\t{ents}")
    return 0


def check(args) -> int:
    from dagster_project.mappings import check_mappings, list_systems

    problems = check_mappings(args.mappings)
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print(f"{len(list_systems(args.mappings))} mapping(s) valid")
    return 1 if problems else 0


def detect(args) -> int:
    from dagster_project.mappings import candidates

    status = 0
    for path in args.paths:
        files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
        for f in files:
            found = candidates(f, args.mappings)
            if len(found) == 1:
                print(f"{f}\t{found[0][0]}:{found[0][1]}")
            elif not found:
                print(f"{f}\t(no mapping recognises it)")
                status = 1
            else:
                print(f"{f}\tambiguous: {', '.join(f'{s}:{i}' for s, i in found)}")
                status = 1
    return status


def run_import(args) -> int:
    """Same contract as dagster_project.commands.landing:import_ (kept here so the mappings
    package can be driven on its own): args.system, args.paths, args.landing, args.export_date."""
    from dagster_project.mappings import MappingError, import_native

    try:
        report = import_native(args.system, list(args.paths), Path(args.landing).resolve(),
                               date.fromisoformat(str(args.export_date)), log=print,
                               dialect=getattr(args, "dialect", None))
    except MappingError as exc:
        print(f"itam landing import: {exc}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0
