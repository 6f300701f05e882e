"""The project's macro namespace (`itam.format_date(...)`) for sqlfluff's jinja templater: the macro
files call the engine macros of dbt/macros/cross_engine.sql as `itam.<name>()`, which dbt resolves in
its project namespace; sqlfluff, whose macro files do not see each other, resolves them here to the
DuckDB implementation (docs/decisions/lint.md)."""

from _engine_macros import implementation


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return implementation(name)
