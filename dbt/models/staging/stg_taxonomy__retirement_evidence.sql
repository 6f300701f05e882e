-- taxonomy.retirement_evidence as the build wrote it (the declared governance model (taxonomy/*.yaml)); staging is the only layer that reads sources.
select * from {{ source('taxonomy', 'retirement_evidence') }}
