"""Read-only access to the published warehouse for every page.

- Connections are read-only and short-lived: one per page run at most (opened at the run's first
  cache miss, closed when the run ends; `reading()` in app.py), or one per query outside a run.
  A build publishing a new file (`os.replace` of `<FILE>.building` over `<FILE>`) is therefore
  never blocked and the app never sees a half-built warehouse. Opening costs far more than the
  queries (the catalog is read), hence one connection per run rather than per query.
- Results are cached per file identity (inode + mtime): after a publish the next rerun reads the
  new file and shows its as-of dates; the old entries simply stop being asked for.
- One connection at a time in this process (a lock). DuckDB keeps one database instance per path
  while a connection to it is open; overlapping connections around a publish could hand the
  second one the *old* file under the *new* identity. With one connection at a time, and the
  identity checked right after connecting, a result is always cached under the identity of the
  file it was read from.
"""
from __future__ import annotations

import decimal
import os
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

_LOCK = threading.RLock()
_RUN = threading.local()  # .active: inside reading(); .con/.identity: the run's open connection


def warehouse_path() -> Path:
    return Path(os.environ.get("ITAM_WAREHOUSE", "data/warehouse.duckdb")).resolve()


def file_identity() -> tuple[int, int] | None:
    try:
        s = warehouse_path().stat()
    except FileNotFoundError:
        return None
    return (s.st_ino, s.st_mtime_ns)


class _Republished(Exception):
    """The file was replaced while a query opened it: ask again on the new file."""


@dataclass
class QueryLog:
    """Queries that really reached DuckDB (cache misses) and connection openings, with their
    seconds, for `itam bench --dashboards` (a query's time includes the opening it caused)."""
    entries: list[tuple[str, float, int]]
    enabled: bool = False


QUERY_LOG = QueryLog(entries=[])


def _connect_config() -> dict:
    # A reader: small and polite next to a build running on the same machine.
    return {"threads": int(os.environ.get("ITAM_DASHBOARD_THREADS", "2")),
            "memory_limit": os.environ.get("ITAM_DASHBOARD_MEMORY", "1GB")}


def _open(identity: tuple[int, int]) -> duckdb.DuckDBPyConnection | None:
    """A read-only connection to the file with this identity, or None if it was just replaced."""
    con = duckdb.connect(str(warehouse_path()), read_only=True, config=_connect_config())
    if file_identity() != identity:  # replaced between our stat and the open: which file we got is unknown
        con.close()
        return None
    return con


def _close_run_connection() -> None:
    con = getattr(_RUN, "con", None)
    _RUN.con = _RUN.identity = None
    if con is not None:
        con.close()
        _LOCK.release()


@contextmanager
def reading():
    """Share one short-lived connection between the cache misses of one page run."""
    _RUN.active = True
    try:
        yield
    finally:
        _RUN.active = False
        _close_run_connection()


def _execute(sql: str, params: tuple, identity: tuple[int, int]) -> pd.DataFrame:
    if getattr(_RUN, "active", False):
        if getattr(_RUN, "con", None) is not None and _RUN.identity != identity:
            _close_run_connection()  # a publish happened during this run: read the new file
        if getattr(_RUN, "con", None) is None:
            _LOCK.acquire()  # released when the run ends
            t0 = time.perf_counter()
            try:
                con = _open(identity)
            except BaseException:
                _LOCK.release()
                raise
            if con is None:
                _LOCK.release()
                raise _Republished()
            _RUN.con, _RUN.identity = con, identity
            _log("(open connection)", t0, 0)
        return _RUN.con.execute(sql, list(params)).df()
    with _LOCK:
        t0 = time.perf_counter()
        con = _open(identity)
        if con is None:
            raise _Republished()
        _log("(open connection)", t0, 0)
        try:
            return con.execute(sql, list(params)).df()
        finally:
            con.close()


def _log(sql: str, t0: float, rows: int) -> None:
    if QUERY_LOG.enabled:
        QUERY_LOG.entries.append((sql, time.perf_counter() - t0, rows))


