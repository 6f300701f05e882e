"""Native-format mappings (mappings/*.yaml, dagster_project/mappings): the shipped mappings are
valid, each maps the real public samples in ../shared/realdata/ and the project's own hand-written
fixtures (tests/fixtures/mappings/) with the expected row counts and values, the mess is handled
and reported, and exports are immutable."""
from __future__ import annotations

import csv
import json
import os
from datetime import date
from pathlib import Path

import pytest

from dagster_project.contract import ENTITY_BY_NAME
from dagster_project.mappings import (
    MappingError,
    candidates,
    check_mappings,
    detect_system,
    import_native,
    list_systems,
    load_mapping,
)

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "mappings"
REALDATA = Path(os.environ.get("ITAM_REALDATA",
                               Path(__file__).resolve().parents[2] / "shared" / "realdata"))
D = date(2025, 6, 30)

needs_realdata = pytest.mark.skipif(
    not REALDATA.is_dir(),
    reason=f"real public samples not found at {REALDATA} (../shared/realdata next to the repo)")


def quiet(_msg: str) -> None:
    pass


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by(rs: list[dict], key: str) -> dict[str, dict]:
    return {r[key]: r for r in rs}


def imp(system, paths, landing, export_date=D):
    return import_native(system, [Path(p) for p in paths], landing, export_date, log=quiet)


def out(landing: Path, entity: str, export_date=D) -> list[dict]:
    e = ENTITY_BY_NAME[entity]
    return rows(landing / e.source / export_date.isoformat() / f"{entity}.csv")


# --------------------------------------------------------------------------------------------
# The mapping format
# --------------------------------------------------------------------------------------------

def test_shipped_mappings_are_valid_and_cover_the_six_systems():
    assert check_mappings() == []
    assert set(list_systems()) == {"glpi", "snipe-it", "focus", "servicenow", "endoflife-date",
                                   "m365-sku"}
    for s in list_systems():
        m = load_mapping(s)
        assert m.system == s
        for inp in m.inputs.values():
            for t in inp.targets:  # every required contract column is declared
                assert set(t.contract.required) <= set(t.columns)


BAD_MAPPINGS = {
    "typo": ("""
system: bad
title: t
description: d
inputs:
  rows:
    description: x
    reader: csv
    detect: {columns: [A]}
    targets:
      - entity: cmdb/configuration_items
        columns:
          ci_id: {form: A}
""", ["inputs.rows.targets[0].columns.ci_id.form: unknown key 'form' (did you mean 'from'?)"]),
    "meaning": ("""
system: bad
title: t
description: d
inputs:
  rows:
    description: x
    reader: csv
    detect: {columns: [A]}
    date_formats: ["%d/%m/%Q"]
    targets:
      - entity: cmdb/configuration_item
        columns: {}
      - entity: cmdb/configuration_items
        columns:
          ci_id: A
          ci_class: {value: laptop}
          name: A
          status: {from: B, map: {Installed: in use}}
          colour: C
""", ["inputs.rows.date_formats: format '%d/%m/%Q' uses %Q",
      "inputs.rows.targets[0].entity: 'cmdb/configuration_item' is not an entity of the landing "
      "contract; did you mean cmdb/configuration_items?"]),
    "meaning2": ("""
system: bad
title: t
description: d
inputs:
  rows:
    description: x
    reader: csv
    detect: {columns: [A]}
    targets:
      - entity: cmdb/configuration_items
        columns:
          ci_id: A
          ci_class: {value: laptop}
          name: A
          status: {from: B, map: {Installed: in use}}
          colour: C
""", ["inputs.rows.targets[0].columns: required column 'updated_at' of cmdb/configuration_items "
      "is not mapped",
      "inputs.rows.targets[0].columns.status.map.Installed: 'in use' is not one of planned, "
      "in_stock, in_use, in_repair, retired, disposed",
      "inputs.rows.targets[0].columns.colour: 'colour' is not a column of "
      "cmdb/configuration_items"]),
    "duplicate": ("""
system: bad
title: t
title: u
description: d
inputs: {}
""", ["line 4: key 'title' is written twice in the same block (first at line 3)"]),
}


@pytest.mark.parametrize("case", sorted(BAD_MAPPINGS))
def test_invalid_mappings_name_file_key_path_and_problem(tmp_path, case):
    text, expected = BAD_MAPPINGS[case]
    f = tmp_path / f"{case}.yaml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as exc:
        load_mapping(f)
    msg = str(exc.value)
    for e in expected:
        assert f"{case}.yaml: {e}" in msg, msg


def test_unknown_system_lists_the_known_ones():
    with pytest.raises(MappingError, match="unknown system 'sap'.*glpi"):
        load_mapping("sap")


# --------------------------------------------------------------------------------------------
# Real public samples (../shared/realdata)
# --------------------------------------------------------------------------------------------

