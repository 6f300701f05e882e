"""Quarterly reconciliation end to end on tests/fixtures/landing_reconcile (two quarter exports,
2026-06-30 and 2026-09-30), through the `itam` CLI, with hand-derived expectations.

The fixture (policy: agent stale window 30 days, network scan 45; printers have no ownership rule):
  L1 laptop   CMDB alice/Paris -> bob/Lyon; discovery agrees each time        drift only
  L2 laptop   CMDB carol; Q2 discovery saw dave logged on, Q3 carol            attribute_drift Q2 only
  L4 laptop   in_stock, unassigned -> in_use, erin; seen in Q3                 drift only
  L5 laptop   cost center CC-ENG -> CC-SALES                                   drift only
  S1 server   in_use, agent last saw it 2026-04-01 (> 30 days at both dates)   ghost_ci Q2 and Q3
  S2 server   in_use, never discovered                                         ghost_ci Q2 and Q3
  P1 printer  in_use, scanned each quarter                                     unowned Q2 and Q3
  U1          agent only, seen 06-25 and 09-25                                 unmanaged Q2 and Q3
  U2          agent only, seen 09-20                                           unmanaged Q3 only
  U3          agent only, seen 06-20, then never (102 days at 09-30)           unmanaged Q2 only

Scenario (one module, two builds): the Q2 pack is built on an empty warehouse and signed; then
resolutions are recorded against the Q2 snapshot: L2 drift fixed_in_source (it was: gone in Q3),
S1 fixed_in_source (it was not: still a ghost in Q3), S2 accepted_risk, U1 false_positive. The
warehouse file is deleted and the Q3 pack is built from nothing; a second Q3 run reuses it.
"""
from __future__ import annotations

import contextlib
import csv
import dataclasses
import hashlib
import io
import json
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import REPO, Warehouse, make_settings

LANDING = REPO / "tests" / "fixtures" / "landing_reconcile"
Q2, Q3 = "2026-06-30", "2026-09-30"
TYPES = ["unmanaged_device", "ghost_ci", "purchased_not_deployed", "attribute_drift",
         "missing_from_fixed_assets", "duplicate_record", "unclassified", "unowned",
         "invalid_transition", "unauthorised_software"]


def itam(*args) -> SimpleNamespace:
    from dagster_project.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main([str(a) for a in args])
    return SimpleNamespace(rc=rc, out=out.getvalue(), err=err.getvalue())


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())


@pytest.fixture(scope="module")
def rec(tmp_path_factory):
    root = tmp_path_factory.mktemp("reconcile")
    s = SimpleNamespace(root=root, wh=root / "warehouse.duckdb", decisions=root / "decisions",
                        packs=root / "packs")
    data = ["--landing", LANDING, "--warehouse", s.wh, "--decisions", s.decisions]

    s.q2 = itam("reconcile", "--quarter", "2026Q2", *data, "--out", s.packs / "2026Q2")
    assert s.q2.rc == 0, s.q2.err
    s.sign_q2 = itam("reconcile", "sign-off", "--quarter", "2026Q2", "--by", "CFO@example.com",
                     "--pack", s.packs / "2026Q2", "--decisions", s.decisions)
    assert s.sign_q2.rc == 0, s.sign_q2.err

    s.q2_ids = {r["problem_key"]: r["exception_id"] for r in read_csv(s.packs / "2026Q2" / "exceptions.csv")}
    decide = [("serial:L2|assigned_user", "fixed_in_source", "CMDB user corrected"),
              ("serial:S1", "fixed_in_source", "agent reinstalled"),
              ("serial:S2", "accepted_risk", "air-gapped server, no agent by design"),
              ("serial:U1", "false_positive", "lab device, registered in the lab inventory")]
    for key, action, note in decide:
        r = itam("reconcile", "resolve", s.q2_ids[key], "--action", action, "--note", note,
                 "--by", "hannah.asset@example.com", "--quarter", "2026Q2",
                 "--warehouse", s.wh, "--decisions", s.decisions)
        assert r.rc == 0, r.err
    s.unknown_id = itam("reconcile", "resolve", "EX-000000000000", "--action", "accepted_risk",
                        "--note", "n", "--by", "hannah.asset@example.com", "--warehouse", s.wh,
                        "--decisions", s.decisions)
    s.bad_email = itam("reconcile", "resolve", s.q2_ids["serial:P1"], "--action", "accepted_risk",
                       "--note", "n", "--by", "hannah.asset", "--warehouse", s.wh, "--decisions", s.decisions)

    s.wh.unlink()  # a full rebuild from nothing: the decisions must come back from the store
    s.q3 = itam("reconcile", "--quarter", "2026Q3", *data, "--out", s.packs / "2026Q3")
    assert s.q3.rc == 0, s.q3.err
    s.q3_again = itam("reconcile", "--quarter", "2026Q3", *data, "--out", s.packs / "2026Q3-again")
    assert s.q3_again.rc == 0, s.q3_again.err
    s.w = Warehouse(s.wh)
    return s


def summary(folder: Path) -> dict[tuple[str, str], dict[str, int]]:
    return {(r["exception_type"], r["cost_center"]): {k: int(v) for k, v in r.items()
                                                      if k not in ("exception_type", "cost_center")}
            for r in read_csv(folder / "summary.csv")}


def test_first_quarter_pack_has_everything_new(rec):
    assert "building" in rec.q2.out
    m = manifest(rec.packs / "2026Q2")
    assert (m["quarter"], m["as_of_date"], m["previous_quarter"]) == ("2026Q2", Q2, None)
    # Q2 detects L2 drift, S1 and S2 ghosts, U1 and U3 unmanaged, P1 unowned: 6, all new.
    assert m["totals"]["listed"] == 6 and m["totals"]["new"] == 6 and m["totals"]["counts_as_open"] == 6
    assert {k: v["new"] for k, v in summary(rec.packs / "2026Q2").items()} == {
        ("attribute_drift", "CC-ENG"): 1, ("ghost_ci", "CC-IT-INFRA"): 2,
        ("unmanaged_device", "(none)"): 2, ("unowned", "CC-OPS"): 1}


