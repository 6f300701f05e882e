"""itam export cost-allocation: the cost allocation of a month or a quarter as finance pulls it.

Reads the published warehouse read-only and writes the rows of `marts.fct_cost_allocation` at the
warehouse's latest as-of date, plus their provenance: a `header` sheet (xlsx) or a sidecar JSON
next to the file (csv, parquet; same name, `.json`) stating the as-of date, the source loads (from
`audit.loads`) and the totals. Money stays exact: decimals in the files, strings in the JSON.
"""
from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from dagster_project.cli import CliError
from dagster_project.outputs import (
    DATE_FORMAT,
    OutputError,
    check_target,
    csv_bytes,
    key_value_sheet,
    money_format,
    new_workbook,
    table_sheet,
    workbook_bytes,
    write_file,
)
from dagster_project.period import Period

MART = "marts.fct_cost_allocation"
COLUMNS = ("as_of_date", "period", "cost_center", "cost_center_name", "cost_category", "amount",
           "allocation_method", "allocation_driver", "source_gl_amount", "allocated_in_amount",
           "spread_out_amount", "currency")
MONEY = {"amount", "source_gl_amount", "allocated_in_amount", "spread_out_amount"}
# Entities whose loads feed the allocation drivers (docs/decisions/cost-allocation-drivers.md).
DRIVER_ENTITIES = ("configuration_items", "devices", "purchase_lines", "fixed_assets",
                   "license_entitlements", "cloud_costs", "cost_centers")


def periods_of(text: str) -> list[str]:
    """'2026-09' → ['2026-09']; '2026Q3' or '2026-Q3' → ['2026-07', '2026-08', '2026-09']
    (the project's one period syntax, dagster_project/period.py)."""
    try:
        return Period.parse(text).months
    except ValueError as exc:
        raise CliError(str(exc)) from None


def _money(v) -> str:
    return f"{Decimal(v):.2f}"


def _fetch(con, sql: str, params: list | None = None) -> list[dict]:
    rel = con.execute(sql, params or [])
    cols = [d[0] for d in rel.description]
    return [dict(zip(cols, r)) for r in rel.fetchall()]


def read_cost_allocation(warehouse: Path, period: str) -> tuple[list[dict], dict]:
    """The rows of the period(s) and the header describing them. Raises CliError when there is
    nothing to export."""
    import duckdb

    periods = periods_of(period)
    if not warehouse.is_file():
        raise CliError(f"warehouse {warehouse} does not exist (run `itam build` or point --warehouse at it)")
    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error as exc:
        raise CliError(f"cannot open {warehouse} read-only: {str(exc).splitlines()[0]}")
    try:
        has_mart = con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'fct_cost_allocation'").fetchone()[0]
        if not has_mart:
            raise CliError(f"{warehouse} has no {MART} (built by an older version: run `itam build`)")
        as_of, first, last = con.execute(f"select max(as_of_date), min(period), max(period) from {MART}").fetchone()
        if as_of is None:
            raise CliError(f"{warehouse} has no cost allocation (no finance/gl_lines were exported)")
        marks = ", ".join("?" for _ in periods)
        rows = _fetch(con, f"""
            select a.as_of_date, a.period, a.cost_center, c.cost_center_name, a.cost_category, a.amount,
                   a.allocation_method, a.allocation_driver, a.source_gl_amount, a.allocated_in_amount,
                   a.spread_out_amount, a.currency
            from {MART} a
            left join marts.dim_cost_center c on c.as_of_date = a.as_of_date and c.cost_center = a.cost_center
            where a.as_of_date = ? and a.period in ({marks})
            order by a.period, a.cost_center, a.cost_category""", [as_of, *periods])
        if not rows:
            raise CliError(f"no cost allocation for {period} in {warehouse} as of {as_of} "
                           f"(periods with data: {first} to {last})")
        header = _header(con, warehouse, period, periods, as_of, rows)
    finally:
        con.close()
    return rows, header


