"""Ingestion (dagster_project/ingest): hand-counted tiny exports written into tmp_path."""
from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dagster_project.contract import ENTITIES, ENTITY_BY_NAME, LINEAGE_COLUMNS
from dagster_project.ingest import discover_files, ensure_schemas, ingest_entity, ingest_landing

PARIS = ZoneInfo("Europe/Paris")
PL_HEADER = "po_number,po_line,order_date,vendor,category,description,quantity,unit_cost,currency,cost_center"


def write(landing: Path, rel: str, content: str | bytes) -> Path:
    p = landing / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        content = content.encode("utf-8")
    p.write_bytes(content)
    return p


@pytest.fixture
def landing(tmp_path) -> Path:
    d = tmp_path / "landing"
    d.mkdir()
    return d


@pytest.fixture
def con(tmp_path):
    c = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_schemas(c)
    yield c
    c.close()


def rows(con, sql, params=None):
    return con.execute(sql, params or []).fetchall()


def one(con, sql, params=None):
    return con.execute(sql, params or []).fetchone()[0]


def quiet(msg):  # the log callable
    pass


# --------------------------------------------------------------------------------- schemas

def test_ensure_schemas_creates_every_table_idempotently(con):
    ensure_schemas(con)  # second time: no error, nothing duplicated
    for e in ENTITIES:
        cols = rows(con, "select column_name, data_type from information_schema.columns "
                         "where table_schema = 'raw' and table_name = ? order by ordinal_position", [e.name])
        assert [c for c, _ in cols] == list(e.column_names) + [n for n, _ in LINEAGE_COLUMNS]
        types = dict(cols)
        for c in e.columns:
            assert types[c.name] == c.sql_type
    for t in ("loads", "quarantine", "builds"):
        assert one(con, "select count(*) from information_schema.tables where table_schema='audit' and table_name=?", [t]) == 1


# --------------------------------------------------------------------------------- CSV reading

def test_csv_bom_crlf_embedded_newline_case_insensitive_headers_and_extra(landing, con):
    text = (
        "\ufeffPO_Number, PO_LINE ,Order_Date,VENDOR,Category,Description,Quantity,Unit_Cost,Currency,Cost_Center,Notes\r\n"
        'PO-1,1,2026-01-15,Dell Inc.,Hardware ,"Laptop\r\n14"" screen",2, 1200.50 ,EUR,CC-1,urgent\r\n'
        "PO-1,2,2026-01-15,  Dell Inc.  ,hardware,Dock,1,150,EUR,CC-1,\r\n"
        'PO-2,1,2026-02-01,MSFT,SaaS,"M365, E3",10,32.5,EUR,CC-2,  \r\n'
    )
    write(landing, "procurement/2026-03-31/purchase_lines.csv", text)
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.files_loaded, r.rows_loaded, r.rows_quarantined, r.rejections) == (1, 3, 0, [])
    got = rows(con, "select _row_number, vendor, category, description, quantity, unit_cost, _extra, "
                    "_source, _export_date, _file from raw.purchase_lines order by _row_number")
    assert [g[0] for g in got] == [2, 3, 4]  # header = row 1; a record spanning two lines counts once
    assert got[0][3] == 'Laptop\r\n14" screen'  # text exactly as delivered
    assert got[1][1] == "  Dell Inc.  "  # messy vendor stays messy in raw
    assert [g[2] for g in got] == ["hardware", "hardware", "saas"]  # enums trimmed + lower-cased
    assert got[0][4:6] == (Decimal("2"), Decimal("1200.5"))
    assert json.loads(got[0][6]) == {"notes": "urgent"}
    assert json.loads(got[1][6]) == {"notes": None}  # empty -> NULL
    assert json.loads(got[2][6]) == {"notes": None}  # whitespace only -> NULL
    assert got[0][7:] == ("procurement", date(2026, 3, 31), "procurement/2026-03-31/purchase_lines.csv")
    # optional contract columns absent from the file are NULL
    assert one(con, "select count(*) from raw.purchase_lines where serial_number is null") == 3
    assert rows(con, "select rows_read, rows_loaded, rows_quarantined, status, file_format from audit.loads") == [
        (3, 3, 0, "loaded", "csv")]


