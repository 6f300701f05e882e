"""itam reconcile: the quarterly reconciliation pack, resolutions, sign-off and pack verification
(docs/reconciliation.md)."""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from dagster_project.cli import CliError
from dagster_project.commands.build import build_or_fail, require_landing, settings_from_args
from dagster_project.reconcile.decisions import RESOLUTION_ACTIONS, DecisionsError, DecisionsStore, normalise_email
from dagster_project.reconcile.quarter import Quarter

DEFAULT_PACKS = Path("data/reconciliation")


def _quarter(text: str | None) -> Quarter:
    if not text:
        raise CliError("give --quarter YYYYQn (e.g. 2026Q3), or a subcommand: resolve, sign-off, verify")
    try:
        return Quarter.parse(text)
    except ValueError as exc:
        raise CliError(str(exc)) from exc


def _email(text: str) -> str:
    try:
        return normalise_email(text)
    except ValueError as exc:
        raise CliError(f"--by: {exc}") from exc


def _store(args) -> DecisionsStore:
    """The decisions store (--decisions, else ITAM_DECISIONS), refused early when a hand edit
    left it invalid."""
    from dagster_project.settings import Settings

    store = DecisionsStore((getattr(args, "decisions", None) or Settings.from_env().decisions).resolve())
    try:
        store.resolutions()
        store.signoffs()
    except DecisionsError as exc:
        raise CliError(f"the decisions store is invalid: {exc}") from exc
    return store


def _connect_published(warehouse: Path):
    from dagster_project.warehouse import connect

    if not warehouse.exists():
        raise CliError(f"no published warehouse at {warehouse} (run `itam build` or `itam reconcile --quarter Q`)")
    return connect(warehouse, read_only=True)


def _pack_folder(args, quarter: Quarter) -> Path:
    folder = getattr(args, "pack", None) or getattr(args, "out", None) or DEFAULT_PACKS / quarter.label
    return Path(folder).resolve()


# ------------------------------------------------------------------------------------- pack

def run(args) -> int:
    """itam reconcile --quarter Q: build (or reuse) the quarter's snapshot and write its pack."""
    from dagster_project.reconcile.pack import PackError, quarter_snapshot, write_pack
    from dagster_project.reconcile.plan import PlanError, plan

    quarter = _quarter(args.quarter)
    settings = settings_from_args(args)
    require_landing(settings)
    store = _store(args)
    out = _pack_folder(args, quarter)
    try:
        p = plan(settings, quarter)
    except PlanError as exc:
        raise CliError(str(exc)) from exc
    if p.reuse:
        print(f"reconcile {quarter}: reusing {settings.warehouse}: {p.reason}")
    else:
        as_of = p.build_as_of or "the latest export date"
        print(f"reconcile {quarter}: building as of {as_of} ({p.reason})")
        outcome = build_or_fail(dataclasses.replace(settings, as_of=p.build_as_of))
        print(f"published {outcome.published} as of {outcome.as_of} in {outcome.seconds} s")

    con = _connect_published(settings.warehouse)
    try:
        snap = quarter_snapshot(con, quarter.label)
        if snap is None:
            raise CliError(f"the warehouse has no snapshot within {quarter}")
        try:
            manifest = write_pack(con, snap, out, resolutions_sha256=store.resolutions_hash(),
                                  warehouse=settings.warehouse)
        except PackError as exc:
            raise CliError(str(exc)) from exc
    finally:
        con.close()
    _print_pack(manifest, out)
    return 0


def _print_pack(manifest: dict, out: Path) -> None:
    t = manifest["totals"]
    prev = (f"{manifest['previous_quarter']} ({manifest['previous_as_of_date']})"
            if manifest["previous_quarter"] else "no earlier quarter")
    note = "" if manifest["is_quarter_end"] else " — the quarter's last export, not its end date"
    print(f"reconciliation {manifest['quarter']} as of {manifest['as_of_date']}{note}, against {prev}")
    print(f"  {t['listed']} exceptions: {t['new']} new, {t['still_open']} still open, {t['reopened']} reopened, "
          f"{t['resolved']} resolved; {t['counts_as_open']} count as open "
          f"({t['accepted_risk']} accepted risk, {t['false_positive']} false positive, {t['fix_pending']} fix pending)")
    print(f"  pack {out} (pack_sha256 {manifest['pack_sha256']})")
    for name, meta in manifest["files"].items():
        print(f"    {name}: {meta['rows']} rows, sha256 {meta['sha256'][:16]}…")


# ---------------------------------------------------------------------------------- resolve

