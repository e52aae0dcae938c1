"""Where other apps' happenings become alerts.

* A new organisation gets default rules, a ladder and the protocol catalogue.
* ``incident.reported`` events run through the rules (by type and severity).
* ``detection.<kind>`` events (the tracking app's detectors: payload ``kind, device,
  trip, site_id, lat, lon, time, details``) run through the rules too.
* ``early_warning.raised`` / ``early_warning.updated`` (the intel app's scan) run through
  the rules as source ``early_warning``: one alert per warning, never two.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from minewatch.alerts.choices import SEVERITY_LEVELS, AlertSource
from minewatch.core import events
from minewatch.core.events import Event

logger = logging.getLogger("minewatch.alerts")

# Severity of tracking detections when the detector does not say (1 minor .. 5 critical);
# kinds are tracking.choices.DetectionKind. "signal_restored" (1) is below the default
# convoy rule's minimum (2): it is recorded by tracking but pages nobody.
DETECTION_SEVERITY = {
    "alarm": 5, "panic": 5, "convoy_split": 4, "signal_loss": 4, "route_deviation": 3,
    "unscheduled_stop": 3, "zone_enter": 4, "zone_exit": 2, "overspeed": 2, "late_arrival": 2,
    "signal_restored": 1,
}  # fmt: skip
DETECTION_TITLES = {
    "alarm": "Alarma / pánico desde el vehículo", "panic": "Pánico en convoy",
    "convoy_split": "Camión separado del convoy", "signal_loss": "Pérdida de señal (posible inhibidor)",
    "route_deviation": "Desvío de ruta", "unscheduled_stop": "Parada no autorizada",
    "zone_enter": "Ingreso a zona vigilada", "zone_exit": "Salida de zona",
    "overspeed": "Exceso de velocidad", "late_arrival": "Llegada tardía",
    "signal_restored": "Señal restablecida",
}  # fmt: skip


def on_organisation_saved(
    sender: Any, instance: Any, created: bool, raw: bool = False, **_: Any
) -> None:
    if created and not raw:
        from minewatch.alerts.services.config import seed_defaults
        from minewatch.alerts.services.rules import forget_cached_rules

        seed_defaults(instance)
        forget_cached_rules(instance.pk)


def on_rule_changed(sender: Any, instance: Any, **_: Any) -> None:
    """Any write to a rule (service, admin, a direct save) drops this process's cached rules."""
    from minewatch.alerts.services.rules import forget_cached_rules

    forget_cached_rules(getattr(instance, "organisation_id", None))


def _severity(value: Any, kind: str, details: dict[str, Any]) -> int:
    if isinstance(value, int) and 1 <= value <= 5:
        return value
    if isinstance(value, str) and value in SEVERITY_LEVELS:
        return SEVERITY_LEVELS[value]
    if kind in ("zone_enter", "zone_exit") and details.get("zone_kind") != "high_risk":
        # A convoy entering its own mine's perimeter or a community zone is routine:
        # recorded by tracking, below every default rule, so nobody is paged.
        return 1
    return DETECTION_SEVERITY.get(kind, 3)


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else timezone.now()


def detection_input(event: Event) -> Any:
    """An AlertInput from a ``detection.<kind>`` event (missing values get safe defaults)."""
    from minewatch.alerts.services.rules import AlertInput

    p = event.payload
    kind = str(p.get("kind") or event.name.split(".", 1)[1])
    subject_type, subject_key = (
        ("device", p.get("device")) if p.get("device") else ("trip", p.get("trip"))
    )
    details = p.get("details") if isinstance(p.get("details"), dict) else {}
    return AlertInput(
        organisation_id=event.organisation_id, kind=kind, source=AlertSource.DETECTION,
        severity=_severity(p.get("severity", details.get("severity")), kind, details),
        occurred_at=_time(p.get("time")), title=DETECTION_TITLES.get(kind, kind.replace("_", " ")),
        site_id=p.get("site_id") or event.site_id, subject_type=subject_type if subject_key else "",
        subject_key=str(subject_key or "")[:120], lat=p.get("lat"), lon=p.get("lon"),
        details={**details, "trip": p.get("trip"), "device": p.get("device")},
        description=str(details.get("description", "")), is_synthetic=bool(details.get("synthetic")),
    )  # fmt: skip


def incident_input(event: Event) -> Any:
    from minewatch.alerts.services.rules import AlertInput
    from minewatch.incidents.choices import Confidentiality
    from minewatch.incidents.models import Incident

    incident = Incident.objects.get(pk=event.payload["id"])
    title, description = incident.title, incident.narrative[:2000]
    place = incident.location_description
    if incident.confidentiality != Confidentiality.INTERNAL:
        # Every operator sees alerts; the words of a restricted or confidential incident
        # stay on the incident, for the roles allowed to open it (Incident.role_filter).
        title = _("%(type)s — restricted incident %(reference)s") % {
            "type": incident.get_incident_type_display(), "reference": incident.reference,
        }  # fmt: skip
        description = place = ""
    return AlertInput(
        organisation_id=incident.organisation_id, kind=f"incident.{incident.incident_type}",
        severity=incident.severity, source=AlertSource.INCIDENT, occurred_at=incident.reported_at,
        title=title, description=description, site_id=incident.site_id,
        subject_type="incident", subject_key=incident.reference, lat=incident.lat,
        lon=incident.lon, place=place, threat=incident.threat,
        incident_type=incident.incident_type, incident_id=incident.pk,
        is_synthetic=incident.is_synthetic,
    )  # fmt: skip


