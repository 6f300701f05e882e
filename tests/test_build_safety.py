"""The build under attack (issues 17.1, 17.5, 15.5, 15.1): kill -9 at each stage, two builds at
once, a full disk, a file mostly quarantined. After each, the published file is the last complete
build (byte-identical) and the next build recovers without any cleanup. Real `itam build`
processes on the small fixture; faults are injected by wrapping one function in the child process
(tests only), never by hooks in the product.

Few and wide: one sequence of builds on one warehouse (each Dagster build costs ~15 s or more)."""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO, SMALL_LANDING, Warehouse

PY = sys.executable

# Run `itam` in a child process, after an optional injection (python source) is executed in it.
_CHILD = """
import os, signal, sys, threading, errno
{inject}
from dagster_project.cli import main
sys.exit(main(sys.argv[1:]))
"""

KILL_AT_INGEST = """
import dagster_project.ingest.assets as a
_real = a.ingest_entity
_calls = [0]
def ingest_entity(*args, **kw):
    _calls[0] += 1
    if _calls[0] == 3:  # in the middle of ingest: two raw tables written, the rest not
        os.kill(os.getpid(), signal.SIGKILL)
    return _real(*args, **kw)
a.ingest_entity = ingest_entity
"""

# While dbt runs: write dbt's pid where the test can see it, then die with SIGKILL.
KILL_IN_DBT = """
import subprocess
_Popen = subprocess.Popen
class Popen(_Popen):
    def __init__(self, args, *a, **kw):
        super().__init__(args, *a, **kw)
        if "itam-dbt" in str(args[0]) and "build" in args:
            open(os.environ["ITAM_TEST_DBT_PID"], "w").write(str(self.pid))
            threading.Timer(4.0, lambda: os.kill(os.getpid(), signal.SIGKILL)).start()
subprocess.Popen = Popen
"""

KILL_AT_PUBLISH = """
import dagster_project.build.publish as p
_replace = os.replace
class _Os:
    def __getattr__(self, name):
        return getattr(os, name)
    def replace(self, src, dst):
        if str(src).endswith(".building"):  # the build file is complete; die just before the rename
            os.kill(os.getpid(), signal.SIGKILL)
        return _replace(src, dst)
p.os = _Os()
"""

DISK_FULL = """
import shutil
def copyfile(src, dst, *a, **kw):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
shutil.copyfile = copyfile
"""