@needs_realdata
def test_glpi_real_inventories(tmp_path):
    src = REALDATA / "glpi-inventory"
    assert detect_system(src / "examples" / "computer_1.json") == "glpi"
    rep = imp(None, [src], tmp_path)  # folder: schema and licence are skipped, not errors
    assert rep.system == "glpi"
    assert sorted(f.path.name for f in rep.files if f.skipped) == ["LICENSE.txt",
                                                                   "inventory.schema.json"]
    # 5 JSON + 3 XML inventories + 9 virtual machines and containers; 6 + 48 packages
    # (tests/test_glpi.py checks the XML and VM fields)
    assert rep.rows("devices") == 17 and rep.rows("software_installs") == 54
    devices = by(out(tmp_path, "devices"), "hostname")
    pc = devices["glpixps"]
    assert (pc["serial_number"], pc["mac_address"], pc["ip_address"], pc["observed_at"],
            pc["discovery_source"], pc["os_name"]) == (
        "640HP72", "00:e0:4c:68:01:db", "192.168.1.142", "2020-06-12T14:19:54+02:00", "agent",
        "Fedora 31 (Workstation Edition)")
    assert devices["COMP1"]["observed_at"] == "2025-06-30T00:00:00"  # no logdate: export date
    sw = devices["ucs6248up-cluster-pa3-B"]
    assert (sw["discovery_source"], sw["ip_address"], sw["serial_number"], sw["manufacturer"]) == (
        "network_scan", "10.2.5.10", "SSI1912014B", "Cisco")
    assert devices["NPIF2BE10"]["discovery_source"] == "network_scan"
    assert devices["Mi9TPro-TéléphoneM"]["discovery_source"] == "agent"
    installs = out(tmp_path, "software_installs")
    assert {r["product"] for r in installs} >= {"gitg", "expat", "gnome-calculator", "libcryptui",
                                                "tar", "gettext"}
    assert by(installs, "product")["gettext"]["install_date"] == "2020-01-15"
    # the phone's three Android apps (and two XML packages) have no publisher: rejected, each
    # with file/row/field/why
    assert sorted((Path(r.file).name, r.row, r.field) for r in rep.rejects) == [
        ("12.xml", "1:content.softwares[5]", "publisher"), ("12.xml", "1:content.softwares[7]", "publisher")] + [
        ("phone_1.json", f"1:content.softwares[{i}]", "publisher") for i in range(3)]
    assert all("publisher: required value is missing" in r.reason for r in rep.rejects)


@needs_realdata
def test_snipe_it_real_samples(tmp_path):
    src = REALDATA / "snipe-it"
    assert detect_system(src / "assets-sample.csv") == "snipe-it"
    rep = imp("snipe-it", [src], tmp_path)
    assert {f.path.name: f.input for f in rep.files} == {
        "assets-sample.csv": "assets", "licenses-sample.csv": "licenses",
        "users-sample.csv": "users", "models-sample.csv": "models",
        "locations-sample.csv": "locations"}
    assert (rep.rows("configuration_items"), rep.rows("purchase_lines"),
            rep.rows("license_entitlements"), rep.rows("saas_usage")) == (22, 22, 50, 50)
    assert rep.rejects == [] and all(a.balanced for a in rep.accounting)
    assert all(f.undeclared == [] for f in rep.files)  # every native column is declared
    cis = by(out(tmp_path, "configuration_items"), "ci_id")
    assert cis["ICC-2065556"]["status"] == "in_stock"  # not checked out
    assert (cis["WBH-2841795"]["status"], cis["WBH-2841795"]["assigned_user_email"]) == (
        "in_use", "gmccrackem2a@bing.com")
    pl = by(out(tmp_path, "purchase_lines"), "po_line")["ICC-2065556"]
    assert (pl["po_number"], pl["order_date"], pl["unit_cost"], pl["category"], pl["currency"]) == (
        "3271901481", "2023-01-23", "2266.13", "hardware", "USD")  # M/D/YY
    lic = by(out(tmp_path, "license_entitlements"), "entitlement_id")[
        "4c2713a1-5b73-4ecb-b2e9-62bf0ff57165"]
    assert (lic["quantity"], lic["unit_cost"], lic["purchase_date"], lic["term_end"],
            lic["license_metric"]) == ("56", "12.58", "2008-11-24", "2016-02-26", "user")
    # 8 licenses without manufacturer and 3 without purchase date are kept, each counted
    assert "procurement/license_entitlements.publisher: 8 value(s) empty → declared default " \
        "'Unknown publisher'" in rep.notes
    assert "procurement/license_entitlements.purchase_date: 3 value(s) empty → declared " \
        "default '$export_date'" in rep.notes
    # the purchase line carries the asset tag, so matching joins it to its CI
    assert (pl["asset_tag"], cis["ICC-2065556"]["eol_date"], cis["ICC-2065556"]["cost_center"]) \
        == ("ICC-2065556", "2028-10-27", "Abshire and Sons")


@needs_realdata
def test_focus_real_sample(tmp_path):
    f = REALDATA / "focus" / "focus_sample.csv"
    assert detect_system(f) == "focus"
    rep = imp(None, [f], tmp_path)
    assert rep.rows("cloud_costs") == 1000 and rep.rejects == []
    cc = out(tmp_path, "cloud_costs")
    first = cc[0]
    assert (first["charge_id"], first["provider"], first["billed_cost"], first["currency"],
            first["charge_period_start"], first["resource_name"], first["tags"],
            first["source_row_id"]) == (
        "2025-06-30/focus_sample.csv:2", "AWS", "0.00000080000", "USD", "2024-09-18T22:00:00",
        "", "", "11472")  # NULL → empty; a row's identity is where it is
    assert rep.files[0].undeclared == [] and rep.account("focus_sample.csv", "cloud_costs").line() \
        == "finance/cloud_costs: 1000 read = 1000 written + 0 rejected"
    tagged = [r for r in cc if r["tags"]]
    assert len(tagged) == 711  # 289 NULL tags
    assert all(isinstance(json.loads(r["tags"]), dict) for r in tagged)  # JSON kept as text
    assert {r["provider"] for r in cc} == {"AWS", "Microsoft", "Oracle"}


@needs_realdata
def test_endoflife_date_real_products(tmp_path):
    src = REALDATA / "endoflife-date"
    rep = imp(None, [src], tmp_path)
    assert rep.system == "endoflife-date"
    assert len([f for f in rep.files if not f.skipped]) == 14
    assert rep.rows("eol_cycles") == 565 and rep.rejects == []
    cy = {(r["product"], r["cycle"]): r for r in out(tmp_path, "eol_cycles")}
    office = cy[("office", "2019")]
    assert (office["release_date"], office["eol_date"], office["support_end_date"],
            office["eol_flag"]) == ("2018-09-24", "2025-10-14", "2023-10-10", "")
    assert ("esxi", "8.0") in cy  # vmware-esxi.md's permalink is /esxi
    assert cy[("rhel", "8")]["latest"] == "8.10"  # a version, not the number 8.1
    flags = [r for r in cy.values() if r["eol_flag"]]
    assert len(flags) == 47 and all(not r["eol_date"] for r in flags)
    assert cy[("rhel", "9")]["lts"] == ""  # `lts: 2032-05-31` is a date, not a flag


