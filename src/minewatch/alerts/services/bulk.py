"""Bulk writes for the hot paths (a burst of alerts, a pump cycle of delivery results).

Django's ``bulk_create`` and ``bulk_update`` send every value through the field API and
build one statement with thousands of placeholders (``bulk_update`` a ``CASE WHEN`` per
field and row); at thousands of rows that costs more than the database work. These
send one short statement through ``executemany`` with values converted once per field.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection, models

from minewatch.core import crypto

# Field types whose Python value goes to the driver as it is (no conversion).
_PLAIN_FIELDS = (
    models.CharField, models.TextField, models.IntegerField, models.BooleanField,
    models.FloatField, models.ForeignKey,
)  # fmt: skip


def _converter(f: models.Field) -> Any:
    """None for a value the driver takes as it is, else a function preparing it."""
    if getattr(f, "is_encrypted", False):  # a CharField, but never written as it is
        return lambda value: f.get_db_prep_save(value, connection)
    if isinstance(f, models.DateTimeField):
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    if isinstance(f, _PLAIN_FIELDS):
        return None
    if isinstance(f, models.JSONField) and connection.vendor == "sqlite":
        # What JSONField.get_db_prep_save does on SQLite (DatabaseOperations.adapt_json_value),
        # without the field API around it: audit rows carry two JSON values each.
        encoder = f.encoder
        return lambda value: None if value is None else json.dumps(value, cls=encoder)
    return lambda value: f.get_db_prep_save(value, connection)


def update_rows(model: type[models.Model], rows: Sequence[Any], names: list[str]) -> None:
    """UPDATE the named fields of saved rows by primary key, with one ``executemany``.

    ``rows`` are model instances or any objects with ``pk`` and the fields' attributes.
    """
    if not rows:
        return
    fields = [model._meta.get_field(name) for name in names]
    stale = {getattr(f, "hash_field", None) for f in fields} - {None, *names}
    if stale:  # the value would change and its look-up hash would not
        raise ValueError(f"update {sorted(stale)} together with the fields they hash")
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


def _db_columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]


def _value_rows(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[list[Any]]:
    """Database values of rows given as ``{attname: value}`` (missing fields take their
    default, ``auto_now``/``auto_now_add`` fields the current time), without model instances.

    Defaults are converted once per field; date-times once per distinct value (the rows of
    a batch share a handful of instants).
    """
    from django.utils import timezone

    fields = _db_columns(model)
    now = timezone.now()
    plan = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            default: Any = now
        elif f.has_default() or f.null or not f.is_relation:
            default = f.get_default()
        else:
            default = None
        convert = _converter(f)
        if isinstance(f, models.DateTimeField):
            convert = _cached(convert)
        plan.append((f.attname, default, convert))
    hashed = _hashed_fields(fields)
    values = []
    for row in rows:
        if hashed and (missing := [(n, source) for n, source in hashed if n not in row]):
            row = {**row, **{name: _hash_of(row.get(source)) for name, source in missing}}
        values.append([
            (row.get(name, default) if convert is None else convert(row.get(name, default)))
            for name, default, convert in plan
        ])  # fmt: skip
    return values


def _hashed_fields(fields: Sequence[models.Field]) -> list[tuple[str, str]]:
    """(attname, source attname) of the look-up hashes among ``fields``: computed from their
    source here, as ``LookupHashField.pre_save`` does on a save."""
    from minewatch.core.fields import LookupHashField

    if crypto.is_raw():  # a restore writes the stored hashes as they are
        return []
    return [(f.attname, f.model._meta.get_field(f.source).attname)
            for f in fields if isinstance(f, LookupHashField)]  # fmt: skip


def _hash_of(value: Any) -> str:
    return crypto.lookup_hash(value or "")


def _cached(convert: Any) -> Any:
    seen: dict[Any, Any] = {}

    def converted(value: Any) -> Any:
        try:
            return seen[value]
        except KeyError:
            seen[value] = result = convert(value)
            return result
        except TypeError:  # unhashable
            return convert(value)

    return converted


def insert_values(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> None:
    """INSERT rows given as ``{attname: value}`` (no model instances): one ``executemany`` on
    SQLite, ``COPY`` on PostgreSQL (no statement per row, no giant parameter list)."""
    if not rows:
        return
    _write(model, _db_columns(model), _value_rows(model, rows))


def insert_values_returning(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[int]:
    """INSERT rows given as ``{attname: value}`` and return their primary keys, in order
    (multi-row ``INSERT ... RETURNING``, as ``bulk_create`` does, without its per-value
    field API)."""
    if not rows:
        return []
    fields = _db_columns(model)
    values = _value_rows(model, rows)
    if connection.vendor == "postgresql":
        # Keys drawn from the table's sequence, then COPY: a statement of thousands of
        # placeholders costs psycopg more to parse in Python than the insert itself.
        pk = model._meta.pk
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [model._meta.db_table, pk.column, len(values)],
            )
            pks = sorted(row[0] for row in cursor.fetchall())
        _write(model, [pk, *fields], [[key, *row] for key, row in zip(pks, values, strict=True)])
        return pks
    if connection.in_atomic_block:
        # One executemany; the transaction holds SQLite's only write lock from its first
        # write to its commit, so nobody else inserts meanwhile and the new rows take
        # consecutive keys after the largest one (SQLite's documented choice of a new
        # ROWID), the last of which last_insert_rowid() gives.
        _write(model, fields, values)
        with connection.cursor() as cursor:
            cursor.execute("SELECT last_insert_rowid()")
            last = cursor.fetchone()[0]
        return list(range(last - len(values) + 1, last + 1))
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = max(1, (connection.features.max_query_params or 30_000) // len(fields))
    per_statement = min(per_statement, 1000)
    pks: list[int] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), per_statement):
            chunk = values[start : start + per_statement]
            sql = (
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([marks] * len(chunk))} "  # noqa: S608 - names from model metadata
                f"RETURNING {quote(model._meta.pk.column)}"
            )
            cursor.execute(sql, [value for row in chunk for value in row])
            pks.extend(row[0] for row in cursor.fetchall())
    return pks


def _write(model: type[models.Model], fields: list[models.Field], values: list[list[Any]]) -> None:
    quote = connection.ops.quote_name
    table, columns = quote(model._meta.db_table), ", ".join(quote(f.column) for f in fields)
    marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sql = f"INSERT INTO {table} ({columns}) VALUES {marks}"  # noqa: S608 - names from model metadata
            cursor.executemany(sql, values)
            return
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in values:
                copy.write_row(row)


def new_instances(model: type[models.Model], rows: Sequence[dict[str, Any]]) -> list[models.Model]:
    """Unsaved instances of ``model`` from ``{attname: value}`` rows (the other fields take
    their defaults), without ``Model.__init__``'s per-field argument handling, which cost
    more than the rest of building an access-event batch. Set foreign keys by ``<name>_id``
    here; assign related instances afterwards through the field as usual."""
    from django.db.models.base import ModelState

    defaults = {f.attname: f.get_default() if f.has_default() else None
                for f in model._meta.concrete_fields}  # fmt: skip
    made = []
    for row in rows:
        instance = model.__new__(model)
        instance._state = ModelState()
        instance.__dict__.update(defaults)
        instance.__dict__.update(row)
        made.append(instance)
    return made


def insert_instances(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """INSERT new model instances and set their primary keys (``bulk_create`` for rows
    built in memory, without its per-value field API)."""
    if not instances:
        return
    from django.utils import timezone

    fields = _db_columns(model)
    now = timezone.now()
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            for instance in instances:
                setattr(instance, f.attname, now)
    for name, source in _hashed_fields(fields):
        for instance in instances:
            setattr(instance, name, _hash_of(getattr(instance, source)))
    names = [f.attname for f in fields]
    pks = insert_values_returning(
        model, [{name: getattr(obj, name) for name in names} for obj in instances]
    )
    for instance, pk in zip(instances, pks, strict=True):
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias


class _WriteGate:
    """A first-come first-served, re-entrant lock in front of SQLite write transactions.

    SQLite has one writer; a second writer polls with its busy handler (sleeping 1, 2, 5
    ... 100 ms between tries) and a thread that commits and begins again at once (the
    intake under load) wins nearly every time, so the delivery worker in the same process
    waited seconds to claim a try. Queued here instead, each transaction waits for the
    ones before it only, and is woken when the previous one ends.
    """

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self._waiters: deque[threading.Lock] = deque()
        self._owner: int | None = None
        self._depth = 0

    def acquire(self) -> None:
        me = threading.get_ident()
        with self._mutex:
            if self._owner == me:
                self._depth += 1
                return
            if self._owner is None and not self._waiters:
                self._owner, self._depth = me, 1
                return
            baton = threading.Lock()
            baton.acquire()
            self._waiters.append(baton)
        baton.acquire()  # released by the previous owner, who made this thread the owner
        with self._mutex:
            self._owner, self._depth = me, 1

    def release(self) -> None:
        with self._mutex:
            self._depth -= 1
            if self._depth:
                return
            self._owner = None
            if self._waiters:
                self._owner = -1  # reserved for the woken waiter
                self._waiters.popleft().release()


_gate = _WriteGate()


@contextmanager
def write_turn() -> Iterator[None]:
    """Wait for this process's turn to write on SQLite (a no-op on PostgreSQL, whose
    writers do not block each other, and inside a transaction: the thread may already
    hold SQLite's lock and must not wait behind a thread that waits for it)."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    _gate.acquire()
    try:
        yield
    finally:
        _gate.release()
