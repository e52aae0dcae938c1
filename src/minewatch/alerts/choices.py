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
