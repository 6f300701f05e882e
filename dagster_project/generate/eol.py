"""End-of-life reference data: reference/eol_cycles as endoflife.date publishes it at each export
date (catalog.EOL_CYCLES), and the devices the refresh plan must therefore list with reason
end_of_life (manifest other.end_of_life). Reference data is a few dozen rows; the per-device work
is a handful of numpy operations per export."""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from dagster_project.generate import arrowkit as ak
from dagster_project.generate import catalog as C
from dagster_project.generate.entities import agent_os_version_blank
from dagster_project.generate.world import (
    AGENT_CLASSES,
    BIG,
    IN_REPAIR,
    IN_STOCK,
    IN_USE,
    PLANNED,
    UNMANAGED,
    World,
    add_months_days,
)

LIVE_STATES = (PLANNED, IN_STOCK, IN_USE, IN_REPAIR)


def _day(iso: str) -> int:
    return int(np.datetime64(iso, "D").astype(np.int64))


def _published(c: C.EolCycle, day: int) -> tuple[int | None, bool | None]:
    """(eol date as a day number, eol flag) as published on `day`: a date or a flag, never both."""
    if isinstance(c.eol, str):
        return _day(c.eol), None
    return None, bool(c.eol or (c.eol_true_from is not None and day >= _day(c.eol_true_from)))


def eol_cycles_table(day: int) -> pa.Table:
    """reference/eol_cycles at export `day`: the cycles released by then."""
    rows = [c for c in C.EOL_CYCLES if _day(c.release) <= day]
    pub = [_published(c, day) for c in rows]

    def dates(values):  # ISO text or day numbers, None = blank
        days = np.array([-1 if v is None else (_day(v) if isinstance(v, str) else v) for v in values], np.int64)
        return ak.date32(days, mask=np.array([v is None for v in values], bool))
    return pa.table({
        "product": pa.array([c.product for c in rows], pa.string()),
        "cycle": pa.array([c.cycle for c in rows], pa.string()),
        "release_date": dates([c.release for c in rows]),
        "eol_date": dates([d for d, _ in pub]),
        "eol_flag": pa.array([f for _, f in pub], pa.bool_()),
        "support_end_date": dates([c.support_end for c in rows]),
        "latest": pa.array([c.latest for c in rows], pa.string()),
        "lts": pa.array([c.lts for c in rows], pa.bool_()),
        # endoflife.date's extended support (eoes): none of the generated cycles publishes one
        "extended_support_date": ak.date32(np.full(len(rows), -1, np.int64), mask=np.ones(len(rows), bool)),
    })


def _due_days(day: int) -> np.ndarray:
    """Per catalog cycle, the day it is (or was) at end of life as published on `day`; BIG when
    none is known or the cycle is not published yet. `eol: true` means due on the day itself."""
    out = np.full(len(C.EOL_CYCLES), BIG, np.int64)
    for j, c in enumerate(C.EOL_CYCLES):
        if _day(c.release) > day:
            continue
        d, flag = _published(c, day)
        out[j] = d if d is not None else (day if flag else BIG)
    return out


