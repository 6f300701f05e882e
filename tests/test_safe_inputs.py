"""Safe inputs (issue 17.4): one hand-made export per hostile case, counted by hand."""
from __future__ import annotations

import json
import os
from datetime import date
from decimal import Decimal

import pytest
from test_ingest import con, landing, quiet, rows, write  # noqa: F401  (fixtures and helpers)

from dagster_project.ingest import ingest_entity, ingest_landing
from dagster_project.ingest.quarantine import WaiverError, read_waivers
from dagster_project.ingest.rules import RulesError, load_rules

PL = "po_number,po_line,order_date,vendor,category,description,quantity,unit_cost,currency,cost_center"
CI = "ci_id,ci_class,name,status,updated_at"


def line(po: str, n: int, **kw) -> str:
    v = dict(order_date="2026-01-15", vendor="Dell", category="hardware", description="Laptop",
             quantity="1", unit_cost="1200", currency="EUR", cost_center="CC-1")
    v.update(kw)
    return ",".join([po, str(n), v["order_date"], v["vendor"], v["category"], v["description"],
                     v["quantity"], v["unit_cost"], v["currency"], v["cost_center"]])


def test_control_characters_and_nul_are_quarantined_not_stored(landing, con):
    write(landing, "cmdb/2026-03-31/configuration_items.csv", "\n".join([
        CI + ",location",
        "CI1,laptop,LAP-1,in_use,2026-03-30,Paris",          # 2 ok
        "CI2,laptop,LAP\x07-2,in_use,2026-03-30,Paris",      # 3 BEL in the name
        "CI3,laptop,LAP-3\x00,in_use,2026-03-30,Paris",      # 4 NUL
        "CI4,laptop,LAP-4,in_use,2026-03-30,Pa\x1bris",      # 5 ESC in an optional column
        'CI5,laptop,"LAP\t5",in_use,2026-03-30,"two\nlines"',  # 6 tab and line feed are text
    ]) + "\n")
    write(landing, "cmdb/2026-03-31/ci_relationships.csv",
          "parent_ci_id,child_ci_id,relationship_type,note\nCI1,CI2,hosts,ok\nCI1,CI3,hosts,bad\x01\n")
    r = ingest_landing(con, landing, log=quiet)
    assert r.rejections == []
    assert rows(con, "select ci_id from raw.configuration_items order by 1") == [("CI1",), ("CI5",)]
    q = rows(con, "select row_number, column_name, value, reason, rule from audit.quarantine "
                  "where entity = 'configuration_items' order by 1")
    assert q == [
        (3, "name", '"LAP\\u0007-2"', "name: contains control character U+0007 (not allowed in exports: "
                                      "remove it at the source)", "control_characters"),
        (4, "name", '"LAP-3\\u0000"', "name: contains control character U+0000 (not allowed in exports: "
                                      "remove it at the source)", "control_characters"),
        (5, "location", '"Pa\\u001Bris"', "location: contains control character U+001B (not allowed in "
                                          "exports: remove it at the source)", "control_characters")]
    # nothing raw is stored: values are JSON-escaped, the record is JSON
    assert rows(con, "select count(*) from audit.quarantine where contains(value, chr(0)) "
                     "or contains(CAST(record AS VARCHAR), chr(0))") == [(0,)]
    assert json.loads(rows(con, "select record from audit.quarantine where row_number = 4 "
                                "and entity = 'configuration_items'")[0][0])["name"] == "LAP-3\x00"
    # an unknown extra column is checked too
    assert rows(con, "select row_number, column_name from audit.quarantine where entity = 'ci_relationships'") == [
        (3, "note")]


def test_invalid_utf8_in_a_row_quarantines_that_row(landing, con):
    write(landing, "finance/2026-03-31/cost_centers.csv",
          b"cost_center,name,department\nCC1,Eng,R&D\nCC2,\xff\xfeOps,IT\nCC3,Fin,Finance\n")
    r = ingest_entity(con, landing, "cost_centers", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 1)
    assert rows(con, "select row_number, reason, rule from audit.quarantine") == [
        (3, "row is not valid UTF-8 (exports are UTF-8)", "format")]


