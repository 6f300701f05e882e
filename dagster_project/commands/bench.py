"""itam bench: generate, build, and print wall time per stage, rows per table and peak memory.
Figures, not assertions: speed is measured here, never in tests."""
from __future__ import annotations

import dataclasses
import json
import os
import resource
import shutil
import time
from pathlib import Path

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


def _fresh_build(settings, label: str):
    """One timed build with the peak RSS of the whole process tree (Dagster here, dbt a child)."""
    from dagster_project.bench.memory import TreePeak
    from dagster_project.build.runner import run_build

    started = time.perf_counter()
    with TreePeak() as peak:
        outcome = run_build(settings, progress=lambda m: None)
    seconds = time.perf_counter() - started
    if not outcome.success:
        raise RuntimeError(f"{label} FAILED: " + "; ".join(outcome.failures[:3]))
    return outcome, seconds, peak.mb


def _hold_back_latest(landing: Path, into: Path) -> str:
    """A copy of `landing` (hard links) without its latest export date: the state before the
    last export arrived."""
    from dagster_project.ingest.discover import discover_files

    files = discover_files(landing).files
    latest = max(f.export_date for f in files)
    for p in landing.rglob("*"):
        if p.is_file() and not any(part == latest.isoformat() for part in p.relative_to(landing).parts):
            dest = into / p.relative_to(landing)
            dest.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(p, dest)
            except OSError:
                shutil.copy2(p, dest)
    return latest.isoformat()