def test_second_quarter_counts_against_the_first(rec):
    m = manifest(rec.packs / "2026Q3")
    assert (m["quarter"], m["as_of_date"], m["previous_quarter"], m["previous_as_of_date"]) == \
        ("2026Q3", Q3, "2026Q2", Q2)
    # new: U2. still open: S2, U1, P1. reopened: S1 (fix claimed in Q2, still a ghost).
    # resolved: L2 drift, U3. Listed 1 + 3 + 1 + 2 = 7.
    # Count as open: U2, P1 and S1 = 3 (S2 accepted risk, U1 false positive stay listed).
    t = m["totals"]
    assert (t["new"], t["still_open"], t["reopened"], t["resolved"], t["listed"]) == (1, 3, 1, 2, 7)
    assert (t["counts_as_open"], t["accepted_risk"], t["false_positive"], t["fix_pending"]) == (3, 1, 1, 0)
    cols = ("new", "still_open", "reopened", "resolved", "counts_as_open", "accepted_risk", "false_positive")
    got = {k: tuple(v[c] for c in cols) for k, v in summary(rec.packs / "2026Q3").items()}
    assert got == {
        ("attribute_drift", "CC-ENG"): (0, 0, 0, 1, 0, 0, 0),         # L2 resolved
        ("ghost_ci", "CC-IT-INFRA"): (0, 1, 1, 0, 1, 1, 0),           # S2 open (accepted), S1 reopened
        ("unmanaged_device", "(none)"): (1, 1, 0, 1, 1, 0, 1),        # U2 new, U1 open (f.p.), U3 resolved
        ("unowned", "CC-OPS"): (0, 1, 0, 0, 1, 0, 0),                 # P1
    }
    # The dashboard reads the same mart.
    assert rec.w.one("select sum(counts_as_open) from marts.fct_reconciliation_summary where quarter = '2026Q3'") == 3


def test_exception_ids_are_stable_across_quarters(rec):
    q2 = {r["problem_key"]: r for r in read_csv(rec.packs / "2026Q2" / "exceptions.csv")}
    q3 = {r["problem_key"]: r for r in read_csv(rec.packs / "2026Q3" / "exceptions.csv")}
    for r in [*q2.values(), *q3.values()]:
        # id = EX- + md5(type | problem key)[:12]: no row order, no build id in it.
        expected = "EX-" + hashlib.md5(f"{r['exception_type']}|{r['problem_key']}".encode()).hexdigest()[:12]
        assert r["exception_id"] == expected
    both = set(q2) & set(q3)
    assert both == set(q2)  # every Q2 problem is listed again in Q3 (open, reopened or resolved)
    assert all(q2[k]["exception_id"] == q3[k]["exception_id"] for k in both)
    assert set(q3) - set(q2) == {"serial:U2"}


def test_resolutions_survive_a_full_rebuild(rec):
    # The warehouse file was deleted before the Q3 build: the resolutions came from the store.
    rows = {key: rest for key, *rest in rec.w.rows(
        "select problem_key, status, resolution_action, resolved_by, counts_as_open, decision_as_of_date "
        "from marts.fct_reconciliation_exceptions where as_of_date = ?", [Q3])}
    assert rows["serial:S2"][:4] == ["open", "accepted_risk", "hannah.asset@example.com", False]
    assert rows["serial:U1"][:4] == ["open", "false_positive", "hannah.asset@example.com", False]
    assert rows["serial:L2|assigned_user"][:4] == ["resolved", "fixed_in_source", "hannah.asset@example.com", False]
    assert rows["serial:S1"][:4] == ["reopened", "fixed_in_source", "hannah.asset@example.com", True]
    assert rows["serial:P1"][:4] == ["open", None, None, True]
    assert str(rows["serial:S2"][4]) == Q2
    assert rec.w.one("select count(*) from marts.fct_reconciliation_exceptions where resolved_at is null "
                     "and resolution_action is not null") == 0


def test_a_fix_counts_as_done_at_its_own_snapshot(rec):
    # At Q2 the four decided exceptions stop counting; U3 and P1 remain: 2 open.
    open_q2 = {k for (k,) in rec.w.rows("select problem_key from marts.fct_reconciliation_exceptions "
                                        "where as_of_date = ? and counts_as_open", [Q2])}
    assert open_q2 == {"serial:U3", "serial:P1"}
    assert rec.w.one("select status from marts.fct_reconciliation_exceptions "
                     "where as_of_date = ? and problem_key = 'serial:S1'", [Q2]) == "new"


def test_resolve_refuses_unknown_ids_and_bad_emails(rec):
    assert rec.unknown_id.rc == 1
    assert rec.unknown_id.err.strip().count("\n") == 0 and "no exception EX-000000000000" in rec.unknown_id.err
    assert rec.bad_email.rc == 1 and "is not an e-mail address" in rec.bad_email.err
    # Neither reached the store: 4 decisions, one line each after the header.
    assert len(read_csv(rec.decisions / "reconciliation.csv")) == 4


def test_unchanged_warehouse_is_reused_and_the_pack_is_reproducible(rec):
    assert "building as of 2026-09-30 (no published warehouse" in rec.q3.out
    assert "reusing" in rec.q3_again.out
    a, b = manifest(rec.packs / "2026Q3"), manifest(rec.packs / "2026Q3-again")
    assert a["pack_sha256"] == b["pack_sha256"] and a["files"] == b["files"]


