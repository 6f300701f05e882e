"""The declared governance model (taxonomy/*.yaml), validated and written to schema taxonomy."""

from dagster import AssetExecutionContext, AssetSpec, Failure, MaterializeResult, multi_asset

from dagster_project.build.keys import WORKSPACE_KEY, taxonomy_key
from dagster_project.build.resource import ItamResource
from dagster_project.governance.loading import load_taxonomy
from dagster_project.governance.problems import TaxonomyError
from dagster_project.governance.tables import TABLES, write_taxonomy_tables
from dagster_project.warehouse import connect

# Every table the model writes (tables.TABLES), so a new taxonomy table is an asset without a second list.
TAXONOMY_TABLES = tuple(TABLES)


@multi_asset(
    specs=[
        AssetSpec(taxonomy_key(t), deps=[WORKSPACE_KEY], group_name="governance",
                  description=f"taxonomy.{t}, from the YAML files in taxonomy/")
        for t in TAXONOMY_TABLES
    ],
    name="taxonomy",
)
def taxonomy_tables(context: AssetExecutionContext, itam: ItamResource):
    s = itam.settings
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
        yield MaterializeResult(asset_key=taxonomy_key(t), metadata={"rows": counts[t]})
