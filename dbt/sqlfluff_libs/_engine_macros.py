"""The DuckDB implementations of dbt/macros/cross_engine.sql, for sqlfluff's jinja templater
(docs/decisions/lint.md): dbt picks `duckdb__`/`default__` through `adapter.dispatch`; sqlfluff has
no dispatch, and a macro file does not see another file's macros, so `adapter.dispatch` (adapter.py)
and the `itam.` namespace (itam.py) resolve them here, from the macro file itself."""

from functools import cache
from pathlib import Path

from jinja2 import Environment

MACROS = Path(__file__).resolve().parents[1] / "macros" / "cross_engine.sql"


@cache
def _module():
    return Environment().from_string(MACROS.read_text()).module


def implementation(name: str):
    for prefix in ("duckdb__", "default__"):
        macro = getattr(_module(), prefix + name, None)
        if macro is not None:
            return macro
    raise KeyError(f"no duckdb__ or default__ implementation of macro {name!r} in {MACROS}")