def test_symlink_out_of_the_landing_folder_is_refused_and_reported(landing, con, tmp_path):
    outside = write(tmp_path, "elsewhere/secret.csv", "cost_center,name,department\nX,Y,Z\n")
    (landing / "finance/2026-03-31").mkdir(parents=True)
    os.symlink(outside, landing / "finance/2026-03-31/cost_centers.csv")
    os.symlink(tmp_path / "elsewhere", landing / "discovery")          # a whole folder out
    inside = write(landing, "_shared/cc.csv", "cost_center,name,department\nCC1,Eng,R&D\n")
    (landing / "finance/2026-06-30").mkdir(parents=True)
    os.symlink(inside, landing / "finance/2026-06-30/cost_centers.csv")  # inside: fine
    r = ingest_landing(con, landing, log=quiet)
    assert rows(con, "select cost_center, _file from raw.cost_centers") == [
        ("CC1", "finance/2026-06-30/cost_centers.csv")]
    bad = dict(rows(con, "select file, error from audit.loads where status = 'rejected'"))
    assert set(bad) == {"finance/2026-03-31/cost_centers.csv", "discovery"}
    assert f"symbolic link to {outside} outside the landing folder: refused" in bad["finance/2026-03-31/cost_centers.csv"]
    assert r.files_rejected == 2
    # and the ignored folder's file is accounted for
    assert rows(con, "select file, status from audit.loads where status = 'ignored'") == [("_shared/cc.csv", "ignored")]


def test_every_file_gets_an_audit_row_unknown_entity_misspelt_and_unsupported(landing, con):
    write(landing, "procurement/2026-03-31/purchase_line.csv", PL + "\n")         # misspelt
    write(landing, "procurement/2026-03-31/invoices.csv", "a\n1\n")              # unknown entity
    write(landing, "procurement/2026-03-31/purchase_lines.xlsx", "x")            # unsupported
    write(landing, "hr/2026-03-31/people.csv", "a\n")                            # unknown source
    write(landing, "hr/readme.txt", "a\n")
    write(landing, "_generator/manifest.json", "{}")                             # ignored
    r = ingest_landing(con, landing, log=quiet)
    got = {f: (status, entity, error) for f, status, entity, error in rows(
        con, "select file, status, entity, error from audit.loads")}
    assert set(got) == {"procurement/2026-03-31/purchase_line.csv", "procurement/2026-03-31/invoices.csv",
                        "procurement/2026-03-31/purchase_lines.xlsx", "hr/2026-03-31/people.csv",
                        "hr/readme.txt", "_generator/manifest.json"}
    assert got["procurement/2026-03-31/purchase_line.csv"][:2] == ("rejected", "purchase_lines")
    assert "did you mean purchase_lines.csv?" in got["procurement/2026-03-31/purchase_line.csv"][2]
    assert got["procurement/2026-03-31/invoices.csv"][:2] == ("rejected", None)
    assert got["procurement/2026-03-31/purchase_lines.xlsx"][:2] == ("rejected", "purchase_lines")
    assert "unknown source folder 'hr'" in got["hr/readme.txt"][2]
    assert got["_generator/manifest.json"][0] == "ignored"
    assert r.files_rejected == 5