@needs_realdata
def test_m365_sku_real_reference(tmp_path):
    f = REALDATA / "m365-sku" / "product_name_2023-08.csv"
    assert detect_system(f) == "m365-sku"
    rep = imp(None, [f], tmp_path)
    assert rep.files[0].encoding == "cp1252"
    assert rep.rows("sku_products") == 3274 and rep.duplicates_collapsed == 1
    assert len(rep.rejects) == 1 and "same natural key (sku_id, service_plan_id)" in \
        rep.rejects[0].reason
    skus = out(tmp_path, "sku_products")
    names = {r["product_name"] for r in skus}
    assert "Privacy Management – risk" in names  # Windows-1252 en dash decoded
    e3 = [r for r in skus if r["sku_string_id"] == "ENTERPRISEPACK"]
    assert e3 and {r["product_name"] for r in e3} == {"Office 365 E3"}
    assert {r["publisher"] for r in skus} == {"Microsoft"}


# --------------------------------------------------------------------------------------------
# The project's own fixtures, written from each format's documentation
# --------------------------------------------------------------------------------------------

def test_servicenow_csv_and_json_exports(tmp_path):
    src = FIXTURES / "servicenow"
    assert sorted(i for f in src.iterdir() for _, i in candidates(f)) == [
        "alm_hardware_csv", "alm_hardware_json", "cmdb_ci_computer_csv", "cmdb_ci_computer_json"]
    rep = imp(None, [src], tmp_path)
    assert rep.system == "servicenow"
    assert (rep.rows("configuration_items"), rep.rows("purchase_lines")) == (6, 3)
    cis = by(out(tmp_path, "configuration_items"), "name")
    lap = cis["LAPTOP-0042"]
    assert (lap["ci_id"], lap["ci_class"], lap["status"], lap["updated_at"],
            lap["assigned_user_email"], lap["warranty_end"], lap["model"]) == (
        "3a1f2b7cdb1e4c10a7e5b1c2d3e4f501", "cmdb_ci_computer", "in_use", "2025-06-02T09:14:33",
        "abel.tuter@example.com", "2026-11-30", "Dell Inc. Latitude 7420")
    assert (cis["lnx-app-07"]["ci_class"], cis["lnx-app-07"]["status"]) == (
        "cmdb_ci_linux_server", "in_repair")
    # JSON: codes mapped, dv_ display values used, bare sys_ids never taken for names
    assert (cis["DESK-0201"]["status"], cis["DESK-0201"]["manufacturer"],
            cis["DESK-0201"]["location"]) == ("in_use", "HP Inc.", "Berlin")
    assert (cis["DESK-0202"]["status"], cis["DESK-0202"]["manufacturer"]) == ("in_stock", "")
    assert cis["DESK-0077"]["status"] == "retired"
    rej = {(Path(r.file).name, r.row): r for r in rep.rejects}
    assert set(rej) == {("cmdb_ci_computer.csv", "5"), ("cmdb_ci_computer.csv", "6"),
                        ("cmdb_ci_computer.json", "4"), ("alm_hardware.csv", "4"),
                        ("alm_hardware.json", "2")}
    assert "'Stolen' is not in the declared value map" in rej[("cmdb_ci_computer.csv", "5")].reason
    assert rej[("cmdb_ci_computer.csv", "6")].field == "sys_updated_on"
    assert "sys_id, not a name" in rej[("alm_hardware.json", "2")].reason
    pls = by(out(tmp_path, "purchase_lines"), "po_line")
    assert (pls["P1000042"]["unit_cost"], pls["P1000042"]["order_date"],
            pls["P1000042"]["category"]) == ("1249.00", "2024-02-12", "hardware")
    assert pls["P1000107"]["cost_center"] == "UNALLOCATED"
    assert (pls["P1000201"]["vendor"], pls["P1000201"]["cost_center"]) == ("HP Inc.", "CC-FIN")
    assert not (tmp_path / "finance").exists()  # alm_hardware is not the fixed-asset register


def test_glpi_two_captures_of_one_machine_are_drift(tmp_path):
    a, b = FIXTURES / "glpi" / "ws0107-2025-05-31.json", FIXTURES / "glpi" / "ws0107-2025-06-30.json"
    ra = imp("glpi", [a], tmp_path, date(2025, 5, 31))
    rb = imp("glpi", [b], tmp_path, date(2025, 6, 30))
    assert (ra.rows("software_installs"), rb.rows("software_installs")) == (4, 4)
    assert len(ra.rejects) == len(rb.rejects) == 1  # the Bluetooth driver has no publisher
    before = {r["product"]: r["version"] for r in out(tmp_path, "software_installs", date(2025, 5, 31))}
    after = {r["product"]: r["version"] for r in out(tmp_path, "software_installs", date(2025, 6, 30))}
    assert set(before) - set(after) == {"Microsoft Visio - en-us"}
    assert set(after) - set(before) == {"Zoom Workplace"}
    assert {p for p in before.keys() & after.keys() if before[p] != after[p]} == {
        "Microsoft 365 Apps for enterprise - en-us", "Google Chrome"}
    d_a = out(tmp_path, "devices", date(2025, 5, 31))[0]
    d_b = out(tmp_path, "devices", date(2025, 6, 30))[0]
    assert (d_a["hostname"], d_a["serial_number"]) == (d_b["hostname"], d_b["serial_number"]) == (
        "WS-0107", "PF3ABC12")
    assert (d_a["os_version"], d_b["os_version"]) == ("22H2", "23H2")
    assert (d_a["last_logged_on_user"], d_b["last_logged_on_user"]) == ("jdoe", "asmith")
    assert d_a["ip_address"] == "10.20.30.107" and d_a["mac_address"] == "3c:21:9c:00:01:07"
    chrome = by(out(tmp_path, "software_installs", date(2025, 5, 31)), "product")["Google Chrome"]
    assert chrome["install_date"] == "2024-05-14"  # date part of a date-time
    # both captures in one call: two observations of one machine, nothing merged away
    both = imp("glpi", [a, b], tmp_path / "both")
    assert both.rows("devices") == 2 and both.rows("software_installs") == 8


