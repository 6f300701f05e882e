"""generate_landing: the whole sample landing folder and its manifest of planted cases."""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np

from dagster_project.contract import CONTRACT_ENTITIES, ENTITY_BY_NAME
from dagster_project.generate import catalog as C
from dagster_project.generate import entities as ent
from dagster_project.generate import eol, ledger
from dagster_project.generate.world import DAY, IN_USE, STATES, World, build_world, export_dates
from dagster_project.generate.writer import Malformed, Style, Writer

MANIFEST_DIR = "_generator"
GENERATOR_VERSION = 1
EXTENSION_ENTITIES = ("cloud_costs", "eol_cycles")  # written besides the contract entities

TS_SUFFIX = {
    "devices": {"observed_at": "Z"},
    "software_installs": {"observed_at": "Z"},
    "saas_usage": {"observed_at": "Z", "last_active_at": "Z"},
    "cloud_costs": {"charge_period_start": "Z", "charge_period_end": "Z"},
}
MALFORMED_CANDIDATES = {
    "bad_enum": [("configuration_items", "status", "broken"),
                 ("license_entitlements", "license_metric", "concurrent"),
                 ("devices", "discovery_source", "sccm")],
    "unparseable_date": [("software_installs", "observed_at", "2026-02-30T25:61:00Z"),
                         ("saas_usage", "last_active_at", "31/12/2025 14:00"),
                         ("purchase_lines", "order_date", "2026-13-01")],
    "non_numeric": [("gl_lines", "amount", "1.234,56"),
                    ("fixed_assets", "acquisition_cost", "EUR 1,299.00"),
                    ("purchase_lines", "unit_cost", "12O0.00")],
    "missing_required": [("purchase_lines", "cost_center", None),
                         ("devices", "hostname", None),
                         ("configuration_items", "ci_id", None)],
}


def _key_updates(entity: str, e: int) -> dict:
    tag = f"{e + 1:02d}"
    return {
        "configuration_items": {"ci_id": f"CI-BAD-{tag}", "serial_number": None, "asset_tag": None,
                                "name": f"bad-row-{tag}"},
        "license_entitlements": {"entitlement_id": f"ENT-BAD-{tag}"},
        "purchase_lines": {"po_line": str(900 + e), "serial_number": None},
        "gl_lines": {"line_no": str(9000 + e)},
        "fixed_assets": {"asset_tag": f"AT-BAD-{tag}", "serial_number": None},
    }.get(entity, {})


def _serial_norm(s: str | None) -> str | None:
    return None if s is None else re.sub(r"[\s\-:/._]", "", s.strip().upper()) or None


def _host_norm(h: str | None) -> str | None:
    if h is None:
        return None
    h = h.strip().lower()
    return h if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", h) else h.split(".")[0]