def _header(con, warehouse: Path, period: str, periods: list[str], as_of, rows: list[dict]) -> dict:
    by_period = []
    for p in periods:
        sel = [r for r in rows if r["period"] == p]
        if sel:
            by_period.append({"period": p, "rows": len(sel),
                              "gl_total": _money(sum(r["source_gl_amount"] for r in sel)),
                              "allocated_total": _money(sum(r["amount"] for r in sel))})
    by_method: dict[str, Decimal] = {}
    for r in rows:
        by_method[r["allocation_method"]] = by_method.get(r["allocation_method"], Decimal(0)) + r["amount"]
    marks = ", ".join("?" for _ in periods)
    # The GL files whose lines are in these periods (exact lineage through raw._load_id) and the
    # files the drivers were measured on (every load up to the latest driver snapshot used).
    gl_loads = _fetch(con, f"""
        select 'gl_lines' as role, l.load_id, l.source, l.entity, l.export_date, l.file, l.content_hash, l.rows_loaded
        from audit.loads l
        where l.load_id in (select distinct _load_id from raw.gl_lines
                            where period in ({marks}) and _export_date <= ?)
        order by l.export_date, l.file""", [*periods, as_of])
    driver_date = con.execute(
        f"select max(driver_date) from marts.fct_cost_allocation_detail where as_of_date = ? and period in ({marks})",
        [as_of, *periods]).fetchone()[0]
    driver_loads = [] if driver_date is None else _fetch(con, f"""
        select 'drivers' as role, load_id, source, entity, export_date, file, content_hash, rows_loaded
        from audit.loads
        where status = 'loaded' and export_date <= ? and entity in ({', '.join('?' for _ in DRIVER_ENTITIES)})
        order by export_date, file""", [driver_date, *DRIVER_ENTITIES])
    build = _fetch(con, "select build_id, finished_at from audit.builds order by finished_at desc nulls last limit 1")
    taxonomy = con.execute("select content_hash from taxonomy.meta limit 1").fetchone()
    return {
        "export": "cost-allocation",
        "mart": MART,
        "period": Period.parse(period).label,
        "periods": [b["period"] for b in by_period],
        "as_of_date": str(as_of),
        "reporting_currency": rows[0]["currency"],
        "rows": len(rows),
        "totals": {
            "gl_total": _money(sum(r["source_gl_amount"] for r in rows)),
            "allocated_total": _money(sum(r["amount"] for r in rows)),
            "by_period": by_period,
            "by_method": {k: _money(v) for k, v in sorted(by_method.items())},
        },
        "source_loads": [{**ld, "export_date": str(ld["export_date"])} for ld in gl_loads + driver_loads],
        "warehouse": warehouse.name,  # a file name, never a local path (it is shared with finance)
        "build": {"build_id": build[0]["build_id"], "finished_at": str(build[0]["finished_at"])} if build else None,
        "taxonomy_version": taxonomy[0][:12] if taxonomy else None,
        "definition": "docs/marts.md, section fct_cost_allocation: amount = source_gl_amount - "
                      "spread_out_amount + allocated_in_amount; per period the amounts sum to the GL total",
    }


def _csv(rows: list[dict]) -> bytes:
    return csv_bytes(COLUMNS, [[None if r[c] is None else (Decimal(_money(r[c])) if c in MONEY else r[c])
                                for c in COLUMNS] for r in rows])


def _parquet(rows: list[dict]) -> bytes:
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {c: (pa.decimal128(18, 2) if c in MONEY else pa.date32() if c == "as_of_date" else pa.string())
             for c in COLUMNS}
    table = pa.table({c: pa.array([r[c] for r in rows], types[c]) for c in COLUMNS})
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()


def cost_center_by_category(rows: list[dict]) -> tuple[list[str], list[list], dict]:
    """The pivot finance reads first: one line per cost center, one column per cost category, the
    allocated amount in each cell, a row total per cost center; the totals row sums each column,
    and a last line gives the GL as posted per category. Both totals lines end in the GL total."""
    categories = sorted({r["cost_category"] for r in rows})
    centers = sorted({(r["cost_center"], r["cost_center_name"] or "") for r in rows})
    cell: dict[tuple[str, str], Decimal] = {}
    posted: dict[str, Decimal] = {}
    for r in rows:
        key = (r["cost_center"], r["cost_category"])
        cell[key] = cell.get(key, Decimal(0)) + r["amount"]
        posted[r["cost_category"]] = posted.get(r["cost_category"], Decimal(0)) + r["source_gl_amount"]
    columns = ["cost_center", "cost_center_name", *categories, "total"]
    out = []
    for code, name in centers:
        values = [cell.get((code, c), Decimal(0)) for c in categories]
        out.append([code, name, *values, sum(values, Decimal(0))])
    totals = {c: sum((v for (_, cat), v in cell.items() if cat == c), Decimal(0)) for c in categories}
    totals["total"] = sum(totals.values(), Decimal(0))
    gl = {c: posted.get(c, Decimal(0)) for c in categories}
    gl["total"] = sum(gl.values(), Decimal(0))
    return columns, out, {"allocated": totals, "gl": gl}


