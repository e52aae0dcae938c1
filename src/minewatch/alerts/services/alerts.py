"""Every write of an alert's life: raise, fold, acknowledge, escalate, resolve, link.

Each verb runs in one transaction, writes the audit entry, and publishes an
``alert.*`` event on commit (the live stream and other apps listen).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from minewatch.alerts.choices import NOT_RESOLVED, AlertSource, AlertStatus
from minewatch.alerts.models import Alert, AlertRule, AlertStatusChange
from minewatch.alerts.services import batch, escalation, rules
from minewatch.alerts.services.batch import publish_alert
from minewatch.alerts.services.rules import AlertInput
from minewatch.core import audit
from minewatch.core.choices import AuditAction
from minewatch.core.errors import InvalidInput, InvalidTransition, NotAllowed
from minewatch.core.roles import has_capability

# Which status may follow which (the ladder may escalate an unacknowledged alert; an
# operator may acknowledge an escalated one; anything unresolved may be resolved).
ALLOWED = {
    AlertStatus.OPEN: {AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED, AlertStatus.RESOLVED},
    AlertStatus.ACKNOWLEDGED: {AlertStatus.ESCALATED, AlertStatus.RESOLVED},
    AlertStatus.ESCALATED: {AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED, AlertStatus.RESOLVED},
    AlertStatus.RESOLVED: set(),
}


def _require(actor: Any, capability: str, what: str) -> None:
    if not has_capability(actor, capability):
        raise NotAllowed(f"your role cannot {what}", field="role")


def _history(alert: Alert, before: str, actor: Any, note: str, now: dt.datetime) -> None:
    user = actor if getattr(actor, "is_authenticated", False) else None
    AlertStatusChange.objects.create(
        alert=alert, from_status=before, to_status=alert.status, actor=user, note=note, at=now
    )


def open_alert(
    item: AlertInput, *, actor: Any = None, rule: AlertRule | None = None,
    rule_alert_key: str = "", dedup_key: str = "", now: dt.datetime | None = None,
) -> Alert:  # fmt: skip
    """Store a new alert, attach its protocol, and fire the first ladder step (in a transaction)."""
    reads = batch.BatchReads()
    alert = batch.build_alert(item, actor=actor, rule=rule, rule_alert_key=rule_alert_key,
                              dedup_key=dedup_key, reads=reads)  # fmt: skip
    batch.store_new_alerts([alert], actor=actor, now=now or timezone.now(), reads=reads)
    return alert


def raise_alert(
    item: AlertInput, *, actor: Any = None, now: dt.datetime | None = None
) -> list[Alert]:
    """Run a detection through the organisation's rules; return the alerts opened or folded into.

    No matching rule: no alert. A repeat of the same condition within a rule's
    de-duplication window increments the open alert's counter instead of opening
    another; a rule over its throttle opens nothing (the rule counts what it dropped).
    Many detections at once: :func:`~minewatch.alerts.services.batch.raise_alerts`.
    """
    return batch.raise_alerts([item], actor=actor, now=now)[0]


def raise_panic(
    *, actor: Any, lat: float, lon: float, site: Any = None, note: str = "",
    at: dt.datetime | None = None,
) -> Alert:  # fmt: skip
    """A person pressed panic: always an alert (severity 5); a second press within two minutes
    by the same person folds into the first."""
    _require(actor, "report_incident", "raise a panic alert")
    if actor.organisation_id is None and site is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    from minewatch.geo.services import validated_point

    lat, lon = validated_point(lat, lon, country=site.country if site else "PE")
    now = timezone.now()
    at = at or now
    organisation_id = site.organisation_id if site else actor.organisation_id
    with transaction.atomic():
        recent = Alert.objects.select_for_update(of=("self",)).filter(
            organisation_id=organisation_id, source=AlertSource.PANIC, subject_key=actor.username,
            status__in=NOT_RESOLVED, last_occurred_at__gte=at - dt.timedelta(minutes=2),
        ).first()  # fmt: skip
        if recent is not None:
            recent.occurrences += 1
            recent.last_occurred_at, recent.lat, recent.lon = (
                max(recent.last_occurred_at, at),
                lat,
                lon,
            )
            recent.save(
                update_fields=["occurrences", "last_occurred_at", "lat", "lon", "updated_at"]
            )
            publish_alert(recent, "alert.repeated")
            return recent
        item = AlertInput(
            organisation_id=organisation_id, kind="panic", severity=5, source=AlertSource.PANIC,
            occurred_at=at, title=f"Botón de pánico: {actor.get_full_name() or actor.username}",
            description=note, site_id=site.pk if site else None, subject_type="user",
            subject_key=actor.username, lat=lat, lon=lon,
        )  # fmt: skip
        return open_alert(item, actor=actor, now=now)


def raise_manual_alert(*, actor: Any, now: dt.datetime | None = None, **values: Any) -> Alert:
    """An operator raises an alert by hand (no rule, no folding)."""
    _require(actor, "operate", "raise alerts")
    site = values.pop("site", None)
    organisation_id = site.organisation_id if site else actor.organisation_id
    if organisation_id is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    item = AlertInput(
        organisation_id=organisation_id, source=AlertSource.MANUAL, site_id=getattr(site, "pk", None),
        occurred_at=values.pop("raised_at", None) or timezone.now(), **values,
    )  # fmt: skip
    with transaction.atomic():
        return open_alert(item, actor=actor, now=now)


def _transition(
    alert: Alert, to: str, actor: Any, note: str, now: dt.datetime
) -> tuple[Alert, dict]:
    locked = (
        Alert.objects.select_for_update(of=("self",))
        .select_related("policy", "site")
        .get(pk=alert.pk)
    )
    if to not in ALLOWED[AlertStatus(locked.status)]:
        raise InvalidTransition(f"cannot go from {locked.status!r} to {to!r}", field="status")
    before = audit.snapshot(locked)
    previous = locked.status
    locked.status = to
    _history(locked, previous, actor, note, now)
    return locked, before


def _finish(alert: Alert, before: dict, actor: Any, note: str, event: str) -> Alert:
    alert.save()
    audit.record(actor=actor, action=AuditAction.TRANSITION, instance=alert, before=before,
                 after=audit.snapshot(alert), note=note)  # fmt: skip
    publish_alert(alert, event)
    return alert


def acknowledge_alert(
    alert: Alert, *, actor: Any, note: str = "", now: dt.datetime | None = None
) -> Alert:
    """Someone has it: stops the automatic ladder."""
    _require(actor, "operate", "acknowledge alerts")
    now = now or timezone.now()
    with transaction.atomic():
        locked, before = _transition(alert, AlertStatus.ACKNOWLEDGED, actor, note, now)
        locked.acknowledged_at = locked.acknowledged_at or now
        locked.acknowledged_by = locked.acknowledged_by or actor
        locked.next_escalation_at = None
        return _finish(locked, before, actor, note, "alert.acknowledged")


def escalate_alert(
    alert: Alert, *, actor: Any, note: str = "", now: dt.datetime | None = None
) -> Alert:
    """Fire the next ladder step now (by hand); InvalidTransition when the ladder is exhausted."""
    _require(actor, "operate", "escalate alerts")
    now = now or timezone.now()
    with transaction.atomic():
        locked, before = _transition(alert, AlertStatus.ESCALATED, actor, note, now)
        steps = list(locked.policy.steps.all()) if locked.policy else []
        fired = escalation.fired_map(locked)
        pending = [i for i in range(len(steps)) if i not in fired]
        if not pending:
            raise InvalidTransition("every step of the escalation ladder has fired", field="status")
        escalation.fire_step(locked, pending[0], actor=actor, now=now)
        after_escalation(locked, [pending[0]], actor=actor, now=now, save=False)
        if locked.acknowledged_at is None and len(pending) > 1:
            locked.next_escalation_at = now + dt.timedelta(seconds=steps[pending[0]].wait_s)
        return _finish(locked, before, actor, note, "alert.escalated")


def after_escalation(alert: Alert, steps: list[int], *, actor: Any, now: dt.datetime,
                     save: bool = True) -> None:  # fmt: skip
    """Bookkeeping after the ladder fired: a step past the first marks the alert escalated."""
    if any(index > 0 for index in steps) or actor is not None:
        if alert.status == AlertStatus.OPEN:
            previous, alert.status = alert.status, AlertStatus.ESCALATED
            _history(alert, previous, actor, "automatic escalation", now)
        alert.escalated_at = now
        alert.escalated_by = actor if getattr(actor, "is_authenticated", False) else None
    if save:
        alert.save()
        if steps:
            publish_alert(alert, "alert.escalated", steps_fired=steps)


def resolve_alert(alert: Alert, *, actor: Any, note: str, now: dt.datetime | None = None) -> Alert:
    """Close an alert with a resolution note; later repeats open a new alert."""
    _require(actor, "operate", "resolve alerts")
    if not (note or "").strip():
        raise InvalidInput("say how it was resolved", field="note")
    now = now or timezone.now()
    with transaction.atomic():
        locked, before = _transition(alert, AlertStatus.RESOLVED, actor, note, now)
        locked.resolved_at, locked.resolved_by, locked.resolution_note = now, actor, note
        locked.next_escalation_at = None
        rules.forget_alert(locked.rule_id, locked.rule_alert_key)
        return _finish(locked, before, actor, note, "alert.resolved")


def record_police_notified(
    alert: Alert, *, actor: Any, at: dt.datetime | None = None, note: str = ""
) -> Alert:
    """The police were told (e.g. by phone): the time counts for "time to notify police"."""
    _require(actor, "operate", "record police notification")
    at = at or timezone.now()
    with transaction.atomic():
        locked = Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
        if at < locked.raised_at:
            raise InvalidInput("cannot be before the alert was raised", field="at")
        before = audit.snapshot(locked)
        locked.police_notified_at = min(locked.police_notified_at or at, at)
        locked.save(update_fields=["police_notified_at", "updated_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note or "police notified")  # fmt: skip
        publish_alert(locked, "alert.police_notified")
        return locked


def create_incident_from_alert(alert: Alert, *, actor: Any, **overrides: Any) -> Any:
    """Report an incident prefilled from the alert (type, time, place, severity) and link both."""
    from minewatch.incidents.services import report_incident

    if alert.incident_id is not None:
        raise InvalidTransition(
            f"alert already linked to incident {alert.incident_id}", field="incident"
        )
    lat = alert.lat if alert.lat is not None else getattr(alert.site, "lat", None)
    lon = alert.lon if alert.lon is not None else getattr(alert.site, "lon", None)
    values = {
        "incident_type": alert.incident_type or "unauthorised_access", "title": alert.title,
        "occurred_at": alert.raised_at, "lat": lat, "lon": lon, "site": alert.site,
        "severity": alert.severity, "location_description": alert.place,
        "narrative": f"{alert.description}\n\nAlerta {alert.reference} ({alert.kind}).".strip(),
        "police_notified_at": alert.police_notified_at,
    }  # fmt: skip
    values.update(overrides)
    with transaction.atomic():
        incident = report_incident(actor=actor, **values)
        locked = Alert.objects.select_for_update(of=("self",)).get(pk=alert.pk)
        before = audit.snapshot(locked)
        locked.incident = incident
        locked.save(update_fields=["incident", "updated_at"])
        locked.checklists.filter(incident__isnull=True).update(incident=incident)
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=f"incident {incident.reference} created")  # fmt: skip
        publish_alert(locked, "alert.incident_linked", incident_id=incident.pk)
    return incident