def _floats_for_decimals(df: pd.DataFrame) -> pd.DataFrame:
    """DECIMAL columns arrive as Python Decimal objects; charts and sums want numbers."""
    for c in df.columns:
        if df[c].dtype == object:
            first = df[c].dropna()
            if not first.empty and isinstance(first.iloc[0], decimal.Decimal):
                df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    return df


@st.cache_data(ttl=3600, show_spinner=False, max_entries=512)
def _cached_query(sql: str, params: tuple, identity: tuple[int, int]) -> pd.DataFrame:
    t0 = time.perf_counter()
    df = _floats_for_decimals(_execute(sql, params, identity))
    _log(sql, t0, len(df))
    return df


def query(sql: str, params: tuple | list = ()) -> pd.DataFrame:
    """Run a read-only query on the published warehouse (cached per file identity)."""
    for _ in range(5):
        identity = file_identity()
        if identity is None:
            raise FileNotFoundError(str(warehouse_path()))
        try:
            return _cached_query(sql, tuple(params), identity)
        except _Republished:
            continue
    raise RuntimeError(f"{warehouse_path()} kept changing while it was read; try again")


def scalar(sql: str, params: tuple | list = ()):
    df = query(sql, params)
    return None if df.empty else df.iat[0, 0]


def catalog() -> dict[str, tuple[str, ...]]:
    """{'marts.dim_asset': ('as_of_date', ...), ...}: what this warehouse has published."""
    df = query("select schema_name || '.' || table_name as t, list(column_name order by column_index) as cols "
               "from duckdb_columns() where schema_name in ('marts', 'taxonomy', 'audit') group by 1")
    return {t: tuple(cols) for t, cols in zip(df["t"], df["cols"])}


def columns(table: str) -> tuple[str, ...]:
    """Columns of a published table (schema-qualified name); () when it is not built."""
    return catalog().get(table, ())


def has(table: str, *cols: str) -> bool:
    have = columns(table)
    return bool(have) and all(c in have for c in cols)


def pick(table: str, *candidates: str) -> str | None:
    """The first of candidate column names the table has (marts still landing may name a
    not-yet-fixed column slightly differently; the contract names come first)."""
    have = columns(table)
    return next((c for c in candidates if c in have), None)


def as_of_dates() -> list[str]:
    """Snapshot dates in the warehouse, newest first."""
    return query("select distinct cast(as_of_date as varchar) as d from marts.dim_asset order by 1 desc")["d"].tolist()


def currency() -> str:
    if has("taxonomy.policy", "reporting_currency"):
        c = scalar("select reporting_currency from taxonomy.policy limit 1")
        if c:
            return str(c)
    return ""


BUILD_HINT = (
    "Build one, then reload this page:\n\n"
    "```\n"
    "make demo                                  # sample exports, build, dashboards\n"
    "# or, on your own exports:\n"
    "itam build --landing data/landing --warehouse {path}\n"
    "itam dashboard --warehouse {path}\n"
    "```\n"
    "`itam generate --landing data/landing` writes sample exports if you have none yet.")


def warehouse_problem() -> str | None:
    """None when a published warehouse with assets exists, else what is wrong, in words."""
    path = warehouse_path()
    if file_identity() is None:
        return f"No published warehouse at `{path}` yet."
    try:
        if not has("marts.dim_asset", "as_of_date", "asset_id"):
            return f"`{path}` is not a built ITAM warehouse (it has no `marts.dim_asset`)."
        if not scalar("select count(*) from marts.dim_asset"):
            return f"The warehouse at `{path}` has no assets yet."
    except duckdb.Error as exc:  # not a DuckDB file, or a newer storage version
        return f"`{path}` cannot be read as a DuckDB warehouse ({type(exc).__name__}: {str(exc).splitlines()[0]})."
    return None


def show_how_to_build(problem: str) -> None:
    """The page shown instead of the dashboards when there is no built warehouse to read."""
    st.title("ITAM governance dashboards")
    st.warning(problem)
    st.markdown(BUILD_HINT.format(path=warehouse_path()))
