-- Cloud spend (FinOps FOCUS) per snapshot date, period and cost center, with the rule that placed
-- it (docs/marts.md "fct_cloud_cost"). Spend no rule places is on the unallocated cost center with
-- method 'untagged' or 'unmatched': visible, never dropped, so the rows of a period sum to the
-- provider's bill. Money in the reporting currency, rounded once per row.
select
    c.as_of_date,
    c.period,
    c.cost_center,
    c.allocation_method,
    c.allocation_rule,
    c.provider,
    c.billing_account_id,
    c.sub_account_id,
    min(c.sub_account_name) as sub_account_name,
    c.charge_category,
    count(*) as charges,
    cast(round(sum(c.billed_cost_rc), 2) as decimal(18, 2)) as billed_cost,
    cast(round(sum(c.effective_cost_rc), 2) as decimal(18, 2)) as effective_cost,
    pol.reporting_currency as currency
from {{ snapshot_ref('int_cloud_costs') }} as c
cross join {{ ref('int_policy') }} as pol
group by
    c.as_of_date, c.period, c.cost_center, c.allocation_method, c.allocation_rule, c.provider,
    c.billing_account_id, c.sub_account_id, c.charge_category, pol.reporting_currency
