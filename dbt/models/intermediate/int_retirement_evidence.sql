-- Retired and disposed CIs, per snapshot date, with the retirement evidence the taxonomy requires
-- (taxonomy/lifecycle.yaml `retirement_evidence`, e.g. sanitisation_date, disposal_certificate)
-- that their CMDB record does not carry. Evidence fields are columns beyond the contract, so they
-- are read from the CI's extra fields by their declared (lower-case) names.
with retired as (
    select
        as_of_date,
        ci_id,
        lifecycle_state,
        extra_fields
    from {{ snapshot_ref('int_cmdb_ci_snapshot') }}
    where lifecycle_state in ('retired', 'disposed')
),

checked as (
    select
        r.as_of_date,
        r.ci_id,
        r.lifecycle_state,
        e.field_name,
        nullif(trim({{ json_member_text("r.extra_fields", "e.field_name") }}), '') as evidence
    from retired as r
    cross join {{ ref('stg_taxonomy__retirement_evidence') }} as e
)

select
    c.as_of_date,
    m.asset_id,
    c.ci_id,
    c.lifecycle_state,
    count(*) as evidence_required,
    count(c.evidence) as evidence_present,
    coalesce(
        {{ list_agg("c.field_name", sorted=true, where="c.evidence is null") }},
        {{ empty_list() }}
    ) as missing_evidence
from checked as c
inner join {{ snapshot_ref('int_asset_matching') }} as m
    on c.as_of_date = m.as_of_date and m.record_id = 'cmdb:' || c.ci_id
group by all
