"""The declared governance model (taxonomy/*.yaml), validated and written to schema taxonomy."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, Failure, MaterializeResult, multi_asset

from dagster_project.governance.model import TaxonomyError, load_taxonomy, write_taxonomy_tables
from dagster_project.ingest.assets import WORKSPACE_KEY
from dagster_project.settings import Settings
from dagster_project.warehouse import connect

TAXONOMY_TABLES = (
    "asset_classes", "class_ancestors", "classification_rules", "ownership_rules",
    "lifecycle_states", "lifecycle_transitions", "status_map", "policy", "stale_windows",
    "export_stale_windows", "class_stale_windows",
    "fx_rates", "publisher_aliases", "product_aliases", "saas_categories", "unauthorised_software",
)


@multi_asset(
    specs=[
        AssetSpec(AssetKey(["taxonomy", t]), deps=[WORKSPACE_KEY], group_name="governance",
                  description=f"taxonomy.{t}, from the YAML files in taxonomy/")
        for t in TAXONOMY_TABLES
    ],
    name="taxonomy",
)
def taxonomy_tables(context: AssetExecutionContext):
    s = Settings.from_env()
    try:
        model = load_taxonomy(s.taxonomy)
    except TaxonomyError as exc:
        # A governance person fixes the YAML: the message names file, key and problem.
        raise Failure(description=f"taxonomy in {s.taxonomy} is invalid:\n{exc}") from exc
    con = connect(s.build_db, settings=s)
    try:
        write_taxonomy_tables(con, model)
        counts = {t: con.execute(f"select count(*) from taxonomy.{t}").fetchone()[0] for t in TAXONOMY_TABLES}
    finally:
        con.close()
    for t in TAXONOMY_TABLES:
        yield MaterializeResult(asset_key=AssetKey(["taxonomy", t]), metadata={"rows": counts[t]})