def test_snipe_it_fixtures(tmp_path):
    rep = imp(None, [FIXTURES / "snipe-it"], tmp_path)
    assert (rep.rows("configuration_items"), rep.rows("purchase_lines"),
            rep.rows("license_entitlements")) == (5, 4, 4)
    cis = by(out(tmp_path, "configuration_items"), "ci_id")
    assert {k: v["status"] for k, v in cis.items()} == {
        "ACME-0001": "in_use", "ACME-0002": "in_stock", "ACME-0003": "in_repair",
        "ACME-0004": "in_use", "ACME-0005": "retired"}  # Lost/Stolen: override by name
    assert cis["ACME-0002"]["name"] == "ACME-0002"  # no name: Snipe-IT shows the tag
    pls = by(out(tmp_path, "purchase_lines"), "po_line")
    assert (pls["ACME-0001"]["unit_cost"], pls["ACME-0001"]["order_date"],
            pls["ACME-0001"]["serial_number"], pls["ACME-0001"]["asset_tag"]) == (
        "2399.00", "2024-01-05", "C02XK1ZZJG5H", "ACME-0001")
    assert pls["ACME-0003"]["cost_center"] == "UNALLOCATED"
    lics = by(out(tmp_path, "license_entitlements"), "entitlement_id")
    assert (lics["ACRO-PRO-77"]["unit_cost"], lics["ORD-95"]["purchase_date"]) == ("1200.00",
                                                                                   "2024-09-01")
    assert lics["MYST-1"]["publisher"] == "Unknown publisher"  # kept, not rejected
    rej = {(Path(r.file).name, r.row, r.field): r.value for r in rep.rejects}
    assert rej == {("assets.csv", "5", "Purchase Date"): "20/12/23"}  # day first: refused
    a = rep.account("assets.csv", "purchase_lines")
    assert (a.read, a.written, a.rejected) == (5, 4, 1) and a.balanced


def test_snipe_it_mac_roman_cr_custom_labels_and_utf16(tmp_path):
    """A Snipe-IT importer file as a classic Mac tool saves it (Mac Roman, CR line ends, an empty
    and a duplicated header cell), custom status labels, warranty months, a pre-2000 purchase,
    and a licenses file in UTF-16 without a byte-order mark."""
    src = FIXTURES / "snipe-it-legacy"
    rep = imp("snipe-it", [src], tmp_path)
    files = {f.path.name: f for f in rep.files}
    assets, lic = files["assets-macroman-cr.csv"], files["licenses-utf16.csv"]
    assert (assets.encoding, lic.encoding) == ("mac_roman", "utf-16-le")
    assert "line endings: CR" in assets.notes
    assert any("column(s) 19 have an empty header" in n for n in assets.notes)
    assert any("header 'Notes' appears 2 times (columns 12, 20)" in n for n in assets.notes)
    assert rep.rejects == [] and all(a.balanced for a in rep.accounting)
    assert all(f.undeclared == [] for f in rep.files)
    cis = by(out(tmp_path, "configuration_items"), "ci_id")
    assert {k: v["status"] for k, v in cis.items()} == {
        "LEG-0001": "in_use",      # Ready to Deploy (deployable), checked out to zoe@
        "LEG-0002": "in_stock",    # deployable, not checked out
        "LEG-0003": "in_repair",   # Undeployable
        "LEG-0004": "retired",     # Lost: override by name
        "LEG-0005": "in_repair",   # Pending Diagnostics (pending)
        "LEG-0006": "in_use",      # Awaiting RMA: no declared type, checked out (counted)
        "LEG-0007": "retired"}     # Archived
    zoe = cis["LEG-0001"]
    assert (zoe["name"], zoe["location"], zoe["cost_center"], zoe["assigned_user_email"],
            zoe["warranty_end"], zoe["serial_number"]) == (
        "Zoë's laptop", "Zürich", "Société Générale", "zoe@example.org", "2027-01-31", "PF-0001")
    assert cis["LEG-0002"]["warranty_end"] == "" and cis["LEG-0003"]["warranty_end"] == "1999-12-15"
    assert any("status label 'Awaiting RMA' has no declared type" in n for n in rep.notes)
    pls = by(out(tmp_path, "purchase_lines"), "asset_tag")
    assert set(pls) == {"LEG-0001", "LEG-0002", "LEG-0003", "LEG-0004"}  # the ones with a cost
    old = pls["LEG-0003"]
    assert (old["order_date"], old["unit_cost"], old["cost_center"], old["po_number"],
            old["vendor"]) == ("1998-12-15", "8500.5", "UNALLOCATED", "(no order number)",
                               "HP Direct")
    assert pls["LEG-0001"]["unit_cost"] == "1299.00"
    a = rep.account("assets-macroman-cr.csv", "purchase_lines")
    assert (a.read, a.written, a.other_entity) == (7, 4, 3)
    ents = by(out(tmp_path, "license_entitlements"), "entitlement_id")
    assert (ents["VIS-1"]["publisher"], ents["VIS-1"]["purchase_date"],
            ents["VIS-1"]["cost_center"]) == ("Unknown publisher", "1984-03-01", "Société Générale")
    assert (ents["ACR-1"]["purchase_date"], ents["ACR-1"]["unit_cost"]) == ("2025-06-30", "1200.00")
    seats = out(tmp_path, "saas_usage")  # the seat checked out to a person is consumption
    assert [(r["app_name"], r["user_email"], r["license_assigned"]) for r in seats] == [
        ("Microsoft Visio Professional", "zoe@example.org", "true")]


