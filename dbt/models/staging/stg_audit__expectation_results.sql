-- audit.expectation_results as the build wrote it (the build's load bookkeeping); staging is the only layer that reads sources.
select * from {{ source('audit', 'expectation_results') }}
