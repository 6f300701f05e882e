-- The declared governance model applied to every asset: its class (first classification rule by
-- precedence) and its owner (first ownership rule by precedence whose class scope contains the
-- asset's class and whose cost-center scope matches).
with classified as (
    select
        a.*,
        {{ classification_rule_case('a') }} as classification_rule
    from {{ snapshot_ref('int_assets') }} as a
),

with_class as (
    select
        c.*,
        r.class_id as asset_class
    from classified as c
    left join {{ ref('stg_taxonomy__classification_rules') }} as r on c.classification_rule = r.rule_id
),

owner_candidates as (
    select
        w.as_of_date,
        w.asset_id,
        o.rule_id,
        o.precedence,
        o.owning_function,
        o.accountable_owner,
        o.asset_manager
    from with_class as w
    inner join {{ ref('stg_taxonomy__ownership_rules') }} as o
        on (o.cost_center is null or w.cost_center = o.cost_center)
    left join {{ ref('stg_taxonomy__class_ancestors') }} as anc
        on w.asset_class = anc.class_id and o.class_id = anc.ancestor_class_id
    where o.class_id is null or anc.class_id is not null
),

owners as (
    select
        as_of_date,
        asset_id,
        min_by(rule_id, precedence) as ownership_rule,
        min_by(owning_function, precedence) as owning_function,
        min_by(accountable_owner, precedence) as accountable_owner,
        min_by(asset_manager, precedence) as asset_manager
    from owner_candidates
    group by all
)

select
    w.*,
    cls.class_path,
    cls.lifecycle_tracking,
    cls.useful_life_months as class_useful_life_months,
    cls.refresh_cycle_months,
    cls.depreciation_method as class_depreciation_method,
    cls.capitalise,
    cls.required_fields,
    o.ownership_rule,
    o.owning_function,
    o.accountable_owner,
    o.asset_manager
from with_class as w
left join {{ ref('stg_taxonomy__asset_classes') }} as cls on w.asset_class = cls.class_id
left join owners as o using (as_of_date, asset_id)
