"""One writer per warehouse (issue 17.1): an exclusive lock on `<warehouse>.lock`, held for the
whole build.

flock() is released by the kernel when its holder dies, so a lock file left by a killed build is
simply taken over (with a message naming the dead holder); a live holder makes a second build fail
at once with who holds it, or wait for it with `--wait`. Re-entrant within one process: the
runner takes it before Dagster starts (a second build fails before paying for Dagster) and the
run's lock resource takes it again for runs launched from the Dagster UI or schedule."""
from __future__ import annotations

import errno
import fcntl
import json
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_HELD: dict[str, list] = {}  # lock path -> [fd, depth]


class LockHeld(Exception):
    """Another live build holds the warehouse."""


@dataclass
class Holder:
    pid: int | None
    started_at: str | None


def lock_path(warehouse: Path) -> Path:
    return Path(f"{warehouse}.lock")


def read_holder(path: Path) -> Holder:
    try:
        data = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        data = {}
    return Holder(data.get("pid"), data.get("started_at"))


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def acquire(warehouse: Path, wait_seconds: float = 0.0, say=lambda m: None) -> None:
    """Take the warehouse's lock or raise LockHeld naming the holder."""
    path = lock_path(warehouse)
    key = str(path)
    if key in _HELD:
        _HELD[key][1] += 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                os.close(fd)
                raise
            if time.monotonic() >= deadline:
                h = read_holder(path)
                os.close(fd)
                raise LockHeld(f"another build (pid {h.pid}, started at {h.started_at}) holds {warehouse}; "
                               "wait for it, or run with --wait")
            time.sleep(0.5)
    previous = read_holder(path)
    if previous.pid and previous.pid != os.getpid() and not _alive(previous.pid):
        say(f"took over the lock of build pid {previous.pid} (started at {previous.started_at}), "
            "which is no longer running; its unpublished build file is discarded")
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps({"pid": os.getpid(),
                              "started_at": datetime.now(UTC).isoformat(timespec="seconds")}).encode(), 0)
    os.fsync(fd)
    _HELD[key] = [fd, 1]


def release(warehouse: Path) -> None:
    key = str(lock_path(warehouse))
    entry = _HELD.get(key)
    if not entry:
        return
    entry[1] -= 1
    if entry[1] > 0:
        return
    del _HELD[key]
    fd = entry[0]
    try:
        os.ftruncate(fd, 0)  # a holder-less lock file reads as free, whoever looks at it
    finally:
        os.close(fd)  # closing the descriptor releases the flock


def holds(warehouse: Path) -> bool:
    return str(lock_path(warehouse)) in _HELD


class warehouse_lock:
    """`with warehouse_lock(W):` the build's exclusive hold on W."""

    def __init__(self, warehouse: Path, wait_seconds: float = 0.0, say=lambda m: None):
        self.warehouse, self.wait_seconds, self.say = warehouse, wait_seconds, say

    def __enter__(self):
        acquire(self.warehouse, self.wait_seconds, self.say)
        return self

    def __exit__(self, *exc):
        release(self.warehouse)
        return False