def itam(args: list[str], inject: str = "", env: dict | None = None, wait: bool = True):
    code = _CHILD.format(inject=inject)
    full_env = dict(os.environ, PYTHONPATH=str(REPO), ITAM_DUCKDB_THREADS="1", **(env or {}))
    proc = subprocess.Popen([PY, "-c", code, *args], cwd=REPO, env=full_env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=1500)
    return proc.returncode, out, err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead for our purpose
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def test_kills_concurrency_disk_full_and_recovery(tmp_path):
    landing, warehouse = tmp_path / "landing", tmp_path / "wh" / "warehouse.duckdb"
    shutil.copytree(SMALL_LANDING, landing)
    build = ["build", "--landing", str(landing), "--warehouse", str(warehouse)]

    # 1. A first build publishes; the fixture has one warning check, so exit code 3.
    code, out, err = itam(build)
    assert code == 3, err
    assert "published" in out and "with 1 warning(s)" in out
    assert re.search(r"^  ingest +\d+\.\d s  13 tables, 13 new files, 70 rows loaded", out, re.M), out
    assert re.search(r"^  dbt +\d+\.\d s  \d+ models, \d+ tests, 0 failed", out, re.M), out
    assert "\x1b[" not in out + err  # no colour codes when not a terminal
    assert "Running with dbt" not in out  # dbt's own lines go to the log file only
    logs = list((warehouse.parent / "logs").glob("build-*.log"))
    assert len(logs) == 1 and "Running with dbt" in logs[0].read_text()
    assert "indirect selection" not in logs[0].read_text()  # every dbt test is a real asset check
    published = sha(warehouse)

    # ... and the run is in the persistent instance `make dagster` opens.
    from dagster import AssetKey, DagsterInstance, DagsterRunStatus

    with DagsterInstance.from_config(str(warehouse.parent / "dagster_home")) as instance:
        runs = instance.get_runs()
        assert [r.status for r in runs] == [DagsterRunStatus.SUCCESS]
        assert instance.get_latest_materialization_event(AssetKey(["published_warehouse"])) is not None

    # A new export arrives: every build below would change the published file if it published.
    new = landing / "cmdb" / "2026-12-31"
    new.mkdir()
    shutil.copy(SMALL_LANDING / "cmdb" / "2026-09-30" / "configuration_items.csv", new)

    # 2. kill -9 in the middle of ingest: published file untouched, lock left behind by a dead pid.
    code, out, err = itam(build, inject=KILL_AT_INGEST)
    assert code == -signal.SIGKILL
    assert sha(warehouse) == published
    dead = json.loads(Path(f"{warehouse}.lock").read_text())["pid"]
    assert not alive(dead)

    # 3. Two builds at once: the first takes over the dead build's lock (and says so); the second
    #    fails at once naming the holder. Then the first is killed while dbt runs: dbt dies too.
    dbt_pid_file = tmp_path / "dbt.pid"
    first = itam(build, inject=KILL_IN_DBT, env={"ITAM_TEST_DBT_PID": str(dbt_pid_file)}, wait=False)
    deadline = time.time() + 300
    while time.time() < deadline:
        holder = json.loads(Path(f"{warehouse}.lock").read_text() or "{}").get("pid")
        if holder == first.pid:
            break
        time.sleep(0.2)
    assert holder == first.pid
    t0 = time.time()
    code, out, err = itam(build)
    assert code == 5, err
    assert time.time() - t0 < 60  # at once: no Dagster run was started
    assert re.search(rf"another build \(pid {first.pid}, started at 20\d\d-\d\d-\d\dT[\d:]+\+00:00\) holds {re.escape(str(warehouse))}", err), err
    out1, err1 = first.communicate(timeout=1500)
    assert first.returncode == -signal.SIGKILL, err1
    assert f"took over the lock of build pid {dead}" in out1
    dbt_pid = int(dbt_pid_file.read_text())
    for _ in range(50):
        if not alive(dbt_pid):
            break
        time.sleep(0.2)
    assert not alive(dbt_pid), "dbt outlived the killed build"
    assert sha(warehouse) == published

    # 4. Disk full while copying the workspace: exit code 5, the cause in the one-line message.
    code, out, err = itam(build, inject=DISK_FULL)
    assert code == 5, err
    assert "No space left on device" in err and "[nothing published: system, exit 5]" in err
    assert sha(warehouse) == published

    # 5. kill -9 with a complete build file, just before the rename: still the old file.
    code, out, err = itam(build, inject=KILL_AT_PUBLISH)
    assert code == -signal.SIGKILL
    assert sha(warehouse) == published
    assert Path(f"{warehouse}.building").exists()  # the dead build's leftover, no cleanup by hand

    # 6. The next build recovers with no cleanup and publishes the new export.
    code, out, err = itam(build)
    assert code == 3, err
    wh = Warehouse(warehouse)
    assert str(wh.one("select max(_export_date) from raw.configuration_items")) == "2026-12-31"
    assert wh.one("select count(distinct build_id) from audit.builds") == 2
    assert not Path(f"{warehouse}.building").exists()
    kept = sorted((warehouse.parent / f"{warehouse.name}.versions").glob("*.duckdb"))
    assert [sha(k) for k in kept] == [published]

    # 7. A file with more than max_quarantined_pct of its rows quarantined: nothing published, 4.
    after = sha(warehouse)
    bad = landing / "procurement" / "2027-01-31"
    bad.mkdir()
    header = (SMALL_LANDING / "procurement" / "2026-09-30" / "purchase_lines.csv").read_text().splitlines()[0]
    (bad / "purchase_lines.csv").write_text(
        header + "\nPO70,1,2027-01-10,Dell Inc.,hardware,Latitude,1,900.00,EUR,CC-ENG,Dell,L,S70\n"
        "PO71,1,not-a-date,Dell Inc.,hardware,Latitude,1,900.00,EUR,CC-ENG,Dell,L,S71\n"
        "PO72,1,2027-01-10,Dell Inc.,hardware,Latitude,many,900.00,EUR,CC-ENG,Dell,L,S72\n")
    code, out, err = itam(build)
    assert code == 4, err
    assert "procurement/2027-01-31/purchase_lines.csv: 2 of 3 rows quarantined (67% > max_quarantined_pct 50%" in err
    assert sha(warehouse) == after

    # 8. Rollback puts the version published before the current one back.
    shutil.rmtree(bad)
    code, out, err = itam(["publish", "--rollback", "--warehouse", str(warehouse)])
    assert code == 0, err
    assert sha(warehouse) == published


