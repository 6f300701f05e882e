-- Invariant: an asset has an owner exactly when an ownership rule assigned one, and a class
-- exactly when a classification rule did (dim_asset names the rule behind every value).
select as_of_date, asset_id, asset_class, classification_rule, owner_function, ownership_rule
from {{ ref('dim_asset') }}
where (asset_class is null) <> (classification_rule is null)
   or (owner_function is null) <> (ownership_rule is null)
   or (owner_function is null) <> (accountable_owner is null)
