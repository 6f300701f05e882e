"""Read-only access to the published warehouse for every page.

Each query opens a short-lived read-only connection, so a build publishing a new file (an atomic
rename) is never blocked and the app never sees a half-built warehouse; results are cached per
file identity (inode + mtime), so after a publish the next rerun shows the new as-of date."""
from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st


def warehouse_path() -> Path:
    return Path(os.environ.get("ITAM_WAREHOUSE", "data/warehouse.duckdb")).resolve()


def file_identity() -> tuple[int, int] | None:
    p = warehouse_path()
    try:
        s = p.stat()
    except FileNotFoundError:
        return None
    return (s.st_ino, s.st_mtime_ns)


@st.cache_data(ttl=300, show_spinner=False, max_entries=256)
def _cached_query(sql: str, params: tuple, identity: tuple[int, int]) -> pd.DataFrame:
    con = duckdb.connect(str(warehouse_path()), read_only=True, config={"threads": 2, "memory_limit": "1GB"})
    try:
        return con.execute(sql, list(params)).df()
    finally:
        con.close()


def query(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    identity = file_identity()
    if identity is None:
        raise FileNotFoundError(str(warehouse_path()))
    return _cached_query(sql, tuple(params), identity)


def warehouse_ready() -> bool:
    """True when a published warehouse with marts exists; else explain how to build one."""
    identity = file_identity()
    problem = None
    if identity is None:
        problem = f"No published warehouse at `{warehouse_path()}` yet."
    else:
        try:
            n = query("select count(*) as n from marts.dim_asset")["n"][0]
            if n == 0:
                problem = f"The warehouse at `{warehouse_path()}` has no assets yet."
        except Exception:  # noqa: BLE001 - any failure here means "not a built warehouse"
            problem = f"`{warehouse_path()}` is not a built ITAM warehouse (no marts.dim_asset)."
    if problem:
        st.warning(problem)
        st.markdown(
            "Build one, then reload this page:\n\n"
            "```\nitam generate --landing data/landing      # or point --landing at real exports\n"
            "itam build --landing data/landing --warehouse " + str(warehouse_path()) + "\n```"
        )
        return False
    return True
