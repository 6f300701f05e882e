-- Sign-offs of reconciliation packs as recorded in the decisions store.
select
    quarter,
    as_of_date as signed_as_of_date,
    pack_sha256,
    signed_by,
    signed_at,
    exceptions_listed,
    open_at_signoff,
    note,
    signoff_row
from {{ source('decisions', 'signoffs') }}
