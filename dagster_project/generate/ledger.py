"""Procurement and finance: every purchase line, entitlement, GL line and cloud charge over the
whole history, built once; each export then takes its window (deltas for purchase lines, GL and
cloud costs; full extracts for entitlements, cost centers and the fixed-asset register)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from dagster_project.generate import arrowkit as ak
from dagster_project.generate import catalog as C
from dagster_project.generate.entities import cloud_account_id, email, fa_serial_blank, serial_display
from dagster_project.generate.world import (
    BIG,
    DAY,
    LIVE,
    PND,
    RETIRED_SEG,
    World,
    add_months_days,
    fx_rates,
    month_start,
)

CUR = {c: i for i, c in enumerate(C.CURRENCIES)}


def export_window(w: World, e: int) -> tuple[int, int]:
    """Days (lo, hi]: what export e delivers of a delta feed."""
    lo = -BIG if e == 0 else w.dates[e - 1]
    return lo, w.dates[e]


# ---------------------------------------------------------------------------------------------
@dataclass
class Entitlement:
    entitlement_id: str
    publisher: str
    product: str
    metric: str
    quantity: int
    unit_cost: int  # cents, annual per seat for subscriptions
    currency: str
    purchase: int  # day
    cost_center: str
    contract_id: str
    term_start: int | None
    term_end: int | None
    maintenance_end: int | None
    version_rights: str | None
    category: str  # purchase-line category
    vendor: str


def consumption(w: World) -> dict[str, dict]:
    """Consumption of each licensed product at the last export, as the generator knows it."""
    from dagster_project.generate.entities import saas_usage, software_installs

    e = len(w.dates) - 1
    st = w.states[e]
    _, sw = software_installs(w, e)
    fresh = ~st.agent_stale[sw["dev"]]
    out: dict[str, dict] = {}
    # Users of each licensable product, as the SAM rule counts a user-metric licence (ISO/IEC
    # 19770 ELP; docs/decisions/user-consumption-union.md): every user with a recognised install
    # (an install under the product's name, e.g. the Slack desktop client) or an assigned seat in
    # its SaaS feed, once, whatever the number of devices and seats.
    product_users: dict[str, set] = {}
    for si, s in enumerate(C.SOFTWARE):
        product = s.product or next((a.entitlement_product or a.name for a in C.SAAS_APPS
                                     if a.annual_price is not None and a.name in s.names), None)
        if product is None:
            continue
        devs = np.unique(sw["dev"][(sw["item"] == si) & fresh])
        users = np.where(st.user[devs] >= 0, st.user[devs], st.last_user[devs])
        product_users.setdefault(product, set()).update(users[users >= 0].tolist())
    for si, s in enumerate(C.SOFTWARE):
        if not s.metric:
            continue
        sel = (sw["item"] == si) & fresh
        devs = np.unique(sw["dev"][sel])
        users = np.where(st.user[devs] >= 0, st.user[devs], st.last_user[devs])
        n_users = len(np.unique(users[users >= 0]))
        cores = w.cores[devs]
        reclaim = (sw["last_used"][sel] >= 0) & (sw["last_used"][sel] < st.day * DAY - 90 * DAY)
        out[s.product] = {"devices": int(len(devs)), "users": n_users,
                          "cores": int(np.where(cores > 0, cores, 8).sum()),
                          "cores_default": int(8 * len(devs)), "reclaimable_installs": int(reclaim.sum())}
    _, su = saas_usage(w, e)
    for ai, app in enumerate(C.SAAS_APPS):
        sel = (su["app"] == ai) & su["assigned"]
        inactive = sel & (su["last"] >= 0) & (su["last"] < st.day * DAY - 90 * DAY)
        key = app.entitlement_product or app.name
        rec = out.setdefault(key, {})
        rec.update({"seats_assigned": int(sel.sum()), "seats_inactive_90d": int(inactive.sum()),
                    "users_total": int((su["app"] == ai).sum())})
        product_users.setdefault(key, set()).update(su["user"][sel].tolist())
    for key, users in product_users.items():
        out.setdefault(key, {})["sam_users"] = len(users)
    return out


def entitlements(w: World, cons: dict) -> tuple[list[Entitlement], dict]:
    h = w.h
    d0, endd = w.dates[0], w.end
    ents: list[Entitlement] = []
    expected: dict[str, dict] = {}
    cc_for = {"Microsoft 365 Apps for enterprise": "CC-IT-WORKPLACE", "SQL Server Enterprise": "CC-IT-INFRA",
              "Oracle Database Enterprise Edition": "CC-IT-INFRA", "IntelliJ IDEA Ultimate": "CC-ENG",
              "Creative Cloud": "CC-MKT", "Salesforce": "CC-SALES", "Jira": "CC-ENG", "Figma": "CC-ENG",
              "Asana": "CC-MKT", "DocuSign": "CC-FIN"}
    codes = w.org.cc_code
    # devices in service (ordered, not yet retired) at a day, as a share of those at the last export
    in_fleet = np.isin(w.seg, (LIVE, RETIRED_SEG))
    order_d, retire_d = w.order[in_fleet], w.retire[in_fleet]
    fleet_end = max(1, int(((order_d <= endd) & (retire_d > endd)).sum()))

    def fleet_share(day: int) -> float:
        return min(1.0, float(((order_d <= day) & (retire_d > day)).sum()) / fleet_end)

    items: list[tuple] = []  # (product, publisher canonical, spellings, metric, consumption, factor, price EUR, cur)
    for s in C.SOFTWARE:
        if not s.metric:
            continue
        c = cons.get(s.product, {})
        if s.metric == "device":
            n = c.get("devices", 0)
        elif s.metric == "core":
            # the warehouse reads discovery's core counts (the `cores` extra); were it to fall back
            # to the policy default per device, the sign of the position must not change
            n = c.get("cores", 0)
        else:
            # user and subscription: installs and seats of one user count once (SAM rule)
            n = c.get("sam_users", c.get("users", 0))
        items.append((s.product, s.publisher, s.publishers, s.metric, n, s.factor, s.unit_cost, "EUR"))
    for app in C.SAAS_APPS:
        if app.annual_price is None:
            continue
        n = cons.get(app.name, {}).get("sam_users", 0)
        items.append((app.name, app.publisher, app.vendors, "subscription", n, app.factor, app.annual_price,
                      app.currency))
    seq = 0
    for pi, (product, publisher, spellings, metric, n, factor, price, cur) in enumerate(items):
        base = n
        if metric == "core" and factor < 1:
            # the warehouse reads discovery's core counts (the `cores` extra); were it to fall back
            # to the policy default per device, an under-licensed product must stay under-licensed.
            # Over-licensed ones are bought to the cores in use, not to the default (a buyer
            # licenses what runs, and the default would leave most of an Oracle pool idle).
            base = min(n, cons.get(product, {}).get("cores_default", n))
        if factor < 1:
            q = max(1, min(int(np.floor(base * factor)), base - 1))
        elif factor > 1:
            q = max(int(np.ceil(base * factor)), base + 1)
        else:
            q = max(1, base)
        active = 0 if product == C.EXPIRED_SAAS else q
        expected[product] = {"metric": metric, "generator_consumption": int(n), "entitled": int(active),
                             "entitled_expired": int(q - active), "position": int(active - n)}
        # Perpetual licences grow with the fleet (issue 13): bought in yearly tranches over the
        # fleet's history, the latest the largest share of today's need bought most recently.
        n_tr = 1 + int(q >= 10) + int(q >= 50)
        if metric != "subscription":
            n_tr = 1 + int(q >= 5) + int(q >= 10) + int(q >= 20) + int(q >= 40)
        if product == C.EXPIRED_SAAS:
            n_tr = 1
        fractions = (np.array([0.6, 0.3, 0.1][:n_tr]) if metric == "subscription" else np.ones(n_tr)) \
            if n_tr > 1 else np.array([1.0])
        purchases = []
        for t in range(n_tr):
            key = np.array([pi * 10 + t])
            purchase = int(d0 - 60 - h.ints("ent.date", 700, key)[0])
            if metric != "subscription" and n_tr > 1:
                # tranche t of n_tr: in year t of the ~4.5 years of fleet history, the last in the
                # year before the last export
                span = 1640 // n_tr
                purchase = int(endd - 1640 + t * span + 30 + h.ints("ent.date", max(1, span - 60), key)[0])
            if product == "Visio Professional" and t == n_tr - 1 and n_tr > 1 and len(w.dates) >= 2:
                # a true-up bought during the last quarter
                purchase = int(w.dates[-2] + 10 + h.ints("ent.trueup", max(1, w.dates[-1] - w.dates[-2] - 20), key)[0])
            purchases.append(purchase)
        # Each purchase buys up to the product's coverage ratio (`factor`) of the consumption at
        # that date: today's consumption scaled by the fleet in service then (consumption grows
        # with the fleet), so the pool tracks use instead of running ahead of it (docs/sample-data.md).
        parts = np.zeros(n_tr, int)
        if n_tr > 1:
            order_t = np.argsort(purchases, kind="stable")
            share = np.maximum.accumulate(np.array([fleet_share(purchases[t]) for t in order_t]))
            share = np.maximum(share, np.cumsum(fractions[order_t]) / fractions.sum() * 0.25)
            cum = np.minimum(np.round(share * q).astype(int), q)
            cum[-1] = q
            parts[order_t] = np.diff(np.concatenate([[0], cum]))
        else:
            parts[0] = q
        for t, qty in enumerate(parts):
            if qty <= 0:
                continue
            seq += 1
            key = np.array([pi * 10 + t])
            purchase = purchases[t]
            cur_pick = h.pick("ent.cur", [0.75, 0.15, 0.10], key)[0]
            currency = cur if cur != "EUR" else ("EUR", "USD", "GBP")[cur_pick]
            rate = fx_rates(np.array([CUR[currency]]), np.array([purchase]))[0]
            unit = int(round(price * float(h.uniform("ent.price", 0.9, 1.05, key)[0]) / rate * 100))
            cc = cc_for.get(product) or codes[int(h.ints("ent.cc", len(codes), key)[0])]
            if cc not in codes:
                cc = "CC-IT-WORKPLACE"
            spelling = spellings[int(h.ints("ent.pub", len(spellings), key)[0])]
            year = str(np.datetime64(purchase, "D"))[:4]
            contract = f"CTR-{(publisher or product)[:4].upper()}-{year}-{seq:03d}"
            term_start = term_end = maint = None
            rights = None
            if metric == "subscription":
                if product == C.EXPIRED_SAAS:
                    term_start = int(month_start([endd - 455])[0])
                    purchase = term_start
                    term_end = int(add_months_days([term_start], 12)[0]) - 1
                else:
                    term_start = purchase
                    term_end = max(int(add_months_days([purchase], 36)[0]) - 1, endd + 90)
                    term_end = int(add_months_days(month_start([term_end]), 1)[0]) - 1
                category = "saas"
            else:
                maint = int(add_months_days([purchase], 36)[0])
                if product == "SQL Server Enterprise" and t == 0:
                    rights = "2019"
                elif product == "Visio Professional" and t == 0:
                    rights = "2021"
                category = "software"
            reseller = ("SoftwareONE", "Crayon", "Bechtle AG")[int(h.ints("ent.reseller", 3, key)[0])]
            vendor = spelling if h.u("ent.direct", key)[0] < 0.5 else reseller
            ents.append(Entitlement(f"ENT-{seq:05d}", spelling, product, metric, int(qty), unit, currency,
                                    purchase, cc, contract, term_start, term_end, maint, rights, category,
                                    vendor))
    return ents, expected


def entitlements_table(ents: list[Entitlement], x: int) -> pa.Table:
    rows = [en for en in ents if en.purchase <= x]

    def d(v):
        return None if v is None else v
    return pa.table({
        "entitlement_id": pa.array([r.entitlement_id for r in rows], pa.string()),
        "publisher": pa.array([r.publisher for r in rows], pa.string()),
        "product": pa.array([r.product for r in rows], pa.string()),
        "license_metric": pa.array([r.metric for r in rows], pa.string()),
        "quantity": pa.array([r.quantity for r in rows], pa.int64()),
        "unit_cost": ak.money(np.array([r.unit_cost for r in rows], np.int64)),
        "currency": pa.array([r.currency for r in rows], pa.string()),
        "purchase_date": ak.date32(np.array([r.purchase for r in rows], np.int64)),
        "cost_center": pa.array([r.cost_center for r in rows], pa.string()),
        "contract_id": pa.array([r.contract_id for r in rows], pa.string()),
        "term_start": _opt_dates([d(r.term_start) for r in rows]),
        "term_end": _opt_dates([d(r.term_end) for r in rows]),
        "maintenance_end": _opt_dates([d(r.maintenance_end) for r in rows]),
        "version_rights": pa.array([r.version_rights for r in rows], pa.string()),
    })


def _opt_dates(values: list) -> pa.Array:
    arr = np.array([0 if v is None else v for v in values], np.int64)
    mask = np.array([v is None for v in values], bool)
    return ak.date32(arr, mask=mask)


# ---------------------------------------------------------------------------------------------
@dataclass
class Lines:
    """All purchase lines, column arrays (strings as arrow arrays)."""
    table: pa.Table  # typed, in final order
    order_day: np.ndarray
    hw_device: np.ndarray  # device index of a serialised hardware line, else -1


def purchase_lines(w: World, ents: list[Entitlement], cloud_monthly: pd.DataFrame) -> Lines:
    h = w.h
    bought = np.isin(w.seg, (LIVE, RETIRED_SEG, PND)) & ~np.isin(w.cls, (C.CLOUD, C.WIDGET)) & ~w.vm
    dev = np.flatnonzero(bought)
    # vendor: the maker (one of its spellings) or a reseller
    resell = h.u("po.reseller", dev) < 0.25
    mk = w.mfr[dev]
    n_var = np.array([len(m.vendor) for m in C.MANUFACTURERS])
    vendor_code = np.where(resell, 1000 + h.ints("po.reseller.which", len(C.RESELLERS), dev),
                           mk * 10 + h.ints("po.vendor", n_var[mk], dev))
    order = w.order[dev]
    po_key = order * 2000 + vendor_code
    uniq, po_of = np.unique(po_key, return_inverse=True)
    bulk = w.bulk[dev]
    # bulk (serial-less) lines: one per PO and model
    ser = ~bulk
    bulk_key = po_of[bulk] * 1000 + w.model[dev[bulk]]
    bk_uniq, bk_first, bk_count = np.unique(bulk_key, return_index=True, return_counts=True)
    bulk_dev = dev[bulk][bk_first]
    line_po = np.concatenate([po_of[ser], po_of[bulk][bk_first]])
    line_dev = np.concatenate([dev[ser], bulk_dev])
    line_qty = np.concatenate([np.ones(ser.sum(), np.int64), bk_count])
    line_vendor = np.concatenate([vendor_code[ser], vendor_code[bulk][bk_first]])
    is_serial = np.concatenate([np.ones(ser.sum(), bool), np.zeros(len(bk_first), bool)])
    o = np.lexsort((~is_serial, line_dev, line_po))
    line_po, line_dev, line_qty, line_vendor, is_serial = (a[o] for a in (line_po, line_dev, line_qty, line_vendor, is_serial))
    starts = np.r_[0, np.flatnonzero(np.diff(line_po)) + 1]
    run = np.repeat(starts, np.diff(np.r_[starts, len(line_po)]))
    po_line = np.arange(len(line_po)) - run + 1
    n_hw_po = len(uniq)

    vendor_names = [v for m in C.MANUFACTURERS for v in m.vendor]
    vend_off = np.cumsum([0] + [len(m.vendor) for m in C.MANUFACTURERS])[:-1]
    is_res = line_vendor >= 1000
    vidx = np.where(is_res, 0, vend_off[np.minimum(line_vendor // 10, len(C.MANUFACTURERS) - 1)] + line_vendor % 10)
    vendor = ak.where(is_res, ak.take(C.RESELLERS, np.where(is_res, line_vendor - 1000, 0)), ak.take(vendor_names, vidx))
    smode = h.pick("po.serial.mode", [0.92, 0.03, 0.05], line_dev)
    serial = ak.null_where(serial_display(w.serial.take(pa.array(line_dev)), smode), ~is_serial)
    hw = {
        "po": line_po, "line": po_line, "order": w.order[line_dev], "vendor": vendor,
        "category": ak.const("hardware", len(line_dev)),
        "description": ak.take([m.desc for m in C.MODELS], w.model[line_dev]),
        "quantity": line_qty, "unit_cost": w.price_cur[line_dev], "currency": w.currency[line_dev],
        "cost_center": ak.take(w.org.cc_code, w.cc0[line_dev]),
        "manufacturer": ak.take([m.key for m in C.MANUFACTURERS], w.mfr[line_dev]),
        "model": ak.take([m.name for m in C.MODELS], w.model[line_dev]),
        "serial_number": serial, "contract_id": ak.const(None, len(line_dev)),
        "requester_email": email(w, np.where(is_serial, w.user0[line_dev], -1)),
        "hw_device": np.where(is_serial, line_dev, -1),
    }

    # software and SaaS: one line per entitlement
    sw_po = n_hw_po + np.arange(len(ents))
    sw = {
        "po": sw_po, "line": np.ones(len(ents), np.int64), "order": np.array([e.purchase for e in ents], np.int64),
        "vendor": pa.array([e.vendor for e in ents], pa.string()),
        "category": pa.array([e.category for e in ents], pa.string()),
        "description": pa.array([f"{e.product} ({e.metric} licence)" + (" annual subscription" if e.term_end else "")
                                 for e in ents], pa.string()),
        "quantity": np.array([e.quantity for e in ents], np.int64),
        "unit_cost": np.array([e.unit_cost for e in ents], np.int64),
        "currency": np.array([CUR[e.currency] for e in ents], np.int64),
        "cost_center": pa.array([e.cost_center for e in ents], pa.string()),
        "manufacturer": ak.const(None, len(ents)), "model": ak.const(None, len(ents)),
        "serial_number": ak.const(None, len(ents)),
        "contract_id": pa.array([e.contract_id for e in ents], pa.string()),
        "requester_email": ak.const(None, len(ents)), "hw_device": np.full(len(ents), -1),
    }
    # cloud: one invoice line per month (USD), and services: consulting per month
    cm = cloud_monthly
    c_po = n_hw_po + len(ents) + np.arange(len(cm))
    cloud = {
        "po": c_po, "line": np.ones(len(cm), np.int64), "order": cm["month_end"].to_numpy(np.int64),
        "vendor": ak.const("Amazon Web Services EMEA SARL", len(cm)), "category": ak.const("cloud", len(cm)),
        "description": pa.array(["AWS usage " + p for p in cm["period"]], pa.string()),
        "quantity": np.ones(len(cm), np.int64), "unit_cost": cm["cents"].to_numpy(np.int64),
        "currency": np.full(len(cm), CUR["USD"]), "cost_center": ak.const("CC-IT-INFRA", len(cm)),
        "manufacturer": ak.const(None, len(cm)), "model": ak.const(None, len(cm)),
        "serial_number": ak.const(None, len(cm)), "contract_id": ak.const("CTR-AWS-EDP-2024", len(cm)),
        "requester_email": ak.const("finops.lead@example.com", len(cm)), "hw_device": np.full(len(cm), -1),
    }
    months = month_start(np.arange(w.dates[0] - 400, w.end + 1, 28))
    months = np.unique(months)
    scale = max(1.0, w.devices / 1000)
    svc_cents = np.round(h.uniform("svc.amt", 8000, 16000, months) * scale * 100).astype(np.int64)
    s_po = n_hw_po + len(ents) + len(cm) + np.arange(len(months))
    svc = {
        "po": s_po, "line": np.ones(len(months), np.int64), "order": months + 3,
        "vendor": ak.take(["Accenture", "Capgemini", "Atos IT Solutions"], h.ints("svc.vendor", 3, months)),
        "category": ak.const("service", len(months)),
        "description": ak.take(["Infrastructure consulting", "Workplace migration project", "Managed service desk"],
                               h.ints("svc.desc", 3, months)),
        "quantity": np.ones(len(months), np.int64), "unit_cost": svc_cents,
        "currency": np.where(h.u("svc.usd", months) < 0.3, CUR["USD"], CUR["EUR"]),
        "cost_center": ak.take(["CC-IT-INFRA", "CC-IT-WORKPLACE"], h.ints("svc.cc", 2, months)),
        "manufacturer": ak.const(None, len(months)), "model": ak.const(None, len(months)),
        "serial_number": ak.const(None, len(months)), "contract_id": ak.const(None, len(months)),
        "requester_email": ak.const(None, len(months)), "hw_device": np.full(len(months), -1),
    }
    parts = [hw, sw, cloud, svc]
    po_all = np.concatenate([p["po"] for p in parts])
    line_all = np.concatenate([p["line"] for p in parts])
    order_all = np.concatenate([p["order"] for p in parts])
    o = np.lexsort((line_all, po_all, order_all))

    def cat_str(name):
        return pa.concat_arrays([p[name].cast(pa.string()) for p in parts]).take(pa.array(o))

    def cat_num(name):
        return np.concatenate([np.asarray(p[name]) for p in parts])[o]

    # PO numbers follow order dates: renumber in final order
    po_sorted = po_all[o]
    _, first_seen = np.unique(po_sorted, return_index=True)
    rank = np.empty(len(first_seen), np.int64)
    rank[np.argsort(first_seen, kind="stable")] = np.arange(len(first_seen))
    po_num = rank[np.searchsorted(np.unique(po_sorted), po_sorted)]
    table = pa.table({
        "po_number": ak.cat("PO-", ak.padded(po_num + 100001, 7)),
        "po_line": ak.num(cat_num("line")),
        "order_date": ak.date32(order_all[o]),
        "vendor": cat_str("vendor"),
        "category": cat_str("category"),
        "description": cat_str("description"),
        "quantity": pa.array(cat_num("quantity"), pa.int64()),
        "unit_cost": ak.money(cat_num("unit_cost")),
        "currency": ak.take(C.CURRENCIES, cat_num("currency")),
        "cost_center": cat_str("cost_center"),
        "manufacturer": cat_str("manufacturer"),
        "model": cat_str("model"),
        "serial_number": cat_str("serial_number"),
        "contract_id": cat_str("contract_id"),
        "requester_email": cat_str("requester_email"),
        # issue 14: optional contract column (Snipe-IT); generated purchases match by serial
        "asset_tag": pa.nulls(len(o), pa.string()),
    })
    return Lines(table, order_all[o], cat_num("hw_device"))


# ---------------------------------------------------------------------------------------------
def fixed_assets(w: World, e: int) -> pa.Table:
    st = w.states[e]
    h = w.h
    dev = np.flatnonzero(st.fa)
    n_cc = len(w.org.cc_code)
    cc = st.fa_cc[dev].copy()
    drift = np.isin(dev, w.planted["drift_cost_center"])
    cc[drift] = (cc[drift] + 1 + h.ints("fa.drift.cc", n_cc - 1, dev[drift])) % n_cc
    life = np.array(C.USEFUL_LIFE)[w.cls[dev]]
    vary = h.u("fa.life", dev) < 0.1
    life = np.where(vary, np.array([36, 48, 60])[h.ints("fa.life.pick", 3, dev)], life)
    method = np.where(w.cls[dev] == C.SERVER, 1, 0)
    smode = h.pick("fa.serial.mode", [0.95, 0.05], dev)
    serial = ak.null_where(serial_display(w.serial.take(pa.array(dev)), smode), fa_serial_blank(w)[dev])
    disposed = st.disposed_ever[dev]
    return pa.table({
        "asset_tag": w.asset_tag.take(pa.array(dev)),
        "acquisition_cost": ak.money(w.price_cur[dev]),
        "currency": ak.take(C.CURRENCIES, w.currency[dev]),
        "in_service_date": ak.date32(w.order[dev] + 10),
        "useful_life_months": pa.array(life, pa.int64()),
        "cost_center": ak.take(w.org.cc_code, cc),
        "serial_number": serial,
        "depreciation_method": ak.null_where(ak.take(["straight_line", "declining_balance"], method),
                                             h.u("fa.method.blank", dev) < 0.04),
        # Devices the CMDB marks disposed without ever retiring them (the planted invalid
        # transitions) have no retirement date: the register never recorded their disposal.
        "disposal_date": ak.date32(np.minimum(w.retire[dev], BIG - 61) + 60, mask=~disposed | (w.retire[dev] >= BIG)),
    })


def cost_centers(w: World) -> pa.Table:
    o = w.org
    return pa.table({
        "cost_center": pa.array(o.cc_code, pa.string()),
        "name": pa.array(o.cc_name, pa.string()),
        "department": pa.array([C.DEPARTMENTS[d][0] for d in o.cc_dept], pa.string()),
        "owner_email": pa.array(o.cc_owner, pa.string()),
        "parent_cost_center": pa.array(o.cc_parent, pa.string()),
    })


# ---------------------------------------------------------------------------------------------
def gl_months(w: World) -> np.ndarray:
    end_m = month_start([w.end])[0]
    start = min(int(add_months_days([end_m], -11)[0]), int(add_months_days(month_start([w.dates[0]]), -2)[0]))
    months = [start]
    while months[-1] < end_m:
        months.append(int(add_months_days([months[-1]], 1)[0]))
    return np.array(months, np.int64)


def period_of(month_day: np.ndarray) -> list[str]:
    return [str(np.datetime64(int(m), "D"))[:7] for m in month_day]


def cloud_costs(w: World) -> tuple[pa.Table, np.ndarray, pd.DataFrame]:
    """FOCUS-like monthly charges per instance and per account service; returns the table, each
    row's month-end day (for export windows) and the monthly totals per cost center."""
    h = w.h
    months = gl_months(w)
    inst = np.flatnonzero(w.cls == C.CLOUD)
    rows = []
    hourly = np.array([m.hourly_usd for m in C.MODELS])[w.model[inst]]
    start_s = w.created[inst]
    end_s = np.where(w.retire[inst] >= BIG, BIG * DAY, w.retire[inst] * DAY)
    reserved = h.u("cloud.reserved", inst) < 0.4
    untagged = h.u("cloud.untagged", inst) < 0.1
    env = ak.take(["prod", "staging", "dev"], h.pick("cloud.env", [0.5, 0.2, 0.3], inst))
    region = h.pick("cloud.region", [0.6, 0.3, 0.1], inst)
    accounts = np.unique(w.cloud_account[inst])
    for mi, m in enumerate(months):
        ms, me = m * DAY, int(add_months_days([m], 1)[0]) * DAY
        secs = np.clip(np.minimum(end_s, me) - np.maximum(start_s, ms), 0, None)
        on = secs > 0
        if on.any():
            i = inst[on]
            hours = secs[on] / 3600.0
            lst = np.round(hours * hourly[on] * 100).astype(np.int64)
            billed = np.where(reserved[on], np.round(lst * 0.62).astype(np.int64), lst)
            tags = ak.cat('{"cost_center": "', ak.take(w.org.cc_code, w.cloud_account[i]), '", "env": "',
                          env.take(pa.array(np.flatnonzero(on))), '"}')
            rows.append({
                "charge_period_start": np.full(on.sum(), ms), "charge_period_end": np.full(on.sum(), me),
                "month": np.full(on.sum(), mi), "billed": billed, "list": lst, "effective": billed,
                "account": w.cloud_account[i],
                "service": ak.const("Amazon Elastic Compute Cloud", len(i)), "category": ak.const("Compute", len(i)),
                "resource_id": w.instance_id.take(pa.array(i)), "resource_name": w.hostname.take(pa.array(i)),
                "region": ak.take(C.AWS_REGIONS, region[on]), "tags": ak.null_where(tags, untagged[on]),
                "charge_kind": ak.const("Usage", len(i)), "key": i * 1000 + mi,
                "tag_cc": np.where(untagged[on], -1, w.cloud_account[i]),
            })
        # account-level services: storage and databases tagged, transfer and support not
        n_acc = len(accounts)
        if n_acc:
            acc = np.repeat(accounts, len(C.AWS_SERVICES))
            svc = np.tile(np.arange(len(C.AWS_SERVICES)), n_acc)
            base = np.array([s[2] for s in C.AWS_SERVICES])[svc]
            size = np.maximum(1, np.bincount(w.cloud_account[inst], minlength=len(w.org.cc_code))[acc])
            cents = np.round(base * (0.6 + 0.1 * size) * h.uniform("cloud.svc.amt", 0.8, 1.2, acc, svc, mi) * 100).astype(np.int64)
            tagged = svc < 2
            tags = ak.cat('{"cost_center": "', ak.take(w.org.cc_code, acc), '"}')
            rows.append({
                "charge_period_start": np.full(len(acc), ms), "charge_period_end": np.full(len(acc), me),
                "month": np.full(len(acc), mi), "billed": cents, "list": cents, "effective": cents,
                "account": acc, "service": ak.take([s[0] for s in C.AWS_SERVICES], svc),
                "category": ak.take([s[1] for s in C.AWS_SERVICES], svc),
                "resource_id": ak.const(None, len(acc)), "resource_name": ak.const(None, len(acc)),
                "region": ak.take(C.AWS_REGIONS, np.zeros(len(acc), np.int64)),
                "tags": ak.where(tagged, tags, ak.take(["{}", None], h.ints("cloud.svc.tags", 2, acc, svc))),
                "charge_kind": ak.where(svc == 3, ak.const("Fee", len(acc)), ak.const("Usage", len(acc))),
                "key": 10**9 + (acc * 10 + svc) * 1000 + mi,
                "tag_cc": np.where(tagged, acc, -1),
            })
    if not rows:
        rows.append({k: np.zeros(0, np.int64) for k in ("charge_period_start", "charge_period_end", "month",
                                                          "billed", "list", "effective", "account", "key",
                                                          "tag_cc")})
    def cat(name):
        vals = [r[name] for r in rows]
        if isinstance(vals[0], np.ndarray):
            return np.concatenate(vals)
        return pa.concat_arrays([v.cast(pa.string()) for v in vals])
    key = cat("key")
    charge = h.bits("cloud.charge", key)
    charge_bytes = np.ascontiguousarray(charge.astype(">u8")).view(np.uint8).reshape(len(key), 8)
    month = cat("month")
    table = pa.table({
        "charge_period_start": ak.timestamp(cat("charge_period_start")),
        "charge_period_end": ak.timestamp(cat("charge_period_end")),
        "provider": ak.const("AWS", len(key)),
        "billing_account_id": ak.const("123456789012", len(key)),
        "sub_account_id": cloud_account_id(cat("account")),
        "sub_account_name": ak.cat(ak.lower(ak.take([c[3:] for c in w.org.cc_code], cat("account"))), "-aws"),
        "service_name": cat("service"),
        "service_category": cat("category"),
        "resource_id": cat("resource_id"),
        "resource_name": cat("resource_name"),
        "charge_category": cat("charge_kind"),
        "billed_cost": ak.money(cat("billed")),
        "effective_cost": ak.money(cat("effective")),
        "list_cost": ak.money(cat("list")),
        "currency": ak.const("USD", len(key)),
        "region": cat("region"),
        "tags": cat("tags"),
        "charge_id": ak.hex_bytes(charge_bytes, ""),
    })
    month_end = np.array([int(add_months_days([m], 1)[0]) - 1 for m in months], np.int64)[month] if len(month) else month
    monthly = pd.DataFrame({"month": month, "tag_cc": cat("tag_cc"), "cents": cat("billed")})
    per_cc = monthly.groupby(["month", "tag_cc"], as_index=False)["cents"].sum()
    totals = monthly.groupby("month", as_index=False)["cents"].sum()
    totals["month_end"] = [int(add_months_days([months[m]], 1)[0]) - 1 for m in totals["month"]]
    totals["period"] = period_of(months[totals["month"].to_numpy()])
    per_cc["period"] = period_of(months[per_cc["month"].to_numpy()]) if len(per_cc) else []
    per_cc["month_end"] = [int(add_months_days([months[m]], 1)[0]) - 1 for m in per_cc["month"]]
    return table, month_end, (totals, per_cc)


