-- taxonomy/licensing.yaml → taxonomy.license_products (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'license_products') }}