def _incremental_models() -> int:
    from dagster_project.dbt.project import ensure_manifest

    nodes = json.loads(ensure_manifest().read_text())["nodes"].values()
    return sum(1 for n in nodes if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental")


def floor(settings, started: float, rebuilds: bool = True) -> int:
    """Build, floor and ratio in one run, in a folder of the bench's own beside --warehouse
    (cleared first, so the build starts from an empty warehouse)."""
    from dagster_project.bench.floor import run_child
    from dagster_project.build.resource import ItamResource

    work = settings.warehouse.parent / "bench-floor"
    shutil.rmtree(work, ignore_errors=True)
    full = dataclasses.replace(settings, warehouse=work / "full" / "warehouse.duckdb", build_file=None,
                               dagster_home=None)
    full.warehouse.parent.mkdir(parents=True)
    outcome, build_s, build_mb = _fresh_build(full, "build")
    _stages(outcome.step_seconds, build_s)
    _dbt_model_times(full.dbt_log_dir)
    print(f"build         {build_s:8.1f} s   empty warehouse; peak RSS (build process tree) {build_mb:,.0f} MB")

    f = run_child(full.landing, full.warehouse, ItamResource.from_settings(full).dbt_vars(),
                  full.memory_limit, full.threads)
    print(f"floor readers {f['readers_s']:8.1f} s   {f['files']} landing files, {f['rows']:,} rows "
          "(read_csv/read_parquet/read_json into tables)")
    print(f"floor models  {f['models_s']:8.1f} s   {f['models']} compiled dbt models as plain statements "
          f"(on a copy of the built warehouse's inputs, {f['copy_s']:.1f} s, not counted)")
    for name, secs in f["top_models"][:5]:
        print(f"  floor model {name:39s} {secs:8.1f} s")
    print(f"floor         {f['floor_s']:8.1f} s   peak RSS {f['peak_rss_mb']:,} MB "
          f"(DuckDB memory_limit {full.memory_limit}, threads {full.threads})")
    ratio = build_s / f["floor_s"] if f["floor_s"] else float("nan")
    print(f"ratio         {ratio:8.2f} ×  build ÷ floor")

    if not rebuilds:
        print("rebuilds skipped (--no-rebuilds)")
        return 0
    n_incr = _incremental_models()
    mode = (f"{n_incr} incremental models" if n_incr else
            "no incremental models in the dbt project: rebuilds recompute every snapshot")
    _, noop_s, noop_mb = _fresh_build(full, "no-op rebuild")
    print(f"rebuild, nothing new      {noop_s:8.1f} s   peak RSS {noop_mb:,.0f} MB ({mode})")
    prev = dataclasses.replace(full, landing=work / "landing-before-last",
                               warehouse=work / "one-new" / "warehouse.duckdb")
    latest = _hold_back_latest(full.landing, prev.landing)
    prev.warehouse.parent.mkdir(parents=True)
    _fresh_build(prev, "build before the last export")  # the state the new export arrives on; not timed
    _, new_s, new_mb = _fresh_build(dataclasses.replace(prev, landing=full.landing), "one-new-export rebuild")
    print(f"rebuild, one new export   {new_s:8.1f} s   peak RSS {new_mb:,.0f} MB (export {latest}; "
          f"{100 * new_s / build_s:.0f}% of the full build)")
    print(f"total         {time.perf_counter() - started:8.1f} s   (figures, not assertions; "
          f"work folder {work})")
    return 0


def _stages(step_seconds: dict[str, float], build_s: float) -> None:
    """Where the build's time went: Dagster's steps summed by stage (the stages `itam build`
    prints), the rest being Dagster's own work between steps."""
    from dagster_project.build.progress import stage_of

    stages: dict[str, float] = {}
    for step, secs in step_seconds.items():
        stages[stage_of(step)] = stages.get(stage_of(step), 0.0) + secs
    for stage, secs in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  stage {stage:39s} {secs:8.1f} s")
    print(f"  {'outside any step (Dagster run, definitions)':45s} {build_s - sum(stages.values()):8.1f} s")


def _dbt_model_times(logs_dir: Path, top: int = 8) -> None:
    """The slowest dbt models of the build just run, from its own dbt.log next to the warehouse
    (JSON lines)."""
    events = []
    # dbt rotates its log (dbt.log.1, ...): read the rotated parts first, oldest first.
    for path in sorted(logs_dir.glob("dbt.log*"), key=lambda p: p.stat().st_mtime):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{") and '"NodeFinished"' in line:
                events.append(json.loads(line))
    if not events:
        return
    last = events[-1]["info"]["invocation_id"]
    results = [e["data"]["run_result"] | {"uid": e["data"]["node_info"]["unique_id"]}
               for e in events if e["info"]["invocation_id"] == last]
    models = [(r["uid"].split(".")[-1], r["execution_time"]) for r in results if r["uid"].startswith("model.")]
    tests = sum(r["execution_time"] for r in results if r["uid"].startswith("test."))
    print(f"  dbt: {len(models)} models {sum(s for _, s in models):.1f} s, tests {tests:.1f} s "
          "(sum of dbt's node times, 4 at a time)")
    for name, secs in sorted(models, key=lambda kv: -kv[1])[:top]:
        print(f"  dbt model {name:39s} {secs:8.1f} s")


def _generate(settings, args) -> None:
    """In a forked child, so that none of the generator's memory counts as the build's."""
    import multiprocessing

    from dagster_project.generate import generate_landing

    child = multiprocessing.get_context("fork").Process(
        target=generate_landing, args=(settings.landing,),
        kwargs={"devices": args.devices, "seed": args.seed, "exports": 4, "progress": lambda m: None})
    child.start()
    child.join()
    if child.exitcode != 0:
        from dagster_project.cli import CliError

        raise CliError(f"generate failed (exit {child.exitcode})")


def run(args) -> int:
    from dagster_project.build.runner import run_build
    from dagster_project.generate import generate_landing

    settings = settings_from_args(args)
    if args.dashboards:
        return dashboards(settings.warehouse)
    print(f"bench: {args.devices} devices, landing {settings.landing}, warehouse {settings.warehouse}")
    t0 = time.perf_counter()
    if args.floor:
        _generate(settings, args)
        print(f"generate      {time.perf_counter() - t0:8.1f} s")
        try:
            return floor(settings, t0, rebuilds=not args.no_rebuilds)
        except RuntimeError as exc:
            from dagster_project.cli import CliError

            raise CliError(str(exc)) from exc
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
