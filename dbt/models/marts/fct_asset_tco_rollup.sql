-- fct_asset_tco rolled up per snapshot date by asset class, by model and by cost center (docs/marts.md
-- "fct_asset_tco_rollup"). rollup_by names the dimension, rollup_key its value ('(none)' when the
-- asset has none). Each dimension's rows sum to the same totals as fct_asset_tco.
{% set money = ['acquisition_cost', 'depreciation_to_date', 'net_book_value', 'maintenance_cost',
                'license_cost', 'cloud_saas_cost', 'disposal_cost', 'tco_to_date', 'tco_annualised',
                'depreciation_per_year', 'maintenance_per_year', 'license_per_year', 'cloud_saas_per_year'] %}
{% for dim in ['asset_class', 'model', 'cost_center'] %}
    select
        as_of_date,
        '{{ dim }}' as rollup_by,
        coalesce({{ dim }}, '(none)') as rollup_key,
        count(*) as assets,
        {% for m in money %}cast(coalesce(sum({{ m }}), 0) as decimal(18, 2)) as {{ m }},
        {% endfor %}min(currency) as currency
    from {{ snapshot_ref('fct_asset_tco') }}
    group by all
    {% if not loop.last %}union all{% endif %}
{% endfor %}
