"""CMDB and discovery entities at one export date, as typed pyarrow tables (the writer formats
them). The mess (case, whitespace, suffixes, blanks) is applied here by stable per-record masks,
so a record looks the same in every export unless something really changed."""
from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dagster_project.contract import ENTITY_BY_NAME
from dagster_project.generate import arrowkit as ak
from dagster_project.generate import catalog as C
from dagster_project.generate.world import DAY, DISPOSED, LIVE, RETIRED, STATES, World, add_months_days

DOMAIN = ".corp.example.com"


def email(w: World, users: np.ndarray, mode: np.ndarray | None = None) -> pa.Array:
    """E-mails of user indices (-1 = null); mode 1 = Title.Case, 2 = UPPER."""
    users = np.asarray(users, dtype=np.int64)
    base = w.org.user_email.take(pa.array(np.maximum(users, 0)))
    if mode is not None:
        base = ak.where(mode == 1, ak.title_email(base), base)
        base = ak.where(mode == 2, ak.upper(base), base)
    return ak.null_where(base, users < 0)


def serial_display(serial: pa.Array, mode: np.ndarray) -> pa.Array:
    """mode 0 as is, 1 lower case, 2 padded with whitespace, 3 lower and padded."""
    out = ak.where((mode == 1) | (mode == 3), ak.lower(serial), serial)
    return ak.where(mode >= 2, ak.padded_spaces(out), out)


def manufacturer_display(w: World, mfr: np.ndarray, stream: str, keys) -> pa.Array:
    names, offsets = [], []
    for m in C.MANUFACTURERS:
        offsets.append(len(names))
        names.extend(m.display)
    counts = np.array([len(m.display) for m in C.MANUFACTURERS])
    pick = w.h.ints(stream, counts[mfr], keys)
    return ak.take(names, np.array(offsets)[mfr] + pick)


def _pick_mode(w: World, stream: str, keys, weights) -> np.ndarray:
    return w.h.pick(stream, weights, keys)


# ---------------------------------------------------------------------------------------------
CI_CLASS_WORDS = ("laptop", "Laptop", "desktop", "Desktop", "workstation", "server", "Server",
                  "cmdb_ci_win_server", "cmdb_ci_linux_server", "network", "switch", "firewall",
                  "mobile", "Mobile", "printer", "Printer", "cloud_instance", "widget")


def _ci_class(w: World, dev: np.ndarray) -> pa.Array:
    W = {name: i for i, name in enumerate(CI_CLASS_WORDS)}
    cls = w.cls[dev]
    u = w.h.u("ci_class", dev)
    code = np.full(len(dev), W["laptop"])
    code = np.where(cls == C.LAPTOP, np.where(u < 0.06, W["Laptop"], W["laptop"]), code)
    code = np.where(cls == C.DESKTOP, np.where(u < 0.05, W["Desktop"], np.where(u < 0.15, W["workstation"], W["desktop"])), code)
    fam = np.array([o[0] for o in C.OPERATING_SYSTEMS])[np.maximum(w.os[dev], 0)]
    srv_native = np.where(fam == C.WIN_SRV, W["cmdb_ci_win_server"], W["cmdb_ci_linux_server"])
    code = np.where(cls == C.SERVER, np.where(u < 0.25, srv_native, np.where(u < 0.3, W["Server"], W["server"])), code)
    net_word = np.array([W[m.ci_classes[1]] if m.ci_classes else W["network"] for m in C.MODELS])[w.model[dev]]
    code = np.where(cls == C.NETWORK, np.where(u < 0.4, net_word, W["network"]), code)
    code = np.where(cls == C.MOBILE, np.where(u < 0.1, W["Mobile"], W["mobile"]), code)
    code = np.where(cls == C.PRINTER, np.where(u < 0.1, W["Printer"], W["printer"]), code)
    code = np.where(cls == C.CLOUD, W["cloud_instance"], code)
    code = np.where(cls == C.WIDGET, W["widget"], code)
    return ak.take(CI_CLASS_WORDS, code)


def cmdb_display_modes(w: World) -> dict[str, np.ndarray]:
    """Stable per-device mess of the CMDB record."""
    idx = np.arange(w.n)
    serial = _pick_mode(w, "cmdb.serial", idx, [0.90, 0.05, 0.03, 0.02])
    serial[w.planted["duplicate"]] = 0
    name = _pick_mode(w, "cmdb.name", idx, [0.75, 0.15, 0.07, 0.03])
    mail = _pick_mode(w, "cmdb.mail", idx, [0.94, 0.06])
    blank_tag = (w.h.u("cmdb.blank.tag", idx) < 0.01) & ~fa_serial_blank(w)
    return {"serial": serial, "name": name, "mail": mail, "blank_tag": blank_tag}