def test_implausible_amounts_and_dates_are_quarantined_with_the_range(landing, con):
    write(landing, "procurement/2026-03-31/purchase_lines.csv", "\n".join([
        PL,
        line("PO1", 1),                                          # 2 ok
        line("PO1", 2, unit_cost="99999999999999"),              # 3 overflowed DECIMAL(38) later
        line("PO1", 3, order_date="1900-01-01"),                 # 4
        line("PO1", 4, order_date="9999-12-31"),                 # 5
        line("PO1", 5, order_date="2027-03-31"),                 # 6 = export date + 365: plausible
        line("PO1", 6, quantity="-5"),                           # 7 a return: plausible
    ]) + "\n")
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 3)
    q = rows(con, "select row_number, column_name, rule, reason from audit.quarantine order by 1")
    assert [(n, c, rule) for n, c, rule, _ in q] == [
        (3, "unit_cost", "plausibility"), (4, "order_date", "plausibility"), (5, "order_date", "plausibility")]
    assert q[0][3] == ("unit_cost: '99999999999999' is implausible (below -1000000000 or above 1000000000; "
                       "plausibility range -1000000000 to 1000000000 in taxonomy/plausibility.yaml)")
    assert "is implausible (before 1980-01-01 or after 2027-04-01" in q[1][3]
    assert rows(con, "select status from audit.quarantine") == [("open",)] * 3


def test_duplicate_purchase_line_is_quarantined_then_superseded_by_a_later_export(landing, con):
    write(landing, "procurement/2026-03-31/purchase_lines.csv",
          "\n".join([PL, line("PO1", 1), line("PO1", 1, unit_cost="1300"), line("PO2", 1)]) + "\n")
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 2)  # both copies held back: which is right?
    q = rows(con, "select row_number, rule, reason, status from audit.quarantine order by 1")
    assert [(n, rule, status) for n, rule, _, status in q] == [
        (2, "gx:line_key_unique", "open"), (3, "gx:line_key_unique", "open")]
    assert q[0][2].startswith("po_number, po_line, serial_number (PO1, 1, NULL) appears 2 times in this "
                              "export; every copy is held back (blocking expectation line_key_unique")
    # a corrected export in a later folder: PO1 line 1 once
    write(landing, "procurement/2026-06-30/purchase_lines.csv",
          "\n".join([PL, line("PO1", 1, unit_cost="1300"), line("PO2", 1)]) + "\n")
    ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert rows(con, "select row_number, status, resolved_by from audit.quarantine order by 1") == [
        (2, "superseded", "procurement/2026-06-30/purchase_lines.csv"),
        (3, "superseded", "procurement/2026-06-30/purchase_lines.csv")]
    assert rows(con, "select _export_date, unit_cost from raw.purchase_lines where po_number = 'PO1'") == [
        (date(2026, 6, 30), Decimal("1300"))]
    # landing history untouched: the first export is still there and still loaded once
    assert rows(con, "select count(*) from audit.loads where status = 'loaded'") == [(2,)]


def test_a_recorded_waiver_releases_a_quarantined_row_while_the_chain_holds(landing, con, tmp_path):
    import shutil
    from datetime import datetime

    from dagster_project.decisions.store import DecisionsStore

    write(landing, "procurement/2026-03-31/purchase_lines.csv", "\n".join([
        PL, line("PO1", 1, unit_cost="2500000000"), line("PO1", 2, order_date="13/01/2026")]) + "\n")
    ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert rows(con, "select count(*) from raw.purchase_lines") == [(0,)]
    decisions = tmp_path / "decisions"
    store = DecisionsStore(decisions)
    for n, why in ((2, "mainframe purchase confirmed"), (3, "it is a date")):
        store.add_waiver(quarantine_key=f"procurement/2026-03-31/purchase_lines.csv#{n}",
                         waived_by="CFO@example.com", reason=why, waived_at=datetime(2026, 4, 2))

    # Tampered after it was recorded (the reason now says something else): nothing is released,
    # and the report says why.
    forged = tmp_path / "forged"
    shutil.copytree(decisions, forged)
    (forged / "waivers.csv").write_text((forged / "waivers.csv").read_text().replace("it is a date", "approved"))
    msgs: list[str] = []
    r = ingest_entity(con, landing, "purchase_lines", log=msgs.append, decisions=forged)
    assert r.rows_released == 0 and rows(con, "select count(*) from raw.purchase_lines") == [(0,)]
    assert "waivers.csv:3 (seq 2): the row was changed after it was recorded" in r.waivers_refused
    assert any("2 quarantined row(s) named by waivers stay quarantined" in m for m in msgs), msgs
    # Written by hand, outside the chain: not honoured either.
    by_hand = tmp_path / "by_hand"
    write(by_hand, "waivers.csv", "quarantine_key,waived_by,waived_at,reason\n"
                                  "procurement/2026-03-31/purchase_lines.csv#2,cfo@example.com,2026-04-02,ok\n")
    r = ingest_entity(con, landing, "purchase_lines", log=quiet, decisions=by_hand)
    assert r.rows_released == 0 and "written by hand, outside the decisions chain" in r.waivers_refused

    # The chain as recorded: the plausibility waiver releases its row; a value that is not a date
    # cannot be waived.
    msgs = []
    r = ingest_entity(con, landing, "purchase_lines", log=msgs.append, decisions=decisions)
    assert r.rows_released == 1 and r.waivers_refused is None
    assert rows(con, "select po_line, unit_cost, _file, _row_number from raw.purchase_lines") == [
        ("1", Decimal("2500000000"), "procurement/2026-03-31/purchase_lines.csv", 2)]
    assert rows(con, "select row_number, status, resolved_by, resolution from audit.quarantine order by 1") == [
        (2, "waived", "cfo@example.com", "waiver (waivers.csv row 2): mainframe purchase confirmed"),
        (3, "open", None, None)]
    assert any("cannot release the row: it failed contract" in m for m in msgs)
    # applying the waivers again changes nothing
    r = ingest_entity(con, landing, "purchase_lines", log=quiet, decisions=decisions)
    assert r.rows_released == 0 and rows(con, "select count(*) from raw.purchase_lines") == [(1,)]


