"""Visitors at the gate and the passenger manifests of personnel-transport trips."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput
from minewatch.core.tenancy import restrict
from minewatch.geo.choices import SiteKind
from minewatch.geo.models import Site
from minewatch.people import validation
from minewatch.people.choices import Direction
from minewatch.people.models import AccessEvent, Person, TripPassenger, Visitor
from minewatch.people.services import _moment, _own_person, _require, _saved

MAX_VISIT = dt.timedelta(days=14)


def _point(actor: Any, value: Any) -> Site:
    pk = getattr(value, "pk", value)
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        pk = None
    found = restrict(Site.objects.filter(pk=pk, kind=SiteKind.ACCESS_POINT), actor).first()
    if found is None:
        raise InvalidInput(_("unknown access point %(value)r") % {"value": value},
                           field="access_point")  # fmt: skip
    return found


@transaction.atomic
def check_in_visitor(
    *, actor: Any, access_point: Any, name: str, document_number: str, purpose: str,
    expected_exit: Any, document_type: str = "dni", host: Any = None, vehicle_plate: str = "",
    escorted: bool = True, is_synthetic: bool = False, now: dt.datetime | None = None,
) -> Visitor:  # fmt: skip
    """Register a visitor at a gate (guards and managers), expected to leave by a time."""
    _require(actor, "record_access", "register visitors")
    now = now or timezone.now()
    point = _point(actor, access_point)
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("a name is required"), field="name")
    number = validation.check_document(document_type, document_number)
    if document_type == "dni":
        number = number[:8]
    purpose = (purpose or "").strip()
    if not purpose:
        raise InvalidInput(_("say the purpose of the visit"), field="purpose")
    leave = _moment(expected_exit, "expected_exit")
    if leave <= now:
        raise InvalidInput(_("the expected exit must be later than now"), field="expected_exit")
    if leave - now > MAX_VISIT:
        raise InvalidInput(_("a visit lasts at most 14 days"), field="expected_exit")
    host_person = None
    if host not in (None, ""):
        pk = getattr(host, "pk", host)
        host_person = restrict(Person.objects.filter(pk=pk, organisation_id=point.organisation_id),
                               actor).first()  # fmt: skip
        if host_person is None:
            raise InvalidInput(_("unknown person %(pk)r") % {"pk": pk}, field="host")
    plate = validation.lookup_key(vehicle_plate or "")
    if len(plate) > 20:
        raise InvalidInput(_("a plate has at most 20 characters"), field="vehicle_plate")
    visitor = Visitor(
        organisation_id=point.organisation_id, access_point=point, name=name[:200],
        document_type=document_type, document_number=number, host=host_person,
        purpose=purpose[:300], vehicle_plate=plate, escorted=bool(escorted), checked_in_at=now,
        expected_exit=leave, is_synthetic=bool(is_synthetic),
    )  # fmt: skip
    _saved(visitor, actor=actor, before=None, organisation_id=point.organisation_id)
    return visitor


@transaction.atomic
def check_out_visitor(*, actor: Any, visitor: Any, now: dt.datetime | None = None) -> Visitor:
    _require(actor, "record_access", "check visitors out")
    pk = getattr(visitor, "pk", visitor)
    found = restrict(Visitor.objects.select_for_update().filter(pk=pk), actor).first()
    if found is None:
        raise InvalidInput(_("unknown visitor %(pk)r") % {"pk": pk}, field="visitor")
    if found.checked_out_at is not None:
        raise InvalidInput(_("the visitor has already left"), field="visitor")
    before = audit.snapshot(found)
    found.checked_out_at = now or timezone.now()
    _saved(found, actor=actor, before=before, organisation_id=found.organisation_id)
    return found


# --- personnel transport ----------------------------------------------------------------------


def _trip(actor: Any, trip: Any) -> Any:
    from minewatch.tracking.models import Trip

    pk = getattr(trip, "pk", trip)
    found = restrict(Trip.objects.filter(pk=pk), actor).first()
    if found is None or found.organisation_id != actor.organisation_id:
        raise InvalidInput(_("unknown trip %(pk)r") % {"pk": pk}, field="trip")
    return found


@transaction.atomic
def add_passenger(*, actor: Any, trip: Any, person: Any) -> TripPassenger:
    """Put a person on a trip's manifest (managers)."""
    found = _trip(actor, trip)
    person = _own_person(actor, person)
    if found.arrived_at is not None or found.aborted_at is not None:
        raise InvalidInput(_("the trip has ended"), field="trip")
    try:
        with transaction.atomic():
            record = TripPassenger.objects.create(trip=found, person=person)
    except IntegrityError:
        raise InvalidInput(_("%(name)s is already on the manifest") % {"name": person.name},
                           field="person") from None  # fmt: skip
    audit.record(actor=actor, action=AuditAction.CREATE, instance=record,
                 after=audit.snapshot(record), organisation_id=found.organisation_id)  # fmt: skip
    return record


