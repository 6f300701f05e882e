"""`itam-dbt`: dbt that dies with the build (issue 17.1).

dagster-dbt starts dbt as a plain child process; a `kill -9` of the build would leave it running
against the build file. This wrapper asks Linux to SIGKILL it when its parent dies
(PR_SET_PDEATHSIG, kept across exec), then becomes dbt itself. Elsewhere it simply execs dbt."""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: no such guarantee, dbt still runs
        return
    if os.getppid() == 1:  # the parent died before the request took effect
        os._exit(137)


def dbt_path() -> str:
    return str(Path(sys.executable).parent / "dbt")


def main() -> None:
    _die_with_parent()
    dbt = dbt_path()
    os.execv(dbt, [dbt, *sys.argv[1:]])


if __name__ == "__main__":
    main()
