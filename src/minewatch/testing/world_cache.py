"""The test world, built once per test process and restored into each test's transaction.

``build_world`` goes through the services (about 850 queries, 140 audit entries): built for
every one of the ~800 tests that ask for ``world`` it was the largest cost of the suite. Now
each process builds it once, in a transaction that is rolled back, and records what the
build wrote:

* the rows it added to every model's table (read back through the ORM, so each backend's
  own conversions apply), inserted again as they were (``raw``: no ``save()``, no signals,
  no ``auto_now``) into the test's own transaction, so a test still starts from a world it
  may change and that is rolled back after it;
* the files it wrote to the evidence store and the media directory, written again where the
  test's settings point;
* the e-mails it sent to ``mail.outbox``;
* the World of model instances, deep-copied for each test;
* what the build left in this process's memory: each app's ``restore_world`` (in its
  ``testing.py``) resets its caches (engines, rules) after a restore.

Times relative to "now" move with the clock: a datetime within three days of the build
moves by the time since the build ended (an alert raised "five minutes ago" stays five minutes
old; a tracker's last fix stays fresh), and dates move by the days passed. Rows of the
hash-chained ledger (the audit log, custody chains, checkpoints) keep their times: their
hashes cover them.

A test that needs the world built by the services in its own transaction (it checks what the
build itself did) asks for ``fresh_world``; ``MINEWATCH_TEST_FRESH_WORLD=1`` builds it fresh
for every test, as before. A restore that fails (a fixture of the test wrote rows first that
collide with the world's) falls back to a fresh build.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

# Datetimes this close to the build are "relative to now" and move with the clock.
RELATIVE_WINDOW = dt.timedelta(days=3)
# Models whose rows are hashed with their times (the tamper-evident ledger).
CHAINED_FIELDS = {"entry_hash", "prev_hash", "signature"}


def fresh_world_wanted() -> bool:
    return os.environ.get("MINEWATCH_TEST_FRESH_WORLD") == "1"


@dataclasses.dataclass
class TableRows:
    model: Any
    fields: list[Any]
    rows: list[tuple[Any, ...]]
    shift: list[int]  # indexes of DateTimeFields that move with the clock
    shift_dates: list[int]  # indexes of DateFields that move with the days


@dataclasses.dataclass
class Snapshot:
    world: Any
    built_at: dt.datetime
    built_on: dt.date
    tables: list[TableRows]
    replaced: list[tuple[Any, list[Any]]]  # (model, pks) of rows the build changed or deleted
    files: dict[str, dict[str, bytes]]  # root name → relative path → content
    outbox: list[Any]


def concrete_models() -> list[Any]:
    from django.apps import apps

    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    ]


def is_chained(model: Any) -> bool:
    return bool(CHAINED_FIELDS & {field.name for field in model._meta.concrete_fields})


def read_rows(model: Any) -> tuple[list[Any], dict[Any, tuple[Any, ...]]]:
    fields = list(model._meta.local_concrete_fields)
    pk_index = fields.index(model._meta.pk) if model._meta.pk in fields else None
    rows = model._base_manager.using("default").values_list(*[f.attname for f in fields])
    if pk_index is None:  # pragma: no cover - every concrete table has its pk locally
        raise RuntimeError(f"{model._meta.label} has no local primary key")
    return fields, {row[pk_index]: tuple(row) for row in rows}


def file_roots() -> dict[str, Path]:
    """Where the build may write files: the local evidence store and the media directory."""
    from django.conf import settings

    from minewatch.evidence.storage import store_location

    roots = {"media": Path(settings.MEDIA_ROOT)}
    location = store_location()
    if "://" not in location:
        roots["evidence"] = Path(location)
    return roots


def _empty_file_roots(scratch: Path) -> dict[str, Any]:
    """Settings pointing the file roots of :func:`file_roots` at folders under ``scratch``."""
    from django.conf import settings

    from minewatch.evidence.storage import store_location

    overrides: dict[str, Any] = {"MEDIA_ROOT": str(scratch / "media")}
    if "://" not in store_location():
        overrides["TUNABLES"] = {**settings.TUNABLES, "evidence_store": str(scratch / "evidence")}
    return overrides


def read_files(root: Path) -> dict[str, bytes]:
    if not root.is_dir():
        return {}
    return {
        str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()
    }


def capture() -> Snapshot:
    """Build the world in the current (to be rolled back) transaction and record it."""
    from django.core import mail
    from django.test import override_settings
    from django.utils import timezone

    from minewatch.testing.world import build_world

    models = concrete_models()
    before = {model: read_rows(model)[1] for model in models}
    outbox = getattr(mail, "outbox", None)
    sent_before = len(outbox) if outbox is not None else 0
    # Built into empty file roots, so every file there is the world's: the evidence store is
    # content-addressed, and comparing with what a shared store held before missed the blobs
    # an earlier test had already left there (restored tests then found them MISSING).
    scratch = Path(tempfile.mkdtemp(prefix="minewatch-world-files-"))
    try:
        with override_settings(**_empty_file_roots(scratch)):
            world = build_world()
            files = {name: read_files(root) for name, root in file_roots().items()}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    # The end of the build: every time it wrote is before it, so after a restore (times moved
    # by the time since then) the world is in the past of what the test then does.
    built_at, built_on = timezone.now(), timezone.localdate()
    tables, replaced = [], []
    for model in models:
        fields, after = read_rows(model)
        old = before[model]
        gone = [pk for pk in old if pk not in after or after[pk] != old[pk]]
        if gone:
            replaced.append((model, gone))
        new = [row for pk, row in after.items() if pk not in old or old[pk] != row]
        if not new:
            continue
        chained = is_chained(model)
        shift = [] if chained else [
            i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"
        ]  # fmt: skip
        shift_dates = [] if chained else [
            i for i, f in enumerate(fields) if f.get_internal_type() == "DateField"
        ]  # fmt: skip
        tables.append(TableRows(model, fields, new, shift, shift_dates))
    sent = list(outbox[sent_before:]) if outbox is not None else []
    return Snapshot(
        world=copy.deepcopy(world), built_at=built_at, built_on=built_on, tables=tables,
        replaced=replaced, files=files, outbox=sent,
    )  # fmt: skip


def moved(value: Any, delta: dt.timedelta, built_at: dt.datetime) -> Any:
    aware = isinstance(value, dt.datetime) and value.tzinfo is not None
    if aware and abs(value - built_at) <= RELATIVE_WINDOW:
        return value + delta
    return value


def restore(snapshot: Snapshot) -> Any:
    """Insert the world's rows and files into the current transaction; a copy of the World."""
    from django.core import mail
    from django.db import connection
    from django.db.models.sql import InsertQuery
    from django.utils import timezone

    delta = timezone.now() - snapshot.built_at
    days = dt.timedelta(days=(timezone.localdate() - snapshot.built_on).days)
    for model, pks in snapshot.replaced:
        model._base_manager.filter(pk__in=pks)._raw_delete("default")
    for table in snapshot.tables:
        objects = []
        for row in table.rows:
            values = list(row)
            for i in table.shift:
                values[i] = moved(values[i], delta, snapshot.built_at)
            if days:
                for i in table.shift_dates:
                    if isinstance(values[i], dt.date):
                        values[i] = values[i] + days
            obj = table.model.__new__(table.model)
            obj.__dict__.update({f.attname: v for f, v in zip(table.fields, values, strict=True)})
            objects.append(obj)
        size = connection.ops.bulk_batch_size(table.fields, objects) or len(objects)
        for start in range(0, len(objects), size):
            query = InsertQuery(table.model)
            query.insert_values(table.fields, objects[start : start + size], raw=True)
            query.get_compiler(using="default").execute_sql()
    if connection.vendor == "postgresql":
        from django.core.management.color import no_style

        statements = connection.ops.sequence_reset_sql(
            no_style(), [table.model for table in snapshot.tables]
        )
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
    for name, root in file_roots().items():
        for relative, data in snapshot.files.get(name, {}).items():
            path = root / relative
            if not path.is_file() or path.read_bytes() != data:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
    if hasattr(mail, "outbox"):
        mail.outbox.extend(copy.copy(message) for message in snapshot.outbox)
    world = copy.deepcopy(snapshot.world)
    if delta or days:
        move_instances(world, delta, days, snapshot.built_at)
    reset_process_state(world)
    return world


