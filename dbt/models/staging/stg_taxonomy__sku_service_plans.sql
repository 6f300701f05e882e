-- taxonomy/licensing.yaml → taxonomy.sku_service_plans (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'sku_service_plans') }}