def test_bad_rows_are_quarantined_with_row_number_column_and_reason(landing, con):
    lines = [
        PL_HEADER,                                                               # 1
        "PO-1,1,2026-01-15,Dell,hardware,Laptop,1,1200,EUR,CC-1",                # 2 ok
        "PO-1,2,2026-13-45,Dell,hardware,Laptop,1,1200,EUR,CC-1",                # 3 bad date
        'PO-1,3,2026-01-15,Dell,hardware,Laptop,1,"12,50",EUR,CC-1',             # 4 bad money
        "PO-1,4,2026-01-15,Dell,hardwear,Laptop,1,1200,EUR,CC-1",                # 5 bad enum
        "PO-1,5,2026-01-15,  ,hardware,Laptop,1,1200,EUR,CC-1",                  # 6 missing vendor
        "PO-1,6,2026-01-15,Dell,hardware,Laptop,1,1200,EUR,CC-1,extra",          # 7 too many fields
        "PO-1,7,2026-01-15,Dell,software,Licence,3,$12,EUR,CC-1",                # 8 bad money ($)
        "PO-1,8,15/01/2026,Dell,hardware,Laptop,many,1200,EUR,CC-1",             # 9 bad date + bad number
        "PO-1,9,2026-01-15,Dell,service,Install,1,  99.99  ,EUR,CC-1",           # 10 ok
    ]
    write(landing, "procurement/2026-03-31/purchase_lines.csv", "\n".join(lines) + "\n")
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.files_loaded, r.rows_loaded, r.rows_quarantined) == (1, 2, 7)
    assert [x[0] for x in rows(con, "select _row_number from raw.purchase_lines order by 1")] == [2, 10]
    q = rows(con, "select row_number, column_name, value, reason from audit.quarantine order by row_number, column_name")
    assert [(n, c) for n, c, _, _ in q] == [
        (3, "order_date"), (4, "unit_cost"), (5, "category"), (6, "vendor"), (7, None),
        (8, "unit_cost"), (9, "order_date"), (9, "quantity")]
    by = {(n, c): (v, why) for n, c, v, why in q}
    assert by[(3, "order_date")] == ("2026-13-45", "order_date: '2026-13-45' is not a date (expected YYYY-MM-DD)")
    assert by[(4, "unit_cost")][1].startswith("unit_cost: '12,50' is not a decimal number")
    assert by[(5, "category")][1] == "category: 'hardwear' is not one of hardware, software, saas, cloud, service"
    assert by[(6, "vendor")][1] == "vendor: required value is missing"
    assert by[(7, None)][1] == "row has 11 field(s), expected 10 as in the header"
    assert by[(8, "unit_cost")][0] == "$12"
    # the whole delivered record is kept
    rec = json.loads(one(con, "select record from audit.quarantine where row_number = 3"))
    assert rec["order_date"] == "2026-13-45" and rec["po_line"] == "2"
    rec7 = json.loads(one(con, "select record from audit.quarantine where row_number = 7"))
    assert rec7["_unnamed_fields"] == ["extra"] and rec7["cost_center"] == "CC-1"
    assert rows(con, "select rows_read, rows_loaded, rows_quarantined from audit.loads") == [(9, 2, 7)]
    assert one(con, "select count(distinct load_id) from audit.quarantine") == 1


