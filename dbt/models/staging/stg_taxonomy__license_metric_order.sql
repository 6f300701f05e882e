-- taxonomy/licensing.yaml → taxonomy.license_metric_order (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'license_metric_order') }}