def _iso(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def _iso_ts(sec: int) -> str:
    return str(np.datetime64(int(sec), "s"))


def generate_landing(landing_dir: Path, devices: int = 500, seed: int = 42, exports: int = 4,
                     end_date: date = date(2026, 9, 30), progress: Callable[[str], None] = print) -> dict:
    """Write deterministic sample exports of all four sources (and the finance/cloud_costs and
    reference/eol_cycles extensions) for
    `exports` quarter-end dates ending at `end_date`, plus `_generator/manifest.json`."""
    if devices < 1 or exports < 1:
        raise ValueError("devices and exports must be positive")
    progress = progress or (lambda m: None)
    landing = Path(landing_dir)
    landing.mkdir(parents=True, exist_ok=True)
    dates = export_dates(end_date, exports)
    iso_dates = [d.isoformat() for d in dates]
    E = len(dates)
    progress(f"generate: {devices} devices, {E} exports ({iso_dates[0]} .. {iso_dates[-1]}), seed {seed}")

    w = build_world(devices, seed, dates, end_date)
    progress(f"generate: organisation of {len(w.org.cc_code)} cost centers, {w.org.n_users} users, "
             f"{w.n} devices ever owned")
    cons = ledger.consumption(w)
    ents, license_expect = ledger.entitlements(w, cons)
    cloud_tbl, cloud_month_end, (cloud_totals, cloud_per_cc) = ledger.cloud_costs(w)
    lines = ledger.purchase_lines(w, ents, cloud_totals)
    gl, gl_month_end = ledger.gl_lines(w, lines, ents, cloud_per_cc)
    gl_all = ledger.gl_table(gl)

    e_a, e_b = min(1, E - 1), min(2, E - 1)
    fmt = {("fixed_assets", e_a): "parquet", ("license_entitlements", e_a): "json",
           ("devices", e_b): "parquet", ("ci_relationships", e_b): "json"}

    def file_format(entity: str, e: int) -> str:
        return fmt.get((entity, e), "csv")

    # malformed rows: per export one of each problem, in a CSV file (the too-many-fields file apart)
    malformed: dict[tuple[str, int], list[Malformed]] = {}
    for e in range(E):
        for problem, cands in MALFORMED_CANDIDATES.items():
            rot = cands[e % len(cands):] + cands[:e % len(cands)]
            for entity, column, value in rot:
                if file_format(entity, e) != "csv" or (entity == "purchase_lines" and e == E - 1):
                    continue
                malformed.setdefault((entity, e), []).append(
                    Malformed(column, value, problem, _key_updates(entity, e)))
                break

    writer = Writer(landing)
    rows_total: dict[str, int] = {}
    mess: dict = {"bom_crlf": [], "parquet": [], "json": [], "extra_columns": {}, "header_case": {},
                  "column_order_shuffled": [], "non_contract_columns": {}}
    entity_names = [e.name for e in CONTRACT_ENTITIES] + list(EXTENSION_ENTITIES)
    try:
        for e, iso in enumerate(iso_dates):
            lo, hi = ledger.export_window(w, e)
            for name in entity_names:
                source = ENTITY_BY_NAME[name].source
                style = Style(fmt=file_format(name, e), ts_suffix=TS_SUFFIX.get(name, {}),
                              bool_words=("yes", "no") if e == 0 else ("true", "false"),
                              malformed=malformed.get((name, e), []),
                              insert_seed=int(w.h.ints("insert", 10**6, e, len(name))[()]))
                table = _entity_table(w, name, e, lo, hi, ents, lines, gl_all, gl_month_end, cloud_tbl,
                                      cloud_month_end, extra=(name == "configuration_items" and e == e_a))
                if name == "configuration_items" and e == 0:
                    style.bom_crlf = True
                if name == "saas_usage" and e == 0:
                    style.header_map = {"user_email": "User_Email", "app_name": "App_Name",
                                        "observed_at": "Observed_At"}
                if name == "gl_lines" and e == e_a and style.fmt == "csv":
                    style.column_order = ["journal_id", "line_no", "period", "cost_center", "account_category",
                                          "gl_account", "amount", "currency", "description", "vendor",
                                          "po_number"]
                if name == "purchase_lines" and e == E - 1 and table.num_rows:
                    cats = table["category"].to_pylist()
                    start = table.num_rows // 2
                    r = next((i for i in list(range(start, len(cats))) + list(range(start))
                              if cats[i] != "hardware"), start)
                    style.too_many_fields = r
                rel, n = writer.write(source, iso, name, table, style)
                rows_total[name] = rows_total.get(name, 0) + n
                if style.fmt == "parquet":
                    mess["parquet"].append(rel)
                if style.fmt == "json":
                    mess["json"].append(rel)
                if style.bom_crlf:
                    mess["bom_crlf"].append(rel)
                if style.header_map:
                    mess["header_case"][rel] = style.header_map
                if style.column_order:
                    mess["column_order_shuffled"].append(rel)
                contract_cols = set(ENTITY_BY_NAME[name].column_names)
                extra = [c for c in table.column_names if c not in contract_cols]
                if extra:
                    key = "non_contract_columns" if name == "devices" else "extra_columns"
                    mess[key][rel] = extra
            progress(f"generate: export {iso} written")
    finally:
        writer.close()

    manifest = _manifest(w, iso_dates, ents, license_expect, cons, writer, mess, rows_total, devices, seed)
    mdir = landing / MANIFEST_DIR
    mdir.mkdir(exist_ok=True)
    mpath = mdir / "manifest.json"
    old_files = []
    if mpath.exists():
        try:
            old_files = json.loads(mpath.read_text()).get("files", [])
        except (ValueError, OSError):
            old_files = []
    for rel in set(old_files) - set(writer.files):  # files an earlier run wrote and this one did not
        stale = landing / rel
        if stale.is_file():
            stale.unlink()
    mpath.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    progress(f"generate: {len(writer.files)} files, manifest {mpath}")
    return {"landing": str(landing), "export_dates": iso_dates, "files": len(writer.files),
            "rows": rows_total, "manifest": str(mpath),
            "planted": {k: len(v) for k, v in manifest["planted"].items()},
            "malformed_rows": len(writer.malformed_rows)}


def _entity_table(w: World, name: str, e: int, lo: int, hi: int, ents, lines, gl_all, gl_month_end,
                  cloud_tbl, cloud_month_end, extra: bool):
    import pyarrow as pa

    last = e == len(w.dates) - 1
    if name == "configuration_items":
        return ent.configuration_items(w, e, extra_columns=extra)
    if name == "ci_relationships":
        return ent.ci_relationships(w, e)
    if name == "devices":
        return ent.devices(w, e)
    if name == "software_installs":
        return ent.software_installs(w, e)[0]
    if name == "saas_usage":
        return ent.saas_usage(w, e)[0]
    if name == "purchase_lines":
        mask = (lines.order_day > lo) & (lines.order_day <= hi)
        return lines.table.filter(pa.array(mask))
    if name == "license_entitlements":
        return ledger.entitlements_table(ents, hi)
    if name == "gl_lines":
        mask = (gl_month_end > lo) & ((gl_month_end <= hi) | last)
        return gl_all.filter(pa.array(mask))
    if name == "cost_centers":
        return ledger.cost_centers(w)
    if name == "fixed_assets":
        return ledger.fixed_assets(w, e)
    if name == "cloud_costs":
        mask = (cloud_month_end > lo) & ((cloud_month_end <= hi) | last)
        return cloud_tbl.filter(pa.array(mask))
    if name == "eol_cycles":
        return eol.eol_cycles_table(w.dates[e])
    raise KeyError(name)


# ---------------------------------------------------------------------------------------------
def _manifest(w: World, iso_dates, ents, license_expect, cons, writer: Writer, mess, rows_total, devices, seed):
    E = len(iso_dates)
    st_last = w.states[-1]
    serial = w.serial.to_pylist()
    host = w.hostname.to_pylist()
    ci = w.ci_id.to_pylist()
    tag = w.asset_tag.to_pylist()
    emails = w.org.user_email.to_pylist()
    models = [m.name for m in C.MODELS]
    P = w.planted

    def base(i):
        return {"ci_id": ci[i], "serial_number": _serial_norm(serial[i]), "hostname": _host_norm(host[i])}

    def exports_where(mask_fn):
        return [iso_dates[e] for e in range(E) if mask_fn(e)]

    def seen_in_window(i, e, window=30):
        st = w.states[e]
        xs = st.day * DAY
        return bool(st.agent[i] and st.agent_obs[i] >= xs - window * DAY)

    planted: dict[str, list] = {}
    planted["unmanaged_device"] = [
        {"serial_number": _serial_norm(serial[i]), "hostname": _host_norm(host[i]),
         "exports": exports_where(lambda e, i=i: seen_in_window(i, e))} for i in P["unmanaged"]]
    ghosts = []
    for reason, case in (("stopped_reporting", "ghost_stopped"), ("never_discovered", "ghost_never")):
        for i in P[case]:
            stop = int(w.stop[i]) if reason == "stopped_reporting" else None
            ghosts.append({**base(i), "reason": reason,
                           "last_observed_at": _iso_ts(stop) if stop is not None else None,
                           "exports": exports_where(lambda e, i=i: bool(
                               w.states[e].present[i] and w.states[e].status[i] == IN_USE
                               and not seen_in_window(i, e)))})
    planted["ghost_ci"] = ghosts
    pnd = []
    for i in P["pnd"]:
        order = int(w.order[i])
        pnd.append({"serial_number": _serial_norm(serial[i]), "order_date": _iso(order),
                    "model": models[w.model[i]],
                    "exports": exports_where(lambda e, o=order: w.states[e].day - o > 60)})
    planted["purchased_not_deployed"] = pnd
    drift = []
    for i in P["drift_user"]:
        drift.append({**base(i), "field": "assigned_user", "cmdb": emails[w.user0[i]],
                      "discovery": emails[w.alt_user[i]],
                      "exports": exports_where(lambda e, i=i: seen_in_window(i, e))})
    for i in P["drift_model"]:
        drift.append({**base(i), "field": "model", "cmdb": models[w.model[i]], "discovery": models[w.alt_model[i]],
                      "exports": exports_where(lambda e, i=i: seen_in_window(i, e))})
    alt_host = w.alt_hostname.to_pylist()
    for i in P["drift_hostname"]:
        drift.append({**base(i), "field": "hostname", "cmdb": _host_norm(host[i]), "discovery": _host_norm(alt_host[i]),
                      "exports": exports_where(lambda e, i=i: seen_in_window(i, e))})
    fa_cc = {}
    for e in range(E):
        t = ledger.fixed_assets(w, e)
        fa_cc[e] = dict(zip(t["asset_tag"].to_pylist(), t["cost_center"].to_pylist()))
    for i in P["drift_cost_center"]:
        drift.append({**base(i), "field": "cost_center", "cmdb": w.org.cc_code[w.states[-1].cc[i]],
                      "register": fa_cc[E - 1].get(tag[i]),
                      "exports": exports_where(lambda e, i=i: bool(w.states[e].present[i] and w.states[e].fa[i]))})
    planted["attribute_drift"] = drift
    planted["missing_from_fixed_assets"] = [
        {**base(i), "asset_tag": tag[i], "unit_cost": f"{w.price_cur[i] / 100:.2f}",
         "currency": C.CURRENCIES[w.currency[i]], "model": models[w.model[i]],
         "exports": exports_where(lambda e, i=i: bool(w.states[e].present[i]))} for i in P["missing_fixed_asset"]]
    dups = []
    for j, i in enumerate(P["duplicate"]):
        dup_id = f"CI{w.n + 1 + j:0{w.width}d}"
        dups.append({"serial_number": _serial_norm(serial[i]), "ci_ids": [ci[i], dup_id],
                     "serial_spellings": [serial[i], f"  {serial[i].lower()} "], "hostname": _host_norm(host[i]),
                     "exports": exports_where(lambda e, i=i: bool(w.states[e].present[i]))})
    planted["duplicate_record"] = dups
    widget_model = C.MODELS[int(w.model[P["widget"][0]])] if len(P["widget"]) else None
    planted["unclassified"] = [
        {**base(i), "ci_class": "widget", "manufacturer": "Acme Gadgets", "model": widget_model.name,
         "exports": exports_where(lambda e, i=i: bool(w.states[e].present[i]))} for i in P["widget"]]
    printers = np.flatnonzero((w.cls == C.PRINTER) & st_last.present)

    def in_cmdb(i):
        return exports_where(lambda e: bool(w.states[e].present[i]))
    planted["unowned"] = (
        [{**base(i), "asset_class": "printer", "reason": "no ownership rule covers printers",
          "exports": in_cmdb(i)} for i in printers]
        + [{**base(i), "asset_class": None, "reason": "unclassified, so no ownership rule applies",
            "exports": in_cmdb(i)} for i in P["widget"]])

    other: dict = {}
    unauth = []
    for case, key in (("utorrent", "utorrent"), ("teamviewer", "teamviewer")):
        si = C.SOFTWARE_INDEX[key]
        s = C.SOFTWARE[si]
        for i in P[case]:  # the spellings the install rows carry (entities.software_installs)
            product = s.names[int(w.h.ints("sw.name", len(s.names), i, si)[()])]
            publisher = s.publishers[int(w.h.ints("sw.pub", len(s.publishers), i, si)[()])]
            unauth.append({"serial_number": _serial_norm(serial[i]), "hostname": _host_norm(host[i]),
                           "product": product, "publisher": publisher,
                           "exports": exports_where(lambda e, i=i: bool(w.states[e].agent[i]))})
    other["unauthorised_software"] = unauth
    old, new = int(P["reuse_old"][0]), int(P["reuse_new"][0])
    other["hostname_reuse"] = [{"hostname": _host_norm(host[new]),
                                "serial_numbers": [_serial_norm(serial[old]), _serial_norm(serial[new])],
                                "ci_ids": [ci[old], ci[new]],
                                "statuses_last_export": [STATES[st_last.status[old]], STATES[st_last.status[new]]],
                                "exports": [iso_dates[-1]]}]
    mac_text = [":".join(f"{b:02x}" for b in row) for row in w.mac]
    ip = w.ip.to_pylist()
    other["network_scan_hostname_match"] = [
        {**base(i), "mac": mac_text[i], "exports": exports_where(lambda e, i=i: bool(w.states[e].ns[i]))}
        for i in P["ns_hostname"]]
    other["network_scan_mac_match"] = [
        {**base(i), "mac": mac_text[i], "scanned_hostname": ip[i],
         "exports": exports_where(lambda e, i=i: bool(w.states[e].ns[i]))} for i in P["ns_mac"]]
    other["invalid_transition"] = [
        {**base(i), "from_status": "disposed", "to_status": "in_use",
         "from_export": iso_dates[-2], "to_export": iso_dates[-1]} for i in P["invalid_transition"]] if E >= 2 else []
    if E >= 2:
        silent_ghosts = np.flatnonzero(np.isin(w.cls, (C.NETWORK, C.PRINTER)) & st_last.present
                                       & (st_last.status == IN_USE))
        other["silent_source"] = {"source": "network_scan", "last_export_with_rows": iso_dates[-2],
                                  "silent_in": iso_dates[-1],
                                  "ghost_ci_side_effect": [ci[i] for i in silent_ghosts]}
    else:
        other["silent_source"] = None
    expired = [{"entitlement_id": en.entitlement_id, "product": en.product, "term_end": _iso(en.term_end)}
               for en in ents if en.term_end is not None and en.term_end < w.end]
    other["licensing"] = {
        "expected_position": license_expect,
        "under_licensed": sorted(p for p, v in license_expect.items() if v["position"] < 0),
        "over_licensed": sorted(p for p, v in license_expect.items() if v["position"] > 0),
        "expired_subscription": expired,
        "consumption": cons,
    }
    paid = [a.name for a in C.SAAS_APPS if a.annual_price is not None]
    cats: dict[str, list] = {}
    for a in paid:
        cats.setdefault(C.SAAS_CATEGORY.get(a, "other"), []).append(a)
    other["saas_overlap"] = {c: apps for c, apps in sorted(cats.items()) if len(apps) >= 2 and c != "other"}
    dropped = []
    for e in range(1, E):
        gone = w.states[e - 1].present & ~w.states[e].present & np.isin(w.cls, (C.LAPTOP, C.DESKTOP, C.SERVER))
        dropped += [{"ci_id": ci[i], "export": iso_dates[e]} for i in np.flatnonzero(gone)]
    other["cmdb_dropped_retired"] = dropped
    other["end_of_life"] = eol.end_of_life_cases(w, iso_dates, lambda i: _serial_norm(serial[i]))

    return {
        "generator": {"version": GENERATOR_VERSION, "seed": seed, "devices": devices, "exports": E,
                      "end_date": iso_dates[-1], "export_dates": iso_dates, "k_per_case": w.k},
        "notes": ("Keys are normalised as the warehouse normalises them: serial upper-case without "
                  "whitespace or separators, hostname lower-case without domain, e-mail lower-case. "
                  "'exports' lists the export dates at which the case holds by construction. Planted "
                  "cases are the ones the generator guarantees; side effects (silent network_scan) "
                  "are listed under other.silent_source."),
        "planted": planted,
        "other": other,
        "malformed_rows": writer.malformed_rows,
        "mess": mess,
        "rows": rows_total,
        "files": sorted(writer.files),
    }
