"""itam export cost-allocation: the cost allocation of a month or a quarter as finance pulls it.

Reads the published warehouse read-only and writes the rows of `marts.fct_cost_allocation` at the
warehouse's latest as-of date, plus their provenance: a `header` sheet (xlsx) or a sidecar JSON
next to the file (csv, parquet; same name, `.json`) stating the as-of date, the source loads (from
`audit.loads`) and the totals. Money stays exact: decimals in the files, strings in the JSON.
"""
from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path

from dagster_project.cli import CliError

MART = "marts.fct_cost_allocation"
COLUMNS = ("as_of_date", "period", "cost_center", "cost_center_name", "cost_category", "amount",
           "allocation_method", "allocation_driver", "source_gl_amount", "allocated_in_amount",
           "spread_out_amount", "currency")
MONEY = {"amount", "source_gl_amount", "allocated_in_amount", "spread_out_amount"}
# Entities whose loads feed the allocation drivers (docs/decisions/cost-allocation-drivers.md).
DRIVER_ENTITIES = ("configuration_items", "devices", "purchase_lines", "fixed_assets",
                   "license_entitlements", "cloud_costs", "cost_centers")
_PERIOD = re.compile(r"(\d{4})-(?:(0[1-9]|1[0-2])|[Qq]([1-4]))")


def periods_of(text: str) -> list[str]:
    """'2026-09' → ['2026-09']; '2026-Q3' → ['2026-07', '2026-08', '2026-09']."""
    m = _PERIOD.fullmatch(text.strip())
    if not m:
        raise CliError(f"'{text}' is not a period: write YYYY-MM (e.g. 2026-09) or YYYY-Qn (e.g. 2026-Q3)")
    year, month, quarter = m.groups()
    if month:
        return [f"{year}-{month}"]
    q = int(quarter)
    return [f"{year}-{mm:02d}" for mm in range(3 * q - 2, 3 * q + 1)]


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
        "period": period,
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
        "warehouse": str(warehouse),
        "build": {"build_id": build[0]["build_id"], "finished_at": str(build[0]["finished_at"])} if build else None,
        "taxonomy_version": taxonomy[0][:12] if taxonomy else None,
        "definition": "docs/marts.md, section fct_cost_allocation: amount = source_gl_amount - "
                      "spread_out_amount + allocated_in_amount; per period the amounts sum to the GL total",
    }


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow(["" if r[c] is None else (_money(r[c]) if c in MONEY else str(r[c])) for c in COLUMNS])


def _write_parquet(path: Path, rows: list[dict]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    types = {c: (pa.decimal128(18, 2) if c in MONEY else pa.date32() if c == "as_of_date" else pa.string())
             for c in COLUMNS}
    table = pa.table({c: pa.array([r[c] for r in rows], types[c]) for c in COLUMNS})
    pq.write_table(table, path)


def _write_xlsx(path: Path, rows: list[dict], header: dict) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    hs = wb.active
    hs.title = "header"
    bold = Font(bold=True)
    t = header["totals"]
    for key, value in (("export", header["export"]), ("mart", header["mart"]), ("period", header["period"]),
                       ("periods", ", ".join(header["periods"])), ("as_of_date", header["as_of_date"]),
                       ("reporting_currency", header["reporting_currency"]), ("rows", header["rows"]),
                       ("gl_total", Decimal(t["gl_total"])), ("allocated_total", Decimal(t["allocated_total"])),
                       ("warehouse", header["warehouse"]),
                       ("build_id", (header["build"] or {}).get("build_id")),
                       ("taxonomy_version", header["taxonomy_version"]), ("definition", header["definition"])):
        hs.append([key, value])
        hs.cell(hs.max_row, 1).font = bold
    hs.append([])
    hs.append(["period", "rows", "gl_total", "allocated_total"])
    for c in hs[hs.max_row]:
        c.font = bold
    for b in t["by_period"]:
        hs.append([b["period"], b["rows"], Decimal(b["gl_total"]), Decimal(b["allocated_total"])])
    hs.append([])
    hs.append(["allocation_method", "amount"])
    for c in hs[hs.max_row]:
        c.font = bold
    for method, amount in t["by_method"].items():
        hs.append([method, Decimal(amount)])
    hs.append([])
    load_cols = ("role", "load_id", "source", "entity", "export_date", "file", "content_hash", "rows_loaded")
    hs.append(["source_loads", *load_cols[1:]])
    for c in hs[hs.max_row]:
        c.font = bold
    for ld in header["source_loads"]:
        hs.append([ld[c] for c in load_cols])
    for row in hs.iter_rows():
        for c in row:
            if isinstance(c.value, Decimal):
                c.number_format = "#,##0.00"
    ws = wb.create_sheet("cost_allocation")
    ws.append(list(COLUMNS))
    for c in ws[1]:
        c.font = bold
    for r in rows:
        ws.append([r[c] for c in COLUMNS])
    for col in (i + 1 for i, c in enumerate(COLUMNS) if c in MONEY):
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "#,##0.00"
    wb.save(path)


def output_path(out: Path | None, period: str, fmt: str) -> Path:
    name = f"cost-allocation-{period.strip().upper()}.{fmt}"
    if out is None:
        return Path(name)
    return out / name if out.is_dir() else out


def sidecar_path(path: Path) -> Path:
    return path.with_suffix(".json")


def cost_allocation(args) -> int:
    rows, header = read_cost_allocation(args.warehouse.resolve(), args.period)
    path = output_path(args.out, args.period, args.format)
    if not path.parent.is_dir():
        raise CliError(f"folder {path.parent} does not exist (create it or choose another --out)")
    if args.format == "xlsx":
        _write_xlsx(path, rows, header)
        written = str(path)
    else:
        (_write_csv if args.format == "csv" else _write_parquet)(path, rows)
        sidecar = sidecar_path(path)
        sidecar.write_text(json.dumps(header, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
        written = f"{path} (header in {sidecar})"
    t = header["totals"]
    print(f"exported {header['rows']} rows of {', '.join(header['periods'])} as of {header['as_of_date']} "
          f"to {written}: GL total {t['gl_total']} {header['reporting_currency']}, allocated {t['allocated_total']}")
    return 0
