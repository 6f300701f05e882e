"""The sample-export generator (dagster_project/generate, docs/sample-data.md): deterministic,
complete against the landing contract, planted cases present and listed, malformed rows exactly
where the manifest says. A small reference reconciliation (the marts.md rules in plain SQL) checks
that the planted cases are detectable and that nothing else unplanned is."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import REALDATA

from dagster_project.contract import CONTRACT_ENTITIES, ENTITY_BY_NAME
from dagster_project.generate import catalog as C
from dagster_project.generate import generate_landing

REPO = Path(__file__).resolve().parents[1]
DEVICES = 120
EXCEPTION_TYPES = ("unmanaged_device", "ghost_ci", "purchased_not_deployed", "attribute_drift",
                   "missing_from_fixed_assets", "duplicate_record", "unclassified", "unowned")
ENTITIES = [e.name for e in CONTRACT_ENTITIES] + ["cloud_costs", "eol_cycles"]


def _generate(root: Path, **kw) -> tuple[Path, dict]:
    summary = generate_landing(root, progress=None, **kw)
    return root, summary


@pytest.fixture(scope="module")
def landing(tmp_path_factory):
    return _generate(tmp_path_factory.mktemp("gen_a") / "landing", devices=DEVICES, seed=42)


@pytest.fixture(scope="module")
def manifest(landing):
    return json.loads((landing[0] / "_generator" / "manifest.json").read_text())


def _hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _file(root: Path, entity: str, export: str) -> Path:
    source = ENTITY_BY_NAME[entity].source
    found = [p for p in (root / source / export).glob(f"{entity}.*") if p.suffix in (".csv", ".parquet", ".json")]
    assert len(found) == 1, (entity, export, found)
    return found[0]


def _read(path: Path) -> list[dict]:
    """Rows as dicts of strings (None = blank), lower-case column names."""
    if path.suffix == ".csv":
        text = path.read_bytes().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text, newline="")))
        header = [h.lower() for h in rows[0]]
        return [{h: (v if v != "" else None) for h, v in zip(header, r)} for r in rows[1:]]
    con = duckdb.connect()
    try:
        reader = "read_parquet" if path.suffix == ".parquet" else "read_json"
        rel = con.sql(f"select * from {reader}('{path}')")
        cols = [c.lower() for c in rel.columns]
        out = []
        for r in rel.fetchall():
            out.append({c: (None if v is None else (v.isoformat() if hasattr(v, "isoformat") else str(v)))
                        for c, v in zip(cols, r)})
        return out
    finally:
        con.close()


# --- determinism --------------------------------------------------------------------------------
def test_same_seed_gives_byte_identical_files(landing, tmp_path):
    again, _ = _generate(tmp_path / "again", devices=DEVICES, seed=42)
    assert _hashes(landing[0]) == _hashes(again)


def test_different_seed_gives_different_data(landing, tmp_path):
    other, _ = _generate(tmp_path / "other", devices=DEVICES, seed=7)
    a, b = _hashes(landing[0]), _hashes(other)
    assert set(a) == set(b)
    # cost centers and the endoflife.date reference data do not depend on the seed
    data = [k for k in a if not k.startswith("_") and "cost_centers" not in k and "eol_cycles" not in k]
    assert sum(a[k] != b[k] for k in data) == len(data)


def test_rerun_into_the_same_folder_removes_files_it_no_longer_writes(tmp_path):
    root = tmp_path / "l"
    _generate(root, devices=40, exports=3)
    _generate(root, devices=40, exports=2)
    dates = sorted(p.name for p in (root / "cmdb").iterdir() if any(p.iterdir()))
    assert dates == ["2026-06-30", "2026-09-30"]


# --- contract completeness ------------------------------------------------------------------------
def test_every_entity_in_every_export_with_required_columns(landing, manifest):
    root, summary = landing
    dates = manifest["generator"]["export_dates"]
    assert dates == ["2025-12-31", "2026-03-31", "2026-06-30", "2026-09-30"]
    assert summary["files"] == len(dates) * len(ENTITIES)
    for export in dates:
        for name in ENTITIES:
            path = _file(root, name, export)
            rows = _read(path)
            cols = set(rows[0]) if rows else set()
            assert set(ENTITY_BY_NAME[name].required) <= cols, (path, set(ENTITY_BY_NAME[name].required) - cols)
            assert set(ENTITY_BY_NAME[name].column_names) <= cols | {"cores"}, path
            if name not in ("purchase_lines",):  # a quarter may in principle have no purchases
                assert rows, path


def _bad(kind: str, values: tuple, value: str | None) -> bool:
    if value is None:
        return False
    v = value.strip()
    try:
        if kind == "date":
            date.fromisoformat(v)
        elif kind == "timestamp":
            datetime.fromisoformat(v.replace("Z", "+00:00"))
        elif kind in ("money", "number"):
            Decimal(v)
        elif kind == "integer":
            int(v)
        elif kind == "boolean":
            return v.lower() not in ("true", "false", "1", "0", "yes", "no")
        elif kind == "enum":
            return v.lower() not in values
        elif kind == "period":
            return not re.fullmatch(r"\d{4}-\d{2}", v)
    except (ValueError, InvalidOperation):
        return True
    return False


def test_malformed_rows_are_exactly_where_the_manifest_says(landing, manifest):
    root, _ = landing
    found = set()
    for export in manifest["generator"]["export_dates"]:
        for name in ENTITIES:
            path = _file(root, name, export)
            rel = str(path.relative_to(root))
            entity = ENTITY_BY_NAME[name]
            if path.suffix == ".csv":
                text = path.read_bytes().decode("utf-8-sig")
                raw = list(csv.reader(io.StringIO(text, newline="")))
                header = [h.lower() for h in raw[0]]
                for n, r in enumerate(raw[1:], start=2):
                    if len(r) != len(header):
                        found.add((rel, n, None))
                        continue
                    row = dict(zip(header, r))
                    for c in entity.columns:
                        v = row.get(c.name) or None
                        if (c.required and v is None) or _bad(c.kind, c.values, v):
                            found.add((rel, n, c.name))
            else:
                for n, row in enumerate(_read(path), start=2):
                    for c in entity.columns:
                        v = row.get(c.name)
                        if c.kind in ("date", "timestamp", "money", "number", "integer", "boolean"):
                            continue  # typed by the format itself
                        assert not ((c.required and v is None) or _bad(c.kind, c.values, v)), (rel, n, c.name)
    listed = {(m["file"], m["row"], m["column"]) for m in manifest["malformed_rows"]}
    assert found == listed
    per_export = {}
    for m in manifest["malformed_rows"]:
        per_export.setdefault(m["file"].split("/")[1], set()).add(m["problem"])
    for problems in per_export.values():
        assert {"bad_enum", "unparseable_date", "non_numeric", "missing_required"} <= problems
    assert any(m["problem"] == "too_many_fields" for m in manifest["malformed_rows"])


def test_the_mess_is_there(landing, manifest):
    root, _ = landing
    mess = manifest["mess"]
    (bom,) = mess["bom_crlf"]
    data = (root / bom).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data and data.count(b"\n") == data.count(b"\r\n")
    assert mess["parquet"] and mess["json"] and mess["extra_columns"] and mess["header_case"]
    assert json.loads((root / mess["json"][0]).read_text())[0]  # a JSON array of objects
    cmdb = _read(_file(root, "configuration_items", "2026-09-30"))
    serials = [r["serial_number"] for r in cmdb if r["serial_number"]]
    assert any(s != s.strip() for s in serials) and any(s != s.upper() for s in serials)
    assert any(r["name"].endswith(".corp.example.com") for r in cmdb)
    assert any(r["ci_class"] == "Laptop" for r in cmdb)
    installs = _read(_file(root, "software_installs", "2026-09-30"))
    publishers = {r["publisher"] for r in installs}
    assert {"Microsoft Corporation", "MSFT"} <= publishers
    users = [r["user_email"] for r in _read(_file(root, "saas_usage", "2026-09-30"))]
    assert any(u != u.lower() for u in users)


# --- history ---------------------------------------------------------------------------------------
def test_history_changes_between_exports(landing, manifest):
    root, _ = landing
    dates = manifest["generator"]["export_dates"]
    sources = [{r["discovery_source"] for r in _read(_file(root, "devices", d))} for d in dates]
    assert all("network_scan" in s for s in sources[:-1])
    assert "network_scan" not in sources[-1] and {"agent", "mdm", "cloud_api"} <= sources[-1]
    assert manifest["other"]["silent_source"]["silent_in"] == dates[-1]
    cis = [{r["ci_id"]: r for r in _read(_file(root, "configuration_items", d))} for d in dates]
    assert any(set(cis[i]) - set(cis[i + 1]) for i in range(len(dates) - 1)), "no CI dropped"
    assert any(set(cis[i + 1]) - set(cis[i]) for i in range(len(dates) - 1)), "no CI added"
    changed = {f: any(cis[i][c][f] != cis[i + 1][c][f] for i in range(len(dates) - 1) for c in cis[i] if c in cis[i + 1])
               for f in ("assigned_user_email", "location", "cost_center", "status")}
    assert all(changed.values()), changed
    for case in manifest["other"]["invalid_transition"]:
        assert cis[-2][case["ci_id"]]["status"] == "disposed"
        assert cis[-1][case["ci_id"]]["status"] == "in_use"


def test_vm_agents_name_the_host_the_cmdb_relates_them_to(landing):
    # devices.runs_on (landing contract: serial, else hostname, of the host) of every VM's agent
    # row is the host of its CMDB VM→host relationship in the same export, and no VM the CMDB
    # relates lacks it: the two sources the license position reads agree.
    root, _ = landing

    def ser(v):
        return re.sub(r"[\s\-:/._]", "", v.upper()) if v else None

    def host(v):
        return v.lower().split(".")[0] if v else None

    vm_types = {"Virtualized by::Virtualizes", "Runs on::Runs", "runs_on"}
    checked = 0
    for d in sorted(p.name for p in (root / "cmdb").iterdir()):
        cis = {r["ci_id"]: r for r in _read(_file(root, "configuration_items", d))}
        host_of = {r["parent_ci_id"]: cis[r["child_ci_id"]] for r in _read(_file(root, "ci_relationships", d))
                   if r["relationship_type"] in vm_types}
        by_name = {host(c["name"]): c for c in cis.values()}
        agents = [r for r in _read(_file(root, "devices", d)) if r["discovery_source"] == "agent"]
        for r in agents:
            ci = by_name.get(host(r["hostname"]))
            vm_host = host_of.get(ci["ci_id"]) if ci else None
            if vm_host is None:
                assert r["runs_on"] is None, (d, r["hostname"], r["runs_on"])
                continue
            assert r["runs_on"] is not None, (d, r["hostname"])
            assert ser(r["runs_on"]) == ser(vm_host["serial_number"]) or host(r["runs_on"]) == host(vm_host["name"]), \
                (d, r["hostname"], r["runs_on"], vm_host["name"])
            checked += 1
    assert checked >= 2, checked


# --- planted cases -------------------------------------------------------------------------------
def test_manifest_plants_every_exception_type_in_the_last_export(manifest):
    last = manifest["generator"]["export_dates"][-1]
    planted = manifest["planted"]
    assert set(planted) == set(EXCEPTION_TYPES)
    for kind in EXCEPTION_TYPES:
        assert len(planted[kind]) >= 2, kind
        assert all(last in case["exports"] for case in planted[kind]), kind
    drift_fields = {c["field"] for c in planted["attribute_drift"]}
    assert drift_fields == {"assigned_user", "model", "hostname", "cost_center"}
    assert {c["reason"] for c in planted["ghost_ci"]} == {"stopped_reporting", "never_discovered"}
    other = manifest["other"]
    assert {c["product"].split()[0] for c in other["unauthorised_software"]} == {"uTorrent", "TeamViewer"}
    assert all(last in c["exports"] for c in other["unauthorised_software"])
    assert len(other["hostname_reuse"][0]["serial_numbers"]) == 2
    assert other["network_scan_hostname_match"] and other["network_scan_mac_match"]
    lic = other["licensing"]
    assert lic["under_licensed"] and lic["over_licensed"] and len(lic["expired_subscription"]) == 1
    metrics = {v["metric"] for v in lic["expected_position"].values()}
    assert metrics == {"device", "core", "user", "subscription"}


def test_planted_keys_are_in_the_files(landing, manifest):
    root, _ = landing
    last = manifest["generator"]["export_dates"][-1]
    norm = lambda s: re.sub(r"[\s\-:/._]", "", (s or "").strip().upper())  # noqa: E731
    host = lambda h: (h or "").strip().lower().split(".")[0] if not re.fullmatch(r"[\d.]+", (h or "").strip()) else h.strip()  # noqa: E731
    cmdb = _read(_file(root, "configuration_items", last))
    devices = _read(_file(root, "devices", last))
    installs = _read(_file(root, "software_installs", last))
    cmdb_serials = {norm(r["serial_number"]) for r in cmdb}
    agent = {norm(r["serial_number"]): r for r in devices if r["discovery_source"] == "agent"}
    for case in manifest["planted"]["unmanaged_device"]:
        assert case["serial_number"] in agent and case["serial_number"] not in cmdb_serials
    for case in manifest["planted"]["duplicate_record"]:
        spellings = [r["serial_number"] for r in cmdb if norm(r["serial_number"]) == case["serial_number"]]
        assert len(spellings) == 2 and len(set(spellings)) == 2
    for case in manifest["planted"]["unclassified"]:
        (row,) = [r for r in cmdb if r["ci_id"] == case["ci_id"]]
        assert row["ci_class"] == "widget" and row["manufacturer"].startswith("Acme")
    for case in manifest["other"]["unauthorised_software"]:
        assert any(host(r["hostname"]) == case["hostname"] and r["product"] == case["product"] for r in installs)
    reuse = manifest["other"]["hostname_reuse"][0]
    seen = {norm(r["serial_number"]) for r in devices if r["discovery_source"] == "agent" and host(r["hostname"]) == reuse["hostname"]}
    assert seen == set(reuse["serial_numbers"])
    earlier = manifest["other"]["network_scan_mac_match"][0]["exports"][0]
    scans = [r for r in _read(_file(root, "devices", earlier)) if r["discovery_source"] == "network_scan"]
    for case in manifest["other"]["network_scan_mac_match"]:
        macs = {re.sub(r"[^0-9a-f]", "", r["mac_address"].lower()): r["hostname"] for r in scans}
        assert macs[case["mac"].replace(":", "")] == case["scanned_hostname"]


def test_publisher_and_product_spellings_follow_the_taxonomy():
    norm = yaml.safe_load((REPO / "taxonomy" / "normalisation.yaml").read_text())
    aliases = {canon: {canon, *names} for canon, names in norm["publisher_aliases"].items()}
    for s in C.SOFTWARE:
        if s.publisher in aliases:
            assert set(s.publishers) <= aliases[s.publisher], s.key
        products = norm["product_aliases"].get(s.publisher, {})
        if s.product in products:
            assert set(s.names) <= {s.product, *products[s.product]}, s.key
        elif s.product:
            assert set(s.names) == {s.product}, s.key
    apps = {a for names in norm["saas_categories"].values() for a in names}
    for app in C.SAAS_APPS:
        assert app.name in apps or app.entitlement_product, app.name
        if app.name in apps:
            assert C.SAAS_CATEGORY[app.name] == next(c for c, names in norm["saas_categories"].items() if app.name in names)
    # every spelling of one SaaS vendor reads as one publisher (else its entitlements split)
    from dagster_project.governance.names import normalise_name

    canon = {normalise_name(a): normalise_name(c) for c, names in norm["publisher_aliases"].items() for a in (c, *names)}
    for app in C.SAAS_APPS:
        assert len({canon.get(normalise_name(v), normalise_name(v)) for v in app.vendors}) == 1, app.name
    rules = [r["product"] for r in norm["unauthorised_software"]] + [r["publisher"] for r in norm["unauthorised_software"]]
    for s in C.SOFTWARE:
        hit = any(re.search(p, x, re.I) for p in rules if p != ".*" for x in (*s.names, *s.publishers))
        assert hit == s.unauthorised, s.key


# --- end of life ---------------------------------------------------------------------------------
def _eol_rule_cycle(con, rules, kind: str, text: str):
    """(product, cycle) the shipped eol_products rules give `text`, with the semantics of
    dbt/macros/eol_products.sql (first rule of the kind whose pattern is found, case-insensitive;
    the cycle template filled from the leftmost match); None when no rule matches."""
    rule = next((r for r in rules if r.match == kind
                 and con.execute("select regexp_matches(?, ?, 'i')", [text, r.pattern]).fetchone()[0]), None)
    if rule is None:
        return None
    cycle = con.execute("select lower(trim(regexp_replace(?, '(?is)^.*?(?:' || ? || ').*$', ?)))",
                        [text, rule.pattern, rule.cycle]).fetchone()[0]
    return rule.product.lower(), cycle


def test_generated_os_and_models_map_to_the_cycles_the_generator_declares():
    # The generator's own table of which endoflife.date cycle each OS / model is (it lists the
    # expected refresh cases from it) must be what the shipped taxonomy rules say, for the OS text
    # with its version and with the version left blank (the agent does that on some devices).
    from dagster_project.governance.loading import load_taxonomy

    rules = load_taxonomy(REPO / "taxonomy").normalisation.eol_products
    cycles = {(c.product, c.cycle) for c in C.EOL_CYCLES}
    con = duckdb.connect()
    for _, name, version, _ in C.OPERATING_SYSTEMS:
        product, cycle, blank = C.EOL_OF_OS.get((name, version), (None, None, None))
        want = (product, cycle) if cycle else None
        assert _eol_rule_cycle(con, rules, "os", f"{name} {version}") == want, (name, version)
        assert _eol_rule_cycle(con, rules, "os", name) == ((product, blank) if blank else None), name
        assert want is None or want in cycles, want
    for m in C.MODELS:
        mfr = C.MANUFACTURERS[C.MFR_INDEX[m.mfr]]
        want = C.EOL_OF_MODEL.get(m.name)
        for display in mfr.display:
            assert _eol_rule_cycle(con, rules, "model", f"{display} {m.name}") == want, (display, m.name)
        assert want is None or want in cycles, want


def test_eol_cycles_are_endoflife_dates_own(tmp_path):
    # Every reference row is the real endoflife.date cycle (../shared/realdata sample, mapped with
    # the project's importer) with the same dates; only macOS 14's `eol: true` (from 2026-09-15,
    # in the generated future) differs from the published `false`.
    realdata = REALDATA / "endoflife-date"
    if not realdata.is_dir():
        pytest.skip(f"real endoflife.date sample not found at {realdata}")
    from dagster_project.mappings import import_native

    import_native(None, [realdata], tmp_path, date(2026, 6, 30), log=lambda m: None)
    real = {(r["product"], r["cycle"]): r for r in _read(tmp_path / "reference" / "2026-06-30" / "eol_cycles.csv")}
    for c in C.EOL_CYCLES:
        r = real[(c.product, c.cycle)]
        eol = c.eol if c.eol_true_from is None else False
        assert (r["release_date"], r["eol_date"], r["eol_flag"], r["support_end_date"]) == (
            c.release, eol if isinstance(eol, str) else None, None if isinstance(eol, str) else str(eol).lower(),
            c.support_end), c


def test_eol_cycles_file_and_manifest_cases(landing, manifest):
    root, _ = landing
    dates = manifest["generator"]["export_dates"]
    first = _read(_file(root, "eol_cycles", dates[0]))
    last = {(r["product"], r["cycle"]): r for r in _read(_file(root, "eol_cycles", dates[-1]))}
    # cycles appear once released: Windows 11 26H1 (2026-02-10) is not in the first export
    assert ("windows", "11-26h1-e") in last
    assert ("windows", "11-26h1-e") not in {(r["product"], r["cycle"]) for r in first}
    assert last[("windows", "10-22h2")]["eol_date"] == "2025-10-14" and last[("windows", "10-22h2")]["eol_flag"] is None
    # macOS 14: `eol: false` until macOS 27 ships, then `true` without a date
    assert [r["eol_flag"] for r in first if (r["product"], r["cycle"]) == ("macos", "14")] == ["no"]
    assert (last[("macos", "14")]["eol_date"], last[("macos", "14")]["eol_flag"]) == (None, "true")
    assert last[("iphone", "15")]["eol_flag"] == "false"
    eol = manifest["other"]["end_of_life"]
    states = {(c["product"], c["cycle"]): c["last_export"] for c in eol["cycles"]}
    assert states[("windows", "10-22h2")] == "past" and states[("windows", "11-23h2-e")] == "within_horizon"
    assert states[("macos", "14")] == "eol_true" and states[("macos", "15")] == "eol_false"
    assert states[("windows", "11-24h2-e")] == "later" and states[("ubuntu", "22.04")] == "later"
    # every listed device is seen by the agent with an OS of its cycle
    os_cycle = {}
    for (name, version), (product, cycle, blank) in C.EOL_OF_OS.items():
        os_cycle[(name, version)] = (product, cycle)
        if blank:
            os_cycle[(name, None)] = (product, blank)
    norm = lambda s: re.sub(r"[\s\-:/._]", "", (s or "").strip().upper())  # noqa: E731
    seen = {}
    for d in dates:
        for r in _read(_file(root, "devices", d)):
            if r["discovery_source"] == "agent":
                seen[norm(r["serial_number"])] = os_cycle.get((r["os_name"], r["os_version"]))
    cases = [(c["product"], c["cycle"], s) for c in eol["cases"] for s in c["serial_numbers"]]
    due = {k for k, v in states.items() if v in ("past", "within_horizon", "eol_true")}
    assert {(p, c) for p, c, _ in cases} == due
    assert all(c["basis"] == "os" and dates[-1] in c["exports"] for c in eol["cases"])
    for product, cycle, serial in cases:
        assert seen[serial] == (product, cycle), serial


# --- reference reconciliation ----------------------------------------------------------------------
SERIAL = "nullif(regexp_replace(upper(trim({c})), '[\\s\\-:/._]', '', 'g'), '')"
HOST = ("case when nullif(trim({c}), '') is null then null when regexp_matches(trim({c}), '^\\d+\\.\\d+\\.\\d+\\.\\d+$') "
        "then trim({c}) else nullif(split_part(lower(trim({c})), '.', 1), '') end")
MAC = "case when length(regexp_replace(lower({c}), '[^0-9a-f]', '', 'g')) = 12 then regexp_replace(lower({c}), '[^0-9a-f]', '', 'g') end"
STALE = "case src when 'agent' then 30 when 'network_scan' then 45 when 'mdm' then 30 else 7 end"


def reference_exceptions(root: Path, dates: list[str], as_of: str) -> dict[str, set[str]]:
    """docs/marts.md exceptions, computed plainly: serial, tag, hostname (in window), MAC matching.
    Returns anchors ('serial:<normalised serial>') per exception type (drift per field)."""
    con = duckdb.connect()

    def load(entity):
        parts = []
        for d in dates:
            if d > as_of:
                continue
            p = _file(root, entity, d)
            if p.suffix == ".csv":
                parts.append(f"select *, '{d}' as export_date from read_csv('{p}', all_varchar=true, header=true, ignore_errors=true)")
            else:
                reader = "read_parquet" if p.suffix == ".parquet" else "read_json"
                parts.append(f"select *, '{d}' as export_date from {reader}('{p}')")
        con.execute(f"create table {entity} as " + " union all by name ".join(parts))

    for e in ("configuration_items", "devices", "purchase_lines", "fixed_assets"):
        load(e)
    S, H, M = (lambda c, t=t: t.format(c=c) for t in (SERIAL, HOST, MAC))
    con.execute(f"""create table ci as select ci_id, {H('name')} host, status, {S('serial_number')} serial,
        nullif(upper(trim(asset_tag)), '') tag, nullif(lower(trim(assigned_user_email)), '') auser, model,
        upper(trim(cost_center)) cc, try_cast(updated_at as timestamp) upd
        from configuration_items where export_date = (select max(export_date) from configuration_items)
        and status in ('planned','in_stock','in_use','in_repair','retired','disposed') and ci_id is not null""")
    con.execute(f"""create table drec as with o as (
          select try_cast(replace(cast(observed_at as varchar), 'Z', '') as timestamp) t, discovery_source src,
            {S('serial_number')} serial, {H('hostname')} host, {M('mac_address')} mac,
            nullif(lower(trim(cloud_instance_id)), '') cloud, nullif(lower(trim(last_logged_on_user)), '') luser, model
          from devices where discovery_source in ('agent','network_scan','mdm','cloud_api') and hostname is not null),
        k as (select *, coalesce('s:'||serial, 'c:'||cloud, 'h:'||host, 'm:'||mac) dkey from o
              where t < date '{as_of}' + interval 1 day)
        select 'disc:'||src||':'||dkey rid, max(t) last_seen, arg_max(serial, t) filter (where serial is not null) serial,
          arg_max(host, t) filter (where host is not null) host, arg_max(mac, t) filter (where mac is not null) mac,
          arg_max(cloud, t) filter (where cloud is not null) cloud, arg_max(luser, t) filter (where luser is not null) luser,
          arg_max(model, t) filter (where model is not null) model,
          max(t) >= date '{as_of}' - to_days({STALE}) inw
        from k group by src, dkey""")
    con.execute("""create table fa as select * from fixed_assets
        qualify row_number() over (partition by asset_tag order by export_date desc) = 1""")
    con.execute(f"""create table recs as
        select 'cmdb:'||ci_id rid, 'cmdb' rsrc, serial, tag, host, null mac, null cloud, upd seen, true inw from ci
        union all select rid, 'disc', serial, null, host, mac, cloud, last_seen, inw from drec
        union all select distinct 'po:'||po_number||'/'||po_line||'/'||{S('serial_number')}, 'po', {S('serial_number')},
          null, null, null, null, try_cast(order_date as timestamp), true
          from purchase_lines where category = 'hardware' and {S('serial_number')} is not null
          and try_cast(order_date as date) is not null
        union all select 'fa:'||asset_tag, 'fa', {S('serial_number')}, upper(trim(asset_tag)), null, null, null, null, true from fa""")
    con.execute("""create table m as
        with p1 as (select *, case when serial is not null then 'serial:'||serial when cloud is not null then 'cloud:'||cloud end anchor from recs),
        ti as (select tag, min(anchor) a from p1 where anchor is not null and tag is not null group by 1),
        p2 as (select p1.* exclude (anchor), coalesce(p1.anchor, ti.a, 'tag:'||p1.tag) anchor from p1 left join ti on p1.anchor is null and ti.tag = p1.tag),
        hi as (select host, arg_max(anchor, seen) a from p2 where anchor is not null and host is not null and inw group by 1),
        p3 as (select p2.* exclude (anchor), coalesce(p2.anchor, hi.a) anchor from p2 left join hi on p2.anchor is null and hi.host = p2.host),
        mi as (select mac, arg_max(anchor, seen) a from p3 where anchor is not null and mac is not null and inw group by 1)
        select p3.* exclude (anchor), coalesce(p3.anchor, mi.a, 'host:'||p3.host, 'mac:'||p3.mac, 'rec:'||p3.rid) anchor
        from p3 left join mi on p3.anchor is null and mi.mac = p3.mac""")
    con.execute("""create table a as select anchor, count(*) filter (where rsrc='cmdb') ncmdb, count(*) filter (where rsrc='disc') ndisc,
        count(*) filter (where rsrc='fa') nfa, coalesce(bool_or(inw) filter (where rsrc='disc'), false) seen from m group by 1""")
    con.execute("""create table cj as select m.anchor, arg_max(ci.host, ci.upd) host,
        arg_max(ci.auser, ci.upd) filter (where ci.auser is not null) auser, arg_max(ci.model, ci.upd) model,
        arg_max(ci.cc, ci.upd) filter (where ci.cc is not null) cc,
        bool_or(ci.status = 'in_use') in_use from m join ci on m.rid = 'cmdb:'||ci.ci_id group by 1""")
    con.execute("""create table dj as select m.anchor, arg_max(d.host, d.last_seen) host,
        arg_max(d.luser, d.last_seen) filter (where d.luser is not null) luser,
        arg_max(d.model, d.last_seen) filter (where d.model is not null) model from m join drec d on d.rid = m.rid group by 1""")
    con.execute("""create table fj as select m.anchor, min(upper(trim(fa.cost_center))) cc from m join fa on m.rid = 'fa:'||fa.asset_tag group by 1""")
    q = {
        "unmanaged_device": "select anchor from a where ndisc > 0 and seen and ncmdb = 0",
        "ghost_ci": "select anchor from a join cj using (anchor) where cj.in_use and not a.seen",
        "purchased_not_deployed": f"""select a.anchor from a join m using (anchor) where m.rsrc = 'po' and a.ncmdb = 0 and a.ndisc = 0
            and m.seen < date '{as_of}' - interval 60 day""",
        "duplicate_record": "select anchor from a where ncmdb > 1 or nfa > 1",
        "drift:assigned_user": "select anchor from a join cj using (anchor) join dj using (anchor) where a.seen and cj.auser <> dj.luser",
        "drift:hostname": "select anchor from a join cj using (anchor) join dj using (anchor) where a.seen and cj.host <> dj.host",
        "drift:model": """select anchor from a join cj using (anchor) join dj using (anchor) where a.seen
            and position(lower(cj.model) in lower(dj.model)) = 0 and position(lower(dj.model) in lower(cj.model)) = 0""",
        "drift:cost_center": "select anchor from cj join fj using (anchor) where cj.cc <> fj.cc",
        "missing_from_fixed_assets": f"""select a.anchor from a join m using (anchor) join purchase_lines p
            on m.rid = 'po:'||p.po_number||'/'||p.po_line||'/'||{S('p.serial_number')}
            where a.nfa = 0 and try_cast(p.unit_cost as double) * case p.currency when 'USD' then 0.92 when 'GBP' then 1.17
            when 'CHF' then 1.04 else 1 end >= 1000 and not regexp_matches(lower(p.model), 'iphone|galaxy|pixel')""",
    }
    out = {k: {r[0] for r in con.execute(sql).fetchall()} for k, sql in q.items()}
    con.close()
    return out


def expected_exceptions(manifest: dict, as_of: str) -> dict[str, set[str]]:
    P = manifest["planted"]

    def anchors(cases, **match):
        return {"serial:" + c["serial_number"] for c in cases
                if as_of in c["exports"] and all(c.get(k) == v for k, v in match.items())}
    exp = {k: anchors(P[k]) for k in ("unmanaged_device", "ghost_ci", "purchased_not_deployed", "duplicate_record",
                                       "missing_from_fixed_assets")}
    for f in ("assigned_user", "hostname", "model", "cost_center"):
        exp[f"drift:{f}"] = anchors(P["attribute_drift"], field=f)
    return exp


@pytest.mark.parametrize("which", [-1, 1])
def test_reference_reconciliation_finds_exactly_the_planted_cases(landing, manifest, which):
    root, _ = landing
    dates = manifest["generator"]["export_dates"]
    as_of = dates[which]
    got = reference_exceptions(root, dates, as_of)
    want = expected_exceptions(manifest, as_of)
    silent = manifest["other"]["silent_source"]
    if as_of == silent["silent_in"]:  # network gear and printers: only network_scan ever saw them
        cmdb = {r["ci_id"]: r for r in _read(_file(root, "configuration_items", as_of))}
        side = {"serial:" + re.sub(r"\s", "", cmdb[c]["serial_number"].upper()) for c in silent["ghost_ci_side_effect"]}
        assert side <= got["ghost_ci"]
        got["ghost_ci"] -= side
    assert got == want
    assert all(want[k] for k in want), "every planted kind present"


def test_tiny_sample_still_has_every_planted_case(tmp_path):
    root, summary = _generate(tmp_path / "tiny", devices=40, exports=2)
    manifest = json.loads((root / "_generator" / "manifest.json").read_text())
    assert all(len(manifest["planted"][k]) >= 2 for k in EXCEPTION_TYPES)
    dates = manifest["generator"]["export_dates"]
    assert reference_exceptions(root, dates, dates[0]) == expected_exceptions(manifest, dates[0])


# ------------------------------------------------------------------------------ a plausible world
# issue 13.7: the target ratios of docs/sample-data.md "Target ratios", measured on the warehouse a
# generated landing builds into (the real Dagster build; one build for these tests).

RATIO_DEVICES, RATIO_SEED, LAST_EXPORT = 500, 11, "2026-09-30"


@pytest.fixture(scope="module")
def world_warehouse(tmp_path_factory):
    from conftest import built_warehouse

    base = tmp_path_factory.mktemp("ratios")
    generate_landing(base / "landing", devices=RATIO_DEVICES, seed=RATIO_SEED, progress=None)
    return built_warehouse(base / "landing", base / "warehouse.duckdb")


def _gl_12m(wh, categories: tuple[str, ...]) -> Decimal:
    marks = ", ".join("?" for _ in categories)
    return wh.one(f"select sum(amount_rc) from intermediate.int_gl_lines where as_of_date = ? "
                  f"and period between '2025-10' and '2026-09' and account_category in ({marks})",
                  [LAST_EXPORT, *categories])


def test_target_ratios_of_the_generated_world(world_warehouse):
    wh = world_warehouse
    scope = ("hardware", "software", "saas", "cloud", "maintenance")  # policies.yaml tco_gl_scope
    devices = wh.one("select count(*) from marts.dim_asset where as_of_date = ? and asset_kind = 'device' "
                     "and coalesce(lifecycle_state, '') not in ('retired', 'disposed')", [LAST_EXPORT])
    gl_scope = _gl_12m(wh, scope)
    licence_spend = _gl_12m(wh, ("software", "saas"))
    # ITAM-visible spend (GL of the TCO scope, 12 months) per device in service and year
    assert 800 <= gl_scope / devices <= 4000, gl_scope / devices
    # What the assets cost a year is most of that spend and never above it (+ tolerance)
    tco = wh.one("select sum(tco_annualised) from marts.fct_asset_tco where as_of_date = ?", [LAST_EXPORT])
    assert Decimal("0.60") <= tco / gl_scope <= Decimal("1.05"), tco / gl_scope
    # Licence exposure and savings as shares of the annual licence spend
    cols = {c for (c,) in wh.rows("select column_name from information_schema.columns "
                                  "where table_schema = 'marts' and table_name = 'fct_license_position'")}
    exposure_cols = [c for c in ("true_up_exposure_one_time", "true_up_exposure_per_year") if c in cols] \
        or ["true_up_exposure"]
    savings_col = "recurring_savings_per_year" if "recurring_savings_per_year" in cols else "reclaim_savings"
    exposure, savings = wh.one(f"select sum({' + '.join(exposure_cols)}), sum({savings_col}) "
                               "from marts.fct_license_position where as_of_date = ?", [LAST_EXPORT])
    assert 0 < exposure / licence_spend <= Decimal("0.30"), exposure / licence_spend
    assert 0 < savings / licence_spend <= Decimal("0.25"), savings / licence_spend
    # Entitlements bought to a coverage ratio of the consumption at each purchase: the idle part a
    # company with a working SAM process carries, not a pool far ahead of use
    shelfware = wh.one("select sum(shelfware_cost_per_year) from marts.fct_license_position where as_of_date = ?",
                       [LAST_EXPORT])
    assert Decimal("0.05") <= shelfware / licence_spend <= Decimal("0.15"), shelfware / licence_spend
    # Maintenance is on assets and is not the largest cost category
    maintenance = wh.one("select sum(maintenance_per_year) from marts.fct_asset_tco where as_of_date = ?",
                         [LAST_EXPORT])
    assert 0 < maintenance <= Decimal("0.35") * gl_scope
    # Refresh: new hardware for at most a fifth of the estate, a small replacement backlog; the
    # planted OS stragglers (Windows 10, 11 23H2, macOS 14) are os_upgrades at no cost
    replace, replace_backlog, os_upgrade_cost = wh.one(
        "select count(*) filter (where action = 'replace'), "
        "count(*) filter (where action = 'replace' and due_status = 'backlog'), "
        "sum(planned_cost) filter (where action = 'os_upgrade') "
        "from marts.fct_refresh_plan where as_of_date = ?", [LAST_EXPORT])
    assert replace <= 0.20 * devices and replace_backlog <= 0.10 * devices, (replace, replace_backlog, devices)
    assert os_upgrade_cost == 0


def test_servers_are_mostly_vms_on_hosts(world_warehouse):
    wh = world_warehouse
    servers = wh.one("select count(*) from marts.dim_asset where as_of_date = ? and asset_class = 'server' "
                     "and lifecycle_state = 'in_use'", [LAST_EXPORT])
    devices = wh.one("select count(*) from marts.dim_asset where as_of_date = ? and asset_kind = 'device' "
                     "and lifecycle_state = 'in_use'", [LAST_EXPORT])
    assert 0.05 <= servers / devices <= 0.15
    rel = dict(wh.rows("select relationship_type, count(*) from staging.stg_cmdb__ci_relationships "
                       "where export_date = ? group by 1", [LAST_EXPORT]))
    vm_links = sum(rel.get(t, 0) for t in ("Virtualized by::Virtualizes", "Runs on::Runs", "runs_on"))
    assert all(rel.get(t, 0) > 0 for t in ("Virtualized by::Virtualizes", "Runs on::Runs", "runs_on")), rel
    assert 0.5 <= vm_links / servers <= 0.85
    # VMs: virtual cores (2-8) on the VM model, no purchase line; hosts keep their physical cores
    assert wh.rows("select min(cores), max(cores) from intermediate.int_discovery_devices where as_of_date = ? "
                   "and model = 'VMware Virtual Platform'", [LAST_EXPORT]) == [(2, 8)]


def test_generator_counts_seats_and_devices_as_the_warehouse(world_warehouse):
    # The generator buys to its own count of each product's consumption; for user, subscription
    # and device metrics that count is the SAM rule the warehouse applies (a user once across
    # their installs and SaaS seats; docs/decisions/user-consumption-union.md), so a deliberate
    # coverage ratio is what the demo shows, not a counting difference. (Core products differ by
    # the warehouse's VM and core-factor rules, which the generator does not model.)
    wh = world_warehouse
    manifest = json.loads((wh.path.parent / "landing" / "_generator" / "manifest.json").read_text())
    expected = manifest["other"]["licensing"]["expected_position"]
    got = dict(wh.rows("select product, consumption from marts.fct_license_position where as_of_date = ?",
                       [LAST_EXPORT]))
    checked = {p: (e["generator_consumption"], got.get(p)) for p, e in expected.items()
               if e["metric"] in ("user", "subscription", "device")}
    assert {"Creative Cloud", "Slack"} <= checked.keys()
    assert {p: g for p, (g, _) in checked.items()} == {p: w for p, (_, w) in checked.items()}
