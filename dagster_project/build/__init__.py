"""The build: one package owns its whole lifecycle (docs/architecture.md).

keys.py       every asset key the graph joins on
resource.py   the settings as a Dagster resource (dbt vars built from it) and the warehouse lock
lock.py       one writer per warehouse (exclusive, stale-lock take-over, message naming the holder)
workspace.py  the private build file, and the audit assets (loads, expectation results)
publish.py    the atomic, fsynced publish; kept versions; rollback
jobs.py       the build job, its schedule and the new-export sensor
definitions.py build_definitions(settings): the graph for one set of settings
runner.py     run_build(settings): lock, run on the persistent instance, report, exit code
progress.py   the quiet one-line-per-stage output and the full log next to the warehouse
child.py      `itam-dbt`: dbt that dies with the build (parent-death signal)
"""
