"""GLPI / FusionInventory import (issue 14.3), discovery drift (14.4) and software end of life
(14.7), through the real import and the real build. Fixtures in tests/fixtures/glpi: one server
captured by the agent's XML format (2026-03-31), updated in the JSON format (2026-06-30: kernel
and OS upgrade, memory doubled, 2 packages added, 1 removed, 1 updated, 2 VMs and a container
added) and a partial inventory (2026-07-31: memory only); endoflife.date products for it."""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from conftest import REALDATA, built_warehouse

from dagster_project.mappings import import_native

FIX = Path(__file__).parent / "fixtures" / "glpi"
needs_realdata = pytest.mark.skipif(not REALDATA.exists(), reason="../shared/realdata not present")
CAPTURES = [("srv01-2026-03-31.xml", date(2026, 3, 31)), ("srv01-2026-06-30.json", date(2026, 6, 30)),
            ("srv01-2026-07-31-partial.json", date(2026, 7, 31))]


def rows(landing: Path, source: str, entity: str, d: date) -> list[dict]:
    with open(landing / source / d.isoformat() / f"{entity}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_xml_capture_time_zone_cores_vms_databases_and_partial(tmp_path):
    rep = import_native("glpi", [FIX / CAPTURES[0][0]], tmp_path, CAPTURES[0][1], log=lambda m: None)
    assert rep.rejects == []
    dev = {r["hostname"]: r for r in rows(tmp_path, "discovery", "devices", CAPTURES[0][1])}
    srv = dev["srv01"]
    # local 22:30 at +02:00 is 20:30 UTC: the offset is kept for ingestion to convert
    assert srv["observed_at"] == "2026-03-30T22:30:00+02:00"
    assert (srv["cores"], srv["sockets"], srv["memory_mb"], srv["firmware"], srv["os_name"],
            srv["device_type"], srv["chassis_type"], srv["ip_address"], srv["is_partial"]) == (
        "16", "2", "65536", "2.8.1", "Ubuntu 20.04.6 LTS", "Computer", "Rack Mount Chassis",
        "10.0.0.11", "false")
    vm = dev["web1"]
    assert (vm["device_type"], vm["runs_on"], vm["cores"], vm["memory_mb"], vm["serial_number"]) == (
        "VirtualMachine", "SRV01SN", "2", "4096", "11111111-aaaa-4000-8000-000000000001")
    rel = rows(tmp_path, "cmdb", "ci_relationships", CAPTURES[0][1])
    assert [(r["parent_ci_id"], r["child_ci_id"], r["relationship_type"]) for r in rel] == [
        ("11111111-aaaa-4000-8000-000000000001", "SRV01SN", "Runs on::Runs")]
    sw = {r["product"]: r for r in rows(tmp_path, "discovery", "software_installs", CAPTURES[0][1])}
    assert set(sw) == {"openssl", "nginx", "telnet", "PostgreSQL"}
    assert sw["openssl"]["install_date"] == "2024-01-15" and sw["nginx"]["install_date"] == ""
    assert (sw["PostgreSQL"]["publisher"], sw["PostgreSQL"]["version"]) == ("PostgreSQL", "12.18")
    # the partial inventory carries no name (hostname from the deviceid) and only memory
    part = tmp_path / "p"
    import_native("glpi", [FIX / CAPTURES[2][0]], part, CAPTURES[2][1], log=lambda m: None)
    (p,) = rows(part, "discovery", "devices", CAPTURES[2][1])
    assert (p["hostname"], p["serial_number"], p["memory_mb"], p["is_partial"], p["os_name"],
            p["cores"]) == ("srv01", "SRV01SN", "262144", "true", "", "")


@needs_realdata
def test_real_samples_row_accounting_and_fidelity(tmp_path):
    """Every GLPI sample, JSON and XML: records read = rows written + rejected, and a declared
    list of fields lands with the native value."""
    src = REALDATA / "glpi-inventory"
    rep = import_native("glpi", [src / "examples", src / "xml"], tmp_path, date(2026, 6, 30),
                        log=lambda m: None)
    assert sorted((f.path.name, f.records) for f in rep.files if not f.skipped) == [
        ("1.xml", 1), ("12.xml", 1), ("5.xml", 1), ("computer_1.json", 1), ("computer_2.json", 1),
        ("networkequipment_1.json", 1), ("phone_1.json", 1), ("printer_1.json", 1)]
    # devices: 8 inventories + 6 VMs of computer_2 + 3 VMs of 1.xml; installs: 6 + 3 + 42 + 8
    # packages, minus 5 without publisher (3 phone apps, 2 in 12.xml)
    assert (rep.rows("devices"), rep.rows("software_installs"), rep.rows("ci_relationships")) == (17, 54, 9)
    assert len(rep.rejects) == 5 and all("publisher" in r.reason for r in rep.rejects)
    dev = {r["hostname"]: r for r in rows(tmp_path, "discovery", "devices", date(2026, 6, 30))}
    fidelity = {  # hostname: {contract column: native value}
        "glpixps": {"cores": "2", "sockets": "1", "memory_mb": "7800", "chassis_type": "Laptop",
                    "firmware": "1.4.3", "observed_at": "2020-06-12T14:19:54+02:00"},
        "ucs6248up-cluster-pa3-B": {"device_type": "NetworkEquipment", "firmware": "5.0(3)N2(4.02b)",
                                    "os_version": ""},
        "NPIF2BE10": {"device_type": "Printer", "firmware": "2409048_052887", "memory_mb": "512"},
        "Mi9TPro-TéléphoneM": {"device_type": "Phone", "cores": "8",
                               "observed_at": "2019-12-18T14:30:16+10:00"},
        "LF014": {"chassis_type": "Notebook", "cores": "2", "memory_mb": "7908", "ip_address": "192.168.1.103",
                  "os_version": "25", "firmware": "Version 3.70"},
        "pc-arg-23": {"serial_number": "CZC0479792", "model": "HP EliteBook 2540p", "cores": "2",
                      "os_name": "Microsoft Windows 8.1 Professionnel"},
        "WR21": {"device_type": "NetworkEquipment", "firmware": "5.2.17.12", "serial_number": "486280"},
        "db": {"device_type": "VirtualMachine", "chassis_type": "docker", "runs_on": "2FAGP34"},
    }
    for host, fields in fidelity.items():
        assert {k: dev[host][k] for k in fields} == fields, host


def test_build_classification_drift_and_eol(tmp_path):
    landing = tmp_path / "landing"
    for name, d in CAPTURES:  # one import per export; the switch is in the 2026-06-30 one
        extra = [FIX / "switch01-2026-06-30.xml"] if d == date(2026, 6, 30) else []
        import_native("glpi", [FIX / name, *extra], landing, d, log=lambda m: None)
    import_native("endoflife-date", [FIX / "eol"], landing, date(2026, 3, 31), log=lambda m: None)
    ci = landing / "cmdb" / "2026-03-31" / "configuration_items.csv"
    ci.write_text("ci_id,ci_class,name,status,updated_at,serial_number,cost_center\n"
                  "CI-1,server,srv01,in_use,2026-03-01T00:00:00,SRV01SN,CC-IT\n")
    wh = built_warehouse(landing, tmp_path / "w.duckdb")

    cls = dict(wh.rows("select hostname, asset_class from marts.dim_asset where as_of_date = '2026-07-31'"))
    assert cls == {"srv01": "server", "web1": "virtual_machine", "web2": "virtual_machine",
                   "db": "virtual_machine", "switch01": "network"}

    drift = wh.rows(
        "select from_as_of_date::varchar, attribute, old_value, new_value, change_kind, change_count, details "
        "from marts.fct_asset_drift where source = 'discovery' and hostname = 'srv01' and is_consecutive_snapshot "
        "order by from_as_of_date, attribute")
    assert drift == [
        ("2026-03-31", "firmware", "2.8.1", "2.9.0", "changed", None, None),
        ("2026-03-31", "memory_mb", "65536", "131072", "changed", None, None),
        ("2026-03-31", "os_name", "Ubuntu 20.04.6 LTS", "Ubuntu 22.04.4 LTS", "changed", None, None),
        ("2026-03-31", "os_version", "20.04.6 LTS (Focal Fossa)", "22.04.4 LTS (Jammy Jellyfish)", "changed", None, None),
        ("2026-03-31", "software_added", "4", "5", "added", 2, "curl, htop"),
        ("2026-03-31", "software_removed", "4", "5", "removed", 1, "telnet"),
        ("2026-03-31", "software_updated", "4", "5", "updated", 2, "PostgreSQL, openssl"),
        ("2026-03-31", "vms_added", "1", "3", "added", 2, "db, web2"),
        # the partial inventory changes memory only: nothing removed, OS kept
        ("2026-06-30", "memory_mb", "131072", "262144", "changed", None, None),
    ]
    # the partial inventory lists neither packages nor VMs: both are confirmed unchanged, so the
    # VMs stay in use (no governed-attribute drift) and the packages stay installed (EOL below)
    assert wh.rows("select count(*) from marts.fct_asset_drift where source = 'cmdb'") == [(0,)]
    assert set(wh.rows("select lifecycle_state from marts.dim_asset where as_of_date = '2026-07-31'")) == {("in_use",)}

    eol = wh.rows(
        "select as_of_date::varchar, basis, matched_text, eol_product, eol_cycle, eol_date::varchar, "
        "extended_support_date::varchar, eol_status, days_to_eol, cost_center "
        "from marts.fct_software_eol where basis in ('os', 'software') order by as_of_date, basis")
    assert eol == [
        # 2026-03-31: Ubuntu 20.04 ended 2025-05-29 but is in extended support until 2030-04-02;
        # PostgreSQL 12 ended 2024-11-21: end of life
        ("2026-03-31", "os", "Ubuntu 20.04.6 LTS 20.04.6 LTS (Focal Fossa)", "ubuntu", "20.04",
         "2025-05-29", "2030-04-02", "extended_support", -306, "CC-IT"),
        ("2026-03-31", "software", "PostgreSQL 12.18", "postgresql", "12", "2024-11-21", None,
         "end_of_life", -495, "CC-IT"),
        ("2026-06-30", "os", "Ubuntu 22.04.4 LTS 22.04.4 LTS (Jammy Jellyfish)", "ubuntu", "22.04",
         "2027-06-01", "2032-04-09", "supported", 336, "CC-IT"),
        ("2026-06-30", "software", "PostgreSQL 12.19", "postgresql", "12", "2024-11-21", None,
         "end_of_life", -586, "CC-IT"),
        ("2026-07-31", "os", "Ubuntu 22.04.4 LTS 22.04.4 LTS (Jammy Jellyfish)", "ubuntu", "22.04",
         "2027-06-01", "2032-04-09", "supported", 305, "CC-IT"),
        ("2026-07-31", "software", "PostgreSQL 12.19", "postgresql", "12", "2024-11-21", None,
         "end_of_life", -617, "CC-IT"),
    ]

    # network firmware: Cisco IOS 15.2 ends 2026-08-31, within the 6-month policy horizon
    assert wh.rows(
        "select as_of_date::varchar, asset_name, matched_text, eol_product, eol_cycle, eol_status, days_to_eol, "
        "cost_center from marts.fct_software_eol where basis = 'firmware' order by as_of_date") == [
        ("2026-06-30", "switch01", "Cisco 15.2(4)E10", "cisco-ios", "15.2", "eol_soon", 62, None),
        ("2026-07-31", "switch01", "Cisco 15.2(4)E10", "cisco-ios", "15.2", "eol_soon", 31, None)]

    # the suggestion command lists what no rule matches, against the loaded catalogue
    from dagster_project.governance.eol_suggest import suggest_products, suggestions

    as_of, todo = suggestions(tmp_path / "w.duckdb")
    assert as_of == "2026-07-31"
    assert {(r["basis"], r["name"]) for r in todo} == {
        ("software", "openssl"), ("software", "nginx"), ("software", "htop"), ("software", "curl"),
        ("firmware", "Dell Inc.")}
    assert suggest_products("Microsoft Windows Server 2019 Standard", ["ubuntu", "windows", "windows-server"]) == [
        "windows-server", "windows"]
    assert suggest_products("PostgreSQL", ["postgresql", "ubuntu"]) == ["postgresql"]



@needs_realdata
def test_real_samples_build_classification_and_mart_fidelity(tmp_path):
    """The GLPI samples (JSON and XML) and endoflife.date's products, built: every device
    classified by what the agent says it is, and a declared list of dim_asset fields equal to
    the native values (timestamps: the agent's local time converted with its offset)."""
    landing = tmp_path / "landing"
    src = REALDATA / "glpi-inventory"
    import_native("glpi", [src / "examples", src / "xml"], landing, date(2026, 6, 30), log=lambda m: None)
    import_native("endoflife-date", [REALDATA / "endoflife-date" / "products"], landing, date(2026, 6, 30),
                  log=lambda m: None)
    wh = built_warehouse(landing, tmp_path / "w.duckdb")
    got = {r[0]: r[1:] for r in wh.rows(
        "select serial_number, asset_class, manufacturer, model, os_name, last_seen_at::varchar "
        "from marts.dim_asset where asset_kind = 'device' and serial_number in "
        "('640HP72', '2FAGP34', 'SSI1912014B', 'PHCVN191TG', 'AF8D8FCFA6FA4794', '9E113232I', 'CZC0479792', '486280')")}
    assert got == {
        "640HP72": ("laptop", "Dell Inc.", "XPS 13 9350", "Fedora 31 (Workstation Edition)", "2020-06-12 12:19:54"),
        "2FAGP34": ("laptop", "Dell Inc.", "XPS 13 9350", None, "2026-06-30 00:00:00"),
        # a Cisco UCS fabric interconnect is network equipment, not a UCS server
        "SSI1912014B": ("network", "Cisco", "UCS 6248UP 48-Port", None, "2026-06-30 00:00:00"),
        "PHCVN191TG": ("printer", "Hewlett-Packard", "HP LaserJet M507", None, "2026-06-30 00:00:00"),
        "AF8D8FCFA6FA4794": ("mobile", "Xiaomi", "Mi 9T Pro", "Q Android 10.0 api 29", "2019-12-18 04:30:16"),
        "9E113232I": ("laptop", "TOSHIBA", "PORTEGE Z30-A", "Fedora release 25 (Twenty Five)", "2017-06-09 07:00:49"),
        "CZC0479792": ("laptop", "Hewlett-Packard", "HP EliteBook 2540p", "Microsoft Windows 8.1 Professionnel",
                       "2017-05-15 16:38:07"),
        "486280": ("network", "Digi", "WR11 XT", None, "2026-06-30 00:00:00"),
    }
    assert wh.rows("select count(*) from marts.dim_asset where asset_kind = 'device' and asset_class is null") == [(0,)]
    assert wh.rows("select count(*) from marts.dim_asset where asset_class = 'virtual_machine'") == [(9,)]


def test_eol_rule_stub_is_valid_yaml_and_reads_the_cycle():
    import re

    import yaml

    from dagster_project.governance.eol_suggest import rule_stub

    (rule,) = yaml.safe_load(rule_stub({"name": "Microsoft Windows 8.1 Professionnel", "basis": "os",
                                        "products": ["windows"]}))
    assert (rule["id"], rule["match"], rule["product"], rule["cycle"]) == ("microsoft-windows", "os", "windows", "\\1")
    assert re.search(rule["pattern"], "microsoft windows 8.1 professionnel 6.3.9600").group(1) == "8.1"
