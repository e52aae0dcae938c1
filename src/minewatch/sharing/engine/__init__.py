"""Pure code of the sharing app: TLP, STIX 2.1 bundles, TAXII paging, ACLED rows, anonymisation.

No Django here: each function takes plain values (dataclasses, dicts, datetimes) and
returns plain values, so exports can be tested and reused without a database.
"""