def fa_serial_blank(w: World) -> np.ndarray:
    """Fixed-asset rows without a serial (matched on asset tag instead)."""
    idx = np.arange(w.n)
    # only for devices whose CI stays in the CMDB (the tag match needs the CI)
    return (w.h.u("fa.serial.blank", idx) < 0.07) & ~w.planted_any & (w.seg == LIVE)


def name_display(host: pa.Array, mode: np.ndarray) -> pa.Array:
    """mode 0 as is, 1 lower, 2 lower FQDN, 3 UPPER FQDN."""
    low = ak.lower(host)
    out = ak.where(mode == 1, low, host)
    out = ak.where(mode == 2, ak.cat(low, DOMAIN), out)
    return ak.where(mode == 3, ak.upper(ak.cat(host, DOMAIN)), out)


def configuration_items(w: World, e: int, extra_columns: bool = False) -> pa.Table:
    st = w.states[e]
    modes = cmdb_display_modes(w)
    rows = np.flatnonzero(st.present)
    dups = w.planted["duplicate"]
    dup_rows = dups[st.present[dups]]
    dev = np.concatenate([rows, dup_rows])
    is_dup = np.concatenate([np.zeros(len(rows), bool), np.ones(len(dup_rows), bool)])
    n_rows = len(dev)
    take = pa.array(dev)
    h = w.h

    dup_no = np.searchsorted(dups, dup_rows)  # stable number of each duplicate CI
    dup_ids = ak.cat("CI", ak.padded(w.n + 1 + dup_no, w.width))
    ci_id = pa.concat_arrays([w.ci_id.take(pa.array(rows)), dup_ids]).cast(pa.string())

    name_mode = np.where(is_dup, 1, modes["name"][dev])  # the duplicate: same name, other spelling
    name = name_display(w.hostname.take(take), name_mode)
    serial_mode = np.where(is_dup, 3, modes["serial"][dev])  # "  abc12345 " vs "ABC12345"
    serial = serial_display(w.serial.take(take), serial_mode)
    tag = ak.null_where(w.asset_tag.take(take), is_dup | modes["blank_tag"][dev] | (w.cls[dev] == C.CLOUD))
    status = ak.take(STATES, st.status[dev])
    upd = st.updated[dev].copy()
    upd[is_dup] = np.maximum(w.created[dev[is_dup]] + 40 * DAY, upd[is_dup] - 5 * DAY)
    upd = np.minimum(upd, st.day * DAY - 60)
    user = email(w, st.user[dev], modes["mail"][dev])
    owner = ak.take([C.OWNER_GROUPS[c] for c in range(len(C.CLASSES))], w.cls[dev])
    owner = ak.null_where(owner, h.u("cmdb.blank.owner", dev) < 0.03)
    loc = ak.null_where(ak.take(C.LOCATIONS, np.maximum(st.loc[dev], 0)),
                        (st.loc[dev] < 0) | (h.u("cmdb.blank.loc", dev) < 0.03))
    cc = ak.null_where(ak.take(w.org.cc_code, st.cc[dev]), (h.u("cmdb.blank.cc", dev) < 0.01) & ~w.planted_any[dev])
    svc_pick = h.ints("cmdb.svc", len(C.BUSINESS_SERVICES), dev)
    svc = ak.take(C.BUSINESS_SERVICES, svc_pick)
    has_svc = np.isin(w.cls[dev], (C.SERVER, C.CLOUD))
    eud_svc = np.isin(w.cls[dev], (C.LAPTOP, C.DESKTOP)) & (h.u("cmdb.svc.eud", dev) < 0.4)
    svc = ak.where(eud_svc, ak.const("End User Computing", n_rows), svc)
    svc = ak.null_where(svc, ~(has_svc | eud_svc))
    mfr = manufacturer_display(w, w.mfr[dev], "cmdb.mfr", dev)
    model = ak.take([m.name for m in C.MODELS], w.model[dev])
    warranty = np.zeros(len(dev), np.int64)
    for months in set(C.WARRANTY_MONTHS):  # issue 13: warranty length by class
        sel = np.array(C.WARRANTY_MONTHS)[w.cls[dev]] == months
        warranty[sel] = add_months_days(w.order[dev][sel], months)
    no_warranty = np.isin(w.cls[dev], (C.CLOUD, C.WIDGET)) | w.vm[dev] | (h.u("cmdb.blank.warranty", dev) < 0.02)
    cols = {
        "ci_id": ci_id,
        "ci_class": _ci_class(w, dev),
        "name": name,
        "status": status,
        "updated_at": ak.timestamp(upd),
        "serial_number": serial,
        "asset_tag": tag,
        "assigned_user_email": user,
        "owner_group": owner,
        "location": loc,
        "cost_center": cc,
        "business_service": svc,
        "manufacturer": mfr,
        "model": model,
        "warranty_end": ak.date32(warranty, mask=no_warranty),
        "eol_date": pa.nulls(len(dev), pa.date32()),  # issue 14: optional contract column
    }
    # Retirement evidence (taxonomy/lifecycle.yaml retirement_evidence) travels as columns beyond
    # the contract; about one retired/disposed CI in ten lacks one of them.
    gone = np.isin(st.status[dev], (RETIRED, DISPOSED))
    evid_gap = h.u("cmdb.evidence", dev)
    cols["sanitisation_date"] = ak.date32(upd // DAY, mask=~gone | (evid_gap < 0.05))
    cols["disposal_certificate"] = ak.null_where(ak.cat("DC-", ak.padded(w.idnum[dev], w.width)),
                                                 ~gone | ((evid_gap >= 0.05) & (evid_gap < 0.10)))
    if extra_columns:  # unknown columns a ServiceNow export carries; kept in raw, ignored downstream
        cols["sys_mod_count"] = pa.array(h.ints("cmdb.modcount", 40, dev, e) + 1)
        cols["u_legacy_id"] = ak.null_where(ak.cat("LEG-", ak.padded(w.idnum[dev] * 7 % 99991, 5)),
                                            h.u("cmdb.legacy", dev) < 0.5)
    return pa.table(cols)


REL_TYPES = ("Connects::Connected by", "Depends on::Used by", "Uses::Used by",
             # issue 13: VM (parent) on its host (child)
             "Virtualized by::Virtualizes", "Runs on::Runs", "runs_on")


def ci_relationships(w: World, e: int) -> pa.Table:
    st = w.states[e]
    keep = st.present[w.rel_parent] & st.present[w.rel_child]
    p, c, t = w.rel_parent[keep], w.rel_child[keep], w.rel_type[keep]
    upd = np.maximum(w.created[p], w.created[c]) + DAY + w.h.ints("rel.upd", 3600 * 8, p, c)
    upd = np.minimum(upd, st.day * DAY - 3600)
    return pa.table({
        "parent_ci_id": w.ci_id.take(pa.array(p)),
        "child_ci_id": w.ci_id.take(pa.array(c)),
        "relationship_type": ak.take(REL_TYPES, t),
        "updated_at": ak.timestamp(upd, mask=w.h.u("rel.blank", p, c) < 0.05),
    })


# ---------------------------------------------------------------------------------------------
def agent_display(w: World, e: int) -> tuple[pa.Array, pa.Array]:
    """Hostname and serial as the agent reports them (per device, this export)."""
    idx = np.arange(w.n)
    host_mode = _pick_mode(w, "agent.host", idx, [0.70, 0.0, 0.20, 0.0, 0.10])
    host = w.hostname
    low = ak.lower(host)
    host = ak.where(host_mode == 2, ak.cat(low, DOMAIN), host)
    host = ak.where(host_mode == 4, low, host)
    drift = np.zeros(w.n, bool)
    drift[w.planted["drift_hostname"]] = True
    host = ak.where(drift, w.alt_hostname, host)
    serial_mode = _pick_mode(w, "agent.serial", idx, [0.94, 0.04, 0.02])
    return host, serial_display(w.serial, serial_mode)


def agent_os_version_blank(w: World, dev: np.ndarray) -> np.ndarray:
    """The agent leaves os_version blank on these devices (in every export)."""
    return w.h.u("agent.osver.blank", dev) < 0.05


def _os_cols(w: World, dev: np.ndarray, blank_version: np.ndarray | None = None):
    os_idx = np.maximum(w.os[dev], 0)
    name = ak.null_where(ak.take([o[1] for o in C.OPERATING_SYSTEMS], os_idx), w.os[dev] < 0)
    ver = ak.take([o[2] for o in C.OPERATING_SYSTEMS], os_idx)
    mask = w.os[dev] < 0
    if blank_version is not None:
        mask = mask | blank_version
    return name, ak.null_where(ver, mask)


def vm_hosts(w: World) -> np.ndarray:
    """The host each VM runs on (device index, -1 = not a VM): the VM→host relationships the CMDB
    export writes (types 3-5 of REL_TYPES, parent = VM, child = host)."""
    host_of = np.full(w.n, -1, dtype=np.int64)
    vm_rel = w.rel_type >= REL_TYPES.index("Virtualized by::Virtualizes")
    host_of[w.rel_parent[vm_rel]] = w.rel_child[vm_rel]
    return host_of


def runs_on(w: World, e: int, idx: np.ndarray) -> pa.Array:
    """devices.runs_on as a VM's inventory agent reports it (issue 13, landing contract): the
    serial of the host the CMDB relates it to, else (a fifth of VMs, as agents that only know the
    hypervisor's name) its hostname; blank for a device that is no VM or whose host the CMDB no
    longer holds in this export (the relationship export then has no row either)."""
    host = vm_hosts(w)[idx]
    known = host >= 0
    known[known] = w.states[e].present[host[known]]
    safe = pa.array(np.where(known, host, 0))
    by_name = w.h.u("agent.runs_on.name", idx) < 0.2
    named = pc.if_else(pa.array(by_name), w.hostname.take(safe), w.serial.take(safe))
    return ak.null_where(named, ~known)


def devices(w: World, e: int) -> pa.Table:
    st = w.states[e]
    h = w.h
    host_disp, serial_disp = agent_display(w, e)
    parts = []
    model_names = [m.name for m in C.MODELS]

    # agent
    a = np.flatnonzero(st.agent)
    am = np.where(w.alt_model[a] >= 0, w.alt_model[a], w.model[a])
    amfr = np.array([C.MFR_INDEX[m.mfr] for m in C.MODELS])[am]
    os_name, os_ver = _os_cols(w, a, agent_os_version_blank(w, a))
    mail_mode = _pick_mode(w, "agent.mail", a, [0.95, 0.03, 0.02])
    parts.append({
        "observed_at": st.agent_obs[a],
        "discovery_source": ak.const("agent", len(a)),
        "hostname": host_disp.take(pa.array(a)),
        "serial_number": serial_disp.take(pa.array(a)),
        "mac_address": ak.hex_bytes(w.mac[a], ":", upper_case=True),
        "ip_address": ak.null_where(w.ip.take(pa.array(a)), h.u("agent.ip.blank", a) < 0.02),
        "manufacturer": manufacturer_display(w, amfr, "agent.mfr", a),
        "model": ak.take(model_names, am),
        "os_name": os_name,
        "os_version": os_ver,
        "last_logged_on_user": email(w, st.last_user[a], mail_mode),
        "cloud_instance_id": ak.const(None, len(a)),
        "cloud_account": ak.const(None, len(a)),
        "cores": w.cores[a],
        "runs_on": runs_on(w, e, a),
    })
    # mdm
    m = np.flatnonzero(st.mdm)
    os_name, os_ver = _os_cols(w, m)
    parts.append({
        "observed_at": st.mdm_obs[m],
        "discovery_source": ak.const("mdm", len(m)),
        "hostname": w.hostname.take(pa.array(m)),
        "serial_number": w.serial.take(pa.array(m)),
        "mac_address": ak.const(None, len(m)),
        "ip_address": ak.const(None, len(m)),
        "manufacturer": manufacturer_display(w, w.mfr[m], "mdm.mfr", m),
        "model": ak.take(model_names, w.model[m]),
        "os_name": os_name,
        "os_version": os_ver,
        "last_logged_on_user": email(w, st.user[m]),
        "cloud_instance_id": ak.const(None, len(m)),
        "cloud_account": ak.const(None, len(m)),
        "cores": np.full(len(m), -1),
        "runs_on": ak.const(None, len(m)),
    })
    # cloud api
    c = np.flatnonzero(st.cloud)
    os_name, os_ver = _os_cols(w, c)
    parts.append({
        "observed_at": st.cloud_obs[c],
        "discovery_source": ak.const("cloud_api", len(c)),
        "hostname": w.hostname.take(pa.array(c)),
        "serial_number": ak.const(None, len(c)),
        "mac_address": ak.const(None, len(c)),
        "ip_address": w.ip.take(pa.array(c)),
        "manufacturer": ak.const("Amazon Web Services", len(c)),
        "model": ak.take(model_names, w.model[c]),
        "os_name": os_name,
        "os_version": os_ver,
        "last_logged_on_user": ak.const(None, len(c)),
        "cloud_instance_id": w.instance_id.take(pa.array(c)),
        "cloud_account": cloud_account_id(w.cloud_account[c]),
        "cores": w.cores[c],
        "runs_on": ak.const(None, len(c)),
    })
    # network scan: hostname + MAC only (an IP as hostname where reverse DNS failed)
    s = np.flatnonzero(st.ns)
    low = ak.lower(w.hostname.take(pa.array(s)))
    fqdn = h.u("ns.fqdn", s) < 0.4
    host = ak.where(fqdn, ak.cat(low, DOMAIN), low)
    ip = w.ip.take(pa.array(s))
    mac_only = np.isin(s, w.planted["ns_mac"])
    host = ak.where(mac_only, ip, host)
    dotted = h.u("ns.mac.fmt", s) < 0.5
    mac = ak.where(dotted, ak.hex_bytes(w.mac[s], ".", group=2), ak.hex_bytes(w.mac[s], "-"))
    vendor_names = [mm.display[0] for mm in C.MANUFACTURERS]
    parts.append({
        "observed_at": st.ns_obs[s],
        "discovery_source": ak.const("network_scan", len(s)),
        "hostname": host,
        "serial_number": ak.const(None, len(s)),
        "mac_address": mac,
        "ip_address": ip,
        "manufacturer": ak.take(vendor_names, w.mfr[s]),
        "model": ak.const(None, len(s)),
        "os_name": ak.const(None, len(s)),
        "os_version": ak.const(None, len(s)),
        "last_logged_on_user": ak.const(None, len(s)),
        "cloud_instance_id": ak.const(None, len(s)),
        "cloud_account": ak.const(None, len(s)),
        "cores": np.full(len(s), -1),
        "runs_on": ak.const(None, len(s)),
    })
    cols = {}
    for name in parts[0]:
        vals = [p[name] for p in parts]
        if name == "observed_at":
            cols[name] = ak.timestamp(np.concatenate(vals))
        elif name == "cores":
            v = np.concatenate(vals)
            cols[name] = pa.array(v, type=pa.int64(), mask=v < 0)
        else:
            cols[name] = pa.concat_arrays([x.cast(pa.string()) for x in vals])
    # Optional contract columns the generated sources do not report (GLPI-style inventory detail:
    # device and chassis type, sockets, memory, firmware, uuid, partial inventories): blank, so
    # every export carries every contract column. runs_on is the agent's (above).
    n_rows = len(cols["hostname"])
    kinds = {"integer": pa.int64(), "boolean": pa.bool_()}
    for c in ENTITY_BY_NAME["devices"].columns:
        if c.name not in cols:
            cols[c.name] = pa.nulls(n_rows, type=kinds.get(c.kind, pa.string()))
    return pa.table(cols)


def cloud_account_id(cc_idx: np.ndarray) -> pa.Array:
    return ak.cat("4", ak.padded((np.asarray(cc_idx) * 7919 + 104729) % 10**11, 11))


def software_installs(w: World, e: int) -> tuple[pa.Table, dict]:
    st = w.states[e]
    h = w.h
    host_disp, serial_disp = agent_display(w, e)
    dev, item = w.sw_dev, w.sw_item
    ok = st.agent[dev] & (w.sw_install * DAY <= st.agent_obs[dev])
    dev, item, inst = dev[ok], item[ok], w.sw_install[ok]
    obs = st.agent_obs[dev]
    # per-pair spellings
    pub_names, pub_off, prod_names, prod_off, ver_names, ver_off = [], [], [], [], [], []
    for s in C.SOFTWARE:
        pub_off.append(len(pub_names))
        pub_names.extend(s.publishers)
        prod_off.append(len(prod_names))
        prod_names.extend(s.names)
        ver_off.append(len(ver_names))
        ver_names.extend(s.versions)
    n_pub = np.array([len(s.publishers) for s in C.SOFTWARE])
    n_prod = np.array([len(s.names) for s in C.SOFTWARE])
    n_ver = np.array([len(s.versions) for s in C.SOFTWARE])
    pub = ak.take(pub_names, np.array(pub_off)[item] + h.ints("sw.pub", n_pub[item], dev, item))
    prod = ak.take(prod_names, np.array(prod_off)[item] + h.ints("sw.name", n_prod[item], dev, item))
    ver = ak.take(ver_names, np.array(ver_off)[item] + h.ints("sw.ver", n_ver[item], dev, item))
    # last use: most recent; a stable share unused for > 90 days (reclaimable); some unknown
    inst_s = inst * DAY + 10 * 3600
    unused = h.u("sw.unused", dev, item) < 0.12
    unknown = h.u("sw.nouse", dev, item) < 0.06
    cutoff = obs - 91 * DAY
    old = inst_s + (h.u("sw.used.old", dev, item) * np.maximum(cutoff - inst_s, 0)).astype(np.int64)
    recent = np.maximum(inst_s, obs - (h.u("sw.used", dev, item, e) * 20 * DAY).astype(np.int64))
    last_used = np.where(unused & (cutoff > inst_s), old, recent)
    serial_blank = h.u("sw.serial.blank", dev) < 0.1
    table = pa.table({
        "observed_at": ak.timestamp(obs),
        "discovery_source": ak.const("agent", len(dev)),
        "hostname": host_disp.take(pa.array(dev)),
        "publisher": pub,
        "product": prod,
        "serial_number": ak.null_where(serial_disp.take(pa.array(dev)), serial_blank),
        "version": ak.null_where(ver, h.u("sw.ver.blank", dev, item) < 0.03),
        "install_date": ak.date32(inst, mask=h.u("sw.inst.blank", dev, item) < 0.04),
        "last_used_at": ak.timestamp(last_used, mask=unknown),
    })
    stats = {"dev": dev, "item": item, "last_used": np.where(unknown, -1, last_used), "obs": obs}
    return table, stats


def saas_assigned(w: World) -> np.ndarray:
    teams = C.SAAS_APPS.index(next(a for a in C.SAAS_APPS if a.name == "Microsoft Teams"))
    return (w.saas_app == teams) | (w.h.u("saas.assigned", w.saas_user, w.saas_app) < 0.9)


def saas_usage(w: World, e: int) -> tuple[pa.Table, dict]:
    x = w.dates[e]
    h = w.h
    ok = w.saas_from <= x
    u, a = w.saas_user[ok], w.saas_app[ok]
    assigned = saas_assigned(w)[ok]
    xs = x * DAY
    since = w.saas_from[ok] * DAY
    inactive = h.u("saas.inactive", u, a) < 0.12
    unknown = h.u("saas.unknown", u, a) < 0.04
    old = xs - (91 + h.u("saas.old", u, a) * 240).astype(np.int64) * DAY - h.ints("saas.old.s", DAY, u, a)
    recent = xs - (h.u("saas.recent", u, a, e) * 30 * DAY).astype(np.int64)
    last = np.maximum(np.where(inactive, old, recent), since)
    app_names = [app.name for app in C.SAAS_APPS]
    name = ak.take(app_names, a)
    nmode = h.pick("saas.name.mode", [0.95, 0.03, 0.02], u, a)
    name = ak.where(nmode == 1, ak.lower(name), name)
    name = ak.where(nmode == 2, ak.cat(name, " "), name)
    vend_names, vend_off = [], []
    for app in C.SAAS_APPS:
        vend_off.append(len(vend_names))
        vend_names.extend(app.vendors)
    n_vend = np.array([len(app.vendors) for app in C.SAAS_APPS])
    vendor = ak.take(vend_names, np.array(vend_off)[a] + h.ints("saas.vendor", n_vend[a], a, u % 7))
    mail_mode = h.pick("saas.mail", [0.92, 0.05, 0.03], u)
    table = pa.table({
        "observed_at": ak.timestamp(xs + 6 * 3600 - h.ints("saas.obs", 3600, u)),
        "app_name": name,
        "user_email": email(w, u, mail_mode),
        "vendor": ak.null_where(vendor, h.u("saas.vendor.blank", u, a) < 0.03),
        "license_assigned": pa.array(assigned),
        "last_active_at": ak.timestamp(last, mask=unknown),
    })
    stats = {"user": u, "app": a, "assigned": assigned, "last": np.where(unknown, -1, last)}
    return table, stats
