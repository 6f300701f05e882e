-- Every export date found in the landing history, across the four contract sources.
{% set entities = ['stg_procurement__purchase_lines', 'stg_procurement__license_entitlements',
                   'stg_finance__gl_lines', 'stg_finance__cost_centers', 'stg_finance__fixed_assets',
                   'stg_discovery__devices', 'stg_discovery__software_installs',
                   'stg_discovery__saas_usage', 'stg_cmdb__configuration_items',
                   'stg_cmdb__ci_relationships'] %}
select distinct export_date
from (
    {% for e in entities %}
        select distinct export_date from {{ ref(e) }}{% if not loop.last %}
            union all{% endif %}
    {% endfor %}
)