@transaction.atomic
def remove_passenger(*, actor: Any, passenger: Any) -> None:
    """Take a person off a trip's manifest before they board (managers).

    Once a passenger boarded, the line is the record the missing-passenger check and the
    arrival count rest on: it stays.
    """
    _require(actor, "manage_people", "change passenger manifests")
    pk = getattr(passenger, "pk", passenger)
    found = restrict(TripPassenger.objects.select_related("trip", "person").filter(pk=pk),
                     actor).first()  # fmt: skip
    if found is None or found.trip.organisation_id != actor.organisation_id:
        raise InvalidInput(_("unknown passenger %(pk)r") % {"pk": pk}, field="passenger")
    if found.boarded_at is not None:
        raise InvalidInput(_("%(name)s has boarded: the manifest line stays")
                           % {"name": found.person.name}, field="passenger")  # fmt: skip
    before = audit.snapshot(found)
    organisation_id = found.trip.organisation_id
    audit.record(actor=actor, action=AuditAction.DELETE, instance=found, before=before,
                 organisation_id=organisation_id)  # fmt: skip
    found.delete()


@transaction.atomic
def check_passenger(*, actor: Any, passenger: Any, stage: str,
                    now: dt.datetime | None = None) -> TripPassenger:  # fmt: skip
    """Check a passenger at departure (``board``) or arrival (``arrive``)."""
    _require(actor, "record_access", "check passengers")
    pk = getattr(passenger, "pk", passenger)
    found = restrict(TripPassenger.objects.select_related("trip").filter(pk=pk), actor).first()
    if found is None:
        raise InvalidInput(_("unknown passenger %(pk)r") % {"pk": pk}, field="passenger")
    if stage not in ("board", "arrive"):
        raise InvalidInput(_("%(value)r is not one of board, arrive") % {"value": stage},
                           field="stage")  # fmt: skip
    before = audit.snapshot(found)
    now = now or timezone.now()
    if stage == "board":
        found.boarded_at = found.boarded_at or now
    else:
        if found.boarded_at is None:
            raise InvalidInput(_("the passenger was not checked in at departure"), field="stage")
        found.arrived_at = found.arrived_at or now
    _saved(found, actor=actor, before=before, organisation_id=found.trip.organisation_id)
    return found


def reconcile_with_gate(event: AccessEvent) -> int:
    """A gate pass of a manifest passenger checks them: out at departure, in at arrival.

    Out while the trip has not arrived: boarded. In after the trip departed: arrived.
    Returns how many manifest lines it checked.
    """
    if event.person_id is None:
        return 0
    from minewatch.tracking.choices import TripStatus

    lines = TripPassenger.objects.filter(person_id=event.person_id,
                                         trip__organisation_id=event.organisation_id)  # fmt: skip
    if event.direction == Direction.OUT:
        return lines.filter(boarded_at__isnull=True,
                            trip__status__in=[TripStatus.PLANNED, TripStatus.EN_ROUTE]).update(
            boarded_at=event.occurred_at)  # fmt: skip
    return lines.filter(boarded_at__isnull=False, boarded_at__lt=event.occurred_at,
                        arrived_at__isnull=True).exclude(
        trip__status__in=[TripStatus.PLANNED, TripStatus.ABORTED]).update(
        arrived_at=event.occurred_at)  # fmt: skip


def manifest(actor: Any, trip: Any) -> list[TripPassenger]:
    return list(restrict(TripPassenger.objects.filter(trip_id=getattr(trip, "pk", trip))
                         .select_related("person", "trip"), actor))  # fmt: skip
