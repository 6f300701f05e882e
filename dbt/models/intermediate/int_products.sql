-- Product dictionary keyed by normalised publisher and alias (taxonomy/normalisation.yaml).
select distinct
    {{ normalise_name('publisher') }} as publisher_norm,
    {{ normalise_name('alias') }} as alias_norm,
    product,
    {{ normalise_name('product') }} as product_norm
from {{ ref('stg_taxonomy__product_aliases') }}
