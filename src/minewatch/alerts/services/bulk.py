"""Bulk writes for the hot paths (a burst of alerts, a pump cycle of delivery results).

Django's ``bulk_create`` and ``bulk_update`` send every value through the field API and
build one statement with thousands of placeholders (``bulk_update`` a ``CASE WHEN`` per
field and row); at thousands of rows that costs more than the database work. These
send one short statement through ``executemany`` with values converted once per field.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection, models

# Field types whose Python value goes to the driver as it is (no conversion).
_PLAIN_FIELDS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.FloatField, models.ForeignKey,
)  # fmt: skip


def _converter(f: models.Field) -> Any:
    """None for a value the driver takes as it is, else a function preparing it."""
    if isinstance(f, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    if isinstance(f, _PLAIN_FIELDS):
        return None
    return lambda value: f.get_db_prep_save(value, connection)


def insert_rows(model: type[models.Model], rows: Sequence[models.Model]) -> None:
    """INSERT rows nobody needs the primary key of, with one ``executemany``.

    ``bulk_create`` sends every value of every row through the field API (and builds one
    statement of thousands of placeholders); for the thousands of checklist items and
    deliveries of a burst that costs more than the insert. Here each field's conversion
    is chosen once: plain values go as they are, date-times through the backend's
    adapter, anything else (JSON) through the field as ``bulk_create`` would.
    """
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    converters = [_converter(f) for f in fields]
    automatic = [(i, f) for i, f in enumerate(fields) if getattr(f, "auto_now", False)
                 or getattr(f, "auto_now_add", False)]  # fmt: skip
    values = []
    relations = [f for f in fields if f.is_relation]
    for row in rows:
        for f in relations:  # a parent saved after this row was built: take its new key
            if getattr(row, f.attname) is None and f.is_cached(row):
                parent = f.get_cached_value(row)
                if parent is not None:
                    if parent.pk is None:
                        raise ValueError(f"{model.__name__}.{f.name}: the parent is not saved")
                    setattr(row, f.attname, parent.pk)
        for _i, f in automatic:
            f.pre_save(row, add=True)
        values.append([
            getattr(row, f.attname) if convert is None else convert(getattr(row, f.attname))
            for f, convert in zip(fields, converters, strict=True)
        ])  # fmt: skip
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":  # SQLite runs executemany in C, row by row
            sql = f"INSERT INTO {table} ({columns}) VALUES {marks}"  # noqa: S608 - names from model metadata
            cursor.executemany(sql, values)
            return
        # PostgreSQL: COPY, the bulk-load path (values adapted by psycopg, no statement
        # per row, no giant parameter list).
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)


def update_rows(model: type[models.Model], rows: Sequence[Any], names: list[str]) -> None:
    """UPDATE the named fields of saved rows by primary key, with one ``executemany``.

    ``rows`` are model instances or any objects with ``pk`` and the fields' attributes.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    converters = [_converter(f) for f in fields]
    values = [
        [getattr(row, f.attname) if convert is None else convert(getattr(row, f.attname))
         for f, convert in zip(fields, converters, strict=True)] + [row.pk]
        for row in rows
    ]  # fmt: skip
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
    sql = f"UPDATE {table} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"  # noqa: S608 - names from model metadata
    with connection.cursor() as cursor:
        cursor.executemany(sql, values)
