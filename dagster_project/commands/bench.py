"""itam bench: generate, build, and print wall time per stage, rows per table and peak memory.
Figures, not assertions: speed is measured here, never in tests."""
from __future__ import annotations

import resource
import time

from dagster_project.commands.build import settings_from_args


def _peak_mb() -> tuple[float, float]:
    # ru_maxrss is KiB on Linux; RUSAGE_CHILDREN is the largest finished child (dbt runs as one).
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, child


def dashboards(warehouse) -> int:
    """Per-page query time of the dashboards on a published warehouse (dashboards/bench.py)."""
    import sys

    from dagster_project.cli import CliError
    from dagster_project.settings import PROJECT_ROOT

    sys.path.insert(0, str(PROJECT_ROOT))  # the dashboards package sits beside dagster_project
    from dashboards.bench import bench_dashboards

    try:
        bench_dashboards(warehouse)
    except RuntimeError as exc:
        raise CliError(str(exc)) from exc
    return 0


def run(args) -> int:
    from dagster_project.build.runner import run_build
    from dagster_project.generate import generate_landing

    settings = settings_from_args(args)
    if args.dashboards:
        return dashboards(settings.warehouse)
    print(f"bench: {args.devices} devices, landing {settings.landing}, warehouse {settings.warehouse}")
    t0 = time.perf_counter()
    generate_landing(settings.landing, devices=args.devices, seed=args.seed, exports=4, progress=lambda m: None)
    gen_s = time.perf_counter() - t0
    own, child = _peak_mb()
    print(f"generate      {gen_s:8.1f} s   peak RSS {own:,.0f} MB")

    outcome = run_build(settings, progress=lambda m: None)
    if not outcome.success:
        print("build FAILED: " + "; ".join(outcome.failures[:3]))
        return 1
    for step, secs in sorted(outcome.step_seconds.items(), key=lambda kv: -kv[1]):
        if secs >= 0.5:
            print(f"  step {step:40s} {secs:8.1f} s")
    own, child = _peak_mb()
    print(f"build         {outcome.seconds:8.1f} s   peak RSS this process {own:,.0f} MB, dbt {child:,.0f} MB")

    import duckdb

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    rows = con.execute(
        "select schema_name, table_name, estimated_size from duckdb_tables() "
        "where schema_name in ('raw', 'marts', 'audit') order by 1, 2").fetchall()
    for schema, table, _ in rows:
        n = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
        print(f"  rows {schema}.{table:32s} {n:>12,}")
    con.close()
    size_mb = settings.warehouse.stat().st_size / 1e6
    print(f"warehouse file {size_mb:,.0f} MB; total {gen_s + outcome.seconds:.1f} s")
    return dashboards(settings.warehouse)
