-- taxonomy/licensing.yaml → taxonomy.license_settings (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'license_settings') }}