def resolve(args) -> int:
    """itam reconcile resolve EXCEPTION_ID --action A --note TEXT --by EMAIL"""
    exception_id = args.exception_id.strip()
    if exception_id[:3].upper() == "EX-":
        exception_id = "EX-" + exception_id[3:].lower()
    if args.action not in RESOLUTION_ACTIONS:
        raise CliError(f"--action must be one of {', '.join(RESOLUTION_ACTIONS)}")
    by = _email(args.by)
    note = " ".join((args.note or "").split())
    if not note:
        raise CliError("--note is empty: say why (it is kept with the decision)")
    store = _store(args)
    warehouse = args.warehouse.resolve()
    con = _connect_published(warehouse)
    try:
        at = None
        if args.quarter:
            from dagster_project.reconcile.pack import quarter_snapshot

            quarter = _quarter(args.quarter)
            snap = quarter_snapshot(con, quarter.label)
            if snap is None:
                raise CliError(f"the warehouse has no snapshot within {quarter}")
            at = snap.as_of_date
        sql = ("select as_of_date, exception_type, problem_key, status from marts.fct_reconciliation_exceptions "
               "where exception_id = ?" + (" and as_of_date = ?" if at else "") + " order by as_of_date desc limit 1")
        row = con.execute(sql, [exception_id] + ([at] if at else [])).fetchone()
    finally:
        con.close()
    if row is None:
        where = f" at the {at} snapshot" if at else ""
        raise CliError(f"no exception {exception_id}{where} in {warehouse}")
    as_of, exception_type, problem_key, status = row
    store.add_resolution(exception_id=exception_id, as_of_date=as_of, action=args.action, resolved_by=by,
                         note=note, exception_type=exception_type, problem_key=problem_key)
    print(f"recorded {args.action} for {exception_id} ({exception_type} {problem_key}, {status} at {as_of}) "
          f"by {by} in {store.resolutions_path}")
    print("  it applies from that snapshot on; the marts show it after the next build "
          "(`itam reconcile --quarter Q` rebuilds when decisions changed)")
    return 0


# --------------------------------------------------------------------------------- sign-off

def _verified(folder: Path) -> dict:
    """The pack's manifest when the pack is intact; else print each problem and fail."""
    from dagster_project.reconcile.pack import PackError, verify_pack

    try:
        manifest, problems = verify_pack(folder)
    except PackError as exc:
        raise CliError(str(exc)) from exc
    if problems:
        for p in problems:
            print(f"  - {p}")
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        raise CliError(f"pack {folder} is not intact: {problems[0]}{more}")
    return manifest


def sign_off(args) -> int:
    """itam reconcile sign-off --quarter Q --by EMAIL: record who signed which pack, and when."""
    quarter = _quarter(args.quarter)
    by = _email(args.by)
    store = _store(args)
    folder = _pack_folder(args, quarter)
    manifest = _verified(folder)
    if manifest["quarter"] != quarter.label:
        raise CliError(f"pack {folder} is the {manifest['quarter']} pack, not {quarter}")
    if manifest["resolutions_sha256"] != store.resolutions_hash():
        raise CliError(f"pack {folder} predates resolutions recorded since it was written; "
                       f"run `itam reconcile --quarter {quarter}` again and sign the new pack")
    last = store.latest_signoff(quarter.label)
    if last and last.pack_sha256 == manifest["pack_sha256"] and last.signed_by == by:
        print(f"{quarter} pack {manifest['pack_sha256'][:16]}… was already signed by {by} at {last.signed_at:%Y-%m-%d %H:%M} UTC")
        return 0
    t = manifest["totals"]
    row = store.add_signoff(quarter=quarter.label, as_of_date=date.fromisoformat(manifest["as_of_date"]),
                            pack_sha256=manifest["pack_sha256"], signed_by=by,
                            exceptions_listed=t["listed"], open_at_signoff=t["counts_as_open"],
                            note=getattr(args, "note", "") or "")
    print(f"signed {quarter} (as of {manifest['as_of_date']}) by {by} at {row['signed_at']}: "
          f"pack_sha256 {manifest['pack_sha256']}, {t['listed']} exceptions, {t['counts_as_open']} open")
    print(f"  recorded in {store.signoffs_path}; fct_signoffs shows it after the next build")
    return 0


def verify(args) -> int:
    """itam reconcile verify --pack DIR: every file matches the manifest, and the pack is the one
    signed for its quarter (when it was signed)."""
    folder = Path(args.pack).resolve()
    store = _store(args)
    manifest = _verified(folder)
    quarter = manifest["quarter"]
    last = store.latest_signoff(quarter)
    n = len(manifest["files"])
    if last is None:
        print(f"pack {folder} is intact ({n} files match the manifest); {quarter} is not signed yet")
        return 0
    if last.pack_sha256 != manifest["pack_sha256"]:
        raise CliError(f"pack {folder} is not the one signed for {quarter}: it hashes to "
                       f"{manifest['pack_sha256'][:16]}…, {last.signed_by} signed {last.pack_sha256[:16]}… "
                       f"at {last.signed_at:%Y-%m-%d %H:%M} UTC")
    print(f"pack {folder} is intact ({n} files match the manifest) and is the {quarter} pack "
          f"signed by {last.signed_by} at {last.signed_at:%Y-%m-%d %H:%M} UTC")
    return 0
