"""MineWatch's PostgreSQL backend: Django's own, with every datetime sent in UTC.

A client may write a time with any UTC offset Python accepts (up to ±23:59),
for example ``?raised_after=2026-02-15T19:54:46-18:21``; PostgreSQL refuses
offsets beyond ±15:59 ("time zone displacement out of range") and the request
became a server error. Django's backend passes an aware datetime through
unchanged, so every query and save (filters, forms, serializers, services)
was exposed; converting to UTC here, in the one place every value passes,
closes them all. The instant is the same, so nothing stored changes meaning.
"""
