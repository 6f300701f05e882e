-- Warning (issue 13): every period x cost category in the TCO scope whose TCO-attributed spend
-- differs from the GL by more than policies.yaml tco_gl_tolerance_pct of the GL
-- (fct_tco_gl_reconciliation). A finding for finance to explain, not a broken build.
{{ config(severity='warn') }}
select as_of_date, period, cost_category, gl_amount, tco_attributed, unexplained_difference, unexplained_pct
from {{ ref('fct_tco_gl_reconciliation') }}
where not within_tolerance