def _xlsx(rows: list[dict], header: dict) -> bytes:
    money = money_format(header["reporting_currency"])
    t = header["totals"]
    wb = new_workbook(f"Cost allocation {header['period']} as of {header['as_of_date']}")
    pairs = [("export", header["export"]), ("mart", header["mart"]), ("period", header["period"]),
             ("periods", ", ".join(header["periods"])), ("as_of_date", header["as_of_date"]),
             ("reporting_currency", header["reporting_currency"]), ("rows", header["rows"]),
             ("gl_total", Decimal(t["gl_total"])), ("allocated_total", Decimal(t["allocated_total"])),
             ("warehouse", header["warehouse"]), ("build_id", (header["build"] or {}).get("build_id")),
             ("taxonomy_version", header["taxonomy_version"]), ("definition", header["definition"])]
    hs = key_value_sheet(wb, "header", pairs, formats={"gl_total": money, "allocated_total": money})
    blocks = [(("period", "rows", "gl_total", "allocated_total"),
               [(b["period"], b["rows"], Decimal(b["gl_total"]), Decimal(b["allocated_total"])) for b in t["by_period"]]),
              (("allocation_method", "amount"), [(m, Decimal(a)) for m, a in t["by_method"].items()])]
    load_cols = ("role", "load_id", "source", "entity", "export_date", "file", "content_hash", "rows_loaded")
    blocks.append((("source_loads", *load_cols[1:]), [tuple(ld[c] for c in load_cols) for ld in header["source_loads"]]))
    from openpyxl.styles import Font

    for cols, lines in blocks:
        hs.append([])
        hs.append(list(cols))
        for c in hs[hs.max_row]:
            c.font = Font(bold=True)
        for line in lines:
            hs.append([v if isinstance(v, (int, Decimal)) else (None if v is None else str(v)) for v in line])
            for c in hs[hs.max_row]:
                if isinstance(c.value, Decimal):
                    c.number_format = money
    columns, pivot, totals = cost_center_by_category(rows)
    ws = table_sheet(wb, "by_cost_center", columns, pivot, totals=totals["allocated"],
                     formats={c: money for c in columns[2:]})
    ws.append(["GL as posted", None, *[totals["gl"][c] for c in columns[2:]]])
    for c in ws[ws.max_row]:
        c.font = Font(italic=True)
        c.number_format = money
    table_sheet(wb, "cost_allocation", COLUMNS, [[r[c] for c in COLUMNS] for r in rows],
                formats={**{c: money for c in MONEY}, "as_of_date": DATE_FORMAT},
                totals={"amount": sum(r["amount"] for r in rows),
                        "source_gl_amount": sum(r["source_gl_amount"] for r in rows)})
    return workbook_bytes(wb)


def output_path(out: Path | None, period: str, fmt: str) -> Path:
    name = f"cost-allocation-{Period.parse(period).label}.{fmt}"
    if out is None:
        return Path(name)
    return out / name if out.is_dir() else out


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def cost_allocation(args) -> int:
    periods_of(args.period)  # a bad period is refused before anything is read
    from dagster_project.commands.build import export_masker

    masker = export_masker(args)  # issue 17.6: every export goes through the privacy policy
    rows, header = read_cost_allocation(args.warehouse.resolve(), args.period)
    rows = [dict(zip(COLUMNS, r)) for r in masker.rows(COLUMNS, [[r[c] for c in COLUMNS] for r in rows])]
    path = output_path(args.out, args.period, args.format)
    force = bool(getattr(args, "force", False))
    protected = _protected(args)
    try:
        targets = [path] if args.format == "xlsx" else [path, sidecar_path(path)]
        for target in targets:  # refuse before writing anything
            check_target(target, force=force, protected=protected)
        if args.format == "xlsx":
            write_file(path, _xlsx(rows, header), force=force, protected=protected)
            written = str(path)
        else:
            write_file(path, (_csv if args.format == "csv" else _parquet)(rows), force=force, protected=protected)
            sidecar = sidecar_path(path)
            text = json.dumps(header, indent=1, ensure_ascii=False, default=str) + "\n"
            write_file(sidecar, text.encode("utf-8"), force=force, protected=protected)
            written = f"{path} (header in {sidecar})"
    except OutputError as exc:
        raise CliError(str(exc)) from None
    t = header["totals"]
    print(f"exported {header['rows']} rows of {', '.join(header['periods'])} as of {header['as_of_date']} "
          f"to {written}: GL total {t['gl_total']} {header['reporting_currency']}, allocated {t['allocated_total']}")
    return 0


def _protected(args) -> list:
    """The warehouse read (and the environment's), its landing, decisions and taxonomy."""
    import dataclasses

    from dagster_project.outputs import protected_paths
    from dagster_project.settings import Settings

    base = Settings.from_env()
    return protected_paths(dataclasses.replace(base, warehouse=args.warehouse.resolve())) + protected_paths(base)
