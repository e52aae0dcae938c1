"""Every write of an alert's life: raise, fold, acknowledge, escalate, resolve, link.

Each verb runs in one transaction, writes the audit entry, and publishes an
``alert.*`` event on commit (the live stream and other apps listen).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from minewatch.alerts.choices import NOT_RESOLVED, AlertSource, AlertStatus
from minewatch.alerts.models import Alert, AlertRule, AlertStatusChange
from minewatch.alerts.services import batch, escalation, rules
from minewatch.alerts.services.batch import publish_alert
from minewatch.alerts.services.police import note_police_notified
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
# The operator's verbs (API actions, console buttons) and the status each one leads to.
ACTION_STATUS = {
    "ack": AlertStatus.ACKNOWLEDGED,
    "escalate": AlertStatus.ESCALATED,
    "resolve": AlertStatus.RESOLVED,
}


def allowed_actions(alert: Alert) -> list[str]:
    """The operator's verbs the state machine accepts for ``alert`` now.

    The console and API clients ask this instead of deciding from the status: an
    escalated alert may still be acknowledged (that stops the ladder before the police).
    """
    allowed = ALLOWED[AlertStatus(alert.status)]
    return [name for name, status in ACTION_STATUS.items() if status in allowed]


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


def site_near(actor: Any, lat: float | None, lon: float | None) -> tuple[Any, float] | None:
    """The nearest site ``actor`` may see within the ``alert_site_radius_m`` setting, and how
    far (metres); None without a position or beyond it."""
    if lat is None or lon is None:
        return None
    from minewatch.core.tenancy import restrict
    from minewatch.geo.models import Site
    from minewatch.geo.queries import nearest_site

    radius_m = float(settings.TUNABLES["alert_site_radius_m"])
    return nearest_site(restrict(Site.objects.all(), actor), lat, lon, max_distance_m=radius_m)


def panic_text(actor: Any, *, lat: float, lon: float, site: Any, distance_m: float | None,
               accuracy_m: float | None, note: str) -> tuple[str, str]:  # fmt: skip
    """Title and description of a panic alert in the active language (the caller picks it)."""
    title = _("Panic button: %(name)s") % {"name": actor.get_full_name() or actor.username}
    if site is None:
        where = _("Panic pressed at %(lat).5f, %(lon).5f, near no site.") % {
            "lat": lat, "lon": lon}  # fmt: skip
    elif distance_m is None or distance_m < 1:
        where = _("Panic pressed at %(site)s.") % {"site": site.name}
    else:
        where = _("Panic pressed %(distance)d m from %(site)s.") % {
            "distance": round(distance_m), "site": site.name}  # fmt: skip
    if accuracy_m is not None:
        where += " " + _("Position accuracy: ±%(accuracy)d m.") % {"accuracy": round(accuracy_m)}
    return title[:200], "\n".join(part for part in (where, note.strip()) if part)


def raise_panic(
    *, actor: Any, lat: float, lon: float, site: Any = None, note: str = "",
    accuracy_m: float | None = None, at: dt.datetime | None = None,
) -> Alert:  # fmt: skip
    """A person pressed panic: always an alert (severity 5); a second press within two minutes
    by the same person folds into the first.

    Without a site the nearest one the person may see (within the ``alert_site_radius_m``
    setting) is attached, so the site's ladder and police are used.
    """
    _require(actor, "report_incident", "raise a panic alert")
    from minewatch.geo.services import validated_point

    lat, lon = validated_point(lat, lon, country=site.country if site else "PE")
    distance_m = None
    if site is None and (found := site_near(actor, lat, lon)) is not None:
        site, distance_m = found
    if actor.organisation_id is None and site is None:
        raise InvalidInput("your user belongs to no organisation", field="organisation")
    now = timezone.now()
    at = at or now
    organisation_id = site.organisation_id if site else actor.organisation_id
    # Stored in the server's language (MINEWATCH_LANGUAGE, Spanish by default) like every
    # alert text the operators, e-mails and SMS read; not in the guard's phone language.
    with translation.override(settings.LANGUAGE_CODE):
        title, description = panic_text(actor, lat=lat, lon=lon, site=site, distance_m=distance_m,
                                        accuracy_m=accuracy_m, note=note)  # fmt: skip
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
            occurred_at=at, title=title, description=description,
            site_id=site.pk if site else None, subject_type="user",
            subject_key=actor.username, lat=lat, lon=lon,
        )  # fmt: skip
        return open_alert(item, actor=actor, now=now)


def raise_manual_alert(*, actor: Any, now: dt.datetime | None = None, **values: Any) -> Alert:
    """An operator raises an alert by hand (no rule, no folding)."""
    _require(actor, "operate", "raise alerts")
    site = values.pop("site", None)
    if site is None and (found := site_near(actor, values.get("lat"), values.get("lon"))):
        site = found[0]
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
        note_police_notified({locked.pk: at}, actor=actor, note=note)
        locked.refresh_from_db(fields=["police_notified_at", "updated_at"])
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=note or "police notified")  # fmt: skip
        publish_alert(locked, "alert.police_notified")
        return locked


def create_incident_from_alert(alert: Alert, *, actor: Any, **overrides: Any) -> Any:
    """Report an incident prefilled from the alert (type, time, place, severity) and link both.

    The type is the alert's (its rule's, or what its kind suggests); the operator may name
    another in ``overrides``, and must when the alert suggests none.
    """
    from minewatch.incidents.services import report_incident

    if alert.incident_id is not None:
        raise InvalidTransition(
            f"alert already linked to incident {alert.incident_id}", field="incident"
        )
    lat = alert.lat if alert.lat is not None else getattr(alert.site, "lat", None)
    lon = alert.lon if alert.lon is not None else getattr(alert.site, "lon", None)
    if not (overrides.get("incident_type") or alert.incident_type):
        # No silent default (it used to be "unauthorised_access", an internal threat).
        raise InvalidInput(
            "this alert suggests no incident type: choose one", field="incident_type"
        )
    values = {
        "incident_type": alert.incident_type, "title": alert.title,
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
        if locked.police_notified_at is not None:  # an override may have named a later time
            note_police_notified({locked.pk: locked.police_notified_at}, actor=actor)
        audit.record(actor=actor, action=AuditAction.UPDATE, instance=locked, before=before,
                     after=audit.snapshot(locked), note=f"incident {incident.reference} created")  # fmt: skip
        publish_alert(locked, "alert.incident_linked", incident_id=incident.pk)
    return incident