# Severity of an early warning from how far its weight is over its threshold
# (total_weight / min_weight): just over the threshold is "low" (2); twice it, critical.
WARNING_SEVERITY_STEPS = ((1.25, 2), (1.5, 3), (2.0, 4))
WARNING_EVENTS = frozenset({"early_warning.raised", "early_warning.updated"})


def warning_severity(total_weight: float, min_weight: float) -> int:
    """1..5 from the warning's weight relative to its threshold.

    >>> [warning_severity(w, 2.0) for w in (2.0, 2.6, 3.2, 4.0)]
    [2, 3, 4, 5]
    """
    ratio = total_weight / min_weight if min_weight > 0 else float("inf")
    for below, severity in WARNING_SEVERITY_STEPS:
        if ratio < below:
            return severity
    return 5


def _reason_line(row: dict[str, Any], references: dict[str, str]) -> str:
    kind = _("report") if row.get("kind") == "report" else _("incident")
    return _("%(kind)s %(reference)s: weight %(weight).2f, %(distance).1f km away, %(date)s") % {
        "kind": kind, "reference": references.get(row.get("key", ""), row.get("key", "")),
        "weight": float(row.get("weight") or 0), "distance": float(row.get("distance_km") or 0),
        "date": str(row.get("at", ""))[:16].replace("T", " "),
    }  # fmt: skip


def warning_input(event: Event) -> Any:
    """An AlertInput from an early warning (read from the database, owner checked).

    The text names the signals by reference, grade weight and distance only: an intel
    report's content and its source stay in the intel app, for the roles allowed to read it.
    """
    from minewatch.alerts.services.rules import AlertInput
    from minewatch.intel.models import EarlyWarning

    warning = EarlyWarning.objects.select_related("site", "route").get(
        pk=event.payload["id"], organisation_id=event.organisation_id
    )
    reports = {f"report:{pk}": ref for pk, ref in warning.reports.values_list("pk", "reference")}
    incidents = {
        f"incident:{pk}": ref for pk, ref in warning.incidents.values_list("pk", "reference")
    }
    target = warning.site or warning.route
    points = list(warning.reports.values_list("lat", "lon")) + list(
        warning.incidents.values_list("lat", "lon")
    )
    if warning.site is not None:
        lat, lon = warning.site.lat, warning.site.lon
    elif points:
        lat = sum(p[0] for p in points) / len(points)
        lon = sum(p[1] for p in points) / len(points)
    else:
        lat = lon = None
    header = _(
        "Weight %(total).2f against a threshold of %(threshold).2f: %(count)d signals within "
        "%(distance)s km in %(days)s days."
    ) % {
        "total": warning.total_weight, "threshold": warning.min_weight,
        "count": len(warning.reasons), "distance": f"{warning.distance_km:g}",
        "days": f"{warning.window_days:g}",
    }  # fmt: skip
    lines = [_reason_line(row, {**reports, **incidents}) for row in warning.reasons]
    is_site = warning.site_id is not None
    title = (_("Early warning near %(target)s") if is_site
             else _("Early warning along %(target)s")) % {"target": target}  # fmt: skip
    return AlertInput(
        organisation_id=warning.organisation_id,
        kind="early_warning.site" if is_site else "early_warning.route",
        severity=warning_severity(warning.total_weight, warning.min_weight),
        # Raised now (the scan just published it): the ladder counts from here, not from
        # the cluster's last signal, which may be days old.
        source=AlertSource.EARLY_WARNING, occurred_at=timezone.now(), title=title[:200],
        description="\n".join([header, *(f"- {line}" for line in lines)]),
        site_id=warning.site_id, subject_type="early_warning", subject_key=str(warning.pk),
        lat=lat, lon=lon, place=str(target)[:300],
        details={"early_warning_id": warning.pk, "target_kind": warning.target_kind,
                 "route_id": warning.route_id, "total_weight": warning.total_weight,
                 "min_weight": warning.min_weight, "window_days": warning.window_days,
                 "distance_km": warning.distance_km, "window_start": warning.window_start.isoformat(),
                 "window_end": warning.window_end.isoformat(),
                 "reasons": [row.get("key") for row in warning.reasons]},
    )  # fmt: skip


def on_event(event: Event) -> None:
    """core.events subscriber: incidents, detections and early warnings through the rules."""
    if event.organisation_id is None:
        return
    if event.name == "incident.reported":
        raise_alert_from_incident(event)
    elif event.name.startswith("detection."):
        raise_alert_from_detection(event)
    elif event.name in WARNING_EVENTS:
        raise_alert_from_warning(event)


