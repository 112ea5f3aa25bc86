# Amounts in a sales CRM are read at a glance: group thousands as Chinese finance reports do.
DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
