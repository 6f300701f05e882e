-- taxonomy.maintenance_gl_rules (policies.yaml maintenance_gl_rules, issue 13): GL maintenance
-- lines that no purchase line links to devices, shared by the assets of a class. Written order.
select
    rule_id,
    position,
    class_id,
    account_category,
    gl_account,
    vendor,
    description
from {{ source('taxonomy', 'maintenance_gl_rules') }}