def test_single_byte_encodings_are_told_apart_by_the_words():
    from dagster_project.mappings.readers import decode

    text = "Company,City\nSociété Générale,Zürich\nBrontë,Genf\n"
    for enc in ("mac_roman", "cp1252"):
        got = decode(text.encode(enc), ["utf-8", "cp1252", "mac_roman"])
        assert (got.encoding, got.text) == (enc, text)
    assert decode(text.encode("utf-8"), ["utf-8", "cp1252"]).encoding == "utf-8"
    assert decode(text.encode("utf-16-be"), ["utf-8"]).encoding == "utf-16-be"


def test_focus_fixture(tmp_path):
    rep = imp("focus", [FIXTURES / "focus" / "cost_and_usage.csv"], tmp_path)
    cc = out(tmp_path, "cloud_costs")
    assert len(cc) == 3 and [r["billed_cost"] for r in cc] == ["12.5000000000", "0.4200000000",
                                                               "-5.0000000000"]
    assert json.loads(cc[0]["tags"]) == {"cost_center": "CC-ENG", "environment": "prod"}
    assert (cc[1]["region"], cc[1]["resource_id"], cc[1]["tags"]) == ("", "", "")  # NULL
    assert cc[0]["charge_period_start"] == "2025-06-10T00:00:00+00:00"
    [r] = rep.rejects
    assert (r.row, r.field, r.value) == ("5", "Tags", "{cost_center: CC-DATA}")
    assert "not valid JSON" in r.reason


def test_focus_repeated_rows_are_charges_and_the_spreadsheet_dialect(tmp_path):
    f = FIXTURES / "focus-dialect" / "spreadsheet.csv"
    strict = imp("focus", [f], tmp_path / "strict")
    # rows 3 and 4 are identical: two charges, both kept (identity = file + row, never content)
    cc = out(tmp_path / "strict", "cloud_costs")
    assert [(r["charge_id"], r["billed_cost"]) for r in cc] == [
        ("2025-06-30/spreadsheet.csv:3", "2.50"), ("2025-06-30/spreadsheet.csv:4", "2.50")]
    assert strict.duplicates_collapsed == 0
    # strict FOCUS: '4/1/25' and '"$10,000.00 "' are not conformant, so row 2 is quarantined
    assert {(r.row, r.field) for r in strict.rejects} == {
        ("2", "ChargePeriodStart"), ("2", "ChargePeriodEnd"), ("2", "BilledCost"),
        ("2", "EffectiveCost")}
    a = strict.account("spreadsheet.csv", "cloud_costs")
    assert (a.read, a.written, a.rejected) == (3, 2, 1)
    # the declared dialect reads them: month first, currency symbol, thousands separator
    rep = import_native("focus", [f], tmp_path / "sheet", D, log=quiet, dialect="spreadsheet")
    cc = by(out(tmp_path / "sheet", "cloud_costs"), "charge_id")
    first = cc["2025-06-30/spreadsheet.csv:2"]
    assert (first["billed_cost"], first["effective_cost"], first["charge_period_start"],
            first["service_subcategory"], first["invoice_id"]) == (
        "10000.00", "9500.00", "2025-04-01T00:00:00", "Virtual Machines", "INV-1")
    assert rep.rejects == [] and len(cc) == 3
    with pytest.raises(MappingError, match="declares no dialect 'excel'.*spreadsheet"):
        import_native("focus", [f], tmp_path / "x", D, log=quiet, dialect="excel")


def test_endoflife_fixture_crlf_and_eol_as_date_or_flag(tmp_path):
    rep = imp(None, [FIXTURES / "endoflife-date" / "exampleos.md"], tmp_path)
    cy = by(out(tmp_path, "eol_cycles"), "cycle")
    assert rep.rows("eol_cycles") == 3 and set(cy) == {"3.10", "3.9", "2"}
    assert {r["product"] for r in cy.values()} == {"example-os"}
    assert (cy["3.10"]["eol_date"], cy["3.10"]["eol_flag"], cy["3.10"]["lts"]) == (
        "2028-04-01", "", "true")
    assert (cy["3.9"]["eol_date"], cy["3.9"]["eol_flag"], cy["3.9"]["support_end_date"]) == (
        "", "false", "")
    assert (cy["2"]["eol_flag"], cy["2"]["lts"], cy["2"]["support_end_date"]) == (
        "true", "", "2021-01-15")


def test_m365_fixture_windows_1252(tmp_path):
    rep = imp(None, [FIXTURES / "m365-sku" / "product_names.csv"], tmp_path)
    assert rep.files[0].encoding == "cp1252" and "line endings: CRLF" in rep.files[0].notes
    skus = out(tmp_path, "sku_products")
    assert len(skus) == 3 and rep.duplicates_collapsed == 1 and len(rep.rejects) == 1
    priva = by(skus, "sku_string_id")["PRIVACY_MANAGEMENT_RISK"]
    assert priva["product_name"] == "Privacy Management – risk"
    assert priva["service_plan_friendly_name"] == "Priva\u00a0- Risk"


# --------------------------------------------------------------------------------------------
# Mess: encodings, line endings, headers, dates, JSON in cells
# --------------------------------------------------------------------------------------------

MESS = FIXTURES / "mess.yaml"
HEADER = "PO,Line,Ordered,Vendor,Item,Qty,Price,Currency,Details,Serial"


