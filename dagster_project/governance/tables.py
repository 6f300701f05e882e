"""The taxonomy tables of the warehouse (docs/architecture.md, "taxonomy schema") and
`write_taxonomy_tables`, which replaces them all in one transaction."""
from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from dagster_project.governance.schema import CLOUD_RULE_CONDITIONS, MAINTENANCE_RULE_CONDITIONS, PATTERN_CONDITIONS
from dagster_project.governance.taxonomy import Taxonomy

SCHEMA = "taxonomy"
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "asset_classes": (("class_id", "VARCHAR"), ("parent_class_id", "VARCHAR"), ("label", "VARCHAR"),
                      ("class_path", "VARCHAR"), ("depth", "INTEGER"), ("lifecycle_tracking", "VARCHAR"),
                      ("useful_life_months", "INTEGER"), ("refresh_cycle_months", "INTEGER"),
                      ("depreciation_method", "VARCHAR"), ("capitalise", "BOOLEAN"),
                      ("required_fields", "VARCHAR[]")),
    "class_ancestors": (("class_id", "VARCHAR"), ("ancestor_class_id", "VARCHAR"), ("distance", "INTEGER")),
    "classification_rules": (("rule_id", "VARCHAR"), ("class_id", "VARCHAR"), ("precedence", "INTEGER"),
                             ("applies_to", "VARCHAR"),
                             *((c, "VARCHAR") for c in PATTERN_CONDITIONS), ("has_term_end", "BOOLEAN")),
    "ownership_rules": (("rule_id", "VARCHAR"), ("precedence", "INTEGER"), ("class_id", "VARCHAR"),
                        ("cost_center", "VARCHAR"), ("owning_function", "VARCHAR"),
                        ("accountable_owner", "VARCHAR"), ("asset_manager", "VARCHAR")),
    "lifecycle_states": (("state", "VARCHAR"), ("ordinal", "INTEGER")),
    "lifecycle_transitions": (("from_state", "VARCHAR"), ("to_state", "VARCHAR")),
    "status_map": (("source_system", "VARCHAR"), ("source_status", "VARCHAR"), ("state", "VARCHAR")),
    "policy": (("reporting_currency", "VARCHAR"), ("cmdb_stale_window_days", "INTEGER"),
               ("reclaim_window_days", "INTEGER"), ("deployment_window_days", "INTEGER"),
               ("warranty_horizon_months", "INTEGER"), ("eol_horizon_months", "INTEGER"),
               ("capitalisation_threshold", "DECIMAL(18,4)"), ("default_cores_per_device", "INTEGER"),
               ("declining_balance_factor", "DECIMAL(18,4)"), ("kpi_materiality_pct", "DECIMAL(18,4)"),
               ("age_horizon_months", "INTEGER"), ("unallocated_cost_center", "VARCHAR"),
               # issue 13
               ("tco_gl_tolerance_pct", "DECIMAL(18,4)"), ("tco_gl_scope", "VARCHAR[]"),
               ("os_upgrade_cost", "DECIMAL(18,2)"), ("warranty_end_action", "VARCHAR"),
               ("refresh_capacity_pct_per_quarter", "DECIMAL(18,4)"),
               # issue 14
               ("fx_before_first_rate", "VARCHAR")),
    "stale_windows": (("discovery_source", "VARCHAR"), ("stale_days", "INTEGER")),
    "export_stale_windows": (("source", "VARCHAR"), ("stale_days", "INTEGER")),
    "class_stale_windows": (("source", "VARCHAR"), ("class_id", "VARCHAR"), ("stale_days", "INTEGER")),
    "fx_rates": (("currency", "VARCHAR"), ("from_period", "VARCHAR"), ("rate", "DECIMAL(18,8)")),
    "publisher_aliases": (("alias", "VARCHAR"), ("publisher", "VARCHAR")),
    "product_aliases": (("publisher", "VARCHAR"), ("alias", "VARCHAR"), ("product", "VARCHAR")),
    "saas_categories": (("app_name", "VARCHAR"), ("function_category", "VARCHAR")),
    "unauthorised_software": (("rule_id", "VARCHAR"), ("publisher_pattern", "VARCHAR"),
                              ("product_pattern", "VARCHAR"), ("reason", "VARCHAR")),
    # Not in the architecture table list: lifecycle.yaml's retirement evidence, for the checks.
    "retirement_evidence": (("field_name", "VARCHAR"),),
    # normalisation.yaml's eol_products, in written order (position: the first match wins).
    "eol_products": (("rule_id", "VARCHAR"), ("position", "INTEGER"), ("match", "VARCHAR"),
                     ("pattern", "VARCHAR"), ("product", "VARCHAR"), ("cycle", "VARCHAR")),
    # Finance (policies.yaml): how shared cost centers are spread and how cloud spend is placed.
    "allocation_rules": (("cost_center", "VARCHAR"), ("account_category", "VARCHAR"), ("driver", "VARCHAR")),
    "cloud_cost_rules": (("rule_id", "VARCHAR"), ("precedence", "INTEGER"),
                         *((c, "VARCHAR") for c in CLOUD_RULE_CONDITIONS), ("cost_center", "VARCHAR")),
    # Licensing (licensing.yaml, issue 13).
    "license_settings": (("maintenance_pct", "DECIMAL(18,4)"), ("default_core_factor", "DECIMAL(18,4)")),
    "license_metric_order": (("license_metric", "VARCHAR"), ("position", "INTEGER")),
    "vm_host_relationships": (("relationship_type", "VARCHAR"), ("host_side", "VARCHAR")),
    "core_factors": (("position", "INTEGER"), ("processor_pattern", "VARCHAR"), ("factor", "DECIMAL(18,4)")),
    "license_products": (("publisher", "VARCHAR"), ("product", "VARCHAR"), ("vm_min_cores", "INTEGER"),
                         ("core_factor", "BOOLEAN"), ("downgrade_rights", "BOOLEAN")),
    "license_bundles": (("publisher", "VARCHAR"), ("product", "VARCHAR"),
                        ("component_publisher", "VARCHAR"), ("component_product", "VARCHAR")),
    "sku_service_plans": (("service_plan_name", "VARCHAR"), ("publisher", "VARCHAR"), ("product", "VARCHAR")),
    # Issue 13: GL maintenance lines shared by a class's assets; model families' OS upgrade limits.
    "maintenance_gl_rules": (("rule_id", "VARCHAR"), ("position", "INTEGER"), ("class_id", "VARCHAR"),
                             *((c, "VARCHAR") for c in MAINTENANCE_RULE_CONDITIONS)),
    "model_families": (("family_id", "VARCHAR"), ("position", "INTEGER"), ("model_pattern", "VARCHAR"),
                       ("os_pattern", "VARCHAR"), ("os_upgrade", "BOOLEAN"), ("note", "VARCHAR")),
}
META_TABLE = "meta"


def write_taxonomy_tables(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> None:
    """(Re)create schema `taxonomy` with every table of TABLES plus taxonomy.meta(loaded_at,
    content_hash), replacing all contents in one transaction: a reader sees the old model or the
    new one, never a mix, and a failure leaves the old one in place."""
    rows = taxonomy.table_rows()
    con.execute("begin transaction")
    try:
        con.execute(f"drop schema if exists {SCHEMA} cascade")
        con.execute(f"create schema {SCHEMA}")
        for table, columns in TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns)
            con.execute(f"create table {SCHEMA}.{table} ({cols})")
            if rows[table]:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {SCHEMA}.{table} values ({marks})", [list(r) for r in rows[table]])
        con.execute(f"create table {SCHEMA}.{META_TABLE} (loaded_at TIMESTAMP, content_hash VARCHAR)")
        con.execute(f"insert into {SCHEMA}.{META_TABLE} values (?, ?)",
                    [datetime.now(UTC).replace(tzinfo=None), taxonomy.content_hash])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
