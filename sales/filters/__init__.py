"""The filters of the sales lists, one FilterSet per list, shared by its page, export and API.

``customers``, ``deals``, ``records``, ``activities`` and ``plans``; their building blocks (the id
limit, ignoring values that do not parse, sorting) are in ``crm.filters``.
"""
