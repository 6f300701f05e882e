-- Freshness from the export dates (warning): at the latest snapshot, every export feed delivered
-- within its export_stale_window_days and every discovery source sighted something within its
-- stale window. A silent feed is one finding here and in fct_stale_records; the build still
-- publishes (the data is the newest there is) but says which feed to chase.
{{ config(severity='warn') }}
select as_of_date, source, entity, record_key as feed, last_seen_or_updated_at, age_days, threshold_days
from {{ ref('fct_stale_records') }}
where record_kind = 'feed' and is_finding
  and as_of_date = (select max(as_of_date) from {{ ref('fct_stale_records') }})