def move_instances(world: Any, delta: dt.timedelta, days: dt.timedelta, built_at: Any) -> None:
    """Move the times of the World's model instances as their rows were moved."""
    from django.db import models

    seen: set[int] = set()

    def visit(value: Any) -> None:
        if id(value) in seen:
            return
        seen.add(id(value))
        if isinstance(value, models.Model):
            if not is_chained(type(value)):
                for field in value._meta.concrete_fields:
                    kind = field.get_internal_type()
                    current = value.__dict__.get(field.attname)
                    if kind == "DateTimeField":
                        value.__dict__[field.attname] = moved(current, delta, built_at)
                    elif kind == "DateField" and days and isinstance(current, dt.date):
                        value.__dict__[field.attname] = current + days
            for related in value._state.fields_cache.values():
                visit(related)
            for cached in getattr(value, "_prefetched_objects_cache", {}).values():
                for item in getattr(cached, "_result_cache", None) or []:
                    visit(item)
        elif isinstance(value, dict):
            for item in value.values():
                visit(item)
        elif isinstance(value, list | tuple | set):
            for item in value:
                visit(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for item in dataclasses.fields(value):
                visit(getattr(value, item.name))

    visit(world)


def reset_process_state(world: Any = None) -> None:
    """This process's caches as a build would leave them: each app's ``restore_world(world)``
    (``<app>/testing.py``) forgets what the build (or an earlier test) cached in memory and
    puts back what the build's own calls left there. ``world`` is None after the capture."""
    from minewatch.core.registry import app_modules

    for _config, module in app_modules("testing"):
        hook = getattr(module, "restore_world", None)
        if hook is not None:
            hook(world)