def test_csv_row_numbers_count_blank_lines_multiline_values_and_rejected_rows(landing, con):
    # DuckDB skips blank lines but counts them; a quoted line break keeps one record number.
    data = ("\ufeffcost_center,Name,department\r\n"     # 1
            'CC1,"two\r\nlines",IT\r\n'                  # 2
            "\r\n"                                         # 3 blank
            "CC2,x\r\n"                                     # 4 too few fields
            'CC3,"he said ""hi""",Ops\r\n'                  # 5
            'CC4,"12" screen",Ops\r\n'                      # 6 text after a closing quote
            "CC5,,Fin\r\n"                                  # 7 name missing
            "CC6,ok,Fin\r\n\r\n")                           # 8, then a trailing blank line
    write(landing, "finance/2026-03-31/cost_centers.csv", data)
    r = ingest_entity(con, landing, "cost_centers", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 3)
    assert rows(con, "select _row_number, cost_center, name from raw.cost_centers order by 1") == [
        (2, "CC1", "two\r\nlines"), (5, "CC3", 'he said "hi"'), (8, "CC6", "ok")]
    q = rows(con, "select row_number, reason, record from audit.quarantine order by 1")
    assert [(n, why.split(" (")[0].split(":")[0]) for n, why, _ in q] == [
        (4, "row has 2 field(s), expected 3 as in the header"), (6, "malformed CSV quoting in column name"),
        (7, "name")]
    assert json.loads(q[0][2]) == {"cost_center": "CC2", "name": "x"}
    assert rows(con, "select rows_read, rows_loaded, rows_quarantined from audit.loads") == [(6, 3, 3)]


@pytest.mark.parametrize("content, reason", [
    (b"a,\xff\xfe\n1,2\n", "not valid UTF-8 (line 1"),  # in a row: quarantined (test_safe_inputs)
    (b"", "empty file"),
    (b'po_number,po_line\n1,"never closed\n2,3\n', "malformed CSV"),
    (PL_HEADER.replace("vendor", "Vendor,VENDOR").encode() + b"\n", "duplicate column name(s) vendor"),
    (PL_HEADER.replace("vendor,", "vendor,,").encode() + b"\n", "empty column name at position(s) 5"),
])
def test_unreadable_csv_is_rejected_with_one_line_reason(landing, con, content, reason):
    write(landing, "procurement/2026-03-31/purchase_lines.csv", content)
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert r.files_rejected == 1 and r.rows_loaded == 0
    msg = r.rejections[0]
    assert msg.startswith("procurement/2026-03-31/purchase_lines.csv: ") and reason in msg
    assert "\n" not in msg
    assert rows(con, "select status, error from audit.loads") == [("rejected", msg)]
    assert one(con, "select count(*) from raw.purchase_lines") == 0


# --------------------------------------------------------------------------------- file rules

CI_HEADER = "ci_id,ci_class,name,status,updated_at"


def test_missing_required_column_rejects_file_and_keeps_earlier_loads(landing, con):
    write(landing, "cmdb/2026-03-31/configuration_items.csv",
          CI_HEADER + "\nCI1,laptop,LAP-1,in_use,2026-03-30T10:00:00Z\nCI2,server,SRV-1,in_stock,2026-03-30\n")
    assert ingest_entity(con, landing, "configuration_items", log=quiet).rows_loaded == 2
    bad = write(landing, "cmdb/2026-06-30/configuration_items.csv",
                "ci_id,name,updated_at\nCI1,LAP-1,2026-06-29\n")
    msgs = []
    r = ingest_entity(con, landing, "configuration_items", log=msgs.append)
    expected = "cmdb/2026-06-30/configuration_items.csv: missing required column(s) ci_class, status"
    assert (r.files_loaded, r.files_skipped, r.files_rejected, r.rejections) == (0, 1, 1, [expected])
    assert any(expected in m for m in msgs)
    assert one(con, "select count(*) from raw.configuration_items") == 2  # earlier load intact
    assert rows(con, "select file, status, error from audit.loads where status = 'rejected'") == [
        ("cmdb/2026-06-30/configuration_items.csv", "rejected", expected)]
    # a re-run retries the rejected file without a second audit row
    ingest_entity(con, landing, "configuration_items", log=quiet)
    assert one(con, "select count(*) from audit.loads where status = 'rejected'") == 1
    # fixed at the source: the retry loads it and the rejection goes away
    bad.write_text(CI_HEADER + "\nCI1,laptop,LAP-1,retired,2026-06-29\n")
    r = ingest_entity(con, landing, "configuration_items", log=quiet)
    assert (r.files_loaded, r.files_rejected, r.rows_loaded) == (1, 0, 1)
    assert rows(con, "select status, count(*) from audit.loads group by 1") == [("loaded", 2)]
    assert one(con, "select count(*) from raw.configuration_items") == 3


