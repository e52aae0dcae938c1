"""The position table is partitioned by month on PostgreSQL (migration 0002); SQLite is plain."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from minewatch.tracking.models import Device, Position
from minewatch.tracking.services.storage import (
    create_month_partitions,
    existing_partitions,
    insert_positions,
    is_partitioned,
)
from minewatch.tracking.testing import make_organisation_devices

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning exists only on PostgreSQL"
)


def row(device: Device, when: dt.datetime, lat: float = -14.0) -> dict:
    return {"device_id": device.pk, "fix_time": when, "received_at": when, "lat": lat,
            "lon": -72.0, "speed_kmh": None, "course": None, "altitude": None,
            "accuracy": None, "attributes": {"batt": 80}, "source": "replay"}  # fmt: skip


def partition_of(position: Position) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM tracking_position WHERE id = %s", [position.pk]
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize("method", ["insert", "copy", "json"])
def test_duplicates_in_a_batch_are_stored_once(db, method: str) -> None:
    if method != "insert" and connection.vendor != "postgresql":
        pytest.skip("COPY and jsonb_to_recordset exist only on PostgreSQL")
    make_organisation_devices(1)
    device = Device.objects.get()
    when = dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)
    insert_positions([row(device, when), row(device, when, -14.5)] * 40, method=method)
    insert_positions([row(device, when)], method=method)
    stored = Position.objects.get()
    assert stored.lat == -14.0 and stored.attributes == {"batt": 80}


@pytest.mark.parametrize("method", ["auto", "insert", "copy", "json"])
def test_every_storage_method_keeps_every_value(db, method: str) -> None:
    if method in ("copy", "json") and connection.vendor != "postgresql":
        pytest.skip("COPY and jsonb_to_recordset exist only on PostgreSQL")
    make_organisation_devices(1)
    device = Device.objects.get()
    when = dt.datetime(2026, 1, 5, 12, 0, 1, 123000, tzinfo=dt.UTC)
    full = {**row(device, when), "speed_kmh": 51.2, "course": 359.5, "altitude": 4012.25,
            "accuracy": 3.5, "attributes": {"alarm": "sos", "ignition": True, "name": "Ñ \"x\""},
            "received_at": when + dt.timedelta(seconds=2), "source": "osmand"}  # fmt: skip
    bare = row(device, when + dt.timedelta(seconds=1))
    insert_positions([full, bare], method=method)
    stored = list(Position.objects.order_by("fix_time").values(*full))
    assert stored == [full, {**bare, "attributes": {"batt": 80}}]


def test_sqlite_keeps_a_plain_table(db) -> None:
    if connection.vendor == "postgresql":
        assert is_partitioned()
    else:
        assert not is_partitioned() and existing_partitions() == []


@postgres_only
def test_migration_made_monthly_partitions_and_a_default(db) -> None:
    names = existing_partitions()
    assert "tracking_position_default" in names
    this_month = dt.date.today().replace(day=1)
    assert f"tracking_position_{this_month:%Y_%m}" in names


@postgres_only
def test_new_partition_takes_over_rows_from_the_default_partition(db) -> None:
    make_organisation_devices(1)
    device = Device.objects.get()
    far = dt.datetime(2031, 7, 9, 8, tzinfo=dt.UTC)
    insert_positions([row(device, far)])
    position = Position.objects.get(fix_time=far)
    assert partition_of(position) == "tracking_position_default"
    created = create_month_partitions(start=far.date(), months=1)
    assert created == ["tracking_position_2031_07"]
    assert partition_of(Position.objects.get(fix_time=far)) == "tracking_position_2031_07"
    assert create_month_partitions(start=far.date(), months=1) == []
