"""Writing positions in batches, and the monthly partitions of the position table on PostgreSQL.

SQLite: one ``INSERT OR IGNORE`` ``executemany`` per batch.
PostgreSQL: a large batch is ``COPY``'d into a session temp table, then one
``INSERT … SELECT … ON CONFLICT DO NOTHING``; a small one (the usual HTTP group
commit) is one ``INSERT … SELECT FROM jsonb_to_recordset(…) ON CONFLICT DO
NOTHING`` — one round trip. A duplicate ``(device, fix_time)`` is stored once
either way. ``benchmarks/tracking_ingest.py`` compares the methods.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from django.db import connection, transaction

from minewatch.tracking.models import Position

TABLE = Position._meta.db_table
COLUMNS = (
    "device_id", "fix_time", "received_at", "lat", "lon", "speed_kmh", "course", "altitude",
    "accuracy", "attributes", "source",
)  # fmt: skip
# Below this many rows one INSERT from a JSON document (one round trip) beats a COPY
# into a temporary table (four); above it COPY's cheaper row parsing wins.
COPY_MIN_ROWS = 500
_TEMP = "tracking_position_incoming"


def insert_positions(rows: Sequence[dict[str, Any]], *, method: str = "auto") -> None:
    """Store position rows (dicts keyed by :data:`COLUMNS`); duplicates are skipped.

    ``method`` is ``"auto"``, ``"copy"`` or ``"json"`` (PostgreSQL only), or ``"insert"``.
    """
    if not rows:
        return
    postgresql = connection.vendor == "postgresql"
    if method == "auto" and postgresql:
        method = "copy" if len(rows) >= COPY_MIN_ROWS else "json"
    if postgresql and method == "copy":
        _copy_positions(rows)
    elif postgresql and method == "json":
        _json_positions(rows)
    elif connection.vendor == "sqlite":
        _sqlite_positions(rows)
    else:
        Position.objects.bulk_create(
            [Position(**row) for row in rows], ignore_conflicts=True, batch_size=2000
        )


def _sqlite_positions(rows: Sequence[dict[str, Any]]) -> None:
    """``INSERT OR IGNORE`` with values adapted as Django stores them (naive UTC text)."""
    adapt = connection.ops.adapt_datetimefield_value
    values = [
        (row["device_id"], adapt(row["fix_time"]), adapt(row["received_at"]), row["lat"],
         row["lon"], row["speed_kmh"], row["course"], row["altitude"], row["accuracy"],
         json.dumps(row["attributes"] or {}), row["source"])
        for row in rows
    ]  # fmt: skip
    marks = ", ".join(["%s"] * len(COLUMNS))
    # Inside a transaction: in autocommit mode sqlite3 commits every row of an executemany.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT OR IGNORE INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})",  # noqa: S608
            values,
        )


def upsert_tracker_states(
    rows: Sequence[tuple[int, dict[str, Any], dict[str, Any] | None]], *, now: dt.datetime
) -> None:
    """Save engine state per device; ``None`` as last position keeps the stored one."""
    from minewatch.tracking.models import TrackerState

    table = TrackerState._meta.db_table
    if connection.vendor == "postgresql":
        _pg_upsert_states(table, rows, now)
        return
    stamp = connection.ops.adapt_datetimefield_value(now)
    with_position = [(d, json.dumps(s), json.dumps(p), stamp) for d, s, p in rows if p is not None]
    state_only = [(d, json.dumps(s), "{}", stamp) for d, s, p in rows if p is None]
    insert = f"INSERT INTO {table} (device_id, state, last_position, updated_at) VALUES "  # noqa: S608
    marks = "(%s, %s, %s, %s)"
    with connection.cursor() as cursor:
        if with_position:
            cursor.executemany(
                insert + marks + " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, "
                "last_position = excluded.last_position, updated_at = excluded.updated_at",
                with_position,
            )
        if state_only:
            cursor.executemany(
                insert + marks + " ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, "
                "updated_at = excluded.updated_at",
                state_only,
            )


def _pg_upsert_states(
    table: str, rows: Sequence[tuple[int, dict[str, Any], dict[str, Any] | None]], stamp: Any
) -> None:
    """One statement for all devices (one JSON document of rows), not a round trip per device."""
    upsert = (
        f"INSERT INTO {table} (device_id, state, last_position, updated_at) "  # noqa: S608
        "SELECT d, s, coalesce(p, '{{}}'::jsonb), %s FROM jsonb_to_recordset(%s::jsonb) "
        "AS u(d bigint, s jsonb, p jsonb) ON CONFLICT (device_id) DO UPDATE SET "
        "state = excluded.state, updated_at = excluded.updated_at{extra}"
    )
    with_position = [{"d": d, "s": s, "p": p} for d, s, p in rows if p is not None]
    state_only = [{"d": d, "s": s} for d, s, p in rows if p is None]
    with connection.cursor() as cursor:
        for group, extra in ((with_position, ", last_position = excluded.last_position"),
                             (state_only, "")):  # fmt: skip
            if group:
                cursor.execute(upsert.format(extra=extra), [stamp, json.dumps(group)])


def _json_positions(rows: Sequence[dict[str, Any]]) -> None:
    """One ``INSERT … SELECT FROM jsonb_to_recordset(…) ON CONFLICT DO NOTHING``."""
    document = json.dumps([
        {"d": r["device_id"], "t": r["fix_time"].isoformat(), "r": r["received_at"].isoformat(),
         "la": r["lat"], "lo": r["lon"], "s": r["speed_kmh"], "c": r["course"],
         "al": r["altitude"], "ac": r["accuracy"], "at": r["attributes"] or {}, "so": r["source"]}
        for r in rows
    ])  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) SELECT d, t, r, la, lo, s, c, al, ac, "  # noqa: S608
            "at, so FROM jsonb_to_recordset(%s::jsonb) AS u(d bigint, t timestamptz, "
            "r timestamptz, la float8, lo float8, s float8, c float8, al float8, ac float8, "
            "at jsonb, so text) ON CONFLICT DO NOTHING",
            [document],
        )


def _copy_value(value: Any) -> str:
    return r"\N" if value is None else repr(float(value))


def _copy_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows in COPY text format, built in one pass (psycopg's ``write_row`` costs ~3 µs a row).

    Only the JSON attributes and the source can hold a backslash (JSON escapes
    control characters, so no raw tab or newline): backslashes are doubled.
    """
    value = _copy_value
    lines = []
    for r in rows:
        attributes = json.dumps(r["attributes"] or {}).replace("\\", "\\\\")
        lines.append(
            f"{r['device_id']:d}\t{r['fix_time'].isoformat()}\t{r['received_at'].isoformat()}\t"
            f"{float(r['lat'])!r}\t{float(r['lon'])!r}\t{value(r['speed_kmh'])}\t"
            f"{value(r['course'])}\t{value(r['altitude'])}\t{value(r['accuracy'])}\t"
            f"{attributes}\t{_copy_escape(r['source'])}\n"
        )
    return "".join(lines)


