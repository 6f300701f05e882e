-- Resolutions of reconciliation exceptions as recorded in the decisions store.
select
    exception_id,
    as_of_date as decision_as_of_date,
    resolution_action,
    resolved_by,
    resolved_at,
    note,
    exception_type,
    problem_key,
    decision_row
from {{ source('decisions', 'resolutions') }}
