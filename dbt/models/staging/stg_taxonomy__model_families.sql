-- taxonomy.model_families (asset_classes.yaml model_families, issue 13): hardware model families
-- and whether they can run a supported release of an OS. Written order (the first match wins).
select
    family_id,
    position,
    model_pattern,
    os_pattern,
    os_upgrade,
    note
from {{ source('taxonomy', 'model_families') }}
