"""Enumerations of the alerts app, named after their field."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AlertStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")


# Statuses from which the automatic ladder may still fire a step.
LADDER_RUNNING = (AlertStatus.OPEN, AlertStatus.ESCALATED)
NOT_RESOLVED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.ESCALATED)


class AlertSource(models.TextChoices):
    DETECTION = "detection", _("Detection (tracking)")
    ALARM_PANEL = "alarm_panel", _("Alarm panel")
    CAMERA = "camera", _("Camera")
    GUARD_TOUR = "guard_tour", _("Guard tour")
    INCIDENT = "incident", _("Incident")
    PANIC = "panic", _("Panic button")
    MANUAL = "manual", _("Raised by hand")
    EARLY_WARNING = "early_warning", _("Early warning (intelligence)")
    INVENTORY = "inventory", _("Inventory and cargo integrity")
    ACCOUNTABILITY = "accountability", _("Accountability (use of force, grievances, contractors)")


class ContactKind(models.TextChoices):
    PERSON = "person", _("Person")
    POLICE = "police", _("Police (PNP station)")
    CRISIS_TEAM = "crisis_team", _("Crisis team")
    AUTHORITY = "authority", _("Other authority")
    INTEGRATION = "integration", _("System integration")


class ChannelKind(models.TextChoices):
    INAPP = "inapp", _("Operations console")
    EMAIL = "email", _("E-mail (SMTP)")
    WEBHOOK = "webhook", _("Signed webhook")
    SMS = "sms", _("SMS gateway")
    MQTT = "mqtt", _("MQTT publish")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")


# Alert severity is 1 (minor) .. 5 (critical) like incidents; the rules engine names them.
SEVERITY_NAMES = {1: "info", 2: "low", 3: "medium", 4: "high", 5: "critical"}
SEVERITY_LEVELS = {name: level for level, name in SEVERITY_NAMES.items()}
SEVERITY_CHOICES = [
    (1, _("1 – minor")),
    (2, _("2 – low")),
    (3, _("3 – medium")),
    (4, _("4 – high")),
    (5, _("5 – critical")),
]


# Human names of alert kinds raised by this app and the alarms app (the console shows
# them instead of the codes); tracking detections and incidents use their own labels.
KIND_LABELS = {
    "alarm.burglary": _("Intrusion alarm"),
    "alarm.perimeter": _("Perimeter intrusion"),
    "alarm.panic": _("Panic or duress at an alarm panel"),
    "alarm.fire": _("Fire alarm"),
    "alarm.tamper": _("Panel or sensor tampering"),
    "alarm.trouble": _("Alarm panel fault"),
    "alarm.panel_silent": _("Alarm panel silent"),
    "camera.intrusion": _("Camera: intrusion"),
    "tour.checkpoint_missed": _("Guard tour: checkpoint missed"),
    "tour.checkpoint_late": _("Guard tour: checkpoint late"),
    "guard.no_check_in": _("Lone guard: no check-in"),
    "panic": _("Panic button"),
    "manual": _("Raised by hand"),
    "early_warning.site": _("Early warning near a site"),
    "early_warning.route": _("Early warning along a route"),
    "inventory.trip_loss": _("Missing mass on a trip"),
    "inventory.drift": _("Slow loss across trips"),
    "inventory.seal": _("Seal discrepancy on arrival"),
    "inventory.magazine": _("Explosives magazine discrepancy"),
    "accountability.use_of_force": _("Use of force: firearm discharged or someone injured"),
    "accountability.use_of_force_late": _("Use-of-force report late or missing"),
    "accountability.grievance_overdue": _("Grievance deadline missed"),
    "accountability.authorisation_expired": _("Contractor's SUCAMEC authorisation expired"),
    "access.unknown_credential": _("Gate: unknown credential"),
    "access.not_cleared": _("Gate: person not cleared"),
    "access.not_assigned": _("Gate: person not assigned to this site"),
    "access.outside_shift": _("Gate: outside the assigned shift"),
    "access.anti_passback": _("Gate: in twice without out"),
    "access.revoked_credential": _("Gate: revoked credential"),
    "access.expired_credential": _("Gate: expired credential"),
    "access.repeated_denials": _("Gate: repeated denials"),
    "access.unplanned_vehicle": _("Gate: vehicle not planned or authorised"),
    "access.after_hours_magazine": _("Explosives magazine entered after hours"),
    "people.vetting_expiry": _("Vetting check expiring"),
    "people.licence_expiry": _("SUCAMEC licence expiring"),
    "people.training_expiry": _("Training expiring"),
    "people.visitor_overstay": _("Visitor overstayed"),
    "people.passenger_missing": _("Passenger missing at arrival"),
}


def kind_label(kind: str) -> str:
    """The human name of an alert kind in the active language; the code when unknown.

    ``incident.<type>`` takes the incident taxonomy's label; tracking detection kinds
    (``route_deviation``, also written ``tracking.route_deviation`` or
    ``detection.route_deviation``) the tracking app's.
    """
    from django.utils.translation import get_language

    if kind in KIND_LABELS:
        return str(KIND_LABELS[kind])
    prefix, _dot, rest = kind.partition(".")
    if prefix == "incident" and rest:
        from minewatch.incidents.taxonomy import TYPES_BY_CODE

        found = TYPES_BY_CODE.get(rest)
        if found is not None:
            return found.label_es if (get_language() or "es").startswith("es") else found.label_en
        return kind
    code = rest if prefix in ("tracking", "detection") and rest else kind
    try:
        from minewatch.tracking.choices import DetectionKind
    except ImportError:  # the tracking app is optional
        return kind
    return str(DetectionKind(code).label) if code in DetectionKind.values else kind
