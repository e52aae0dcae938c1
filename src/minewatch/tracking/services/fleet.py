"""Every write about the fleet: vehicles, trackers, trips with their convoy, and the trip workflow."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition
from minewatch.core.events import Event, publish
from minewatch.core.models import Organisation
from minewatch.tracking.choices import (
    TRIP_TRANSITIONS,
    DeviceProtocol,
    TripRole,
    TripStatus,
    VehicleKind,
)
from minewatch.tracking.credentials import (
    MIN_SECRET_CHARS,
    hash_secret,
    looks_like_secret,
    new_secret,
    split_device_id,
)
from minewatch.tracking.models import Device, Trip, TripVehicle, Vehicle

VEHICLE_FIELDS = ("site", "plate", "kind", "contractor", "description", "is_active")
DEVICE_FIELDS = (
    "site", "unique_id", "name", "protocol", "vehicle", "is_active", "accepts_unauthenticated",
)  # fmt: skip
TRIP_FIELDS = (
    "site", "reference", "route", "destination_zone", "departure_after", "departure_before",
    "arrival_after", "arrival_before", "cargo_material", "cargo_tonnes", "declared_value_usd",
    "seal_numbers", "notes", "is_synthetic",
)  # fmt: skip


def _owner(actor: Any, organisation: Organisation | None) -> Organisation:
    if organisation is not None:
        return organisation
    if getattr(actor, "organisation", None) is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    return actor.organisation


def _same_owner(organisation: Organisation, values: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        related = values.get(name)
        if related is not None and related.organisation_id != organisation.pk:
            raise InvalidInput(f"unknown {name} {related.pk!r}", field=name)


def _save(instance: Any, *, actor: Any, before: dict | None, event: str) -> None:
    try:
        instance.full_clean()
    except Exception as exc:
        messages = getattr(exc, "message_dict", None)
        if messages:
            name, errors = next(iter(messages.items()))
            raise InvalidInput("; ".join(errors), field=name) from None
        raise
    instance.save()
    audit.record(
        actor=actor, action=AuditAction.UPDATE if before else AuditAction.CREATE,
        instance=instance, before=before, after=audit.snapshot(instance),
    )  # fmt: skip
    publish(Event(event, instance.organisation_id, {"id": instance.pk, "name": str(instance)},
                  site_id=getattr(instance, "site_id", None)))  # fmt: skip


def _apply(instance: Any, values: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = set(values) - set(allowed)
    if unknown:
        raise InvalidInput(f"unknown field(s): {sorted(unknown)}", field=sorted(unknown)[0])
    for name, value in values.items():
        setattr(instance, name, value)


@transaction.atomic
def save_vehicle(
    *, actor: Any, vehicle: Vehicle | None = None, organisation: Organisation | None = None,
    **values: Any,
) -> Vehicle:  # fmt: skip
    """Create or update a vehicle (plate, kind, transport contractor, home site)."""
    owner = vehicle.organisation if vehicle else _owner(actor, organisation)
    _same_owner(owner, values, ["site"])
    if "kind" in values and values["kind"] not in VehicleKind.values:
        raise InvalidInput(f"unknown vehicle kind {values['kind']!r}", field="kind")
    if values.get("plate") is not None:
        values["plate"] = str(values["plate"]).strip().upper()
    before = audit.snapshot(vehicle) if vehicle else None
    vehicle = vehicle or Vehicle(organisation=owner)
    _apply(vehicle, values, VEHICLE_FIELDS)
    if (
        Vehicle.objects.filter(organisation=owner, plate=vehicle.plate)
        .exclude(pk=vehicle.pk)
        .exists()
    ):
        raise InvalidInput(f"plate {vehicle.plate} is already registered", field="plate")
    _save(vehicle, actor=actor, before=before, event="vehicle.saved")
    return vehicle


@transaction.atomic
def save_device(
    *, actor: Any, device: Device | None = None, organisation: Organisation | None = None,
    secret: str | None = None, **values: Any,
) -> Device:  # fmt: skip
    """Register or update a tracker; ``unique_id`` is what it sends (unique platform-wide).

    A device that must authenticate (the default) and has no secret yet gets a
    new one; the plain secret is on the returned instance as ``issued_secret``,
    the only time it can be read (``secret`` sets a chosen one instead, at
    least 16 URL-safe characters: trackers configured in advance).
    ``accepts_unauthenticated=True`` is the explicit opt-out for a legacy tracker.
    """
    owner = device.organisation if device else _owner(actor, organisation)
    _same_owner(owner, values, ["site", "vehicle"])
    if "protocol" in values and values["protocol"] not in DeviceProtocol.values:
        raise InvalidInput(f"unknown protocol {values['protocol']!r}", field="protocol")
    if values.get("unique_id") is not None:
        values["unique_id"] = str(values["unique_id"]).strip()
        if not values["unique_id"]:
            raise InvalidInput("a tracker identifier is required", field="unique_id")
        if split_device_id(values["unique_id"])[1] is not None:
            raise InvalidInput("a tracker identifier cannot end in ':' and a secret",
                               field="unique_id")  # fmt: skip
    if secret is not None and not looks_like_secret(secret):
        raise InvalidInput(f"a secret is {MIN_SECRET_CHARS} to 128 letters, digits, '-' or '_'",
                           field="secret")  # fmt: skip
    before = audit.snapshot(device) if device else None
    device = device or Device(organisation=owner)
    _apply(device, values, DEVICE_FIELDS)
    if Device.objects.filter(unique_id=device.unique_id).exclude(pk=device.pk).exists():
        # The same answer whoever owns it: never confirm another tenant's tracker.
        raise InvalidInput("this tracker identifier cannot be registered", field="unique_id")
    issued = None
    if secret is not None or (not device.secret_hash and not device.accepts_unauthenticated):
        issued = secret or new_secret()
        device.secret_hash = hash_secret(issued)
    _save(device, actor=actor, before=before, event="device.saved")
    device.issued_secret = issued
    return device


@transaction.atomic
def rotate_device_secret(device: Device, *, actor: Any) -> str:
    """Issue a new secret for ``device`` (the old one stops working); returns it, shown once."""
    before = audit.snapshot(device)
    secret = new_secret()
    device.secret_hash = hash_secret(secret)
    device.save(update_fields=["secret_hash"])
    audit.record(actor=actor, action=AuditAction.UPDATE, instance=device, before=before,
                 after=audit.snapshot(device))  # fmt: skip
    publish(Event("device.secret_rotated", device.organisation_id,
                  {"id": device.pk, "name": str(device)}, site_id=device.site_id))  # fmt: skip
    return secret


def auto_register(*, unique_id: str, organisation_name: str) -> bool:
    """Register an unknown tracker for the auto-registration organisation (tunable).

    Auto-registration is itself the opt-out: such a tracker has no secret, so it
    is registered as a legacy tracker (``accepts_unauthenticated``, shown as a warning).
    """
    organisation = Organisation.objects.filter(name=organisation_name).first()
    if organisation is None:
        return False
    try:
        with transaction.atomic():
            save_device(
                actor=None, organisation=organisation, unique_id=unique_id[:64],
                name=f"auto {unique_id}"[:100], accepts_unauthenticated=True,
            )  # fmt: skip
    except (InvalidInput, IntegrityError):
        return False
    return True


def _members(trip: Trip, vehicles: list[tuple[Vehicle, str]]) -> None:
    seen = set()
    for vehicle, role in vehicles:
        if role not in TripRole.values:
            raise InvalidInput(f"unknown role {role!r}", field="vehicles")
        if vehicle.organisation_id != trip.organisation_id and (
            vehicle.contractor_id != trip.organisation_id
        ):
            raise InvalidInput(f"unknown vehicle {vehicle.pk!r}", field="vehicles")
        if vehicle.pk in seen:
            raise InvalidInput(f"vehicle {vehicle.plate} is listed twice", field="vehicles")
        seen.add(vehicle.pk)
    trip.members.all().delete()
    TripVehicle.objects.bulk_create(
        [TripVehicle(trip=trip, vehicle=vehicle, role=role) for vehicle, role in vehicles]
    )


def _check_windows(trip: Trip) -> None:
    for start, end, name in (
        (trip.departure_after, trip.departure_before, "departure_before"),
        (trip.arrival_after, trip.arrival_before, "arrival_before"),
        (trip.departure_after, trip.arrival_before, "arrival_before"),
    ):
        if start and end and end < start:
            raise InvalidInput("the window closes before it opens", field=name)
    if not isinstance(trip.seal_numbers, list) or not all(
        isinstance(s, str) for s in trip.seal_numbers
    ):
        raise InvalidInput("a list of seal numbers (text) is expected", field="seal_numbers")


@transaction.atomic
def save_trip(
    *, actor: Any, trip: Trip | None = None, organisation: Organisation | None = None,
    vehicles: list[tuple[Vehicle, str]] | None = None, **values: Any,
) -> Trip:  # fmt: skip
    """Plan or edit a trip: route, windows, cargo (material, t, USD, seals) and its convoy."""
    owner = trip.organisation if trip else _owner(actor, organisation)
    _same_owner(owner, values, ["site", "route", "destination_zone"])
    if trip is not None and trip.status in (TripStatus.ARRIVED, TripStatus.ABORTED):
        raise InvalidTransition(f"a trip that is {trip.status} cannot be edited", field="status")
    before = audit.snapshot(trip) if trip else None
    trip = trip or Trip(organisation=owner)
    if not values.get("reference") and not trip.reference:
        values["reference"] = f"TRIP-{timezone.now():%Y%m%d}-{secrets.token_hex(2).upper()}"
    _apply(trip, values, TRIP_FIELDS)
    if trip.site_id is None and trip.route is not None:
        trip.site_id = trip.route.origin_id
    _check_windows(trip)
    if (
        Trip.objects.filter(organisation=owner, reference=trip.reference)
        .exclude(pk=trip.pk)
        .exists()
    ):
        raise InvalidInput(f"reference {trip.reference} is already used", field="reference")
    _save(trip, actor=actor, before=before, event="trip.saved")
    if vehicles is not None:
        _members(trip, vehicles)
    return trip


@transaction.atomic
def change_trip_status(
    trip: Trip, *, actor: Any, to_status: str, reason: str = "", at: dt.datetime | None = None
) -> Trip:
    """Start (en_route), arrive or abort a trip; only legal steps are accepted."""
    trip = Trip.objects.select_for_update().get(pk=trip.pk)
    if to_status not in TRIP_TRANSITIONS.get(trip.status, ()):
        raise InvalidTransition(f"a {trip.status} trip cannot become {to_status}", field="status")
    if to_status == TripStatus.ABORTED and not reason.strip():
        raise InvalidInput("say why the trip is aborted", field="reason")
    before = audit.snapshot(trip)
    at = at or timezone.now()
    trip.status = to_status
    if to_status == TripStatus.EN_ROUTE:
        trip.departed_at = at
    elif to_status == TripStatus.ARRIVED:
        trip.arrived_at = at
    else:
        trip.aborted_at, trip.abort_reason = at, reason.strip()[:300]
    trip.save()
    audit.record(
        actor=actor, action=AuditAction.TRANSITION, instance=trip, before=before,
        after=audit.snapshot(trip), note=reason[:500],
    )  # fmt: skip
    publish(Event(f"trip.{to_status}", trip.organisation_id,
                  {"id": trip.pk, "reference": trip.reference, "status": to_status},
                  site_id=trip.site_id))  # fmt: skip
    return trip
