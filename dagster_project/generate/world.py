"""The sample organisation as numpy arrays: cost centers, users, every device ever owned, its
history at each export date (CMDB state, what discovery saw), installed software, SaaS seats,
and the planted reconciliation cases. Entities (entities.py) are projections of this world.

Conventions: dates are int64 days since 1970-01-01, timestamps int64 seconds; -1 means "none"
for an index; BIG means "never" for a date.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa

from dagster_project.generate import arrowkit as ak
from dagster_project.generate import catalog as C
from dagster_project.generate.rand import Hasher

DAY = 86400
BIG = 10**6  # a day number that never comes
STATES = ("planned", "in_stock", "in_use", "in_repair", "retired", "disposed")
PLANNED, IN_STOCK, IN_USE, IN_REPAIR, RETIRED, DISPOSED = range(6)
# Segments of the device universe
LIVE, RETIRED_SEG, UNMANAGED, PND, WIDGETS = range(5)
AGENT_CLASSES = (C.LAPTOP, C.DESKTOP, C.SERVER)
# Planted cases that pick a device from the fleet (each gets k devices).
POOL_CASES = ("ghost_stopped", "ghost_never", "drift_user", "drift_model", "drift_hostname",
              "drift_cost_center", "missing_fixed_asset", "duplicate", "invalid_transition",
              "ns_hostname", "ns_mac", "reuse_old", "reuse_new")


def month_add(d: date, months: int) -> date:
    """d shifted by whole months; a month-end stays a month-end."""
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    m += 1
    last = calendar.monthrange(y, m)[1]
    if d.day == calendar.monthrange(d.year, d.month)[1]:
        return date(y, m, last)
    return date(y, m, min(d.day, last))


def export_dates(end_date: date, exports: int) -> list[date]:
    return [month_add(end_date, -3 * k) for k in range(exports - 1, -1, -1)]


def add_months_days(day_numbers: np.ndarray, months: int) -> np.ndarray:
    """Vectorised: day numbers + whole months (day of month clipped to the month's end)."""
    d = np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    dom = (d - m.astype("datetime64[D]")).astype(np.int64)
    target = m + months
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    out = target.astype("datetime64[D]") + np.minimum(dom, last)
    return out.astype(np.int64)


def month_start(day_numbers) -> np.ndarray:
    d = np.asarray(day_numbers, dtype=np.int64).astype("datetime64[D]")
    return d.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)


@dataclass
class Org:
    cc_code: list[str]
    cc_name: list[str]
    cc_dept: np.ndarray
    cc_owner: list[str]
    cc_parent: list[str | None]
    dept_ccs: list[np.ndarray]
    user_email: pa.Array  # canonical lower-case
    user_dept: np.ndarray
    user_cc: np.ndarray
    user_loc: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.user_dept)

    def cc(self, code: str) -> int:
        return self.cc_code.index(code)


@dataclass
class ExportState:
    """What every source shows at one export date (arrays over the device universe)."""
    day: int
    present: np.ndarray  # in the CMDB export
    status: np.ndarray
    user: np.ndarray  # CMDB assigned user
    cc: np.ndarray
    loc: np.ndarray
    updated: np.ndarray  # seconds
    agent: np.ndarray  # has an agent row
    agent_obs: np.ndarray
    agent_stale: np.ndarray  # the row is an old last-inventory (ghost)
    last_user: np.ndarray
    mdm: np.ndarray
    mdm_obs: np.ndarray
    cloud: np.ndarray
    cloud_obs: np.ndarray
    ns: np.ndarray
    ns_obs: np.ndarray
    fa: np.ndarray  # in the fixed-asset register export
    fa_cc: np.ndarray
    disposed_ever: np.ndarray


@dataclass
class World:
    seed: int
    devices: int
    dates: list[int]
    end: int
    k: int
    h: Hasher
    org: Org
    n: int
    seg: np.ndarray
    cls: np.ndarray
    model: np.ndarray
    mfr: np.ndarray
    os: np.ndarray
    price_eur: np.ndarray  # cents
    currency: np.ndarray
    price_cur: np.ndarray  # cents in `currency`
    capitalised: np.ndarray
    order: np.ndarray
    created: np.ndarray  # CI creation, seconds
    deploy: np.ndarray
    retire: np.ndarray
    dispose_flag: np.ndarray
    drop_flag: np.ndarray
    spare: np.ndarray
    shared: np.ndarray
    first_seen: np.ndarray
    user0: np.ndarray
    cc0: np.ndarray
    loc0: np.ndarray
    cores: np.ndarray
    stop: np.ndarray  # ghost_stopped: seconds of the last inventory, else BIG
    bulk: np.ndarray
    # identities (canonical spellings)
    idnum: np.ndarray
    width: int
    ci_id: pa.Array
    asset_tag: pa.Array
    hostname: pa.Array
    serial: pa.Array
    mac: np.ndarray  # (n, 6) uint8
    ip: pa.Array
    instance_id: pa.Array
    cloud_account: np.ndarray  # index of the account (= cost center index), -1 none
    alt_hostname: pa.Array  # what discovery reports for planted hostname drift
    alt_model: np.ndarray  # model discovery reports for planted model drift (-1 = same)
    alt_user: np.ndarray  # last logged-on user for planted user drift (-1 = same)
    planted: dict[str, np.ndarray] = field(default_factory=dict)
    planted_any: np.ndarray | None = None
    states: list[ExportState] = field(default_factory=list)
    # software installs (pairs) and SaaS seats
    sw_dev: np.ndarray | None = None
    sw_item: np.ndarray | None = None
    sw_install: np.ndarray | None = None  # day
    saas_user: np.ndarray | None = None
    saas_app: np.ndarray | None = None
    saas_from: np.ndarray | None = None  # day the seat exists from
    dup_ci: np.ndarray | None = None  # device index of each duplicate CI
    rel_parent: np.ndarray | None = None
    rel_child: np.ndarray | None = None
    rel_type: np.ndarray | None = None
    vm: np.ndarray | None = None  # issue 13: virtual machines (server class, never bought)
    host: np.ndarray | None = None  # issue 13: physical virtualisation hosts
    ns_sample: np.ndarray | None = None