def test_workbook_has_a_summary_and_one_sheet_per_type(rec):
    from openpyxl import load_workbook

    wb = load_workbook(rec.packs / "2026Q3" / "reconciliation.xlsx", read_only=True)
    assert wb.sheetnames == ["cover", "summary", *TYPES, "drift"]
    rows = {name: sum(1 for _ in wb[name].iter_rows()) - 1 for name in wb.sheetnames[1:]}  # minus header
    # summary: 4 type x cost-center lines + the totals row; ghost_ci S1, S2; unmanaged U1, U2, U3;
    # unowned P1; L2 drift; drift: the 6 changes of test_drift_between_quarters.
    assert rows == {"summary": 5, "drift": 6, "unmanaged_device": 3, "ghost_ci": 2, "purchased_not_deployed": 0,
                    "attribute_drift": 1, "missing_from_fixed_assets": 0, "duplicate_record": 0,
                    "unclassified": 0, "unowned": 1, "invalid_transition": 0, "unauthorised_software": 0}
    header = [c.value for c in next(wb["ghost_ci"].iter_rows())]
    ghost = {r[header.index("serial_number")]: r for r in wb["ghost_ci"].iter_rows(min_row=2, values_only=True)}
    assert ghost["S1"][header.index("status")] == "reopened"
    assert ghost["S2"][header.index("resolution_action")] == "accepted_risk"


def test_drift_between_quarters(rec):
    rows = set(rec.w.rows(
        "select serial_number, attribute, old_value, new_value, change_kind from marts.fct_asset_drift "
        "where is_quarter_comparison and from_as_of_date = ? and to_as_of_date = ?", [Q2, Q3]))
    assert rows == {
        ("L1", "assigned_user", "alice@example.com", "bob@example.com", "changed"),
        ("L1", "location", "Paris", "Lyon", "changed"),
        ("L4", "assigned_user", None, "erin@example.com", "set"),
        ("L4", "lifecycle_state", "in_stock", "in_use", "changed"),
        ("L5", "cost_center", "CC-ENG", "CC-SALES", "changed"),
        ("U3", "lifecycle_state", "in_use", None, "cleared"),  # no longer seen: no state evidence
    }
    assert len(read_csv(rec.packs / "2026Q3" / "drift.csv")) == 6


def test_sign_off_is_recorded_and_reported_as_last_signed_quarter(rec):
    signed = read_csv(rec.decisions / "signoffs.csv")
    assert [(r["quarter"], r["signed_by"], r["pack_sha256"]) for r in signed] == \
        [("2026Q2", "cfo@example.com", manifest(rec.packs / "2026Q2")["pack_sha256"])]
    # Signed before the Q3 build, so the rebuilt marts carry it: last signed quarter at Q3 = 2026Q2.
    assert rec.w.rows(
        "select quarter, signed_by, exceptions_listed, open_at_signoff from marts.fct_signoffs "
        "where as_of_date = ? and is_last_signed_quarter and is_latest_signoff", [Q3]) == \
        [("2026Q2", "cfo@example.com", 6, 6)]


def test_tampered_pack_is_detected(rec, tmp_path):
    q3 = rec.packs / "2026Q3"
    r = itam("reconcile", "sign-off", "--quarter", "2026Q3", "--by", "cfo@example.com", "--pack", q3,
             "--decisions", rec.decisions)
    assert r.rc == 0, r.err
    ok = itam("reconcile", "verify", "--pack", q3, "--decisions", rec.decisions)
    assert ok.rc == 0 and "signed by cfo@example.com" in ok.out

    # 1. a file edited after the fact
    edited = tmp_path / "edited"
    shutil.copytree(q3, edited)
    text = (edited / "exceptions.csv").read_text().replace("reopened", "resolved")
    (edited / "exceptions.csv").write_text(text)
    bad = itam("reconcile", "verify", "--pack", edited, "--decisions", rec.decisions)
    assert bad.rc == 1 and "exceptions.csv was changed" in bad.err

    # 2. the same edit with the manifest rewritten to match: only the sign-off can tell
    from dagster_project.reconcile.pack import pack_sha256, seal

    m = manifest(edited)
    m["files"]["exceptions.csv"]["sha256"] = hashlib.sha256((edited / "exceptions.csv").read_bytes()).hexdigest()
    m["pack_sha256"] = pack_sha256(m)
    (edited / "manifest.json").write_text(json.dumps(m))
    half = itam("reconcile", "verify", "--pack", edited, "--decisions", rec.decisions)
    assert half.rc == 1 and "no longer hashes to data_sha256" in half.err  # the cover's hash
    seal(m)
    (edited / "manifest.json").write_text(json.dumps(m))
    forged = itam("reconcile", "verify", "--pack", edited, "--decisions", rec.decisions)
    assert forged.rc == 1 and "not the one signed for 2026Q3" in forged.err

    # 3. a total changed in the manifest only
    totals = tmp_path / "totals"
    shutil.copytree(q3, totals)
    m = manifest(totals)
    m["totals"]["counts_as_open"] = 0
    (totals / "manifest.json").write_text(json.dumps(m))
    assert itam("reconcile", "verify", "--pack", totals, "--decisions", rec.decisions).rc == 1


def test_sign_off_refuses_a_pack_older_than_the_resolutions(rec, tmp_path):
    decisions = tmp_path / "decisions"
    shutil.copytree(rec.decisions, decisions)
    r = itam("reconcile", "resolve", rec.q2_ids["serial:P1"], "--action", "retire", "--note", "printer retired",
             "--by", "hannah.asset@example.com", "--warehouse", rec.wh, "--decisions", decisions)
    assert r.rc == 0, r.err
    stale = itam("reconcile", "sign-off", "--quarter", "2026Q3", "--by", "cfo@example.com",
                 "--pack", rec.packs / "2026Q3", "--decisions", decisions)
    assert stale.rc == 1 and "predates resolutions" in stale.err


