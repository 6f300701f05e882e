-- taxonomy/licensing.yaml → taxonomy.vm_host_relationships (issue 13): as loaded, no renaming needed.
select * from {{ source('taxonomy', 'vm_host_relationships') }}