def test_only_the_settings_read_the_environment():
    """A path or the as-of date comes from Settings (the resource is built from it), never from
    os.environ elsewhere in the build (issue 15.1). The dashboards run in their own process and
    get the warehouse through `itam dashboard`; they are not part of the build."""
    pattern = re.compile(r"os\.environ(?!\.setdefault\(\"GX_)|os\.getenv|environ\.get")
    offenders = []
    for path in (REPO / "dagster_project").rglob("*.py"):
        rel = path.relative_to(REPO).as_posix()
        if rel in ("dagster_project/settings.py", "dagster_project/commands/dashboard.py"):
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{rel}:{n}: {line.strip()}")
    assert offenders == []
    # and the profile dbt runs with takes the build file from the vars the resource builds
    profile = (REPO / "dbt" / "profiles.yml").read_text()
    assert "var('build_db'" in profile and "var('memory_limit'" in profile


def test_cli_version_help_and_defaults(capsys):
    import argparse

    from dagster_project.cli import build_parser, main

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0 and re.fullmatch(r"itam \d+\.\d+\.\d+\S*\n", capsys.readouterr().out)

    def walk(parser, path):
        yield path, parser
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    yield from walk(sub, path + [name])

    missing_help, missing_examples = [], []
    for path, parser in walk(build_parser(), ["itam"]):
        for action in parser._actions:
            if action.option_strings and action.help is None:
                missing_help.append(f"{' '.join(path)} {action.option_strings[0]}")
        if len(path) >= 2 and "examples:" not in (parser.epilog or ""):
            missing_examples.append(" ".join(path))
    assert missing_help == [] and missing_examples == []
    help_text = build_parser()._subparsers._group_actions[0].choices["build"].format_help()
    assert "(default: 0.0)" in help_text and "examples:" in help_text and "itam build --as-of" in help_text


def test_publish_refuses_a_build_file_another_build_wrote(tmp_path):
    """Publish renames only a build file stamped with its own run id (17.1); the published file
    stays as it was, and a rollback with nothing kept says where it looked."""
    import duckdb
    from conftest import make_settings

    from dagster_project.build.publish import PublishError, publish, rollback

    settings = make_settings(tmp_path, tmp_path / "warehouse.duckdb")
    settings.warehouse.write_bytes(b"published")
    con = duckdb.connect(str(settings.build_db))
    con.execute("create schema audit")
    con.execute("create table audit.build_identity as select 'run-B' as build_id, now() as started_at")
    con.close()
    with pytest.raises(PublishError, match=r"carries build run-B, not this build \(run-A\)"):
        publish(settings, "run-A")
    assert settings.warehouse.read_bytes() == b"published" and settings.build_db.exists()
    with pytest.raises(PublishError, match=r"no earlier published version of .* is kept \(looked in .*warehouse\.duckdb\.versions"):
        rollback(settings)