def _orders(tmp_path: Path, name: str, lines: list[str], encoding="utf-8", newline="\n",
            bom=b"") -> Path:
    p = tmp_path / name
    p.write_bytes(bom + newline.join(lines + [""]).encode(encoding))
    return p


def test_encodings_with_and_without_bom_and_crlf(tmp_path):
    line = 'PO1,1,2024-03-01,Société Générale,Écran,1,"1,099.00",EUR,"{""cost_center"": ""CC-FR""}",S1'
    files = [
        _orders(tmp_path, "utf8.csv", [HEADER, line]),
        _orders(tmp_path, "utf8bom_crlf.csv", [HEADER, line.replace("PO1", "PO2")],
                newline="\r\n", bom=b"\xef\xbb\xbf"),
        _orders(tmp_path, "cp1252.csv", [HEADER, line.replace("PO1", "PO3")], encoding="cp1252"),
        _orders(tmp_path, "utf16.csv", [HEADER, line.replace("PO1", "PO4")],
                encoding="utf-16-le", bom=b"\xff\xfe", newline="\r\n"),
    ]
    rep = imp(MESS, files, tmp_path / "landing")
    assert [f.encoding for f in rep.files] == ["utf-8", "UTF-8 with BOM", "cp1252",
                                               "UTF-16 (LE BOM)"]
    got = out(tmp_path / "landing", "purchase_lines")
    assert [(r["po_number"], r["vendor"], r["description"], r["unit_cost"], r["cost_center"])
            for r in got] == [(f"PO{i}", "Société Générale", "Écran", "1099.00", "CC-FR")
                              for i in range(1, 5)]
    assert rep.rejects == []


def test_ambiguous_dates_rejected_or_resolved_by_declared_order(tmp_path):
    lines = [HEADER,
             'PO1,1,03/04/2024,V,I,1,10,EUR,"{""cost_center"": ""C""}",',   # 3 April or March 4
             'PO1,2,13/04/2024,V,I,1,10,EUR,"{""cost_center"": ""C""}",',   # only day first
             'PO1,3,04/13/2024,V,I,1,10,EUR,"{""cost_center"": ""C""}",',   # only month first
             'PO1,4,2024-04-03,V,I,1,10,EUR,"{""cost_center"": ""C""}",']
    f = _orders(tmp_path, "orders.csv", lines)
    rep = imp(MESS, [f], tmp_path / "reject")
    got = {r["po_line"]: r["order_date"] for r in out(tmp_path / "reject", "purchase_lines")}
    assert got == {"2": "2024-04-13", "3": "2024-04-13", "4": "2024-04-03"}
    [r] = rep.rejects
    assert (r.row, r.field, r.value) == ("2", "Ordered", "03/04/2024")
    assert "ambiguous: 2024-04-03 00:00:00 (%d/%m/%Y) or 2024-03-04 00:00:00 (%m/%d/%Y)" in r.reason
    first = tmp_path / "first.yaml"
    first.write_text(MESS.read_text().replace("ambiguous_dates: reject", "ambiguous_dates: first"))
    rep2 = imp(first, [f], tmp_path / "first")
    got2 = {r["po_line"]: r["order_date"] for r in out(tmp_path / "first", "purchase_lines")}
    assert got2["1"] == "2024-04-03" and rep2.rejects == []  # day first: declared first


def test_duplicate_and_empty_headers_json_cells_and_broken_rows(tmp_path):
    ok = [HEADER.replace(",Serial", ",,Serial"),
          'PO1,1,2024-01-01,V,Item,1,5,EUR,"{""cost_center"": ""CC1"", ""tags"": [1]}",x,S1',
          'PO1,2,2024-01-01,V,Item,1,5,EUR,"{cost_center: CC1}",,S2',
          'PO1,3,2024-01-01,V,Item,1,5,EUR,"{""cost_center"": ""CC1""}",,TBD',
          'PO1,4,2024-01-01,V,Item,one,5,EUR,"{""cost_center"": ""CC1""}",,S4',
          'PO1,5,2024-01-01,V',
          ',,,,,,,,,,',
          'PO1,6,2024-01-01,V,"multi',
          'line item",1,5,EUR,"{""cost_center"": ""CC1""}",,S6']
    f = _orders(tmp_path, "orders.csv", ok, newline="\r\n")
    rep = imp(MESS, [f], tmp_path / "l")
    got = by(out(tmp_path / "l", "purchase_lines"), "po_line")
    assert set(got) == {"1", "6"} and got["6"]["description"] == "multi\r\nline item"
    notes = rep.files[0].notes
    assert any("column(s) 10 have an empty header; named '(column N)'" in n for n in notes)
    assert any("1 empty row(s) skipped" in n for n in notes)
    assert "line endings: CRLF" in notes
    rej = {r.row: r for r in rep.rejects}
    assert set(rej) == {"3", "4", "5", "6"}
    assert "is not JSON, so `json_path` 'cost_center' cannot be read" in rej["3"].reason
    assert "a placeholder, not a serial number" in rej["4"].reason
    assert (rej["5"].field, rej["5"].reason) == ("Qty", "procurement/purchase_lines.quantity: "
                                                 "'one' is not a number")
    assert "row has 4 fields but the header has 11" in rej["6"].reason
    # read = written + rejected, for the file (the empty row is not a record)
    a = rep.account("orders.csv", "purchase_lines")
    assert (a.read, a.written, a.rejected) == (6, 2, 4) and a.balanced
    # a duplicated header is named by position with a warning, never a whole-file rejection: the
    # mapping reads the first 'Vendor', the second is 'Vendor (column 11)'
    dup = _orders(tmp_path, "dup.csv", [HEADER + ",Vendor,",
                                        'P,1,2024-01-01,V,I,1,5,EUR,"{""cost_center"": ""C""}",S,W,x'])
    rep = imp(MESS, [dup], tmp_path / "d")
    assert rep.rejects == [] and rep.rows("purchase_lines") == 1
    assert out(tmp_path / "d", "purchase_lines")[0]["vendor"] == "V"
    notes = rep.files[0].notes
    assert any("header 'Vendor' appears 2 times (columns 4, 11); 'Vendor' reads column 4" in n
               for n in notes)
    assert any("column(s) 12 have an empty header" in n for n in notes)