def test_waivers_and_ranges_files_name_file_row_column_and_fix(tmp_path):
    d = tmp_path / "decisions"
    write(d, "waivers.csv", "quarantine_key,waived_by,waived_at,reason\nsome/file.csv,,2026-13-01,x\n")
    with pytest.raises(WaiverError) as exc:
        read_waivers(d)
    msg = str(exc.value)
    assert "decisions/waivers.csv: row 2, column waived_by: empty" in msg
    assert "decisions/waivers.csv: row 2, column quarantine_key: 'some/file.csv' is not <file>#<row_number>" in msg
    t = tmp_path / "taxonomy"
    write(t, "plausibility.yaml", "purchase_lines:\n  unit_cost: {min: 10, max: 1}\n  vendor: {min: 1}\n"
                                  "  order_date: {min: yesterday}\nnope:\n  x: {min: 1}\n")
    with pytest.raises(RulesError) as exc:
        load_rules(t)
    lines = str(exc.value).splitlines()
    assert "plausibility.yaml: purchase_lines.unit_cost: min 10 is above max 1 — swap them" in lines
    assert any(x.startswith("plausibility.yaml: purchase_lines.vendor: a text column has no range") for x in lines)
    assert any(x.startswith("plausibility.yaml: purchase_lines.order_date.min: 'yesterday' is not a date") for x in lines)
    assert any(x.startswith("plausibility.yaml: nope: not a landing entity") for x in lines)


def test_out_of_memory_is_the_machines_problem_not_a_malformed_file(landing, con):
    """DuckDB running out of memory while reading is a system failure: it must stop the load (the
    build then says "nothing published: system"), never reject the file as malformed CSV — that
    once published an empty warehouse. A normal limit reads the same file (read_csv's buffer is one
    maximum line, not the default sixteen: 64 MiB, not 1 GiB)."""
    import duckdb

    write(landing, "procurement/2026-03-31/purchase_lines.csv", PL + "\n")
    con.execute("SET memory_limit = '16MB'")
    with pytest.raises(duckdb.OutOfMemoryException):
        ingest_landing(con, landing, log=quiet)
    assert rows(con, "select count(*) from audit.loads where status = 'rejected'") == [(0,)]
    con.execute("SET memory_limit = '256MB'")
    r = ingest_landing(con, landing, log=quiet)
    assert r.files_rejected == 0
    assert rows(con, "select status from audit.loads") == [("loaded",)]