def gl_lines(w: World, lines: Lines, ents: list[Entitlement], cloud_per_cc: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Every GL line of the covered months (pandas, typed), and each line's month-end day."""
    h = w.h
    months = gl_months(w)
    periods = period_of(months)
    month_ends = np.array([int(add_months_days([m], 1)[0]) - 1 for m in months], np.int64)
    frames = []
    codes = w.org.cc_code
    t = lines.table
    # hardware: purchases per PO and cost center (capitalised units to the asset account)
    hw = pd.DataFrame({
        "order": lines.order_day, "po": t["po_number"].to_numpy(zero_copy_only=False),
        "category": t["category"].to_numpy(zero_copy_only=False),
        "vendor": t["vendor"].to_numpy(zero_copy_only=False),
        "cc": t["cost_center"].to_numpy(zero_copy_only=False),
        "cur": t["currency"].to_numpy(zero_copy_only=False),
        "cents": np.asarray(lines.table["quantity"].to_numpy(), np.int64) * _cents(t["unit_cost"]),
        "unit_cents": _cents(t["unit_cost"]),
    })
    hw = hw[hw["category"] == "hardware"]
    rate = fx_rates(np.array([CUR[c] for c in hw["cur"]], np.int64), hw["order"].to_numpy())
    hw = hw.assign(capex=(hw["unit_cents"].to_numpy() * rate >= 100000),
                   month=np.searchsorted(months, hw["order"].to_numpy(), side="right") - 1)
    hw = hw[(hw["month"] >= 0)]
    g = hw.groupby(["month", "po", "cc", "cur", "capex", "vendor"], as_index=False, sort=True)["cents"].sum()
    frames.append(pd.DataFrame({
        "month": g["month"], "journal": "HW", "account": np.where(g["capex"], "1610", "6100"),
        "category": "hardware", "cc": g["cc"], "cents": g["cents"], "cur": g["cur"], "vendor": g["vendor"],
        "po": g["po"], "description": "Hardware purchase " + g["po"],
    }))
    # software purchases, subscriptions (monthly), maintenance on perpetual licences
    po_by_contract = dict(zip(t["contract_id"].to_pylist(), t["po_number"].to_pylist()))
    recs = []
    for mi, (m, me) in enumerate(zip(months, month_ends)):
        for en in ents:
            total = en.quantity * en.unit_cost
            if en.metric == "subscription":
                if en.term_start is not None and en.term_start <= me and en.term_end >= m:
                    recs.append((mi, "SAAS", "6210", "saas", en.cost_center, int(round(total / 12)), en.currency,
                                 en.vendor, po_by_contract.get(en.contract_id), f"{en.product} subscription"))
            else:
                if m <= en.purchase <= me:
                    recs.append((mi, "SW", "6200", "software", en.cost_center, total, en.currency, en.vendor,
                                 po_by_contract.get(en.contract_id), f"{en.product} licences"))
                if en.purchase <= me and en.maintenance_end and en.maintenance_end >= m:
                    recs.append((mi, "MNT", "6400", "maintenance", en.cost_center, int(round(total * 0.2 / 12)),
                                 en.currency, en.vendor, None, f"{en.product} software assurance"))
    scale = max(1.0, w.devices / 1000)
    for si, (cat, acct, cc, vendor, desc, per_k, cur) in enumerate(C.SERVICE_COSTS):
        if cc not in codes:
            continue
        amt = np.round(per_k * scale * h.uniform("gl.svc", 0.9, 1.1, si, months) * 100).astype(np.int64)
        j = {"services": "SVC", "maintenance": "MNT", "other": "OTH"}[cat]
        for mi in range(len(months)):
            recs.append((mi, j, acct, cat, cc, int(amt[mi]), cur, vendor, None, desc))
    # telecom per cost center, a small 'other' line each
    for mi in range(len(months)):
        amt = np.round(h.uniform("gl.tel", 150, 900, np.arange(len(codes)), mi) * scale ** 0.5 * 100).astype(np.int64)
        for ci, code in enumerate(codes):
            recs.append((mi, "OTH", "6900", "other", code, int(amt[ci]), "EUR", "Vodafone", None,
                         "Mobile plans and devices"))
    if recs:
        frames.append(pd.DataFrame(recs, columns=["month", "journal", "account", "category", "cc", "cents", "cur",
                                                  "vendor", "po", "description"]))
    # cloud per tagged cost center, untagged to shared infrastructure
    if len(cloud_per_cc):
        cc_code = np.where(cloud_per_cc["tag_cc"].to_numpy() >= 0,
                           np.array(codes, dtype=object)[np.maximum(cloud_per_cc["tag_cc"].to_numpy(), 0)],
                           "CC-IT-INFRA")
        frames.append(pd.DataFrame({
            "month": cloud_per_cc["month"], "journal": "CLD", "account": "6300", "category": "cloud",
            "cc": cc_code, "cents": cloud_per_cc["cents"], "cur": "USD", "vendor": "Amazon Web Services EMEA SARL",
            "po": None, "description": np.where(cloud_per_cc["tag_cc"].to_numpy() >= 0, "AWS usage (tagged)",
                                                "AWS usage (untagged, shared)"),
        }))
    gl = pd.concat(frames, ignore_index=True)
    gl = gl.groupby(["month", "journal", "account", "category", "cc", "cur", "vendor", "description"],
                    as_index=False, sort=True, dropna=False).agg(cents=("cents", "sum"), po=("po", "first"))
    gl = gl[gl["cents"] != 0]
    jorder = {"HW": 0, "SW": 1, "SAAS": 2, "MNT": 3, "CLD": 4, "SVC": 5, "OTH": 6}
    gl = gl.assign(jo=gl["journal"].map(jorder)).sort_values(["month", "jo", "cc", "account", "vendor", "description"],
                                                             kind="stable")
    gl["line_no"] = gl.groupby(["month", "journal"]).cumcount() + 1
    gl["period"] = np.array(periods, dtype=object)[gl["month"].to_numpy()]
    gl["journal_id"] = "JE-" + gl["period"].str.replace("-", "") + "-" + gl["journal"]
    gl = gl.reset_index(drop=True)
    return gl, month_ends[gl["month"].to_numpy()]


def gl_table(gl: pd.DataFrame) -> pa.Table:
    return pa.table({
        "period": pa.array(gl["period"].tolist(), pa.string()),
        "journal_id": pa.array(gl["journal_id"].tolist(), pa.string()),
        "line_no": pa.array(gl["line_no"].to_numpy(np.int64)),
        "gl_account": pa.array(gl["account"].tolist(), pa.string()),
        "account_category": pa.array(gl["category"].tolist(), pa.string()),
        "cost_center": pa.array(gl["cc"].tolist(), pa.string()),
        "amount": ak.money(gl["cents"].to_numpy(np.int64)),
        "currency": pa.array(gl["cur"].tolist(), pa.string()),
        "vendor": pa.array(gl["vendor"].tolist(), pa.string()),
        "po_number": pa.array([None if (p is None or p != p) else p for p in gl["po"].tolist()], pa.string()),
        "description": pa.array(gl["description"].tolist(), pa.string()),
    })


def _cents(arr: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """decimal128(18,2) -> int64 cents (reads the low 64 bits of each value)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    buf = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    return buf[2 * arr.offset: 2 * (arr.offset + len(arr)): 2].copy()