def test_missing_required_column_rejects_the_file_for_that_entity(tmp_path):
    f = _orders(tmp_path, "orders.csv", ["PO,Line,Ordered,Vendor", "P,1,2024-01-01,V"])
    rep = imp(MESS, [f], tmp_path / "l")
    assert rep.outputs == []
    assert {r.field for r in rep.rejects} == {"Item", "Qty", "Price", "Currency", "Details"}
    assert all(r.row == "" and "not in the header" in r.reason for r in rep.rejects)


# --------------------------------------------------------------------------------------------
# Detection, immutability, reports, CLI
# --------------------------------------------------------------------------------------------

def test_detection_unknown_and_ambiguous_files(tmp_path):
    assert detect_system(FIXTURES / "servicenow" / "alm_hardware.json") == "servicenow"
    assert detect_system(FIXTURES / "endoflife-date") == "endoflife-date"
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    assert detect_system(odd) is None
    with pytest.raises(MappingError, match="no mapping recognises this file.*--from"):
        imp(None, [odd], tmp_path / "l")
    both = tmp_path / "both.csv"  # looks like a Snipe-IT asset and a license file at once
    both.write_text("Asset Tag,Category,Seats,Checkout Type\nA1,Laptops,1,User\n")
    assert detect_system(both) is None
    with pytest.raises(MappingError, match="ambiguous, it matches snipe-it:assets, "
                                           "snipe-it:licenses"):
        imp(None, [both], tmp_path / "l")
    with pytest.raises(MappingError, match="does not look like a focus export"):
        imp("focus", [FIXTURES / "snipe-it" / "assets.csv"], tmp_path / "l")
    with pytest.raises(MappingError, match="several systems"):
        imp(None, [FIXTURES / "focus", FIXTURES / "m365-sku"], tmp_path / "l")
    # naming the input reads a file detection would not pick
    rep = imp("snipe-it:assets", [both], tmp_path / "forced")
    # no purchase cost: a CI, and no purchase line (nothing bought that can be priced)
    assert rep.rows("configuration_items") == 1 and rep.rows("purchase_lines") == 0
    assert rep.rejects == []
    a = rep.account("both.csv", "purchase_lines")
    assert (a.read, a.written, a.other_entity) == (1, 0, 1) and a.balanced


def test_exports_are_immutable_and_reports_are_written(tmp_path):
    f = FIXTURES / "m365-sku" / "product_names.csv"
    rep = imp("m365-sku", [f], tmp_path)
    target = tmp_path / "reference" / D.isoformat() / "sku_products.csv"
    assert rep.output("sku_products").status == "written" and target.is_file()
    data = target.read_bytes()
    assert data.startswith(b"publisher,sku_id,product_name,") and b"\r" not in data
    again = imp("m365-sku", [f], tmp_path)  # same content: fine, nothing rewritten
    assert again.output("sku_products").status == "unchanged"
    other = tmp_path / "other.csv"
    other.write_bytes(f.read_bytes().replace(b"Office 365 E3", b"Office 365 E5"))
    with pytest.raises(MappingError, match="already exists with different content"):
        imp("m365-sku", [other], tmp_path)
    assert target.read_bytes() == data
    report = rows(tmp_path / "_imports" / f"m365-sku-{D.isoformat()}-rejects.csv")
    assert list(report[0]) == ["file", "row", "field", "value", "reason"] and len(report) == 1
    assert rep.summary().startswith(f"m365-sku {D.isoformat()}: 1 file(s), 5 records → "
                                    "reference/sku_products 3 rows")


def test_cli_landing_import(tmp_path, capsys):
    from dagster_project.cli import main

    code = main(["landing", "import", str(FIXTURES / "focus" / "cost_and_usage.csv"), "--from",
                 "focus", "--landing", str(tmp_path), "--export-date", "2025-06-30"])
    assert code == 0
    assert "focus 2025-06-30: 1 file(s), 4 records → finance/cloud_costs 3 rows; 1 rejected" in \
        capsys.readouterr().out
    assert (tmp_path / "finance" / "2025-06-30" / "cloud_costs.csv").is_file()
    code = main(["landing", "import", str(tmp_path / "nope.csv"), "--landing", str(tmp_path),
                 "--export-date", "2025-06-30"])
    assert code == 1 and "no such file" in capsys.readouterr().err


def test_mappings_cli_helpers(capsys):
    import argparse

    from dagster_project.mappings import cli

    parser = argparse.ArgumentParser()
    cli.add_parser(parser.add_subparsers(dest="cmd"))
    args = parser.parse_args(["mappings", "check"])
    assert cli.check(args) == 0 and "6 mapping(s) valid" in capsys.readouterr().out
    args = parser.parse_args(["mappings", "detect", str(FIXTURES / "servicenow")])
    assert cli.detect(args) == 0
    assert "servicenow:alm_hardware_json" in capsys.readouterr().out