def test_loading_twice_changes_nothing(landing, con):
    write(landing, "cmdb/2026-03-31/configuration_items.csv",
          CI_HEADER + "\nCI1,laptop,LAP-1,in_use,2026-03-30\nCI2,server,SRV-1,bogus,2026-03-30\n")
    write(landing, "cmdb/2026-03-31/ci_relationships.csv", "parent_ci_id,child_ci_id,relationship_type\nCI2,CI1,hosts\n")
    write(landing, "cmdb/2026-06-30/ci_relationships.csv", "parent_ci_id,child_ci_id\nCI2,CI1\n")  # rejected

    def state():
        return [rows(con, f"select * from {t} order by all") for t in
                ("raw.configuration_items", "raw.ci_relationships", "audit.quarantine",
                 "audit.loads where status = 'loaded'")] + [
            rows(con, "select file, status, error from audit.loads order by all")]

    first = ingest_landing(con, landing, log=quiet)
    assert (first.files_loaded, first.files_rejected, first.rows_loaded, first.rows_quarantined) == (2, 1, 2, 1)
    before = state()
    second = ingest_landing(con, landing, log=quiet)
    assert (second.files_loaded, second.files_skipped, second.files_rejected, second.rows_loaded) == (0, 2, 1, 0)
    assert state() == before


def test_changed_content_at_same_path_is_rejected_and_new_folder_loads(landing, con):
    p = write(landing, "procurement/2026-03-31/purchase_lines.csv",
              PL_HEADER + "\nPO-1,1,2026-01-15,Dell,hardware,Laptop,1,1200,EUR,CC-1\n")
    ingest_entity(con, landing, "purchase_lines", log=quiet)
    original = p.read_bytes()
    p.write_text(PL_HEADER + "\nPO-1,1,2026-01-15,Dell,hardware,Laptop,1,999,EUR,CC-1\n")
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert r.rejections == ["procurement/2026-03-31/purchase_lines.csv: already loaded with different content "
                            "(exports are immutable; put a restated export in a new dated folder)"]
    assert rows(con, "select unit_cost from raw.purchase_lines") == [(Decimal("1200"),)]
    # the same bytes in a new export folder are a new export
    write(landing, "procurement/2026-06-30/purchase_lines.csv", original)
    p.write_bytes(original)
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.files_loaded, r.files_skipped, r.files_rejected) == (1, 1, 0)
    assert rows(con, "select _export_date, count(*) from raw.purchase_lines group by 1 order by 1") == [
        (date(2026, 3, 31), 1), (date(2026, 6, 30), 1)]
    assert one(con, "select count(*) from audit.loads where status = 'rejected'") == 0  # stale rejection cleared


def test_a_crash_mid_file_leaves_nothing_of_that_file(landing, con):
    write(landing, "procurement/2026-03-31/purchase_lines.csv",
          PL_HEADER + "\nPO-1,1,2026-01-15,Dell,hardware,Laptop,1,1200,EUR,CC-1\nPO-1,2,bad,Dell,hardware,X,1,1,EUR,CC-1\n")

    class Crashing:
        def __init__(self, c):
            self.c = c

        def __getattr__(self, k):
            return getattr(self.c, k)

        def execute(self, sql, *a):
            if sql.startswith("INSERT INTO audit.loads") and "'loaded'" in sql:
                raise RuntimeError("power cut")
            return self.c.execute(sql, *a)

    with pytest.raises(RuntimeError):
        ingest_entity(Crashing(con), landing, "purchase_lines", log=quiet)
    assert [one(con, f"select count(*) from {t}") for t in ("raw.purchase_lines", "audit.quarantine", "audit.loads")] == [0, 0, 0]
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (1, 1)


# --------------------------------------------------------------------------------- typing

