"""Read-only queries of the people app, already limited to what the user may see."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from minewatch.core.tenancy import restrict
from minewatch.people.engine.vetting import Record, VettingStatus, requirements_for, vetting_status
from minewatch.people.models import (
    AccessAnomaly,
    AccessEvent,
    Assignment,
    Licence,
    PeopleSettings,
    Person,
    TrainingRecord,
    TripPassenger,
    VettingRecord,
)


def people(user: Any) -> QuerySet:
    return restrict(Person.objects.select_related("organisation", "employer"), user)


def people_with_records(user: Any) -> QuerySet:
    """People with everything their status needs prefetched (one query per record kind)."""
    return people(user).prefetch_related(
        "vetting", "training", "licences",
        Prefetch("assignments", queryset=Assignment.objects.select_related("site")),
    )  # fmt: skip


def vetting(user: Any) -> QuerySet:
    return restrict(VettingRecord.objects.select_related("person"), user)


def licences(user: Any) -> QuerySet:
    return restrict(Licence.objects.select_related("person"), user)


def training(user: Any) -> QuerySet:
    return restrict(TrainingRecord.objects.select_related("person"), user)


def assignments(user: Any) -> QuerySet:
    return restrict(Assignment.objects.select_related("person", "site"), user)


def access_events(user: Any) -> QuerySet:
    return restrict(AccessEvent.objects.select_related("access_point", "person"), user)


def anomalies(user: Any) -> QuerySet:
    return restrict(AccessAnomaly.objects.select_related("access_point", "person", "event"), user)


def manages(user: Any, organisation_id: int) -> bool:
    """Whether ``user`` may change the people records of ``organisation_id`` (its managers;
    the services refuse everyone else): decides which forms a page offers."""
    from minewatch.core.roles import has_capability

    return has_capability(user, "manage_people") and user.organisation_id == organisation_id


def visible_trips(user: Any) -> QuerySet:
    """Trips the user may see, and those whose manifest they may see: a guard reads no
    trips (``core.roles``) but checks the passengers of a bus, and sees which trip it is."""
    from django.db.models import Q

    from minewatch.tracking.models import Trip

    return Trip.objects.filter(
        Q(pk__in=restrict(Trip.objects.all(), user).values("pk"))
        | Q(pk__in=restrict(TripPassenger.objects.all(), user).values("trip_id"))
    )


def transport_trips(user: Any, *, since: dt.datetime | None = None) -> QuerySet:
    """Personnel-transport trips the user may see: a bus among the vehicles or anyone on the
    manifest, not aborted, and still planned or under way or arrived after ``since``
    (default: three days ago). Counts of passengers, boarded and arrived come annotated."""
    from django.db.models import Count, Q

    from minewatch.tracking.choices import TripStatus, VehicleKind
    from minewatch.tracking.models import Trip

    since = since or timezone.now() - dt.timedelta(days=3)
    carrying = Trip.objects.filter(
        Q(members__vehicle__kind=VehicleKind.BUS) | Q(passengers__isnull=False)
    ).values("pk")
    return (
        visible_trips(user).filter(pk__in=carrying).exclude(status=TripStatus.ABORTED)
        .filter(Q(status__in=[TripStatus.PLANNED, TripStatus.EN_ROUTE]) | Q(arrived_at__gte=since))
        .annotate(
            on_manifest=Count("passengers", distinct=True),
            boarded=Count("passengers", filter=Q(passengers__boarded_at__isnull=False),
                          distinct=True),
            checked_in=Count("passengers", filter=Q(passengers__arrived_at__isnull=False),
                             distinct=True),
        ).order_by("-departure_after", "-created_at")
    )  # fmt: skip


def manifest_lines(user: Any, trip: Any) -> QuerySet:
    """The trip's manifest lines the user may see, by name."""
    return restrict(TripPassenger.objects.filter(trip_id=getattr(trip, "pk", trip))
                    .select_related("person", "person__employer", "trip"), user)  # fmt: skip


def status_of(person: Person, today: dt.date | None = None,
              people_settings: PeopleSettings | None = None) -> VettingStatus:  # fmt: skip
    """The person's computed vetting status (reads their records; prefetched ones are reused)."""
    from minewatch.people.services import settings_for

    config = people_settings or settings_for(person.organisation_id)
    req = requirements_for(person.role, config.required_vetting, config.required_training,
                           config.validity_days)  # fmt: skip
    return vetting_status(
        req, today=today or timezone.localdate(), warn_days=config.warn_days,
        vetting=[Record(v.kind, v.date, v.result, v.expires_on) for v in person.vetting.all()],
        training=[Record(t.kind, t.date, "clear", t.expires_on) for t in person.training.all()],
        licences=[Record("licence", lc.issued_on, "clear", lc.expires_on)
                  for lc in person.licences.all()],
    )  # fmt: skip
