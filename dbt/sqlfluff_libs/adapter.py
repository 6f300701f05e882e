"""`adapter` for sqlfluff's jinja templater (docs/decisions/lint.md). Models introspect the
warehouse only under `{% if execute %}`, false when linting; this stub keeps the name defined and
gives one column so loops over columns render a representative statement. `dispatch` renders the
engine macros (dbt/macros/cross_engine.sql) as dbt does on DuckDB, so the linted SQL is DuckDB's."""

from types import SimpleNamespace

from _engine_macros import implementation


def get_columns_in_relation(relation):
    return [SimpleNamespace(name="asset_id")]


def dispatch(macro_name, macro_namespace=None):
    return implementation(macro_name)


def quote(identifier):
    return f'"{identifier}"'
