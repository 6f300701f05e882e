-- The governance policy as one row (taxonomy/policies.yaml), for cross joins.
select * from {{ ref('stg_taxonomy__policy') }}