def fx_rates(currency: np.ndarray, day_numbers: np.ndarray) -> np.ndarray:
    rate = np.ones(len(currency))
    for ci, cur in enumerate(C.CURRENCIES):
        m = currency == ci
        if not m.any():
            continue
        for start, r in C.FX_TO_EUR[cur]:
            rate[m & (day_numbers >= ak.days(start + "-01"))] = r
    return rate


# ---------------------------------------------------------------------------------------------
def build_org(h: Hasher, devices: int) -> Org:
    n_cc = max(8, round(devices / 2000))
    rows = list(C.BASE_COST_CENTERS) + list(C.EXTRA_COST_CENTERS)
    k = 1
    while len(rows) < n_cc:
        for dept in C.NUMBERED_CC_DEPTS:
            abbr = C.DEPARTMENTS[C.DEPT_INDEX[dept]][2]
            base = next(r[0] for r in C.BASE_COST_CENTERS + C.EXTRA_COST_CENTERS if r[2] == dept)
            rows.append((f"CC-{abbr}-T{k:02d}", f"{dept} Team {k}", dept,
                         f"{abbr.lower()}.team{k:02d}.lead@example.com", base))
        k += 1
    rows = rows[:n_cc]
    codes = [r[0] for r in rows]
    depts = np.array([C.DEPT_INDEX[r[2]] for r in rows])
    dept_ccs = [np.flatnonzero(depts == d) for d in range(len(C.DEPARTMENTS))]
    # departments without a cost center of their own book to a parent function's
    fallback = {"Legal": "CC-FIN", "Procurement": "CC-FIN", "Customer Support": "CC-OPS"}
    for d, (name, _, _) in enumerate(C.DEPARTMENTS):
        if not len(dept_ccs[d]):
            dept_ccs[d] = np.array([codes.index(fallback[name])])
    parents = [r[4] if r[4] in codes else None for r in rows]

    n_users = max(30, round(devices * 0.8))
    uidx = np.arange(n_users)
    dept = h.pick("user.dept", [d[1] for d in C.DEPARTMENTS], uidx)
    choice = h.u("user.cc", uidx)
    sizes = np.array([len(dept_ccs[d]) for d in range(len(C.DEPARTMENTS))])
    offs = np.minimum((choice * sizes[dept]).astype(np.int64), sizes[dept] - 1)
    flat = np.concatenate(dept_ccs)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    user_cc = flat[starts[dept] + offs]
    user_loc = h.pick("user.loc", C.OFFICE_WEIGHTS, uidx)
    # e-mails: first.last@, unique through a shuffled name grid plus a digit when it wraps
    nf, nl = len(C.FIRST_NAMES), len(C.LAST_NAMES)
    grid = h.order("user.names", np.arange(nf * nl))
    combo = grid[uidx % (nf * nl)]
    wrap = uidx // (nf * nl)
    suffix = ak.where(wrap > 0, ak.num(wrap + 1), ak.const("", n_users))
    email = ak.cat(ak.take(C.FIRST_NAMES, combo // nl), ".", ak.take(C.LAST_NAMES, combo % nl), suffix,
                   "@example.com")
    return Org(codes, [r[1] for r in rows], depts, [r[3] for r in rows], parents, dept_ccs, email, dept,
               user_cc, user_loc)


def _class_counts(devices: int, pool_need: int) -> list[int]:
    counts = [max(C.CLASS_MIN[c], round(devices * C.CLASS_SHARES[c])) for c in range(7)]
    counts[C.LAPTOP] = max(devices - sum(counts[1:]), C.CLASS_MIN[C.LAPTOP], pool_need + 4)
    return counts


def build_world(devices: int, seed: int, dates: list[date], end: date) -> World:
    h = Hasher(seed)
    org = build_org(h, devices)
    k = max(2, round(devices / 1000))
    day_list = [ak.days(d) for d in dates]
    endd = ak.days(end)
    d0 = day_list[0]
    E = len(day_list)

    pool_need = k * (len(POOL_CASES) - 2) + 2
    counts = _class_counts(devices, pool_need)
    n_live = sum(counts)
    n_ret = max(4, round(devices * 0.06))
    seg_sizes = [n_live, n_ret, k, k, k]
    n = sum(seg_sizes)
    seg = np.repeat(np.arange(5), seg_sizes)
    idx = np.arange(n)

    live_cls = np.repeat(np.arange(7), counts)
    live_cls = live_cls[np.argsort(h.bits("class.shuffle", np.arange(n_live)), kind="stable")]
    cls = np.empty(n, dtype=np.int64)
    cls[:n_live] = live_cls
    ret = seg == RETIRED_SEG
    cls[ret] = np.array([C.LAPTOP, C.DESKTOP, C.SERVER])[h.pick("retired.class", [0.7, 0.25, 0.05], idx[ret])]
    cls[seg == UNMANAGED] = C.LAPTOP
    cls[seg == PND] = C.DESKTOP
    cls[seg == WIDGETS] = C.WIDGET

    # models, makers, prices
    model = np.empty(n, dtype=np.int64)
    for c in range(len(C.CLASSES)):
        ids = np.array([i for i, m in enumerate(C.MODELS) if m.cls == c])
        w = [C.MODELS[i].weight for i in ids]
        sel = cls == c
        model[sel] = ids[h.pick("model", w, idx[sel])]
    model[seg == PND] = _model_index("OptiPlex 7010")

    # planted devices: chosen from the live end-user fleet (assigned, not spare) before dates are set
    # issue 13: live devices bought within their class's refresh cycle, a few stragglers beyond it
    span = (np.array(C.ORDER_SPAN_MONTHS)[cls] * 30.44).astype(np.int64)
    span = np.where(h.u("order.straggler", idx) < C.STRAGGLER_SHARE, (span * 1.15).astype(np.int64), span)
    order = endd - h.ints("order.live", span, idx)
    order[cls == C.CLOUD] = endd - 2 - h.ints("order.cloud", 1000, idx[cls == C.CLOUD])
    order[ret] = endd - 1500 - h.ints("order.ret", 700, idx[ret])
    order[seg == PND] = endd - 120 - h.ints("order.pnd", 180, idx[seg == PND])
    order[seg == WIDGETS] = d0 - 100 - h.ints("order.widget", 600, idx[seg == WIDGETS])
    first_seen = np.full(n, BIG, dtype=np.int64)
    um = seg == UNMANAGED
    first_seen[um] = day_list[max(0, E - 3)] - 5 - h.ints("unmanaged.first", 35, idx[um])
    order[um] = first_seen[um] - 100

    spare = (seg == LIVE) & np.isin(cls, (C.LAPTOP, C.DESKTOP)) & (h.u("spare", idx) < 0.02)
    shared = (cls == C.DESKTOP) & (seg == LIVE) & (h.u("shared", idx) < 0.3)

    # --- users, cost centers, locations -------------------------------------------------------
    user0 = np.full(n, -1, dtype=np.int64)
    eud = (seg == LIVE) & np.isin(cls, (C.LAPTOP, C.DESKTOP)) & ~spare & ~shared
    eud_idx = h.order("user.assign", np.flatnonzero(eud))
    upool = h.order("user.pool", np.arange(org.n_users))
    user0[eud_idx] = upool[np.arange(len(eud_idx)) % org.n_users]
    other_users = ((cls == C.MOBILE) | ret | um) & (user0 < 0)
    user0[other_users] = h.ints("user.other", org.n_users, idx[other_users])

    n_cc = len(org.cc_code)
    infra, workplace = org.cc("CC-IT-INFRA"), org.cc("CC-IT-WORKPLACE")
    eng_ccs = org.dept_ccs[C.DEPT_INDEX["Engineering"]]
    cc0 = np.where(user0 >= 0, org.user_cc[np.maximum(user0, 0)], -1)
    rand_cc = h.ints("cc.rand", n_cc, idx)
    rand_eng = eng_ccs[h.ints("cc.eng", len(eng_ccs), idx)]
    cc0 = np.where((cls == C.SERVER), np.where(h.u("cc.srv", idx) < 0.6, infra, rand_eng), cc0)
    cc0 = np.where(cls == C.NETWORK, infra, cc0)
    cc0 = np.where(cls == C.PRINTER, np.where(h.u("cc.prn", idx) < 0.5, workplace, rand_cc), cc0)
    cc0 = np.where(cls == C.CLOUD, np.where(h.u("cc.cloud", idx) < 0.6, rand_eng, rand_cc), cc0)
    cc0 = np.where(cc0 < 0, rand_cc, cc0)

    office = h.pick("loc.office", C.OFFICE_WEIGHTS[:-1], idx)  # things stay in an office, not "Remote"
    dc = len(C.OFFICES) + h.ints("loc.dc", len(C.DATACENTERS), idx)
    loc0 = np.where(user0 >= 0, org.user_loc[np.maximum(user0, 0)], office)
    loc0 = np.where(cls == C.SERVER, dc, loc0)
    loc0 = np.where(cls == C.NETWORK, np.where(h.u("loc.net", idx) < 0.5, dc, office), loc0)
    loc0 = np.where(np.isin(cls, (C.PRINTER, C.WIDGET)) | shared | spare, office, loc0)
    loc0 = np.where(cls == C.CLOUD, -1, loc0)

    w = World(seed=seed, devices=devices, dates=day_list, end=endd, k=k, h=h, org=org, n=n, seg=seg,
              cls=cls, model=model, mfr=np.zeros(n, np.int64), os=np.full(n, -1, np.int64),
              price_eur=np.zeros(n, np.int64), currency=np.zeros(n, np.int64),
              price_cur=np.zeros(n, np.int64), capitalised=np.zeros(n, bool), order=order,
              created=np.zeros(n, np.int64), deploy=np.zeros(n, np.int64),
              retire=np.full(n, BIG, np.int64), dispose_flag=ret & (h.u("dispose", idx) < 0.6),
              drop_flag=ret & (h.u("drop", idx) < 0.5), spare=spare, shared=shared, first_seen=first_seen,
              user0=user0, cc0=cc0, loc0=loc0, cores=np.full(n, -1, np.int64),
              stop=np.full(n, BIG * DAY, np.int64), bulk=np.zeros(n, bool), idnum=idx + 1,
              width=max(6, len(str(n + 2 * k + 10))), ci_id=None, asset_tag=None, hostname=None,
              serial=None, mac=None, ip=None, instance_id=None, cloud_account=np.full(n, -1, np.int64),
              alt_hostname=None, alt_model=np.full(n, -1, np.int64), alt_user=np.full(n, -1, np.int64))

    _plant(w)
    _derive(w)
    _identities(w)
    _history(w)
    _software(w)
    _saas(w)
    _relationships(w)
    return w


def _model_index(name: str) -> int:
    return next(i for i, m in enumerate(C.MODELS) if m.name == name)


def _plant(w: World) -> None:
    """Choose the planted devices and force the attributes their case needs."""
    h, k = w.h, w.k
    d0, endd = w.dates[0], w.end
    pool = (w.seg == LIVE) & (w.cls == C.LAPTOP) & (w.user0 >= 0)
    ordered = h.order("planted.pool", np.flatnonzero(pool))
    need = {c: (1 if c.startswith("reuse") else k) for c in POOL_CASES}
    pos = 0
    for case in POOL_CASES:
        w.planted[case] = np.sort(ordered[pos:pos + need[case]])
        pos += need[case]
    if pos > len(ordered):
        raise RuntimeError("fleet too small for the planted cases")
    chosen = np.concatenate([w.planted[c] for c in POOL_CASES])
    # installs of unauthorised software: laptops discovery keeps seeing (spare pool first, then
    # planted cases that stay in view; installs raise no reconciliation exception of their own)
    seen_cases = np.concatenate([w.planted[c] for c in ("drift_user", "drift_model", "drift_cost_center",
                                                        "missing_fixed_asset", "duplicate", "ns_hostname")])
    cand = np.concatenate([ordered[pos:], seen_cases])
    w.planted["utorrent"] = np.sort(cand[:k])
    w.planted["teamviewer"] = np.sort(cand[k:2 * k])
    w.planted["unmanaged"] = np.flatnonzero(w.seg == UNMANAGED)
    w.planted["pnd"] = np.flatnonzero(w.seg == PND)
    w.planted["widget"] = np.flatnonzero(w.seg == WIDGETS)

    # every planted fleet device: bought well before the first export, in use throughout
    w.order[chosen] = d0 - 200 - h.ints("planted.order", 700, chosen)
    w.spare[chosen] = False
    # capitalised model where the case is about the fixed-asset register
    for case in ("drift_cost_center", "missing_fixed_asset"):
        w.model[w.planted[case]] = _model_index("Latitude 7440")
    # the replacement laptop that inherits a hostname: bought 50 days before the last export
    w.order[w.planted["reuse_new"]] = endd - 50
    stopped = w.planted["ghost_stopped"]
    w.stop[stopped] = (endd - 100 - h.ints("ghost.stop", 100, stopped)) * DAY + 9 * 3600 \
        + h.ints("ghost.stop.s", 8 * 3600, stopped)
    w.planted_any = np.zeros(w.n, bool)
    w.planted_any[chosen] = True
    # planted user drift: someone else logs on
    du = w.planted["drift_user"]
    w.alt_user[du] = (w.user0[du] + 1 + h.ints("drift.user", w.org.n_users - 1, du)) % w.org.n_users


def _derive(w: World) -> None:
    """Makers, OS, prices, currencies and dates that follow from model, class and order date."""
    h, idx = w.h, np.arange(w.n)
    models = C.MODELS
    srv = w.cls == C.SERVER
    # issue 13: most live servers are VMs on a few physical hosts (at least one host stays physical)
    live_srv = srv & (w.seg == LIVE) & ~w.planted_any
    vm = live_srv & (h.u("vm", idx) < C.VM_SHARE)
    if vm.sum() == live_srv.sum() and vm.any():
        vm[np.flatnonzero(vm)[0]] = False
    w.vm = vm
    w.host = live_srv & ~vm if vm.any() else np.zeros(w.n, bool)
    w.model = np.where(vm, _model_index(C.VM_MODEL), w.model)
    w.mfr = np.array([C.MFR_INDEX[m.mfr] for m in models])[w.model]
    fam = np.array([m.os_family for m in models])[w.model]
    fam = np.where(srv, np.where(h.u("os.srv", idx) < 0.55, C.WIN_SRV, C.LINUX), fam)
    # at least one Windows and one Linux server (SQL Server and Oracle need somewhere to run)
    live_srv = h.order("os.srv.min", np.flatnonzero(srv & (w.seg == LIVE) & ~w.planted_any))
    if len(live_srv) >= 2:
        fam[live_srv[0]], fam[live_srv[1]] = C.WIN_SRV, C.LINUX
    os_fam = np.array([o[0] for o in C.OPERATING_SYSTEMS])
    for f in (C.WIN, C.MAC, C.WIN_SRV, C.LINUX, C.IOS, C.ANDROID):
        rows = np.flatnonzero(os_fam == f)
        sel = fam == f
        w.os[sel] = rows[h.pick(f"os.{f}", [C.OPERATING_SYSTEMS[r][3] for r in rows], idx[sel])]
    lo = np.array([m.price_lo for m in models])[w.model]
    hi = np.array([m.price_hi for m in models])[w.model]
    w.price_eur = np.round(h.uniform("price", lo, hi, idx) * 100).astype(np.int64)

    # order dates: none in the 15 days before an export (received and registered by then)
    for _ in range(2):
        for x in w.dates:
            m = (w.order >= x - 15) & (w.order <= x) & (w.seg != UNMANAGED)
            w.order[m] -= 16
    cur_by_loc = np.zeros(len(C.LOCATIONS), np.int64)
    for name, cur in C.LOCATION_CURRENCY.items():
        cur_by_loc[C.LOCATIONS.index(name)] = C.CURRENCIES.index(cur)
    w.currency = np.where(w.loc0 >= 0, cur_by_loc[np.maximum(w.loc0, 0)], 0)
    w.currency = np.where(h.u("cur.usd", idx) < 0.04, C.CURRENCIES.index("USD"), w.currency)
    rate = fx_rates(w.currency, w.order)
    w.price_cur = np.round(w.price_eur / rate).astype(np.int64)
    eur_again = np.round(w.price_cur * rate).astype(np.int64)
    w.capitalised = np.isin(w.cls, C.CAPITALISED_CLASSES) & (eur_again >= 100000) \
        & np.isin(w.seg, (LIVE, RETIRED_SEG))
    w.bulk = np.isin(w.cls, (C.DESKTOP, C.PRINTER, C.MOBILE)) & (eur_again < 90000) \
        & (w.seg == LIVE) & ~w.planted_any & (h.u("bulk", idx) < 0.3)

    w.created = (w.order + 10) * DAY + 8 * 3600 + h.ints("created.s", 9 * 3600, idx)
    w.deploy = w.order + 10 + h.ints("deploy", 36, idx)
    cloud = w.cls == C.CLOUD
    w.created[cloud] = w.order[cloud] * DAY + h.ints("launch.s", DAY, idx[cloud])
    w.deploy[cloud] = w.order[cloud]
    w.deploy[w.spare] = BIG
    w.deploy[w.planted["reuse_new"]] = w.order[w.planted["reuse_new"]] + 12
    um = w.seg == UNMANAGED
    w.deploy[um] = w.first_seen[um] - 30
    w.deploy[w.seg == WIDGETS] = BIG
    # retirement: the retired segment, and terminated cloud instances
    ret = w.seg == RETIRED_SEG
    w.retire[ret] = w.end - 30 - h.ints("retire", 730, idx[ret])
    term = cloud & (h.u("cloud.term", idx) < 0.15) & (w.order < w.end - 40)
    w.retire[term] = w.order[term] + 30 + h.ints("cloud.term.d", np.maximum(1, w.end - w.order[term] - 35), idx[term])
    # cores (a native-mapping extra the warehouse reads for core licences)
    w.cores = np.where(srv, np.array([16, 24, 32, 48, 64])[h.ints("cores.srv", 5, idx)], w.cores)
    w.cores = np.where(w.host, np.array(C.HOST_CORES)[h.ints("cores.host", len(C.HOST_CORES), idx)], w.cores)
    w.cores = np.where(w.vm, np.array(C.VM_CORES)[h.ints("cores.vm", len(C.VM_CORES), idx)], w.cores)
    w.cores = np.where(np.isin(w.cls, (C.LAPTOP, C.DESKTOP)),
                       np.array([4, 8, 12, 16])[h.ints("cores.eud", 4, idx)], w.cores)
    cloud_cores = np.array([C.CLOUD_CORES.get(m.name, -1) for m in models])
    w.cores = np.where(cloud, cloud_cores[w.model], w.cores)
    w.cloud_account = np.where(cloud, w.cc0, -1)
    # planted model drift: discovery reports another make
    dm = w.planted["drift_model"]
    w.alt_model[dm] = np.array([_model_index(C.DRIFT_MODEL[C.MANUFACTURERS[m].key]) for m in w.mfr[dm]],
                               dtype=np.int64) if len(dm) else np.array([], np.int64)


def _identities(w: World) -> None:
    h, n, idx = w.h, w.n, np.arange(w.n)
    wd = w.width
    w.ci_id = ak.cat("CI", ak.padded(w.idnum, wd))
    w.asset_tag = ak.cat("AT-", ak.padded(w.idnum, wd))
    # IP 10.a.b.c (cloud in 10.100+)
    a = 16 + (w.idnum >> 16) % 64 + np.where(w.cls == C.CLOUD, 100, 0)
    b = (w.idnum >> 8) & 255
    c = w.idnum & 255
    w.ip = ak.cat("10.", ak.num(a), ".", ak.num(b), ".", ak.num(c))
    prefix = ak.take(C.HOST_PREFIX, w.cls)
    host = ak.cat(prefix, ak.padded(w.idnum, wd))
    cloud_host = ak.cat("ip-10-", ak.num(a), "-", ak.num(b), "-", ak.num(c))
    host = ak.where(w.cls == C.CLOUD, cloud_host, host)
    # unmanaged machines carry Windows' default names; so do planted hostname-drift reports
    rnd = ak.ALNUM[h.ints("host.rnd", 36, idx[:, None], np.arange(2)[None, :])]
    default_name = ak.cat("DESKTOP-", ak.fixed_text(np.concatenate([ak.base36_digits(w.idnum, 5), rnd], axis=1)))
    rnd2 = ak.ALNUM[h.ints("host.rnd2", 36, idx[:, None], np.arange(2)[None, :])]
    drift_name = ak.cat("DESKTOP-", ak.fixed_text(np.concatenate([rnd2, ak.base36_digits(w.idnum + n, 5)], axis=1)))
    host = ak.where(w.seg == UNMANAGED, default_name, host)
    # the hostname reused by a replacement laptop
    take_idx = idx.copy()
    take_idx[w.planted["reuse_new"]] = w.planted["reuse_old"]
    w.hostname = host.take(pa.array(take_idx))
    w.alt_hostname = drift_name

    # serials: fixed prefix + random chars + 5 base-36 digits of the device number
    mat = np.full((n, 12), ord(" "), dtype=np.uint8)
    digits = ak.base36_digits(w.idnum, 5)
    rnd = ak.ALNUM[h.ints("serial.rnd", 36, idx[:, None], np.arange(6)[None, :])]
    for mi, m in enumerate(C.MANUFACTURERS):
        sel = w.mfr == mi
        if not sel.any():
            continue
        p = len(m.serial_prefix)
        if p:
            mat[sel, :p] = np.frombuffer(m.serial_prefix.encode(), dtype=np.uint8)
        mat[np.ix_(sel, np.arange(p, p + m.serial_random))] = rnd[sel][:, :m.serial_random]
        mat[np.ix_(sel, np.arange(p + m.serial_random, p + m.serial_random + 5))] = digits[sel]
    w.serial = ak.null_where(ak.fixed_text(mat), w.cls == C.CLOUD)
    # MAC: maker OUI + a bijective scramble of the device number
    oui = np.array([m.oui for m in C.MANUFACTURERS], dtype=np.uint8)[w.mfr]
    tail = (w.idnum * 2654435761) & 0xFFFFFF
    w.mac = np.column_stack([oui, (tail >> 16) & 255, (tail >> 8) & 255, tail & 255]).astype(np.uint8)
    bits = h.bits("instance", w.idnum)
    inst_bytes = np.ascontiguousarray(bits.astype(">u8")).view(np.uint8).reshape(n, 8)
    w.instance_id = ak.cat("i-0", ak.hex_bytes(inst_bytes, ""))


def _history(w: World) -> None:
    """CMDB state and discovery sightings at every export date."""
    h, n, idx = w.h, w.n, np.arange(w.n)
    org = w.org
    E = len(w.dates)
    cloud = w.cls == C.CLOUD
    agent_capable = np.isin(w.cls, AGENT_CLASSES) & np.isin(w.seg, (LIVE, RETIRED_SEG, UNMANAGED))
    movable = (w.seg == LIVE) & ~w.planted_any
    eud = np.isin(w.cls, (C.LAPTOP, C.DESKTOP, C.MOBILE))
    ns_sample = (h.u("ns.sample", idx) < 0.25) & movable & np.isin(w.cls, AGENT_CLASSES)
    ns_sample[w.planted["ns_hostname"]] = True
    ns_sample[w.planted["ns_mac"]] = True
    silent_last = E >= 2
    prev: ExportState | None = None
    ever_seen = np.zeros(n, bool)
    dropped = np.zeros(n, bool)
    fa_cc = w.cc0.copy()
    for e, x in enumerate(w.dates):
        xs = x * DAY
        xend = xs + DAY - 1
        # assignment changes between exports
        if prev is None:
            user, cc, loc = w.user0.copy(), w.cc0.copy(), w.loc0.copy()
        else:
            user, cc, loc = prev.user.copy(), prev.cc.copy(), prev.loc.copy()
            re = movable & eud & (user >= 0) & (h.u("reassign", idx, e) < 0.03)
            user[re] = h.ints("reassign.to", org.n_users, idx[re], e)
            cc[re] = org.user_cc[user[re]]
            loc[re] = org.user_loc[user[re]]
            mv = movable & eud & ~re & (h.u("move", idx, e) < 0.015)
            loc[mv] = h.pick("move.to", C.OFFICE_WEIGHTS, idx[mv], e)
            ch = movable & np.isin(w.cls, (C.SERVER, C.PRINTER)) & (h.u("recharge", idx, e) < 0.03)
            cc[ch] = h.ints("recharge.to", len(org.cc_code), idx[ch], e)
        # lifecycle
        exists = (w.created <= xs) & np.isin(w.seg, (LIVE, RETIRED_SEG, WIDGETS))
        running = cloud & (w.order <= x - 1) & (w.retire > x)
        exists = np.where(cloud, running, exists)
        st = np.full(n, IN_USE, dtype=np.int64)
        st[w.deploy > x - 1] = IN_STOCK  # deployed at least a day before the export
        ret_now = w.retire <= x
        st[ret_now] = RETIRED
        disp = ret_now & w.dispose_flag & (w.retire + 60 <= x) & ((e == 0) | (w.retire <= w.dates[e - 1]))
        if prev is not None:
            disp |= prev.status == DISPOSED
        st[disp & ret_now] = DISPOSED
        ok_prev = np.ones(n, bool) if prev is None else np.isin(prev.status, (IN_USE, IN_REPAIR)) | ~prev.present
        rep = (st == IN_USE) & movable & ~cloud & ok_prev & (h.u("repair", idx, e) < 0.012)
        st[rep] = IN_REPAIR
        st[w.seg == WIDGETS] = IN_STOCK
        inv = w.planted["invalid_transition"]
        if E >= 2:
            seq = {E - 1: IN_USE, E - 2: DISPOSED, E - 3: RETIRED}
            st[inv] = seq.get(e, IN_USE)
        if e == E - 1:
            st[w.planted["reuse_old"]] = IN_STOCK
            user[w.planted["reuse_old"]] = -1
        present = exists.copy()
        if prev is not None:
            drop_now = w.drop_flag & prev.present & np.isin(prev.status, (RETIRED, DISPOSED)) \
                & np.isin(st, (RETIRED, DISPOSED)) & ever_seen
            dropped |= drop_now
        present &= ~dropped
        # CMDB update times
        new = present & ((w.created > w.dates[e - 1] * DAY) if e else np.ones(n, bool))
        upd = np.zeros(n, np.int64) if prev is None else prev.updated.copy()
        span = np.maximum(xs - 3600 - w.created, 1)
        first_upd = w.created + (h.u("upd0", idx, e) * span).astype(np.int64)
        upd = np.where(new | (upd == 0), first_upd, upd)
        if prev is not None:
            changed = present & ~new & ((st != prev.status) | (user != prev.user) | (loc != prev.loc)
                                        | (cc != prev.cc) | (h.u("touch", idx, e) < 0.08))
            t = xs - DAY - (h.u("upd", idx, e) * 80 * DAY).astype(np.int64)
            upd = np.where(changed, np.maximum(np.minimum(t, xs - 3600), upd + 3600), upd)

        # discovery: agent
        seen = agent_capable & present & ((st == IN_USE) | ((st == IN_REPAIR) & (h.u("repair.seen", idx, e) < 0.5)))
        seen &= w.deploy <= x - 1
        um = w.seg == UNMANAGED
        seen[um] = w.first_seen[um] <= x
        seen[inv] = exists[inv]
        seen[w.planted["ghost_never"]] = False
        lo = np.maximum(xs - 14 * DAY, np.minimum(w.deploy, BIG // 2) * DAY + 8 * 3600)
        obs = lo + (h.u("agent.obs", idx, e) * np.maximum(xend - lo, 1)).astype(np.int64)
        stale = (w.stop <= xs) & exists
        seen |= stale
        obs = np.where(stale, w.stop, obs)
        if e == E - 1:
            ro = w.planted["reuse_old"]
            seen[ro] = True
            obs[ro] = xend - (15 * DAY + h.u("reuse.obs", ro) * 10 * DAY).astype(np.int64)
        last_user = np.where(w.shared, h.ints("shared.user", org.n_users, idx, e), user)
        last_user = np.where(np.isin(w.cls, (C.LAPTOP, C.DESKTOP)), last_user, -1)
        last_user = np.where(um, w.user0, last_user)
        last_user = np.where(w.alt_user >= 0, w.alt_user, last_user)
        if e == E - 1:
            last_user[w.planted["reuse_old"]] = w.user0[w.planted["reuse_old"]]
        last_user = np.where(seen, last_user, -1)
        ever_seen |= seen & ~stale
        # mdm, cloud api
        mdm = (w.cls == C.MOBILE) & present & (st == IN_USE) & (w.deploy <= x - 1)
        mdm_obs = xend - (h.u("mdm.obs", idx, e) * 7 * DAY).astype(np.int64)
        ever_seen |= mdm
        cl = running & present
        cloud_obs = xend - (h.u("cloud.obs", idx, e) * 2 * DAY).astype(np.int64)
        # network scan: infrastructure, a sample of agent devices; silent at the last export
        ns = np.zeros(n, bool)
        ns_obs = np.zeros(n, np.int64)
        if not (silent_last and e == E - 1):
            infra = np.isin(w.cls, (C.NETWORK, C.PRINTER)) & present & (st == IN_USE) & (w.deploy <= x - 1)
            ns = infra | (ns_sample & seen & ~stale)
            ns_obs = np.where(infra, xend - (h.u("ns.obs", idx, e) * 20 * DAY).astype(np.int64),
                              np.maximum(obs - DAY - (h.u("ns.obs2", idx, e) * 9 * DAY).astype(np.int64),
                                         lo - DAY))
            ever_seen |= infra
        # fixed-asset register: capitalised hardware from receipt, cost center as in the CMDB
        fa = w.capitalised & ((w.order + 10) <= x)
        fa[w.planted["missing_fixed_asset"]] = False
        fa_cc = np.where(present, cc, fa_cc)
        disposed_ever = (st == DISPOSED) & present
        if prev is not None:
            disposed_ever |= prev.disposed_ever
        state = ExportState(day=x, present=present, status=st, user=user, cc=cc, loc=loc, updated=upd,
                            agent=seen, agent_obs=obs, agent_stale=stale, last_user=last_user,
                            mdm=mdm, mdm_obs=mdm_obs, cloud=cl, cloud_obs=cloud_obs, ns=ns, ns_obs=ns_obs,
                            fa=fa, fa_cc=fa_cc.copy(), disposed_ever=disposed_ever)
        w.states.append(state)
        prev = state
    w.ns_sample = ns_sample


def _software(w: World) -> None:
    """Which device has which software installed since when (pairs, stable across exports)."""
    h = w.h
    dev_all = np.flatnonzero(np.isin(w.cls, AGENT_CLASSES) & np.isin(w.seg, (LIVE, RETIRED_SEG, UNMANAGED)))
    fam = np.array([o[0] for o in C.OPERATING_SYSTEMS])[w.os[dev_all]]
    dept = w.org.cc_dept[w.cc0[dev_all]]
    normal = (w.seg[dev_all] == LIVE) & ~w.planted_any[dev_all] & ~w.spare[dev_all]
    devs, items = [], []
    for si, s in enumerate(C.SOFTWARE):
        if s.unauthorised:
            continue
        rate = np.array([s.rates.get(d[0], s.rates.get("*", 0.0)) for d in C.DEPARTMENTS])[dept]
        elig = np.isin(fam, s.families)
        if s.metric == "core":  # databases run in VMs, not on the virtualisation hosts (issue 13)
            elig &= ~w.host[dev_all]
        u = h.u("sw", dev_all, si)
        mask = elig & (u < rate)
        if s.metric in ("device", "core", "user"):
            # at least three ordinary consumers, so tiny samples still show a position
            cand = elig & normal & ~mask
            have = (mask & normal).sum()
            if have < 3 and cand.any():
                order = np.flatnonzero(cand)[np.lexsort((u[cand], rate[cand] <= 0))]
                mask[order[:3 - have]] = True
        devs.append(dev_all[mask])
        items.append(np.full(mask.sum(), si))
    for key, case in (("utorrent", "utorrent"), ("teamviewer", "teamviewer")):
        devs.append(w.planted[case])
        items.append(np.full(len(w.planted[case]), C.SOFTWARE_INDEX[key]))
    dev = np.concatenate(devs)
    item = np.concatenate(items)
    o = np.lexsort((item, dev))
    w.sw_dev, w.sw_item = dev[o], item[o]
    base = np.where(w.deploy[w.sw_dev] >= BIG // 2, w.order[w.sw_dev] + 10, w.deploy[w.sw_dev])
    later = h.u("sw.later", w.sw_dev, w.sw_item) >= 0.7
    span = np.maximum(w.end - base, 1)
    w.sw_install = base + np.where(later, (h.u("sw.when", w.sw_dev, w.sw_item) * span).astype(np.int64), 0)
    unauth = np.isin(w.sw_item, [C.SOFTWARE_INDEX["utorrent"], C.SOFTWARE_INDEX["teamviewer"]])
    w.sw_install[unauth] = np.minimum(w.sw_install[unauth], w.dates[0] - 20)


def _saas(w: World) -> None:
    h, org = w.h, w.org
    users = np.arange(org.n_users)
    dept = org.user_dept
    us, apps, since = [], [], []
    for ai, app in enumerate(C.SAAS_APPS):
        rate = np.array([app.rates.get(d[0], app.rates.get("*", 0.0)) for d in C.DEPARTMENTS])[dept]
        mask = h.u("saas", users, ai) < rate
        if mask.sum() < 2:  # every app has a few users, even in tiny samples
            mask[np.argsort(h.u("saas", users, ai), kind="stable")[:2]] = True
        sel = users[mask]
        late = h.u("saas.late", sel, ai) < 0.15
        start = np.where(late, w.dates[0] + (h.u("saas.when", sel, ai) * (w.end - w.dates[0])).astype(np.int64),
                         w.dates[0] - 30 - h.ints("saas.early", 700, sel, ai))
        us.append(sel)
        apps.append(np.full(len(sel), ai))
        since.append(start)
    u, a, s = np.concatenate(us), np.concatenate(apps), np.concatenate(since)
    o = np.lexsort((a, u))
    w.saas_user, w.saas_app, w.saas_from = u[o], a[o], s[o]


def _relationships(w: World) -> None:
    h, idx = w.h, np.arange(w.n)
    live = np.isin(w.seg, (LIVE, RETIRED_SEG))
    servers = np.flatnonzero(live & (w.cls == C.SERVER))
    network = np.flatnonzero(live & (w.cls == C.NETWORK))
    printers = np.flatnonzero(live & (w.cls == C.PRINTER))
    parents, children, types = [], [], []
    if len(servers) and len(network):
        parents.append(network[h.ints("rel.net", len(network), servers)])
        children.append(servers)
        types.append(np.zeros(len(servers), np.int64))
        second = servers[h.u("rel.net2", servers) < 0.5]
        parents.append(network[h.ints("rel.net2.to", len(network), second)])
        children.append(second)
        types.append(np.zeros(len(second), np.int64))
    if len(servers) > 1:
        dep = servers[h.u("rel.dep", servers) < 0.6]
        tgt = servers[h.ints("rel.dep.to", len(servers), dep)]
        keep = tgt != dep
        parents.append(dep[keep])
        children.append(tgt[keep])
        types.append(np.ones(keep.sum(), np.int64))
    # issue 13: every VM runs on one host (parent = VM, child = host), in the spellings ServiceNow
    # and others use: types 3-5 of entities.REL_TYPES
    vms, hosts = np.flatnonzero(w.vm), np.flatnonzero(w.host)
    if len(vms) and len(hosts):
        parents.append(vms)
        children.append(hosts[h.ints("rel.vm.host", len(hosts), vms)])
        types.append(3 + h.pick("rel.vm.type", [0.5, 0.4, 0.1], vms))
    eud = np.flatnonzero(live & np.isin(w.cls, (C.DESKTOP, C.LAPTOP)))
    if len(printers) and len(eud):
        users = eud[h.u("rel.prn", eud) < np.where(w.cls[eud] == C.DESKTOP, 0.2, 0.04)]
        parents.append(users)
        children.append(printers[h.ints("rel.prn.to", len(printers), users)])
        types.append(np.full(len(users), 2))
    p = np.concatenate(parents) if parents else np.array([], np.int64)
    c = np.concatenate(children) if children else np.array([], np.int64)
    t = np.concatenate(types) if types else np.array([], np.int64)
    key = (p * w.n + c) * 8 + t
    _, first = np.unique(key, return_index=True)
    first = np.sort(first)
    w.rel_parent, w.rel_child, w.rel_type = p[first], c[first], t[first]
    del idx