def test_decisions_store_rejects_a_bad_hand_edit(tmp_path):
    from dagster_project.decisions.store import DecisionsError, DecisionsStore

    store = DecisionsStore(tmp_path)
    store.add_resolution(exception_id="EX-0123456789ab", as_of_date=date(2026, 9, 30),
                         action="accepted_risk", resolved_by="A@Example.com", note="ok, fine",
                         exception_type="ghost_ci", problem_key="serial:X")
    assert store.resolutions()[0].resolved_by == "a@example.com"
    with open(store.resolutions_path, "a") as f:
        f.write("EX-0123456789ab,2026-09-30,ignore,a@example.com,2026-10-01T00:00:00Z,why,ghost_ci,serial:X\n")
    with pytest.raises(DecisionsError, match=r"reconciliation.csv:3: resolution_action 'ignore'"):
        store.resolutions()


def test_quarter_names():
    from dagster_project.reconcile.quarter import Quarter

    q = Quarter.parse("2026q4")
    assert (q.label, str(q.start), str(q.end)) == ("2026Q4", "2026-10-01", "2026-12-31")
    assert str(Quarter.parse("2026-Q1").end) == "2026-03-31"
    with pytest.raises(ValueError, match="expected YYYYQn"):
        Quarter.parse("2026Q5")


def test_pack_has_a_sheet_for_every_declared_exception_type():
    # The workbook's sheet list and the mart's accepted exception types must not drift apart.
    import yaml

    from dagster_project.reconcile.pack import EXCEPTION_TYPES
    marts = yaml.safe_load((REPO / "dbt" / "models" / "marts" / "_marts.yml").read_text())
    (model,) = [m for m in marts["models"] if m["name"] == "fct_reconciliation_exceptions"]
    (column,) = [c for c in model["columns"] if c["name"] == "exception_type"]
    (test,) = [t for t in column["data_tests"] if "accepted_values" in t]
    assert list(EXCEPTION_TYPES) == test["accepted_values"]["arguments"]["values"]


# ------------------------------------------------------------------ the workbook as a user opens it

ACTIONS = ["fixed_in_source", "accepted_risk", "false_positive", "retire"]


def test_workbook_cover_formats_validation_and_totals(rec):
    from openpyxl import load_workbook

    from dagster_project.reconcile.pack import COUNT_COLUMNS, EXCEPTION_COLUMNS

    q3 = rec.packs / "2026Q3"
    m = manifest(q3)
    wb = load_workbook(q3 / "reconciliation.xlsx")
    lines = {r[0]: r[1:] for r in wb["cover"].iter_rows(values_only=True) if r and r[0]}
    assert lines["Reconciliation"][0] == "2026Q3"
    assert lines["As of"][0].date() == date(2026, 9, 30)
    assert lines["Build id"][0] == m["build_id"] == rec.w.one(
        "select build_id from audit.builds order by finished_at desc limit 1")
    assert lines["Pack data hash"][0] == m["data_sha256"]
    assert (lines["Exceptions listed"][0], lines["Counting as open"][0]) == (7, 3)
    assert lines["Sign-off"][0].startswith("not signed")  # written before Q3 was signed
    # Counts by type and status (listed, new, open, reopened, resolved, counting as open): as in
    # test_second_quarter_counts_against_the_first.
    assert lines["ghost_ci"][:6] == (2, 0, 1, 1, 0, 1)           # S2 open, S1 reopened
    assert lines["unmanaged_device"][:6] == (3, 1, 1, 0, 1, 1)   # U2 new, U1 open, U3 resolved
    assert lines["Total"][:6] == (7, 1, 3, 1, 2, 3)

    summary = wb["summary"]
    assert summary.freeze_panes == "A2" and summary.auto_filter.ref == "A1:L5"
    header = [c.value for c in summary[1]]
    total = [c.value for c in summary[summary.max_row]]
    assert total[0] == "Total"
    for c in COUNT_COLUMNS:  # the totals row equals the mart
        assert total[header.index(c)] == rec.w.one(
            f"select sum({c}) from marts.fct_reconciliation_summary where quarter = '2026Q3'"), c
    assert summary.cell(2, header.index("new") + 1).number_format == "#,##0"

    ghost = wb["ghost_ci"]
    assert ghost.freeze_panes == "A2" and ghost.auto_filter.ref == "A1:U3"
    (dv,) = ghost.data_validations.dataValidation
    col = EXCEPTION_COLUMNS.index("resolution_action") + 1
    letter = ghost.cell(1, col).column_letter
    assert dv.type == "list" and dv.formula1 == '"' + ",".join(ACTIONS) + '"'
    assert str(dv.sqref) == f"{letter}2:{letter}3"
    assert ghost.cell(2, EXCEPTION_COLUMNS.index("first_detected_on") + 1).number_format == "yyyy-mm-dd"
    assert ghost.cell(2, col).fill.fgColor.rgb.endswith("FFF2CC")  # editable columns are shaded
    assert wb["drift"].max_row == 7 and wb["drift"].freeze_panes == "A2"


def _fill(ws, serial: str, **values) -> None:
    header = [c.value for c in ws[1]]
    (row,) = [r for r in ws.iter_rows(min_row=2) if r[header.index("serial_number")].value == serial]
    for k, v in values.items():
        row[header.index(k)].value = v


