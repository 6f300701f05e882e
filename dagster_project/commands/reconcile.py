"""itam reconcile: the quarterly reconciliation pack, resolutions, sign-off and pack verification
(docs/reconciliation.md)."""
from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

from dagster_project.cli import CliError
from dagster_project.commands.build import build_or_fail, export_masker, require_landing, settings_from_args
from dagster_project.decisions.store import RESOLUTION_ACTIONS, DecisionsError, DecisionsStore, normalise_email
from dagster_project.outputs import protected_paths
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

    env = Settings.from_env()
    store = DecisionsStore((getattr(args, "decisions", None) or env.decisions).resolve(), key=env.decisions_key)
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
    masker = export_masker(args, settings)  # refused before any build when --unmasked is not allowed
    try:
        p = plan(settings, quarter)
    except PlanError as exc:
        raise CliError(str(exc)) from exc
    if p.reuse:
        print(f"reconcile {quarter}: reusing {settings.warehouse}: {p.reason}")
    elif p.decisions_only:
        from dagster_project.reconcile.refresh import RefreshError, refresh_decisions

        print(f"reconcile {quarter}: applying the decisions to {settings.warehouse} ({p.reason}; no full build)")
        try:
            done = refresh_decisions(settings)
        except RefreshError as exc:
            raise CliError(f"{exc} (the published warehouse is unchanged)") from exc
        print(f"published {done['published']} with {done['resolutions']} resolutions and "
              f"{done['signoffs']} sign-offs")
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
                                  warehouse=settings.warehouse, force=bool(getattr(args, "force", False)),
                                  protected=protected_paths(settings), masker=masker)
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
    if manifest.get("personal_data") == "masked":
        print("  personal data masked (taxonomy/privacy.yaml); --unmasked with ITAM_ROLES naming a granted role "
              "writes it in clear")
    for name, meta in manifest["files"].items():
        print(f"    {name}: {meta['rows']} rows, sha256 {meta['sha256'][:16]}…")


# ---------------------------------------------------------------------------------- resolve

def resolve(args) -> int:
    """itam reconcile resolve EXCEPTION_ID --action A --note TEXT --by EMAIL, or --from FILE."""
    if getattr(args, "from_file", None):
        return resolve_from(args)
    if not args.exception_id or not args.action or not args.note or not args.by:
        raise CliError("give EXCEPTION_ID --action --note --by, or --from FILE.xlsx|csv")
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
        at = _snapshot_of(con, args.quarter)
        sql = ("select as_of_date, exception_type, problem_key, status from marts.fct_reconciliation_exceptions "
               "where exception_id = ?" + (" and as_of_date = ?" if at else "") + " order by as_of_date desc limit 1")
        row = con.execute(sql, [exception_id] + ([at] if at else [])).fetchone()
    finally:
        con.close()
    if row is None:
        where = f" at the {at} snapshot" if at else ""
        raise CliError(f"no exception {exception_id}{where} in {warehouse}")
    as_of, exception_type, problem_key, status = row
    try:
        store.add_resolution(exception_id=exception_id, as_of_date=as_of, action=args.action, resolved_by=by,
                             note=note, exception_type=exception_type, problem_key=problem_key)
    except DecisionsError as exc:
        raise CliError(str(exc)) from exc
    print(f"recorded {args.action} for {exception_id} ({exception_type} {problem_key}, {status} at {as_of}) "
          f"by {by} in {store.resolutions_path}")
    print("  it applies from that snapshot on; `itam reconcile --quarter Q` applies it to the marts "
          "(the decision marts only, no full build)")
    return 0


def _snapshot_of(con, quarter_text: str | None):
    if not quarter_text:
        return None
    from dagster_project.reconcile.pack import quarter_snapshot

    quarter = _quarter(quarter_text)
    snap = quarter_snapshot(con, quarter.label)
    if snap is None:
        raise CliError(f"the warehouse has no snapshot within {quarter}")
    return snap.as_of_date


def resolve_from(args) -> int:
    """Every filled decision of a worked workbook or CSV at once, with a per-row report."""
    from dagster_project.reconcile.bulk import BulkError, apply, read_lines, snapshot_lookup

    path = Path(args.from_file)
    try:
        quarter, lines = read_lines(path)
    except BulkError as exc:
        raise CliError(str(exc)) from exc
    by = _email(args.by) if args.by else None
    store = _store(args)
    con = _connect_published(args.warehouse.resolve())
    try:
        at = _snapshot_of(con, args.quarter or quarter)
        try:
            outcomes, empty = apply(store, lines, snapshot_lookup(con, at), default_by=by,
                                    masker=export_masker(args))  # how a masked pack showed decisions
        except DecisionsError as exc:
            raise CliError(str(exc)) from exc
    finally:
        con.close()
    for o in outcomes:
        print(f"  {o.where}: {o.exception_id} {o.result}" + (f": {o.reason}" if o.reason else ""))
    count = {k: sum(1 for o in outcomes if o.result == k) for k in ("accepted", "unchanged", "rejected")}
    print(f"{path.name}: {count['accepted']} accepted, {count['unchanged']} unchanged, "
          f"{count['rejected']} rejected, {empty} rows without a decision"
          + (f"; recorded in {store.resolutions_path}" if count["accepted"] else ""))
    if count["accepted"]:
        print("  `itam reconcile --quarter Q` applies them to the marts (the decision marts only, no full build)")
    return 1 if count["rejected"] else 0


# ------------------------------------------------------------------------------------ waive

