"""Retention periods per record kind (Ley 29733 art. 8: data kept no longer than needed).

Each company sets, in its people settings, how many days to keep (0: kept):

* ``retention_access_events_days``: access events (and their anomalies), from their time;
* ``retention_visitors_days``: visitor records, from the check-out (or the expected exit
  of a visitor never checked out);
* ``retention_vetting_of_leavers_days``: the vetting records of people who left, from
  the day they left;
* ``retention_leavers_days``: people who left are anonymised (``services.erase_person``).

Nothing is touched for a person under legal hold, nor for what is linked to an open
incident: an incident not closed at a site (or one of its access points) where the
record is within :data:`INCIDENT_LINK_WINDOW` of the incident's time — the events and
visits of that day, and the people who passed the gate then. Every deletion and
anonymisation is audited with the rule that caused it. ``minewatch people retention
[--dry-run]`` applies the rules now; the alerts worker does it once an hour.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.people.choices import PersonStatus
from minewatch.people.models import AccessEvent, PeopleSettings, Person, VettingRecord, Visitor

ACTOR = "retention"
INCIDENT_LINK_WINDOW = dt.timedelta(hours=24)
CHUNK = 500
RUN_EVERY_S = 3600.0
RULES = ("retention_access_events_days", "retention_visitors_days",
         "retention_vetting_of_leavers_days", "retention_leavers_days")  # fmt: skip


@dataclass
class RetentionReport:
    """What the rules did (or, in a dry run, would do): counts per rule."""

    dry_run: bool
    applied: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RULES, 0))

    @property
    def total(self) -> int:
        return sum(self.applied.values())


def _open_incident_q(organisation_id: int, point: str, moment: str) -> Q | None:
    """Rows (by their access point and time fields) linked to an open incident; None: none."""
    from minewatch.incidents.choices import IncidentStatus
    from minewatch.incidents.models import Incident

    incidents = (Incident.objects.filter(organisation_id=organisation_id, site__isnull=False)
                 .exclude(status=IncidentStatus.CLOSED).values_list("site_id", "occurred_at"))  # fmt: skip
    linked = Q(pk__in=[])
    found = False
    for site_id, at in incidents:
        found = True
        linked |= (Q(**{f"{point}_id": site_id}) | Q(**{f"{point}__parent_id": site_id})) & Q(
            **{f"{moment}__range": (at - INCIDENT_LINK_WINDOW, at + INCIDENT_LINK_WINDOW)}
        )
    return linked if found else None


def _linked_people(organisation_id: int) -> Any:
    """Ids of the people who passed a gate near an open incident (a subquery)."""
    linked = _open_incident_q(organisation_id, "access_point", "occurred_at")
    if linked is None:
        return []
    return (AccessEvent.objects.filter(organisation_id=organisation_id, person__isnull=False)
            .filter(linked).values("person_id"))  # fmt: skip


def _due(config: PeopleSettings, rule: str, now: dt.datetime) -> Any:
    """The queryset the rule applies to now (None: the rule is off)."""
    days = getattr(config, rule)
    if not days:
        return None
    org = config.organisation_id
    cutoff = now - dt.timedelta(days=days)
    if rule == "retention_access_events_days":
        due = AccessEvent.objects.filter(organisation_id=org, occurred_at__lt=cutoff).exclude(
            person__legal_hold=True
        )
        linked = _open_incident_q(org, "access_point", "occurred_at")
    elif rule == "retention_visitors_days":
        due = Visitor.objects.filter(organisation_id=org).filter(
            Q(checked_out_at__lt=cutoff) | Q(checked_out_at__isnull=True, expected_exit__lt=cutoff)
        )
        linked = _open_incident_q(org, "access_point", "checked_in_at")
    elif rule == "retention_vetting_of_leavers_days":
        due = VettingRecord.objects.filter(
            person__organisation_id=org, person__status=PersonStatus.LEFT,
            person__left_at__lt=cutoff, person__legal_hold=False,
        ).exclude(person__in=_linked_people(org))  # fmt: skip
        linked = None
    else:
        due = Person.objects.filter(
            organisation_id=org, status=PersonStatus.LEFT, left_at__lt=cutoff,
            legal_hold=False, anonymised_at__isnull=True,
        ).exclude(pk__in=_linked_people(org))  # fmt: skip
        linked = None
    return due.exclude(linked) if linked is not None else due


def _note(config: PeopleSettings, rule: str) -> str:
    return f"retention rule {rule}={getattr(config, rule)} days (people settings)"


def _delete(rows: Iterable[models.Model], note: str) -> int:
    count = 0
    for row in rows:
        audit.record(actor=ACTOR, action=AuditAction.DELETE, instance=row,
                     before=audit.snapshot(row), note=note,
                     organisation_id=_organisation_of(row))  # fmt: skip
        row.delete()
        count += 1
    return count


def _organisation_of(row: models.Model) -> int | None:
    if isinstance(row, VettingRecord):
        return row.person.organisation_id
    return getattr(row, "organisation_id", None)


def _apply_rule(config: PeopleSettings, rule: str, now: dt.datetime, dry_run: bool) -> int:
    due = _due(config, rule, now)
    if due is None:
        return 0
    if dry_run:
        return due.count()
    from minewatch.people.services import erase_person

    note, done = _note(config, rule), 0
    while True:
        with transaction.atomic():
            chunk = list(due.order_by("pk")[:CHUNK])
            if not chunk:
                return done
            if rule == "retention_leavers_days":
                for person in chunk:
                    erase_person(person, actor=ACTOR, note=note)
                done += len(chunk)
            else:
                if rule == "retention_vetting_of_leavers_days":
                    chunk = list(VettingRecord.objects.filter(pk__in=[r.pk for r in chunk])
                                 .select_related("person"))  # fmt: skip
                done += _delete(chunk, note)


def apply_retention(*, now: dt.datetime | None = None, dry_run: bool = False,
                    organisation_id: int | None = None) -> RetentionReport:  # fmt: skip
    """Apply every company's retention periods (or count what they would remove)."""
    now = now or timezone.now()
    report = RetentionReport(dry_run=dry_run)
    configs = PeopleSettings.objects.order_by("organisation_id")
    if organisation_id is not None:
        configs = configs.filter(organisation_id=organisation_id)
    for config in configs:
        for rule in RULES:
            report.applied[rule] += _apply_rule(config, rule, now, dry_run)
    return report


_last_run = {"at": -RUN_EVERY_S}


def run_retention_periodically(now: dt.datetime | None = None) -> int:
    """The alerts worker's hook: apply the retention rules at most once an hour.

    Returns 0 (it raises no alerts); what it removed is in the audit log.
    """
    if time.monotonic() - _last_run["at"] < RUN_EVERY_S:
        return 0
    _last_run["at"] = time.monotonic()
    apply_retention(now=now)
    return 0
