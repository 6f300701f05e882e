-- taxonomy/licensing.yaml → taxonomy.core_factors (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'core_factors') }}