def test_timestamps_with_zone_are_converted_to_utc(landing, con):
    write(landing, "discovery/2026-03-31/devices.csv", "\n".join([
        "observed_at,discovery_source,hostname",
        "2026-03-31T12:00:00+02:00,agent,h1",
        "2026-03-31 12:00:00Z,AGENT,h2",
        "2026-03-31T12:00,mdm,h3",
        "2026-03-31T23:30:00-01:30,network_scan,h4",
        "2026-03-31,cloud_api,h5",
        "2026-03-31T12:00:00.123456+0530,agent,h6",
        "31/03/2026 12:00,agent,h7",
        "2026-03-31T12:00:00+02:00,satellite,h8",
    ]) + "\n")
    r = ingest_entity(con, landing, "devices", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (6, 2)
    got = dict(rows(con, "select hostname, observed_at from raw.devices"))
    assert got == {
        "h1": datetime(2026, 3, 31, 10, 0), "h2": datetime(2026, 3, 31, 12, 0),
        "h3": datetime(2026, 3, 31, 12, 0), "h4": datetime(2026, 4, 1, 1, 0),
        "h5": datetime(2026, 3, 31, 0, 0), "h6": datetime(2026, 3, 31, 6, 30, 0, 123456)}
    assert rows(con, "select row_number, column_name from audit.quarantine order by 1") == [
        (8, "observed_at"), (9, "discovery_source")]


def test_integer_boolean_period_and_number_rules(landing, con):
    write(landing, "finance/2026-03-31/gl_lines.csv", "\n".join([
        "period,journal_id,line_no,gl_account,account_category,cost_center,amount,currency",
        "2026-03,J1,1,6100,hardware,CC-1,-1200.5,EUR",   # 2 ok
        "2026-3,J1,2,6100,hardware,CC-1,10,EUR",         # 3 bad period
        "2026-03,J1,2.5,6100,hardware,CC-1,10,EUR",      # 4 bad integer
        "2026-03,J1,3.0,6100,other,CC-1,1e3,EUR",        # 5 ok (3.0 is an integer, 1e3 a number)
        "2026-13,J1,4,6100,other,CC-1,99999999999999999999,EUR",  # 6 bad period + amount out of range
    ]) + "\n")
    r = ingest_entity(con, landing, "gl_lines", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (2, 3)
    assert rows(con, "select line_no, amount, period from raw.gl_lines order by line_no") == [
        (1, Decimal("-1200.5"), "2026-03"), (3, Decimal("1000"), "2026-03")]
    q = rows(con, "select row_number, column_name, reason from audit.quarantine order by 1, 2")
    assert [(n, c) for n, c, _ in q] == [(3, "period"), (4, "line_no"), (6, "amount"), (6, "period")]
    assert "out of range" in q[2][2]

    write(landing, "discovery/2026-03-31/saas_usage.csv", "\n".join([
        "observed_at,app_name,user_email,license_assigned",
        "2026-03-31,Slack,a@x.com,Yes", "2026-03-31,Slack,b@x.com,0", "2026-03-31,Slack,c@x.com,",
        "2026-03-31,Slack,d@x.com,maybe"]) + "\n")
    r = ingest_entity(con, landing, "saas_usage", log=quiet)
    assert (r.rows_loaded, r.rows_quarantined) == (3, 1)
    assert dict(rows(con, "select user_email, license_assigned from raw.saas_usage")) == {
        "a@x.com": True, "b@x.com": False, "c@x.com": None}


# --------------------------------------------------------------------------------- Parquet / JSON

def test_parquet_and_json_files_load(landing, con):
    (landing / "discovery/2026-03-31").mkdir(parents=True)
    table = pa.table({
        "Observed_At": pa.array([datetime(2026, 3, 31, 12, tzinfo=PARIS), datetime(2026, 3, 31, 8, tzinfo=PARIS)],
                                pa.timestamp("us", tz="Europe/Paris")),
        "discovery_source": ["agent", "bogus"],
        "hostname": ["h1", "h2"],
        "cores": pa.array([8, 4], pa.int32()),
        "tags": pa.array([{"env": "prod"}, None], pa.struct([("env", pa.string())])),
    })
    pq.write_table(table, landing / "discovery/2026-03-31/devices.parquet")
    write(landing, "discovery/2026-03-31/software_installs.json", json.dumps([
        {"observed_at": "2026-03-31T00:00:00Z", "discovery_source": "agent", "hostname": "h1",
         "publisher": "Microsoft", "product": "Office", "install_date": "2025-01-01", "meta": {"k": [1, 2]}},
        {"observed_at": "2026-03-31", "discovery_source": "agent", "hostname": "h1",
         "publisher": "Adobe", "product": None},
        "not an object",
    ]))
    write(landing, "discovery/2026-03-31/saas_usage.json", "\n".join([
        json.dumps({"observed_at": "2026-03-31", "app_name": "Zoom", "USER_EMAIL": "a@x.com", "license_assigned": True}),
        "",
        json.dumps({"observed_at": "2026-03-31", "app_name": "Zoom", "user_email": "b@x.com", "license_assigned": 0}),
        "{broken",
    ]) + "\n")
    r = ingest_landing(con, landing, log=quiet)
    assert r.rejections == []
    # cores is a contract column since issue 14.3 (it was an extra)
    assert rows(con, "select hostname, observed_at, _row_number, cores, _extra from raw.devices") == [
        ("h1", datetime(2026, 3, 31, 10), 1, 8, '{"tags":"{\\"env\\":\\"prod\\"}"}')]
    assert rows(con, "select row_number, column_name from audit.quarantine where entity = 'devices'") == [(2, "discovery_source")]
    si = rows(con, "select product, install_date, _row_number, _extra from raw.software_installs")
    assert si == [("Office", date(2025, 1, 1), 1, '{"meta":"{\\"k\\":[1,2]}"}')]
    assert rows(con, "select row_number, column_name, reason from audit.quarantine where entity = 'software_installs' order by 1") == [
        (2, "product", "product: required value is missing"),
        (3, None, "record is a JSON str, not an object")]
    assert rows(con, "select user_email, license_assigned, _row_number from raw.saas_usage order by 1") == [
        ("a@x.com", True, 1), ("b@x.com", False, 3)]
    assert rows(con, "select row_number, column_name from audit.quarantine where entity = 'saas_usage'") == [(4, None)]
    assert rows(con, "select entity, file_format, rows_read, rows_loaded, rows_quarantined from audit.loads order by 1") == [
        ("devices", "parquet", 2, 1, 1), ("saas_usage", "json", 3, 2, 1), ("software_installs", "json", 3, 1, 2)]


def test_broken_parquet_and_json_are_rejected(landing, con):
    write(landing, "discovery/2026-03-31/devices.parquet", b"PAR1 not really")
    write(landing, "discovery/2026-03-31/software_installs.json", '[{"observed_at": ')
    r = ingest_landing(con, landing, log=quiet)
    assert sorted(m.split(":")[0] for m in r.rejections) == [
        "discovery/2026-03-31/devices.parquet", "discovery/2026-03-31/software_installs.json"]
    assert any("not a readable Parquet file" in m for m in r.rejections)
    assert any("not valid JSON" in m for m in r.rejections)


# --------------------------------------------------------------------------------- layout

def test_discover_files_reports_everything_off_layout(landing, con):
    ok = "procurement/2026-03-31/purchase_lines.csv"
    write(landing, ok, PL_HEADER + "\n")
    write(landing, "procurement/2026-03-31/notes.txt", "x")               # unknown entity + ext
    write(landing, "procurement/2026-03-31/license_entitlements.xlsx", "x")  # unsupported type
    write(landing, "procurement/2026-3-31/purchase_lines.csv", "x")       # bad date folder
    write(landing, "finance/2026-03-31/purchase_lines.csv", "x")          # wrong source
    write(landing, "hr/2026-03-31/people.csv", "x")                       # unknown source
    write(landing, "cmdb/2026-03-31/ci_relationships.csv", "x")           # two exports of one entity
    write(landing, "cmdb/2026-03-31/ci_relationships.json", "[]")
    write(landing, "_manifest/run.json", "{}")                            # ignored
    write(landing, "procurement/.DS_Store", "x")                          # ignored
    write(landing, "procurement/2026-03-31/_import_report.md", "x")       # ignored
    scan = discover_files(landing)
    assert [f.rel for f in scan.files] == [ok]
    f = scan.files[0]
    assert (f.source, f.export_date, f.entity, f.file_format) == ("procurement", date(2026, 3, 31), "purchase_lines", "csv")
    problems = {p.rel: p for p in scan.problems}
    assert set(problems) == {
        "procurement/2026-03-31/notes.txt", "procurement/2026-03-31/license_entitlements.xlsx",
        "procurement/2026-3-31/purchase_lines.csv", "finance/2026-03-31/purchase_lines.csv", "hr/2026-03-31/people.csv",
        "cmdb/2026-03-31/ci_relationships.csv", "cmdb/2026-03-31/ci_relationships.json"}
    assert "not a date" in problems["procurement/2026-3-31/purchase_lines.csv"].reason
    assert problems["finance/2026-03-31/purchase_lines.csv"].reason == "purchase_lines belongs in procurement/, not finance/"
    assert "unknown source folder 'hr'" in problems["hr/2026-03-31/people.csv"].reason
    # problems that name an entity are reported (and audited) with that entity's load
    r = ingest_entity(con, landing, "purchase_lines", log=quiet)
    assert r.files_loaded == 1 and r.files_rejected == 2
    assert sorted(rows(con, "select file from audit.loads where status = 'rejected'")) == [
        ("finance/2026-03-31/purchase_lines.csv",), ("procurement/2026-3-31/purchase_lines.csv",)]
    total = ingest_landing(con, landing, log=quiet)
    assert total.files_rejected == 7
    assert one(con, "select count(*) from audit.loads where status = 'rejected'") == 7
    assert ENTITY_BY_NAME["purchase_lines"].source == "procurement"


def test_clean_json_and_typed_parquet_keep_values_as_delivered(landing, con):
    # Clean files take the Arrow paths; text must come out exactly as written.
    write(landing, "cmdb/2026-03-31/ci_relationships.json", "\n".join(json.dumps(r) for r in [
        {"parent_ci_id": "2026-01-01", "child_ci_id": " CI1 ", "relationship_type": "hosts", "updated_at": "2026-03-30T10:00:00+01:00"},
        {"parent_ci_id": "CI9", "child_ci_id": "CI2", "relationship_type": "runs_on", "weight": 1.5},
    ]) + "\n")
    write(landing, "finance/2026-03-31/cost_centers.json", json.dumps([
        {"Cost_Center": 100, "name": "Eng", "department": "R&D", "owner_email": None},
        {"cost_center": "CC-2", "NAME": "Ops", "department": "IT", "budget": 12.5},
    ]))
    pq.write_table(pa.table({
        "asset_tag": ["A1", "A2"], "acquisition_cost": pa.array([1200.5, 99.0]), "currency": ["EUR", "EUR"],
        "in_service_date": pa.array([datetime(2025, 1, 1), datetime(2025, 1, 1, 9)], pa.timestamp("ns")),
        "useful_life_months": pa.array([36, 48], pa.int64()), "cost_center": ["CC-1", "CC-1"],
        "disposal_date": pa.array([date(2028, 1, 1), None], pa.date32()),
    }), landing / "finance/2026-03-31/fixed_assets.parquet", row_group_size=1)
    r = ingest_landing(con, landing, log=quiet)
    assert (r.files_loaded, r.rejections) == (3, [])
    assert rows(con, "select parent_ci_id, child_ci_id, updated_at, _row_number, _extra from raw.ci_relationships order by 4") == [
        ("2026-01-01", " CI1 ", datetime(2026, 3, 30, 9), 1, '{"weight":null}'),
        ("CI9", "CI2", None, 2, '{"weight":"1.5"}')]
    assert rows(con, "select cost_center, name, _row_number, _extra from raw.cost_centers order by 3") == [
        ("100", "Eng", 1, '{"budget":null}'), ("CC-2", "Ops", 2, '{"budget":"12.5"}')]
    # a timestamp column holding a contract date loads when its time is midnight
    assert rows(con, "select asset_tag, acquisition_cost, in_service_date, useful_life_months, disposal_date from raw.fixed_assets") == [
        ("A1", Decimal("1200.5"), date(2025, 1, 1), 36, date(2028, 1, 1))]
    assert rows(con, "select row_number, column_name, value from audit.quarantine") == [
        (2, "in_service_date", "2025-01-01 09:00:00")]
