"""Keep the in-process engines and the device cache in step with the rows they were built from.

A change is applied once its transaction commits, so a rebuild never reads
uncommitted (or later rolled back) rows.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save


def _organisation_of(instance: Any) -> int | None:
    if hasattr(instance, "organisation_id"):
        return instance.organisation_id
    trip = getattr(instance, "trip", None)
    return getattr(trip, "organisation_id", None)


def _changed(sender: Any, instance: Any, raw: bool = False, **_: Any) -> None:
    if raw:
        return
    from minewatch.tracking.engines import directory, registry

    organisation_id = _organisation_of(instance)
    unique_id = getattr(instance, "unique_id", None)

    def apply() -> None:
        if unique_id is not None or sender.__name__ == "Vehicle":
            directory.forget(unique_id)
        registry.invalidate(organisation_id)

    transaction.on_commit(apply)


def connect() -> None:
    """Watch zones, routes, trips, trip members, devices and vehicles."""
    from minewatch.geo.models import Route, Zone
    from minewatch.tracking.models import Device, Trip, TripVehicle, Vehicle

    for model in (Zone, Route, Trip, TripVehicle, Device, Vehicle):
        uid = f"tracking-engine-{model.__name__}"
        post_save.connect(_changed, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + "-delete")
