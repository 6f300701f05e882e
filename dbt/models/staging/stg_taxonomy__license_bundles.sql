-- taxonomy/licensing.yaml → taxonomy.license_bundles (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'license_bundles') }}
