-- Cloud charges (finance/cloud_costs, mapped from FinOps FOCUS) known at each snapshot date, in the
-- reporting currency at the policy rate of the charge's month (unrounded: rounding happens once,
-- on the totals), each placed on a cost center by the first matching rule of policies.yaml
-- `cloud_cost_rules` (docs/decisions/cost-allocation-drivers.md). A charge no rule places goes to
-- the policy's unallocated cost center, visibly: method 'untagged' (no tags) or 'unmatched' (tags
-- that no rule reads, e.g. a cost-center tag whose value is no known cost center).
with charges as (
    {{ latest_records('stg_finance__cloud_costs',
        "coalesce(nullif(trim(r.charge_id), ''), r.source_file || '#' || r.source_row_number)") }}
),

pol as (
    select * from {{ ref('int_policy') }}
),

c as (
    select
        ch.as_of_date,
        coalesce(nullif(trim(ch.charge_id), ''), ch.source_file || '#' || ch.source_row_number) as charge_key,
        {{ format_date("ch.charge_period_start", "%Y-%m") }} as period,
        ch.charge_period_start,
        ch.charge_period_end,
        trim(ch.provider) as provider,
        ch.billing_account_id,
        ch.sub_account_id,
        ch.sub_account_name,
        ch.service_name,
        ch.service_category,
        ch.charge_category,
        ch.resource_id,
        {{ normalise_cloud_resource('ch.resource_id') }} as resource_key,
        ch.region,
        ch.tags,
        -- Tags are a JSON object in a cell; anything else (or '{}') reads as no tags.
        {{ json_to_text_map("ch.tags") }} as tag_map,
        upper(trim(ch.currency)) as currency,
        ch.billed_cost,
        ch.effective_cost,
        fx.rate as fx_rate,
        ch.billed_cost * fx.rate as billed_cost_rc,
        ch.effective_cost * fx.rate as effective_cost_rc,
        ch.export_date,
        ch.source_file,
        ch.load_id
    from charges as ch
    left join {{ ref('int_fx_rates') }} as fx
        on
            fx.currency = upper(trim(ch.currency))
            and {{ format_date("ch.charge_period_start", "%Y-%m") }} >= fx.from_period
            and {{ format_date("ch.charge_period_start", "%Y-%m") }} < fx.to_period
),

tags as (
    select
        as_of_date,
        charge_key,
        trim(e.key) as tag_key,
        nullif(trim(e.value), '') as tag_value
    from (select
        as_of_date,
        charge_key,
        {{ unnest_map_entries("tag_map") }} as e
    from c
    where tag_map is not null)
),

rules as (
    select * from {{ ref('stg_taxonomy__cloud_cost_rules') }}
),

-- Cost center codes of finance/cost_centers at each date: a tag value names one (compared
-- case-insensitively, trimmed) or does not count.
known_cost_centers as (
    select
        as_of_date,
        upper(trim(cost_center)) as code_upper,
        min(trim(cost_center)) as cost_center
    from ({{ latest_records('stg_finance__cost_centers', 'upper(trim(r.cost_center))') }})
    group by all
),
{% set attribute_conditions %}
        (r.sub_account is null or {{ regex_search("c.sub_account_id", "r.sub_account", "i") }}
                               or {{ regex_search("c.sub_account_name", "r.sub_account", "i") }})
    and (r.provider is null or {{ regex_search("c.provider", "r.provider", "i") }})
    and (r.service is null or {{ regex_search("c.service_name", "r.service", "i") }})
    and (r.charge_category is null or {{ regex_search("c.charge_category", "r.charge_category", "i") }})
{% endset %}
candidates as (
    -- rules on a tag: one candidate per matching tag
    select
        c.as_of_date,
        c.charge_key,
        r.rule_id,
        r.precedence,
        t.tag_key as tiebreak,
        coalesce(r.cost_center, k.cost_center) as cost_center,
        'tag_rule' as allocation_method
    from c
    inner join tags as t on c.as_of_date = t.as_of_date and c.charge_key = t.charge_key
    inner join rules as r
        on
            r.tag_key is not null
            and {{ regex_search("t.tag_key", "r.tag_key", "i") }}
            and (r.tag_value is null or {{ regex_search("t.tag_value", "r.tag_value", "i") }})
    left join known_cost_centers as k on c.as_of_date = k.as_of_date and k.code_upper = upper(t.tag_value)
    -- (noqa below: sqlfluff fix pads the rendered multi-line condition more on every pass)
    where {{ attribute_conditions }}  -- noqa: LT02
        and (r.cost_center is not null or k.cost_center is not null)
    union all
    -- rules on the charge's attributes only
    select
        c.as_of_date,
        c.charge_key,
        r.rule_id,
        r.precedence,
        '',
        r.cost_center,
        'attribute_rule'
    from c
    inner join rules as r on r.tag_key is null
    where {{ attribute_conditions }}
),

placed as (
    select
        as_of_date,
        charge_key,
        rule_id,
        cost_center,
        allocation_method
    from candidates
    qualify row_number() over (
        partition by as_of_date, charge_key
        order by precedence, rule_id, tiebreak
    ) = 1
),

tagged as (
    select distinct
        as_of_date,
        charge_key
    from tags
)

select
    c.* {{ star_exclude() }} (tag_map),
    t.charge_key is not null as has_tags,
    coalesce(p.cost_center, pol.unallocated_cost_center) as cost_center,
    coalesce(p.allocation_method, case when t.charge_key is null then 'untagged' else 'unmatched' end)
        as allocation_method,
    p.rule_id as allocation_rule
from c
cross join pol
left join placed as p on c.as_of_date = p.as_of_date and c.charge_key = p.charge_key
left join tagged as t on c.as_of_date = t.as_of_date and c.charge_key = t.charge_key