def _copy_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _copy_positions(rows: Sequence[dict[str, Any]]) -> None:
    columns = ", ".join(COLUMNS)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {_TEMP} "  # noqa: S608 - fixed identifiers
            f"(LIKE {TABLE} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        with cursor.copy(f"COPY {_TEMP} ({columns}) FROM STDIN") as copy:
            copy.write(_copy_text(rows))
        cursor.execute(
            f"INSERT INTO {TABLE} ({columns}) SELECT {columns} FROM {_TEMP} "  # noqa: S608
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute(f"TRUNCATE {_TEMP}")


# -- partitions (PostgreSQL) ------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def is_partitioned() -> bool:
    """True when the position table is a partitioned table (PostgreSQL after migration 0002)."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def existing_partitions() -> list[str]:
    """Names of the position table's partitions (empty on SQLite)."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s) ORDER BY c.relname",
            [TABLE],
        )
        return [row[0] for row in cursor.fetchall()]


def create_month_partitions(*, start: dt.date, months: int) -> list[str]:
    """Create the monthly partitions from ``start``'s month on; returns the new ones.

    Rows already sitting in the default partition for such a month are moved
    into the new partition in the same transaction (PostgreSQL refuses to
    attach a partition whose rows the default partition still holds).
    """
    if months < 1:
        raise ValueError(f"months must be >= 1, got {months}")
    if not is_partitioned():
        return []
    existing, created = set(existing_partitions()), []
    month = month_start(start)
    for _ in range(months):
        name, upper = partition_name(month), next_month(month)
        if name not in existing:
            _create_partition(name, month, upper)
            created.append(name)
        month = upper
    return created


def _create_partition(name: str, lower: dt.date, upper: dt.date) -> None:
    bounds = [lower.isoformat(), upper.isoformat()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'CREATE TABLE "{name}" (LIKE {TABLE} INCLUDING DEFAULTS)')
        cursor.execute(
            f'WITH moved AS (DELETE FROM "{TABLE}_default" WHERE fix_time >= %s '  # noqa: S608
            f'AND fix_time < %s RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
            bounds,
        )
        cursor.execute(
            f'ALTER TABLE {TABLE} ATTACH PARTITION "{name}" '
            f"FOR VALUES FROM ('{bounds[0]}') TO ('{bounds[1]}')"
        )