def test_glpi_thousands_of_packages_and_jsonl(tmp_path):
    """A real Windows inventory lists thousands of packages: one row each, quickly. The same
    mapping with `reader: jsonl` reads one inventory per line."""
    import time

    inv = json.loads((FIXTURES / "glpi" / "ws0107-2025-06-30.json").read_text())
    inv["content"]["softwares"] = [
        {"name": f"Package {i}", "publisher": f"Vendor {i % 40}", "version": f"1.{i}",
         "install_date": "2024-01-02"} for i in range(5000)]
    big = tmp_path / "big.json"
    big.write_text(json.dumps(inv))
    t0 = time.perf_counter()
    rep = imp("glpi", [big], tmp_path / "l")
    assert rep.rows("software_installs") == 5000 and rep.rejects == []
    assert time.perf_counter() - t0 < 10
    jsonl_mapping = tmp_path / "glpi-jsonl.yaml"
    jsonl_mapping.write_text((REPO / "mappings" / "glpi.yaml").read_text()
                             .replace("reader: json\n", "reader: jsonl\n"))
    lines = tmp_path / "inventories.jsonl"
    lines.write_text("\n".join(json.dumps(json.loads(p.read_text())) for p in
                               sorted((FIXTURES / "glpi").glob("*.json"))) + "\n{broken\n")
    rep = imp(jsonl_mapping, [lines], tmp_path / "j")
    assert rep.rows("devices") == 2 and rep.rows("software_installs") == 8
    # the broken line, once per target entity (glpi: devices, VMs, relationships, packages,
    # database services)
    assert [(r.row, "not valid JSON" in r.reason) for r in rep.rejects if r.row == "3"] == [
        ("3", True)] * 5


def test_docs_worked_example_runs(tmp_path):
    """docs/mappings.md's worked example (mapping and sample CSV) does what the page says."""
    import re

    doc = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(\w+)\n(.*?)```", doc, flags=re.S)
    mapping = next(body for lang, body in blocks if lang == "yaml" and "system: intune" in body)
    sample = next(body for lang, body in blocks if lang == "csv")
    (tmp_path / "intune.yaml").write_text(mapping, encoding="utf-8")
    (tmp_path / "devices.csv").write_text(sample, encoding="utf-8")
    m = load_mapping(tmp_path / "intune.yaml")
    assert m.system == "intune"
    rep = imp(tmp_path / "intune.yaml", [tmp_path / "devices.csv"], tmp_path / "landing")
    assert rep.summary().startswith("intune 2025-06-30: 1 file(s), 3 records → discovery/devices "
                                    "2 rows; 1 rejected")
    [r] = rep.rejects
    assert (r.row, r.field, r.value) == ("4", "Last check-in", "28/06/2025 08:00")
    assert r.reason in doc.replace("\n", " ")
    lap = by(out(tmp_path / "landing", "devices"), "hostname")["LAP-0042"]
    assert (lap["observed_at"], lap["discovery_source"], lap["last_logged_on_user"]) == (
        "2025-06-28T07:12:05", "mdm", "alice@example.com")


def test_when_template_join_and_root_paths(tmp_path):
    """`when` routes rows (skipped rows are not rejects), `template` builds ids, `pick: join`
    keeps every value a path reaches, `$.` reads the document root from a record."""
    mapping = tmp_path / "shop.yaml"
    mapping.write_text("""
system: shop
title: t
description: d
inputs:
  orders:
    description: orders JSON
    reader: json
    records_path: orders
    detect: {keys: [orders, currency]}
    targets:
      - entity: procurement/purchase_lines
        when: {from: kind, not_in: [service]}
        columns:
          po_number: {template: "{$.shop}-{id}"}
          po_line: {value: "1"}
          order_date: date
          vendor: $.shop
          category: {value: hardware}
          description: {from: "items[*].name", pick: join, separator: " + "}
          quantity: {value: "1"}
          unit_cost: total
          currency: $.currency
          cost_center: {from: cc, default: UNALLOCATED}
""", encoding="utf-8")
    data = tmp_path / "orders.json"
    data.write_text(json.dumps({"shop": "ACME", "currency": "EUR", "orders": [
        {"id": 7, "kind": "goods", "date": "2025-01-02", "total": 12.5, "cc": "CC1",
         "items": [{"name": "cable"}, {"name": "dock"}]},
        {"id": 8, "kind": "service", "date": "2025-01-03", "total": 99},
        {"id": 9, "kind": "goods", "date": "2025-01-04", "total": "n/a", "items": []}]}))
    assert detect_system(data, tmp_path) == "shop"
    rep = imp(mapping, [data], tmp_path / "l")
    [row] = out(tmp_path / "l", "purchase_lines")
    assert (row["po_number"], row["vendor"], row["description"], row["unit_cost"],
            row["currency"]) == ("ACME-7", "ACME", "cable + dock", "12.5", "EUR")
    assert {(r.row, r.field) for r in rep.rejects} == {("3", "total"), ("3", "items[*].name")}


def test_docs_field_tables_are_generated_from_the_declarations(tmp_path, capsys):
    from dagster_project.cli import main
    from dagster_project.mappings.fidelity import generated_section

    text = (REPO / "docs" / "mappings.md").read_text(encoding="utf-8")
    assert generated_section() in text, (
        "docs/mappings.md's field tables are stale: run `itam landing mappings fields "
        "--update-docs docs/mappings.md`")
    # every native field of the real Snipe-IT and FOCUS headers has a declared destination
    for system, line in [("snipe-it", "| `Purchase Cost` | procurement/purchase_lines: condition; "
                                      "procurement/purchase_lines.unit_cost |"),
                         ("snipe-it", "| `Notes` | not used: free text |"),
                         ("focus", "| `x_*` | not used: provider extension columns, outside the "
                                   "specification |")]:
        assert main(["landing", "mappings", "fields", system]) == 0
        assert line in capsys.readouterr().out
    # --update-docs rewrites only the generated section
    md = tmp_path / "m.md"
    md.write_text(text.replace("| `Notes` | not used: free text |", "| stale |"), encoding="utf-8")
    assert main(["landing", "mappings", "fields", "--update-docs", str(md)]) == 0
    assert md.read_text(encoding="utf-8") == text
