-- Publisher dictionary keyed by normalised alias (taxonomy/normalisation.yaml).
select distinct
    {{ normalise_name('alias') }} as alias_norm,
    publisher,
    {{ normalise_name('publisher') }} as publisher_norm
from {{ ref('stg_taxonomy__publisher_aliases') }}