def end_of_life_cases(w: World, iso_dates: list[str], serial_of: Callable[[int], str | None]) -> dict:
    """The manifest's other.end_of_life: the catalog cycles the fleet runs and, per export, whether
    each is due within the horizon; and the devices the refresh plan lists with end_of_life at the
    last export (grouped by cycle and the exports at which they hold). A device counts when its CMDB
    record is live (not retired or disposed, no register disposal by then) or it is an unmanaged
    device, and a source reporting its OS has seen it (model basis: the CMDB model). The warehouse
    may list more: retired devices dropped from the CMDB fall back to `in_stock` (purchase line).
    `serial_of(i)`: device i's serial as the manifest writes it."""
    n, E = w.n, len(w.dates)
    key = {(c.product, c.cycle): j for j, c in enumerate(C.EOL_CYCLES)}

    def cycle_index(pc) -> int:
        return key[pc] if pc and pc[1] is not None else -1
    os_full = np.array([cycle_index(C.EOL_OF_OS.get((o[1], o[2]), (None, None))[:2])
                        for o in C.OPERATING_SYSTEMS] + [-1])
    os_blank = np.array([cycle_index((v[0], v[2])) if (v := C.EOL_OF_OS.get((o[1], o[2]))) else -1
                         for o in C.OPERATING_SYSTEMS] + [-1])
    model_cyc = np.array([cycle_index(C.EOL_OF_MODEL.get(m.name)) for m in C.MODELS])
    # the agent is the only OS source that leaves the version blank
    blank = agent_os_version_blank(w, np.arange(n)) & np.isin(w.cls, AGENT_CLASSES)
    os_row = np.where(w.os >= 0, w.os, len(C.OPERATING_SYSTEMS))
    os_cyc = np.where(blank, os_blank[os_row], os_full[os_row])
    m_cyc = model_cyc[w.model]

    os_known = np.zeros(n, bool)
    due_at = np.full((E, n), BIG, np.int64)
    basis_at = np.zeros((E, n), np.int8)  # 0 os, 1 model
    cyc_at = np.full((E, n), -1, np.int64)
    cycle_due = np.zeros((E, len(C.EOL_CYCLES)), bool)
    for e, x in enumerate(w.dates):
        st = w.states[e]
        os_known |= st.agent | st.mdm | st.cloud
        horizon = int(add_months_days(np.array([x]), C.EOL_HORIZON_MONTHS)[0])
        due = _due_days(x)
        cycle_due[e] = due <= horizon
        # the warehouse takes a register disposal (ledger.fixed_assets: retired + 60 days) on or
        # before the date over the CMDB status
        register_disposed = st.fa & st.disposed_ever & (w.retire + 60 <= x)
        alive = (st.present & np.isin(st.status, LIVE_STATES) & ~register_disposed) | (w.seg == UNMANAGED)
        d_os = np.where(os_known & (os_cyc >= 0), due[np.maximum(os_cyc, 0)], BIG)
        d_model = np.where(st.present & (m_cyc >= 0), due[np.maximum(m_cyc, 0)], BIG)
        # the earliest date decides; on a tie the warehouse names the basis first in sort order
        use_model = d_model <= d_os
        d = np.where(use_model, d_model, d_os)
        hit = alive & (d <= horizon)
        due_at[e] = np.where(hit, d, BIG)
        basis_at[e] = use_model
        cyc_at[e] = np.where(use_model, m_cyc, os_cyc)

    last_hits = np.flatnonzero(due_at[-1] < BIG)
    groups: dict[tuple, list] = {}
    for i in last_hits:
        exports = tuple(iso_dates[e] for e in range(E) if due_at[e, i] < BIG)
        groups.setdefault((int(cyc_at[-1, i]), int(basis_at[-1, i]), exports), []).append(serial_of(int(i)))
    cases = []
    for (j, b, exports), serials in sorted(groups.items()):
        c = C.EOL_CYCLES[j]
        eol_date, eol_flag = _published(c, w.dates[-1])
        cases.append({"product": c.product, "cycle": c.cycle, "basis": ("os", "model")[b],
                      "eol_date": c.eol if eol_date is not None else None, "eol_flag": eol_flag,
                      "exports": list(exports), "serial_numbers": sorted(serials)})

    used: dict[int, list[str]] = {}
    for (name, version), (product, cycle, _) in C.EOL_OF_OS.items():
        used.setdefault(key[(product, cycle)], []).append(f"{name} {version}")
    for model, pc in C.EOL_OF_MODEL.items():
        used.setdefault(key[pc], []).append(model)
    counts = np.bincount(cyc_at[-1, last_hits], minlength=len(C.EOL_CYCLES))
    cycles = []
    for j in sorted(used):
        c = C.EOL_CYCLES[j]
        eol_date, eol_flag = _published(c, w.dates[-1])
        last_due = bool(cycle_due[-1, j])
        if eol_date is None:
            state = "eol_true" if eol_flag else "eol_false"
        elif eol_date < w.dates[-1]:
            state = "past"
        else:
            state = "within_horizon" if last_due else "later"
        cycles.append({"product": c.product, "cycle": c.cycle,
                       "eol_date": c.eol if eol_date is not None else None, "eol_flag": eol_flag,
                       "generated_as": sorted(used[j]), "last_export": state,
                       "due_in_exports": [iso_dates[e] for e in range(E) if cycle_due[e, j]],
                       "devices_last_export": int(counts[j])})
    return {"horizon_months": C.EOL_HORIZON_MONTHS, "cycles": cycles, "cases": cases}
