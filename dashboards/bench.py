"""Per-page query time of the dashboards (`itam bench --dashboards --warehouse FILE`).

Each page is run headless (Streamlit's AppTest, the pages' own code and queries) with the query
cache cleared first, so every query the page needs reaches DuckDB; the queries' wall time is
summed per page. Two passes: no filters, then a cost center and an asset class chosen (the
filters go through dim_asset sub-queries, the expensive path). The target is every page's
queries under 1 s at 100,000 devices. Figures, not assertions: nothing here runs in the tests."""
from __future__ import annotations

import os
import time
from pathlib import Path

TARGET_S = 1.0


OPEN = "(open connection)"


def _page_run(at, file: str) -> tuple[int, float, float, float, float, str]:
    import streamlit as st

    from dashboards.data import QUERY_LOG

    st.cache_data.clear()
    QUERY_LOG.entries.clear()
    t0 = time.perf_counter()
    at.switch_page(f"views/{file}").run()
    wall = time.perf_counter() - t0
    errors = [e.value for e in at.exception]
    # A query's time includes opening the connection when it was the run's first cache miss.
    times = [s for sql, s, _ in QUERY_LOG.entries if sql != OPEN]
    opening = sum(s for sql, s, _ in QUERY_LOG.entries if sql == OPEN)
    return (len(times), sum(times), opening, max(times, default=0.0), wall,
            str(errors[0])[:80] if errors else "")


def bench_dashboards(warehouse: Path, print_=print) -> list[dict]:
    """Print and return per-page figures for the warehouse file."""
    os.environ["ITAM_WAREHOUSE"] = str(Path(warehouse).resolve())
    from streamlit.testing.v1 import AppTest

    from dashboards.data import QUERY_LOG, query, warehouse_problem
    from dashboards.pages import PAGES

    problem = warehouse_problem()
    if problem:
        raise RuntimeError(problem.replace("`", ""))
    assets = int(query("select count(*) from marts.dim_asset where as_of_date = "
                       "(select max(as_of_date) from marts.dim_asset)").iat[0, 0])
    cc = query("select cost_center, count(*) n from marts.dim_asset where cost_center is not null "
               "group by 1 order by 2 desc limit 1")
    cls = query("select asset_class, count(*) n from marts.dim_asset where asset_class is not null "
                "group by 1 order by 2 desc limit 1")
    print_(f"dashboards: per-page query time, cold cache, {warehouse} ({assets:,} assets at the latest as-of date)")
    print_(f"  {'page':30s} {'filters':18s} {'queries':>7s} {'query s':>8s} {'connect':>8s} {'slowest':>8s} "
           f"{'page s':>7s}")
    QUERY_LOG.enabled = True
    results = []
    try:
        at = AppTest.from_file(str(Path(__file__).resolve().parent / "app.py"), default_timeout=600)
        at.run()
        passes = [("none", {})]
        if not cc.empty and not cls.empty:
            passes.append((f"{cc.iat[0, 0]}+{cls.iat[0, 0]}",
                           {"f_cost_centers": [cc.iat[0, 0]], "f_classes": [cls.iat[0, 0]]}))
        for label, choice in passes:
            for key, value in choice.items():
                at.sidebar.multiselect(key=key).set_value(value)
            for file, title, _ in PAGES:
                n, total, opening, slowest, wall, error = _page_run(at, file)
                flag = "" if total < TARGET_S else "  over target"
                print_(f"  {title:30s} {label[:18]:18s} {n:7d} {total:8.3f} {opening:8.3f} {slowest:8.3f} {wall:7.2f}"
                       f"{flag}{'  ERROR ' + error if error else ''}")
                results.append({"page": title, "filters": label, "queries": n, "query_s": total,
                                "connect_s": opening, "slowest_s": slowest, "page_s": wall, "error": error})
    finally:
        QUERY_LOG.enabled = False
    worst = max(results, key=lambda r: r["query_s"])
    print_(f"  slowest page: {worst['page']} ({worst['filters']}) {worst['query_s']:.3f} s of queries; "
           f"target < {TARGET_S:.0f} s per page")
    print_("  query s = all the page's queries with an empty cache, including opening its one read-only "
           "connection (connect); page s = the whole page run headless")
    return results