def waive(args) -> int:
    """itam reconcile waive FILE#ROW --by EMAIL --reason TEXT: a waiver in the decisions chain."""
    store = _store(args)
    try:
        row = store.add_waiver(quarantine_key=args.quarantine_key, waived_by=args.by, reason=args.reason)
    except ValueError as exc:
        raise CliError(str(exc)) from exc
    except DecisionsError as exc:
        raise CliError(str(exc)) from exc
    print(f"waiver of {row['quarantine_key']} by {row['waived_by']} recorded in {store.waivers_path} "
          f"(chain row {row['seq']}); the next `itam build` loads the row if only a plausibility or "
          "expectation rule held it back")
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
    resolvers = _resolvers(folder, store, manifest)
    if by in resolvers and _four_eyes(args):
        raise CliError(f"{by} resolved exceptions listed in this pack and cannot also sign it "
                       "(policy signer_must_differ_from_resolvers in policies.yaml)")
    last = store.latest_signoff(quarter.label)
    if last and last.pack_sha256 == manifest["pack_sha256"] and last.signed_by == by:
        print(f"{quarter} pack {manifest['pack_sha256'][:16]}… was already signed by {by} at {last.signed_at:%Y-%m-%d %H:%M} UTC")
        return 0
    t = manifest["totals"]
    try:
        row = store.add_signoff(quarter=quarter.label, as_of_date=date.fromisoformat(manifest["as_of_date"]),
                                pack_sha256=manifest["pack_sha256"], signed_by=by,
                                exceptions_listed=t["listed"], open_at_signoff=t["counts_as_open"],
                                note=getattr(args, "note", "") or "")
    except DecisionsError as exc:
        raise CliError(str(exc)) from exc
    print(f"signed {quarter} (as of {manifest['as_of_date']}) by {by} at {row['signed_at']}: "
          f"pack_sha256 {manifest['pack_sha256']}, {t['listed']} exceptions, {t['counts_as_open']} open")
    print(f"  recorded in {store.signoffs_path} (chain row {row['seq']}, after chain head {row['chain_head'][:16]}…"
          + (", HMAC-signed" if row["head_hmac"] else "") + "); fct_signoffs shows it after the next build")
    return 0


def _resolvers(folder: Path, store: DecisionsStore, manifest: dict, until=None) -> set[str]:
    """Who resolved the exceptions the pack lists: the resolution in force at the pack's snapshot
    of each exception in its exceptions.csv, from the decisions store (the pack's resolved_by
    column may be masked, issue 17.6), plus any e-mail the column shows. `until`: only decisions
    recorded by then (the sign-off's time, for `verify`)."""
    import csv

    path = folder / "exceptions.csv"
    if not path.is_file():
        return set()
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    listed = {r["exception_id"] for r in rows}
    shown = {(r.get("resolved_by") or "").strip().lower() for r in rows}
    as_of = date.fromisoformat(manifest["as_of_date"])
    in_force: dict[str, tuple] = {}
    for r in store.resolutions():
        if r.exception_id in listed and r.as_of_date <= as_of and (until is None or r.resolved_at <= until):
            key = (r.resolved_at, r.row)
            if r.exception_id not in in_force or key > in_force[r.exception_id][0]:
                in_force[r.exception_id] = (key, r.resolved_by)
    return {by for _, by in in_force.values()} | {s for s in shown if "@" in s}


def _four_eyes(args) -> bool:
    """policies.yaml signer_must_differ_from_resolvers of the taxonomy in use (default true)."""
    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.governance.problems import TaxonomyError
    from dagster_project.settings import Settings

    folder = getattr(args, "taxonomy", None) or Settings.from_env().taxonomy
    try:
        return bool(load_taxonomy(folder).policies.signer_must_differ_from_resolvers)
    except TaxonomyError as exc:
        raise CliError(f"the taxonomy in {folder} is invalid: {str(exc).splitlines()[0]}") from exc


def verify(args) -> int:
    """itam reconcile verify --pack DIR: the decisions chain recomputes, every file matches the
    manifest, the pack is the one signed for its quarter (when it was signed), and the signer
    resolved none of its exceptions. Exit 1 naming the first problem."""
    from dagster_project.decisions.store import verify_chain

    folder = Path(args.pack).resolve()
    store = _store(args)
    report = verify_chain(store)
    for note in report.notes:
        print(f"note: {note}")
    if report.problems:
        raise CliError(f"the decisions chain in {store.folder} is broken: {report.problems[0]}")
    manifest = _verified(folder)
    quarter = manifest["quarter"]
    last = store.latest_signoff(quarter)
    n = len(manifest["files"])
    chain = f"decisions chain intact ({report.rows} rows, head {report.head[:16]}…)"
    if last is None:
        print(f"pack {folder} is intact ({n} files match the manifest); {chain}; {quarter} is not signed yet")
        return 0
    if last.pack_sha256 != manifest["pack_sha256"]:
        raise CliError(f"pack {folder} is not the one signed for {quarter}: it hashes to "
                       f"{manifest['pack_sha256'][:16]}…, {last.signed_by} signed {last.pack_sha256[:16]}… "
                       f"at {last.signed_at:%Y-%m-%d %H:%M} UTC")
    if last.signed_by in _resolvers(folder, store, manifest, until=last.signed_at) and _four_eyes(args):
        raise CliError(f"{quarter} was signed by {last.signed_by}, who resolved exceptions listed in the pack "
                       "(policy signer_must_differ_from_resolvers)")
    print(f"pack {folder} is intact ({n} files match the manifest) and is the {quarter} pack "
          f"signed by {last.signed_by} at {last.signed_at:%Y-%m-%d %H:%M} UTC; {chain}")
    return 0