def test_bulk_resolve_round_trip_without_full_build(rec, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from dagster_project.decisions.store import DecisionsStore, verify_chain

    decisions, wh = tmp_path / "decisions", tmp_path / "warehouse.duckdb"
    shutil.copytree(rec.decisions, decisions)
    shutil.copyfile(rec.wh, wh)
    wb = load_workbook(rec.packs / "2026Q3" / "reconciliation.xlsx")
    _fill(wb["unowned"], "P1", resolution_action="retire", resolved_by="Ivan.Asset@example.com",
          note='=HYPERLINK("http://evil.example","printer scrapped")')            # accepted
    _fill(wb["unmanaged_device"], "U2", resolution_action="ignore", resolved_by="ivan.asset@example.com",
          note="not ours")                                                        # rejected: action
    wb["ghost_ci"].append(["EX-000000000000", "ghost_ci", *[None] * 11, "accepted_risk",
                           "ivan.asset@example.com", None, "no such thing"])     # rejected: unknown id
    worked = tmp_path / "worked.xlsx"
    wb.save(worked)
    args = ["reconcile", "resolve", "--from", worked, "--warehouse", wh, "--decisions", decisions]

    first = itam(*args)
    # L2, S1, S2, U1 show the decision in force: unchanged. U3 has none: no decision.
    assert first.rc == 1, first.err  # a rejected row makes the exit code say so
    assert "1 accepted, 4 unchanged, 2 rejected, 1 rows without a decision" in first.out
    assert "unowned!2: EX-" in first.out and "accepted: retire by ivan.asset@example.com against the 2026-09-30" in first.out
    assert "resolution_action 'ignore' is not one of" in first.out
    assert "EX-000000000000 rejected: no such exception" in first.out
    store = DecisionsStore(decisions)
    latest = store.resolutions()[-1]
    assert (latest.exception_id, latest.resolution_action, latest.resolved_by, latest.note) == (
        rec.q2_ids["serial:P1"], "retire", "ivan.asset@example.com", '=HYPERLINK("http://evil.example","printer scrapped")')
    before = (decisions / "reconciliation.csv").read_bytes()

    again = itam(*args)  # idempotent: the same file records nothing more
    assert "0 accepted, 5 unchanged, 2 rejected" in again.out
    assert (decisions / "reconciliation.csv").read_bytes() == before

    # A CSV with only the columns that matter; the owner from --by.
    sheet = tmp_path / "decisions.csv"
    sheet.write_text(f"exception_id,resolution_action,note\n{rec.q2_ids['serial:U3']},,\n"
                     f"{read_csv(rec.packs / '2026Q3' / 'exceptions.csv')[0]['exception_id']},accepted_risk,known\n")
    csv_run = itam("reconcile", "resolve", "--from", sheet, "--by", "ivan.asset@example.com", "--quarter", "2026Q3",
                   "--warehouse", wh, "--decisions", decisions)
    assert csv_run.rc == 0 and "1 accepted, 0 unchanged, 0 rejected, 1 rows without a decision" in csv_run.out
    assert verify_chain(store).problems == []

    # The next pack applies the decisions by refreshing the decision marts only (no full build).
    out = tmp_path / "pack"
    monkeypatch.setenv("ITAM_ROLES", "privacy_officer")  # clear values, to see the note neutralised (17.6)
    run = itam("reconcile", "--quarter", "2026Q3", "--landing", LANDING, "--warehouse", wh,
               "--decisions", decisions, "--out", out, "--unmasked")
    assert run.rc == 0, run.err
    assert "applying the decisions" in run.out and "no full build" in run.out and "building" not in run.out
    p1 = next(r for r in read_csv(out / "exceptions.csv") if r["problem_key"] == "serial:P1")
    assert (p1["resolution_action"], p1["resolved_by"], p1["counts_as_open"]) == ("retire", "ivan.asset@example.com", "false")
    assert p1["note"] == '\'=HYPERLINK("http://evil.example","printer scrapped")'  # neutralised in the pack
    cell = next(c for c in load_workbook(out / "reconciliation.xlsx")["unowned"]["Q"] if c.value and "HYPERLINK" in c.value)
    assert cell.data_type == "s" and cell.value.startswith("'=")
    assert manifest(out)["totals"]["counts_as_open"] == 2  # P1 no longer counts (3 - 1)
    assert Warehouse(wh).one("select count(*) from audit.builds where build_id like 'decisions-%'") == 1

    # The same pack again is not an overwrite; a different one needs --force.
    assert itam("reconcile", "--quarter", "2026Q3", "--landing", LANDING, "--warehouse", wh,
                "--decisions", decisions, "--out", out, "--unmasked").rc == 0
    masked = itam("reconcile", "--quarter", "2026Q3", "--landing", LANDING, "--warehouse", wh,
                  "--decisions", decisions, "--out", out)  # the masked pack is another pack
    assert masked.rc == 1 and "pass --force" in masked.out + masked.err
    # Four eyes: who resolved exceptions in the pack cannot sign it.
    refused = itam("reconcile", "sign-off", "--quarter", "2026Q3", "--by", "ivan.asset@example.com",
                   "--pack", out, "--decisions", decisions)
    assert refused.rc == 1 and "cannot also sign it" in refused.err


# ------------------------------------------------------------------------------- tamper evidence

def _tampered(rec, tmp_path, case: str) -> tuple[Path, Path]:
    """A copy of the signed store (and Q3 pack) with one tampering applied."""
    from dagster_project.reconcile.pack import seal

    decisions, pack = tmp_path / "decisions", tmp_path / "pack"
    shutil.copytree(rec.decisions, decisions)
    shutil.copytree(rec.packs / "2026Q3", pack)
    res, sig = decisions / "reconciliation.csv", decisions / "signoffs.csv"
    lines = res.read_text().splitlines(keepends=True)
    if case == "action":
        res.write_text(lines[0] + lines[1].replace("fixed_in_source", "accepted_risk", 1) + "".join(lines[2:]))
    elif case == "resolver":
        res.write_text("".join(lines[:2]) + lines[2].replace("hannah.asset@", "mallory@", 1) + "".join(lines[3:]))
    elif case == "delete_resolution":
        res.write_text("".join(lines[:-1]))
    elif case == "signer":
        head, *signed = sig.read_text().splitlines(keepends=True)  # the Q3 sign-off, the last one
        sig.write_text(head + "".join(signed[:-1]) + signed[-1].replace("cfo@example.com", "ceo@example.com"))
    elif case == "delete_signoffs":
        sig.unlink()
    elif case == "forge":
        text = (pack / "exceptions.csv").read_text().replace("reopened", "resolved")
        (pack / "exceptions.csv").write_text(text)
        m = manifest(pack)
        m["files"]["exceptions.csv"]["sha256"] = hashlib.sha256(text.encode()).hexdigest()
        old = m["pack_sha256"]
        seal(m)
        (pack / "manifest.json").write_text(json.dumps(m))
        sig.write_text(sig.read_text().replace(old, m["pack_sha256"]))
    return decisions, pack


@pytest.mark.parametrize("case, names", [
    ("action", "reconciliation.csv:2 (seq 2): the row was changed"),
    ("resolver", "reconciliation.csv:3 (seq 3): the row was changed"),
    ("delete_resolution", "signoffs.csv:3 (seq 6): expected seq 5"),
    ("signer", "signoffs.csv:3 (seq 6): the row was changed"),
    ("delete_signoffs", "reconciliation.csv:2 (seq 2): expected seq 1"),
    ("forge", "signoffs.csv:3 (seq 6): the row was changed"),
])
def test_tampering_with_signed_decisions_fails_verify(rec, tmp_path, case, names):
    # The store at this point (file order = chain order): seq 1 the Q2 sign-off, seq 2-5 the four
    # resolutions, seq 6 the Q3 sign-off of test_tampered_pack_is_detected.
    ok = itam("reconcile", "verify", "--pack", rec.packs / "2026Q3", "--decisions", rec.decisions)
    assert ok.rc == 0 and "decisions chain intact (6 rows" in ok.out
    decisions, pack = _tampered(rec, tmp_path, case)
    bad = itam("reconcile", "verify", "--pack", pack, "--decisions", decisions)
    assert bad.rc == 1 and "decisions chain" in bad.err and names in bad.err, bad.err
    # Nothing can be recorded on a broken chain either.
    r = itam("reconcile", "resolve", rec.q2_ids["serial:P1"], "--action", "retire", "--note", "n",
             "--by", "hannah.asset@example.com", "--warehouse", rec.wh, "--decisions", decisions)
    assert r.rc == 1 and "chain is broken" in r.err


def test_truncating_the_chain_and_its_head_is_caught_by_the_hmac(tmp_path):
    from dagster_project.decisions.store import DecisionsStore, row_hash, verify_chain

    store = DecisionsStore(tmp_path, key="a key held by the controller")  # ITAM_DECISIONS_KEY
    store.add_resolution(exception_id="EX-0123456789ab", as_of_date=date(2026, 9, 30), action="accepted_risk",
                         resolved_by="a@example.com", note="why", exception_type="ghost_ci", problem_key="serial:X")
    store.add_signoff(quarter="2026Q3", as_of_date=date(2026, 9, 30), pack_sha256="a" * 64,
                      signed_by="cfo@example.com", exceptions_listed=1, open_at_signoff=0)
    assert verify_chain(store).problems == []
    # Someone without the key rewrites the signer and recomputes every hash and the head file.
    rows = read_csv(store.signoffs_path)
    rows[0]["signed_by"] = "ceo@example.com"
    rows[0]["row_hash"] = row_hash("signoff", rows[0], 2, rows[0]["prev_hash"])
    with open(store.signoffs_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    head = json.loads(store.head_path.read_text())
    head["head"] = rows[0]["row_hash"]
    store.head_path.write_text(json.dumps(head))
    assert "HMAC does not match" in verify_chain(store).problems[0]
    report = verify_chain(DecisionsStore(tmp_path))  # without the key a full recomputation is undetectable: documented
    assert report.problems == [] and "not checked" in report.notes[0]


def test_legacy_store_is_read_then_chained_on_the_next_write(tmp_path):
    from dagster_project.decisions.store import DecisionsStore, verify_chain

    (tmp_path / "reconciliation.csv").write_text(
        "exception_id,as_of_date,resolution_action,resolved_by,resolved_at,note,exception_type,problem_key\n"
        "EX-0123456789ab,2026-06-30,accepted_risk,a@example.com,2026-07-01T10:00:00Z,why,ghost_ci,serial:X\n")
    (tmp_path / "signoffs.csv").write_text(
        "quarter,as_of_date,pack_sha256,signed_by,signed_at,exceptions_listed,open_at_signoff,note\n"
        f"2026Q2,2026-06-30,{'b' * 64},cfo@example.com,2026-07-02T09:00:00Z,1,0,\n")
    store = DecisionsStore(tmp_path)
    report = verify_chain(store)
    assert report.legacy and report.problems == [] and "predates the hash chain" in report.notes[0]
    assert [r.exception_id for r in store.resolutions()] == ["EX-0123456789ab"]
    store.add_resolution(exception_id="EX-0123456789ab", as_of_date=date(2026, 9, 30), action="retire",
                         resolved_by="a@example.com", note="gone", exception_type="ghost_ci", problem_key="serial:X")
    report = verify_chain(store)
    assert report.problems == [] and report.rows == 3 and "migrated from the legacy format" in report.notes[-1]
    # In time order: the legacy resolution (seq 1), the legacy sign-off (2), the new row (3).
    assert [r["seq"] for r in read_csv(store.resolutions_path)] == ["1", "3"]
    assert read_csv(store.signoffs_path)[0]["seq"] == "2"


# ---------------------------------------------------------------------------------- safe outputs

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", "-1+1"]


def test_formula_payloads_and_control_characters_through_the_pack(rec, tmp_path):
    from openpyxl import load_workbook

    from dagster_project.reconcile.pack import quarter_snapshot, write_pack
    from dagster_project.warehouse import connect

    wh = tmp_path / "hostile.duckdb"
    shutil.copyfile(rec.wh, wh)
    con = connect(wh)
    try:
        con.execute("update marts.fct_reconciliation_quarters set hostname = ?, detail = ?, note = ? "
                    "where quarter = '2026Q3' and serial_number = 'U2'", [PAYLOADS[0], PAYLOADS[1], PAYLOADS[2]])
        con.execute("update marts.fct_reconciliation_quarters set hostname = ?, detail = ? "
                    "where quarter = '2026Q3' and serial_number = 'U1'", ["bell\x07host\x1b", PAYLOADS[3]])
        con.execute("update marts.fct_asset_drift set new_value = ? where serial_number = 'L1' "
                    "and attribute = 'location'", [PAYLOADS[0]])
        out = tmp_path / "pack"
        write_pack(con, quarter_snapshot(con, "2026Q3"), out, resolutions_sha256="x")
    finally:
        con.close()
    rows = {r["serial_number"]: r for r in read_csv(out / "exceptions.csv")}
    assert (rows["U2"]["hostname"], rows["U2"]["detail"], rows["U2"]["note"]) == tuple("'" + p for p in PAYLOADS[:3])
    assert (rows["U1"]["hostname"], rows["U1"]["detail"]) == ("bell\\x07host\\x1b", "'-1+1")
    assert any(r["new_value"] == "'" + PAYLOADS[0] for r in read_csv(out / "drift.csv"))
    wb = load_workbook(out / "reconciliation.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # not one formula cell
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'" + p for p in PAYLOADS} <= texts and "bell\\x07host\\x1b" in texts
    assert {c.value for c in cells if c.data_type == "n" and c.value is not None} >= {7, 3}  # numbers stay numbers


# ---------------------------------------------------------------------- personal data (17.6)

def test_pack_masks_personal_data_unless_unmasked_with_a_role(rec, tmp_path, monkeypatch):
    from openpyxl import load_workbook

    from dagster_project.governance.privacy import pseudonym

    q3 = rec.packs / "2026Q3"
    assert manifest(q3)["personal_data"] == "masked"
    rows = read_csv(q3 / "exceptions.csv")
    decided = {r["problem_key"]: r for r in rows if r["resolution_action"]}
    # resolved by hannah.asset@example.com (staff: initials); details and notes hashed
    assert {k: (r["resolution_action"], r["resolved_by"]) for k, r in decided.items()} == {
        "serial:L2|assigned_user": ("fixed_in_source", "H.A."), "serial:S1": ("fixed_in_source", "H.A."), "serial:S2": ("accepted_risk", "H.A."),
        "serial:U1": ("false_positive", "H.A.")}
    assert decided["serial:S2"]["note"] == pseudonym("air-gapped server, no agent by design") == \
        "anon-" + hmac_hex("air-gapped server, no agent by design")
    clear = dict(rec.w.rows("select exception_id, detail from marts.fct_reconciliation_quarters where quarter = '2026Q3'"))
    assert all(r["detail"] == (pseudonym(clear[r["exception_id"]]) if clear[r["exception_id"]] else "") for r in rows)
    drift = [r for r in read_csv(q3 / "drift.csv") if r["attribute"] == "assigned_user"]
    assert sorted((r["old_value"], r["new_value"]) for r in drift) == [
        ("", "anon-7e3a3e10ab"),                   # L4: unassigned -> erin@example.com
        ("anon-d9e87e4857", "anon-3aedcb975e")]    # alice@example.com -> bob@example.com
    assert "in_use" in [r["new_value"] for r in read_csv(q3 / "drift.csv") if r["attribute"] == "lifecycle_state"]
    wb = load_workbook(q3 / "reconciliation.xlsx")
    header = [c.value for c in wb["ghost_ci"][1]]
    cells = {r[header.index("problem_key")]: r for r in wb["ghost_ci"].iter_rows(min_row=2, values_only=True)}
    assert cells["serial:S2"][header.index("resolved_by")] == "H.A."
    assert cells["serial:S2"][header.index("note")] == decided["serial:S2"]["note"]
    # the masked pack's worked copy imports without a new decision (shown as masked = unchanged)
    decisions, wh = tmp_path / "decisions", tmp_path / "warehouse.duckdb"
    shutil.copytree(rec.decisions, decisions)
    shutil.copyfile(rec.wh, wh)
    again = itam("reconcile", "resolve", "--from", q3 / "exceptions.csv", "--warehouse", wh, "--decisions", decisions)
    assert again.rc == 0 and "0 accepted, 4 unchanged, 0 rejected" in again.out, again.out + again.err

    data = ["--landing", LANDING, "--warehouse", wh, "--decisions", decisions]
    monkeypatch.delenv("ITAM_ROLES", raising=False)
    refused = itam("reconcile", "--quarter", "2026Q3", *data, "--out", tmp_path / "p0", "--unmasked")
    assert refused.rc == 2 and "--unmasked needs a role: set ITAM_ROLES" in refused.err
    assert not (tmp_path / "p0").exists()
    monkeypatch.setenv("ITAM_ROLES", "auditor")  # sees who decided, nothing else
    r = itam("reconcile", "--quarter", "2026Q3", *data, "--out", tmp_path / "p1", "--unmasked")
    assert r.rc == 0, r.err
    rows = {x["problem_key"]: x for x in read_csv(tmp_path / "p1" / "exceptions.csv")}
    assert rows["serial:S2"]["resolved_by"] == "hannah.asset@example.com"
    assert rows["serial:S2"]["note"] == decided["serial:S2"]["note"]
    monkeypatch.setenv("ITAM_ROLES", "privacy_officer")
    r = itam("reconcile", "--quarter", "2026Q3", *data, "--out", tmp_path / "p2", "--unmasked")
    assert r.rc == 0 and "warning: personal data in clear" in r.out, r.err
    assert manifest(tmp_path / "p2")["personal_data"] == "clear"
    rows = {x["problem_key"]: x for x in read_csv(tmp_path / "p2" / "exceptions.csv")}
    assert rows["serial:S2"]["note"] == "air-gapped server, no agent by design"
    assert sorted(r["new_value"] for r in read_csv(tmp_path / "p2" / "drift.csv")
                  if r["attribute"] == "assigned_user") == ["bob@example.com", "erin@example.com"]


def hmac_hex(text: str) -> str:
    import hmac

    return hmac.new(b"itam-personal-data", text.lower().encode(), hashlib.sha256).hexdigest()[:10]


def test_waivers_are_in_the_chain_and_a_tampered_waiver_fails_verify(rec, tmp_path):
    from dagster_project.ingest.quarantine import read_waivers

    decisions = tmp_path / "decisions"
    shutil.copytree(rec.decisions, decisions)
    key = "procurement/2026-09-30/purchase_lines.csv#7"
    r = itam("reconcile", "waive", key, "--by", "CFO@example.com", "--reason", "mainframe purchase confirmed",
             "--decisions", decisions)
    assert r.rc == 0 and f"waiver of {key} by cfo@example.com recorded" in r.out, r.err
    bad_key = itam("reconcile", "waive", "purchase_lines.csv", "--by", "cfo@example.com", "--reason", "x",
                   "--decisions", decisions)
    assert bad_key.rc == 1 and "is not <file>#<row_number>" in bad_key.err
    seq = read_csv(decisions / "waivers.csv")[0]["seq"]
    ok = itam("reconcile", "verify", "--pack", rec.packs / "2026Q3", "--decisions", decisions)
    assert ok.rc == 0 and f"decisions chain intact ({seq} rows" in ok.out, ok.err
    # ingestion reads the chained file as before
    assert [(w.key, w.waived_by, w.reason) for w in read_waivers(decisions)] == \
        [(key, "cfo@example.com", "mainframe purchase confirmed")]

    cases = {
        "reason": lambda t: t.replace("mainframe purchase confirmed", "anything goes"),
        "key": lambda t: t.replace("#7", "#8"),
        "deleted": lambda t: t.splitlines(keepends=True)[0],
        "added by hand": lambda t: t + "procurement/2026-09-30/purchase_lines.csv#9,eve@example.com,2026-10-01,why,,,\n",
    }
    expect = {"reason": f"waivers.csv:2 (seq {seq}): the row was changed after it was recorded",
              "key": f"waivers.csv:2 (seq {seq}): the row was changed",
              "deleted": f"chain.json records {seq} rows",
              "added by hand": "waivers.csv:3 (seq ?): expected seq 1"}
    for case, change in cases.items():
        copy = tmp_path / case.replace(" ", "_")
        shutil.copytree(decisions, copy)
        (copy / "waivers.csv").write_text(change((copy / "waivers.csv").read_text()))
        bad = itam("reconcile", "verify", "--pack", rec.packs / "2026Q3", "--decisions", copy)
        assert bad.rc == 1 and expect[case] in bad.err, (case, bad.err)
    # a waivers file written by hand without the chain, next to a chained store
    legacy = tmp_path / "legacy"
    shutil.copytree(rec.decisions, legacy)
    (legacy / "waivers.csv").write_text(f"quarantine_key,waived_by,waived_at,reason\n{key},eve@example.com,2026-10-01,x\n")
    bad = itam("reconcile", "verify", "--pack", rec.packs / "2026Q3", "--decisions", legacy)
    assert bad.rc == 1 and "waivers.csv has rows without chain columns" in bad.err, bad.err
    refused = itam("reconcile", "waive", key, "--by", "cfo@example.com", "--reason", "x", "--decisions", legacy)
    assert refused.rc == 1 and "chain is broken (waivers.csv has rows outside the chain)" in refused.err


def test_the_build_warns_when_the_chain_its_waivers_hang_on_is_broken(tmp_path):
    """The decisions asset of the build checks the chain (chain_intact, a warning: the marts stay
    current) and says that no waiver is honoured meanwhile; run as the build runs the asset."""
    from dagster import AssetCheckResult, build_asset_context

    from dagster_project.build.resource import ItamResource
    from dagster_project.decisions.store import DecisionsStore
    from dagster_project.reconcile.assets import decision_tables

    def check(decisions: Path) -> AssetCheckResult:
        s = dataclasses.replace(make_settings(tmp_path, tmp_path / f"{decisions.name}.duckdb"), decisions=decisions)
        results = list(decision_tables(build_asset_context(resources={"itam": ItamResource.from_settings(s)})))
        return next(r for r in results if isinstance(r, AssetCheckResult))

    good = tmp_path / "good"
    DecisionsStore(good).add_waiver(quarantine_key="procurement/2026-09-30/purchase_lines.csv#7",
                                    waived_by="cfo@example.com", reason="mainframe purchase confirmed")
    assert check(good).passed
    forged = tmp_path / "forged"
    shutil.copytree(good, forged)
    (forged / "waivers.csv").write_text((forged / "waivers.csv").read_text().replace("mainframe", "any"))
    bad = check(forged)
    detail = bad.metadata["detail"].value
    assert not bad.passed and bad.severity.value == "WARN"
    assert "waivers.csv:2 (seq 1): the row was changed after it was recorded" in detail
    assert "no waiver is honoured until it is repaired" in detail