# An incident entered this long after it was reported is history being imported
# (a backfill, the demo's two years): it must not page anyone now.
MAX_INCIDENT_AGE = dt.timedelta(hours=24)
# Likewise a detection on fixes this old comes from a replayed file or a tracker
# flushing its memory after days offline: tracking records it, nobody is paged.
MAX_DETECTION_AGE = dt.timedelta(hours=2)


def raise_alert_from_incident(event: Event) -> list[Any]:
    """Run a reported incident through the rules (e.g. severity ≥ 4 → alert)."""
    from minewatch.alerts.models import Alert
    from minewatch.alerts.services.alerts import raise_alert

    item = incident_input(event)
    if item.occurred_at < timezone.now() - MAX_INCIDENT_AGE:
        return []
    if Alert.objects.filter(incident_id=item.incident_id).exists():
        # Created from an alert: the operator has it already, with its checklist; a second
        # alert would page everyone again and give the dossier every step twice.
        return []
    return raise_alert(item)


def on_events(batch: list[Event]) -> None:
    """The batch form of :func:`on_event`: the detections of one ``publish_many`` (an access
    event batch) go through the rules together; other events one by one."""
    detections = []
    for event in batch:
        if event.organisation_id is not None and event.name.startswith("detection."):
            detections.append(event)
        else:
            on_event(event)
    if detections:
        raise_alerts_from_detections(detections)


def raise_alerts_from_detections(batch: list[Event]) -> list[list[Any]]:
    """:func:`raise_alert_from_detection` for many: journalled in one insert when the intake
    runs, else raised in one batch of the rules."""
    from minewatch.alerts.services.batch import raise_alerts
    from minewatch.core.errors import MineWatchError

    items = []
    oldest = timezone.now() - MAX_DETECTION_AGE
    for event in batch:
        try:
            item = detection_input(event)
        except (MineWatchError, TypeError, ValueError) as exc:
            logger.warning("detection event %s dropped: %s", event.name, exc)
            continue
        if item.occurred_at >= oldest:
            items.append(item)
    if not items:
        return []
    from minewatch.alerts.services.intake import running_intake

    intake = running_intake()
    if intake is not None:  # raised with others in the intake's next batch
        intake.submit_many(items)
        return [[] for _item in items]
    return raise_alerts(items)


def raise_alert_from_detection(event: Event) -> list[Any]:
    """Run a tracking detection through the rules; a malformed one is logged and dropped.

    With the intake running (``serve``, ``demo``) the detection is queued and ``[]``
    returned; the intake raises it in its next batch.
    """
    from minewatch.alerts.services.alerts import raise_alert
    from minewatch.core.errors import MineWatchError

    try:
        item = detection_input(event)
    except (MineWatchError, TypeError, ValueError) as exc:
        logger.warning("detection event %s dropped: %s", event.name, exc)
        return []
    if item.occurred_at < timezone.now() - MAX_DETECTION_AGE:
        return []
    from minewatch.alerts.services.intake import running_intake

    intake = running_intake()
    if intake is not None:  # raised with others in the intake's next batch
        intake.submit(item)
        return []
    return raise_alert(item)


def raise_alert_from_warning(event: Event) -> list[Any]:
    """Run an early warning through the rules, once per warning.

    A warning that already has an alert (raised, then grown by a later scan) opens no
    other; nor does one whose window ended more than a window ago (a scan over history).
    """
    from minewatch.alerts.models import Alert
    from minewatch.alerts.services.alerts import raise_alert
    from minewatch.intel.models import EarlyWarning

    try:
        item = warning_input(event)
    except (EarlyWarning.DoesNotExist, KeyError, TypeError, ValueError) as exc:
        logger.warning("early-warning event %s dropped: %s", event.name, exc)
        return []
    window = dt.timedelta(days=float(item.details["window_days"]))
    if dt.datetime.fromisoformat(item.details["window_end"]) < timezone.now() - window:
        return []
    already = Alert.objects.filter(
        organisation_id=item.organisation_id, source=AlertSource.EARLY_WARNING,
        subject_type="early_warning", subject_key=item.subject_key,
    ).exists()  # fmt: skip
    if already:
        return []
    return raise_alert(item)


def connect() -> None:
    from minewatch.alerts.models import AlertRule
    from minewatch.core.models import Organisation

    post_save.connect(on_organisation_saved, sender=Organisation, dispatch_uid="alerts-defaults")
    for signal in (post_save, post_delete):
        signal.connect(on_rule_changed, sender=AlertRule, dispatch_uid=f"alerts-rules-{id(signal)}")
    for name, through in (("sites", AlertRule.sites.through), ("zones", AlertRule.zones.through)):
        m2m_changed.connect(on_rule_changed, sender=through, dispatch_uid=f"alerts-rule-{name}")
    events.subscribe(on_event, many=on_events)
