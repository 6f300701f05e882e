"""Publishing (issue 17.1): the build file replaces the published warehouse in one atomic rename,
only if it carries this build's id, fsynced before and after; the replaced versions are kept
(hard links, so free) for `itam publish --rollback`."""

import dataclasses
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from dagster import AssetExecutionContext, Failure, MaterializeResult, asset

from dagster_project.build.keys import PUBLISHED_KEY
from dagster_project.build.lock import LockHeld, warehouse_lock
from dagster_project.build.resource import ItamResource, WarehouseLockResource
from dagster_project.build.workspace import BUILD_IDENTITY, stamp_identity
from dagster_project.dbt.assets import MART_KEYS
from dagster_project.settings import Settings
from dagster_project.warehouse import connect


class PublishError(Exception):
    """The build file is not this build's: nothing is published."""


def versions_dir(warehouse: Path) -> Path:
    return warehouse.parent / f"{warehouse.name}.versions"


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_version(target: Path, keep: int) -> None:
    """Keep the file about to be replaced as the newest version; drop the oldest beyond `keep`."""
    if keep <= 0 or not target.exists():
        return
    folder = versions_dir(target)
    folder.mkdir(parents=True, exist_ok=True)
    kept = sorted(folder.glob("*.duckdb"))
    if kept and os.path.samefile(kept[-1], target):  # a build killed after this step kept it already
        return
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    kept = folder / f"{stamp}.duckdb"
    try:
        os.link(target, kept)  # same inode: no copy, and the rename below cannot touch it
    except OSError:
        shutil.copyfile(target, kept)
    for old in sorted(folder.glob("*.duckdb"))[:-keep]:
        old.unlink(missing_ok=True)
    _fsync_dir(folder)


def publish(settings: Settings, run_id: str) -> dict:
    build, target = settings.build_db, settings.warehouse
    if not build.exists():
        raise PublishError(f"the build file {build} is gone: another process removed it; nothing published")
    con = connect(build, settings=settings)
    try:
        try:
            owner = con.execute(f"select build_id from {BUILD_IDENTITY}").fetchone()
        except Exception:  # noqa: BLE001 - a file without the stamp is not ours either
            owner = None
        if not owner or owner[0] != run_id:
            raise PublishError(f"the build file {build} carries build {owner[0] if owner else 'none'}, "
                               f"not this build ({run_id}): another writer replaced it; nothing published")
        as_of = con.execute("select max(as_of_date) from marts.dim_asset").fetchone()[0]
        con.execute("create schema if not exists audit")
        con.execute(
            "insert into audit.builds (build_id, as_of_date, started_at, finished_at, status, detail) "
            "values (?, ?, ?, ?, 'published', ?)",
            [run_id, as_of, None, datetime.now(UTC).replace(tzinfo=None), str(target)],
        )
        con.execute("checkpoint")
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    _fsync_file(build)  # the content is on disk before the name points at it
    _keep_version(target, settings.keep_versions)
    # Same directory, same filesystem: rename is atomic, and a reader holding the old file open
    # keeps reading the old inode until it reconnects.
    os.replace(build, target)
    _fsync_dir(target.parent)  # ... and the rename itself survives a power cut
    Path(f"{build}.wal").unlink(missing_ok=True)
    return {"published": str(target), "as_of_date": str(as_of), "build_id": run_id}


@dataclasses.dataclass(frozen=True)
class PublishedCopy:
    settings: Settings  # build_file = the copy: connect(), publish() and dbt vars use it
    run_id: str         # `<kind>-<12 hex>`: the copy's identity and its audit.builds row

    @property
    def path(self) -> Path:
        return self.settings.build_db

    def publish(self) -> dict:
        return publish(self.settings, self.run_id)


@contextmanager
def change_published_copy(settings: Settings, kind: str, error: type[Exception], *,
                          wait_seconds: float = 0.0, say=print) -> Iterator[PublishedCopy]:
    """Change the published warehouse as a build does, outside a build (a decisions refresh, a
    purge): hold its one-writer lock, copy it to `<W>.<kind>` stamped with a run id, let the
    body change the copy and call `.publish()` (identity check, kept versions, fsync, atomic
    rename). A held lock or a refused publish is raised as `error` with its one-line reason; the
    copy is removed whatever happens, so the published file is unchanged or replaced whole."""
    work = Path(f"{settings.warehouse}.{kind}")
    copy = PublishedCopy(dataclasses.replace(settings, build_file=work), f"{kind}-{uuid.uuid4().hex[:12]}")
    leftovers = (work, Path(f"{work}.wal"))
    try:
        with warehouse_lock(settings.warehouse, wait_seconds=wait_seconds, say=say):
            for leftover in leftovers:  # a copy left by a killed run is not this run's
                leftover.unlink(missing_ok=True)
            shutil.copyfile(settings.warehouse, work)
            con = connect(work, settings=copy.settings)
            try:
                stamp_identity(con, copy.run_id)
                con.execute("checkpoint")
            finally:
                con.close()
            yield copy
    except (LockHeld, PublishError) as exc:
        raise error(str(exc)) from exc
    finally:
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)


def rollback(settings: Settings) -> tuple[Path, int]:
    """Put the newest kept version back as the published warehouse; the replaced file is kept as
    `<W>.rolled-back` for inspection. Returns (the version restored, versions left)."""
    target = settings.warehouse
    kept = sorted(versions_dir(target).glob("*.duckdb"))
    if not kept:
        raise PublishError(f"no earlier published version of {target} is kept "
                           f"(looked in {versions_dir(target)}; keep_versions = {settings.keep_versions})")
    newest = kept[-1]
    if target.exists():
        os.replace(target, Path(f"{target}.rolled-back"))
    os.replace(newest, target)
    _fsync_dir(target.parent)
    return newest, len(kept) - 1


@asset(
    key=PUBLISHED_KEY,
    deps=MART_KEYS,
    group_name="build",
    description="The read-only snapshot dashboards and finance read (ITAM_WAREHOUSE): replaced "
    "atomically only when every blocking check upstream passed.",
)
def published_warehouse(context: AssetExecutionContext, itam: ItamResource,
                        warehouse_lock: WarehouseLockResource) -> MaterializeResult:
    try:
        result = publish(itam.settings, context.run.run_id)
    except PublishError as exc:
        raise Failure(description=str(exc)) from exc
    context.log.info(f"published {result['published']} as of {result['as_of_date']}")
    return MaterializeResult(metadata=result)
