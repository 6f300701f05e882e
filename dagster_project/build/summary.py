"""The printed summary of a published warehouse."""
from __future__ import annotations

from pathlib import Path

import duckdb


def summary_rows(warehouse: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
        return {
            "as_of": [(as_of,)],
            "loads": con.execute(
                "select status, count(*), sum(rows_loaded), sum(rows_quarantined) from audit.loads group by 1 order by 1").fetchall(),
            "assets": con.execute(
                "select coalesce(asset_class, '(unclassified)'), count(*) from marts.dim_asset "
                "where as_of_date = ? group by 1 order by 2 desc", [as_of]).fetchall(),
            "exceptions": con.execute(
                # accepted_risk / false_positive resolutions stay listed but are not open work
                "select exception_type, count(*) filter (where counts_as_open), "
                "count(*) filter (where status = 'new') from marts.fct_reconciliation_exceptions "
                "where as_of_date = ? group by 1 order by 1", [as_of]).fetchall(),
            "licenses": con.execute(
                "select count(*), count(*) filter (where true_up_units > 0), sum(true_up_exposure_one_time), "
                "sum(true_up_exposure_per_year), sum(recurring_savings_per_year), sum(reharvest_value), "
                "sum(shelfware_cost_per_year) from marts.fct_license_position where as_of_date = ?", [as_of]).fetchall(),
        }
    finally:
        con.close()


def print_summary(warehouse: Path, out=print) -> None:
    s = summary_rows(warehouse)
    out(f"as of {s['as_of'][0][0]}")
    for status, files, rows, quarantined in s["loads"]:
        out(f"  loads {status}: {files} files, {rows or 0} rows, {quarantined or 0} quarantined")
    out("  assets by class: " + ", ".join(f"{c} {n}" for c, n in s["assets"]))
    out("  open exceptions: " + ", ".join(f"{t} {n} ({new} new)" for t, n, new in s["exceptions"]))
    n, under, once, yearly, savings, reharvest, shelfware = s["licenses"][0]
    # Each license money figure under its own name and period: one-time and per-year never summed.
    out(f"  license position: {n} products, {under} to true up after reharvesting; true-up "
        f"{once or 0:,.2f} one-time + {yearly or 0:,.2f} per year; recurring savings {savings or 0:,.2f} per year; "
        f"reharvest value {reharvest or 0:,.2f} (one-time, not a saving); shelfware {shelfware or 0:,.2f} per year")
