-- Invariant: an exception's history reads forwards: first detection ≤ last detection ≤ the
-- snapshot date, and it is resolved exactly when it was not detected at this date.
select exception_id, as_of_date, first_detected_on, last_detected_on, status
from {{ ref('fct_reconciliation_exceptions') }}
where not (first_detected_on <= last_detected_on and last_detected_on <= as_of_date)
   or (status = 'resolved') <> (last_detected_on < as_of_date)
