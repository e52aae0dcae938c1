"""The periodic checks of the people app the alerts worker runs (and ``minewatch people check``).

* expiries of vetting, SUCAMEC licences and training at the organisation's thresholds
  (30, 7 and 0 days before by default), once per record, expiry date and threshold;
* visitors still inside after their expected exit;
* passengers of a personnel-transport trip that arrived who were not checked in at arrival.

Alert texts name the person and what expires, never the result of a check: the alert goes
to the security manager first (the accountability ladder), and the reasons stay on the
person's page for roles with ``see_personal_data``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minewatch.people.choices import PersonStatus, VettingResult
from minewatch.people.engine.expiry import due_threshold
from minewatch.people.engine.vetting import expiry

# Severity (1..5) of an expiry alert by threshold: expired blocks duty.
EXPIRY_SEVERITY = {0: 4, 7: 3}
OVERSTAY_SEVERITY, MISSING_PASSENGER_SEVERITY = 3, 4
ARRIVAL_GRACE = dt.timedelta(minutes=30)


def _severity(threshold: int) -> int:
    return EXPIRY_SEVERITY.get(threshold, 4 if threshold <= 0 else 3 if threshold <= 7 else 2)


def latest_records(person: Any, validity_days: dict) -> list[tuple[str, Any, str, dt.date]]:
    """(record type, record, label, expiry) of the records that count: the latest clear
    vetting check of each kind, the latest licence (and firearm licence), the latest
    training of each kind. Records without an expiry are left out."""
    from minewatch.people.engine.vetting import Record

    found: list[tuple[str, Any, str, dt.date]] = []
    groups: dict[tuple[str, str], Any] = {}
    for record in person.vetting.all():
        key = ("vetting", record.kind)
        if key not in groups or record.date > groups[key].date:
            groups[key] = record
    for record in person.training.all():
        key = ("training", record.kind)
        if key not in groups or record.date > groups[key].date:
            groups[key] = record
    for record in person.licences.all():
        key = ("licence", "armed" if record.armed else "carne")
        if key not in groups or record.expires_on > groups[key].expires_on:
            groups[key] = record
    for (record_type, kind), record in groups.items():
        if record_type == "vetting" and record.result != VettingResult.CLEAR:
            continue
        if record_type == "licence":
            until = record.expires_on
            label = str(_("SUCAMEC firearm licence") if record.armed else _("SUCAMEC licence"))
        else:
            until = expiry(Record(kind, record.date, "clear", record.expires_on), validity_days)
            label = str(record.get_kind_display())
        if until is not None:
            found.append((record_type, record, label, until))
    return found


def _expiry_text(person: Any, label: str, until: dt.date, today: dt.date) -> str:
    left = (until - today).days
    if left < 0:
        return _("%(label)s of %(name)s expired on %(date)s") % {
            "label": label, "name": person.name, "date": until.isoformat()}  # fmt: skip
    if left == 0:
        return _("%(label)s of %(name)s expires today") % {"label": label, "name": person.name}
    return _("%(label)s of %(name)s expires on %(date)s (in %(days)s days)") % {
        "label": label, "name": person.name, "date": until.isoformat(), "days": left}  # fmt: skip


def _raise(organisation_ids: set[int], **values: Any) -> None:
    from minewatch.accountability.services.common import raise_accountability_alert

    for organisation_id in sorted(organisation_ids):
        raise_accountability_alert(organisation_id=organisation_id, **values)


def check_expiries(now: dt.datetime | None = None) -> int:
    """Raise every expiry alert due today; returns how many records were announced."""
    from minewatch.people.models import ExpiryNotice, Person
    from minewatch.people.services import settings_for

    today = timezone.localdate(now) if now else timezone.localdate()
    raised = 0
    configs: dict[int, Any] = {}
    people = (Person.objects.filter(status=PersonStatus.ACTIVE)
              .prefetch_related("vetting", "training", "licences").order_by("pk"))  # fmt: skip
    for person in people.iterator(chunk_size=500):
        config = configs.setdefault(person.organisation_id, settings_for(person.organisation_id))
        thresholds = config.expiry_alert_days or []
        announced: dict[tuple[str, int, dt.date], list[int]] = {}
        for notice in ExpiryNotice.objects.filter(person=person):
            key = (notice.record_type, notice.record_id, notice.expires_on)
            announced.setdefault(key, []).append(notice.threshold)
        for record_type, record, label, until in latest_records(person, config.validity_days):
            done = announced.get((record_type, record.pk, until), [])
            threshold = due_threshold(until, today, thresholds, done)
            if threshold is None:
                continue
            try:
                with transaction.atomic():
                    ExpiryNotice.objects.create(
                        organisation_id=person.organisation_id, person=person,
                        record_type=record_type, record_id=record.pk, expires_on=until,
                        threshold=threshold,
                    )  # fmt: skip
            except IntegrityError:  # another worker announced it first
                continue
            with translation.override(settings.LANGUAGE_CODE):
                title = _expiry_text(person, label, until, today)
                description = _("Renew it to keep the person cleared for duty; see their page.")
            _raise({person.organisation_id, person.employer_id},
                   kind=f"people.{record_type}_expiry", severity=_severity(threshold),
                   title=title, description=description, subject_type="person",
                   subject_key=f"{record_type}:{record.pk}:{until.isoformat()}:{threshold}",
                   is_synthetic=person.is_synthetic)  # fmt: skip
            raised += 1
    return raised


def _publish_detection(kind: str, organisation_id: int, site_id: int | None, at: dt.datetime,
                       severity: int, description: str, synthetic: bool,
                       **details: Any) -> None:  # fmt: skip
    from minewatch.core.events import Event, publish

    publish(Event(f"detection.{kind}", organisation_id, {
        "kind": kind, "site_id": site_id, "time": at.isoformat(),
        "details": {"severity": severity, "description": description, "synthetic": synthetic,
                    **details},
    }, site_id=site_id))  # fmt: skip


def check_overstays(now: dt.datetime | None = None) -> int:
    """Alert once for every visitor still inside after the expected exit."""
    from minewatch.people.models import Visitor

    now = now or timezone.now()
    raised = 0
    for visitor in Visitor.objects.filter(
        checked_out_at__isnull=True, overstay_alerted=False, expected_exit__lt=now
    ).select_related("access_point"):
        with transaction.atomic():
            if not Visitor.objects.filter(pk=visitor.pk, overstay_alerted=False).update(
                overstay_alerted=True
            ):
                continue
            with translation.override(settings.LANGUAGE_CODE):
                text = _("Visitor %(name)s has not left %(point)s (expected by %(time)s)") % {
                    "name": visitor.name, "point": visitor.access_point.name,
                    "time": timezone.localtime(visitor.expected_exit).strftime("%Y-%m-%d %H:%M"),
                }  # fmt: skip
            _publish_detection("people.visitor_overstay", visitor.organisation_id,
                               visitor.access_point_id, now, OVERSTAY_SEVERITY, text,
                               visitor.is_synthetic, visitor=visitor.pk)  # fmt: skip
        raised += 1
    return raised


def check_missing_passengers(now: dt.datetime | None = None) -> int:
    """Alert once for every boarded passenger of an arrived trip not checked in at arrival."""
    from minewatch.people.models import TripPassenger

    now = now or timezone.now()
    raised = 0
    missing = TripPassenger.objects.filter(
        boarded_at__isnull=False, arrived_at__isnull=True, missing_alerted=False,
        trip__arrived_at__lt=now - ARRIVAL_GRACE,
    ).select_related("trip", "person")  # fmt: skip
    for passenger in missing:
        with transaction.atomic():
            if not TripPassenger.objects.filter(pk=passenger.pk, missing_alerted=False).update(
                missing_alerted=True
            ):
                continue
            trip = passenger.trip
            with translation.override(settings.LANGUAGE_CODE):
                text = _("%(name)s boarded trip %(trip)s but was not checked in at arrival") % {
                    "name": passenger.person.name, "trip": trip.reference}  # fmt: skip
            _publish_detection("people.passenger_missing", trip.organisation_id, trip.site_id,
                               now, MISSING_PASSENGER_SEVERITY, text, trip.is_synthetic,
                               trip=trip.pk, person=passenger.person_id)  # fmt: skip
        raised += 1
    return raised


def run_people_checks(now: dt.datetime | None = None) -> int:
    """Every periodic check of the people app; returns the number of alerts raised."""
    return check_expiries(now) + check_overstays(now) + check_missing_passengers(now)
