"""The alert, its history, the ladder steps fired, and every delivery attempt."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.alerts.choices import (
    SEVERITY_CHOICES,
    AlertSource,
    AlertStatus,
    ChannelKind,
    DeliveryStatus,
)
from minewatch.alerts.models.config import (
    SEVERITY_VALIDATORS,
    AlertRule,
    Contact,
    EscalationPolicy,
    EscalationStep,
    NotificationChannel,
)
from minewatch.core.choices import Role
from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, Site, Zone

USER = settings.AUTH_USER_MODEL


def _person(name: str, related: str) -> models.ForeignKey:
    return models.ForeignKey(
        USER, on_delete=models.PROTECT, null=True, blank=True, related_name=related,
        verbose_name=name,
    )  # fmt: skip


class Alert(TenantModel):
    """Something that needs a person now: from a rule, an incident, or a panic button.

    Status: open → acknowledged → escalated → resolved, with who and when at each
    step. Repeats of the same condition fold into one alert (``occurrences``).
    ``next_escalation_at`` is the persisted timer of the ladder (restart-safe).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    source = models.CharField(_("source"), max_length=20, choices=AlertSource.choices)
    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    severity = models.PositiveSmallIntegerField(
        _("severity"), choices=SEVERITY_CHOICES, validators=SEVERITY_VALIDATORS
    )
    threat = models.CharField(_("threat"), max_length=32, blank=True)
    incident_type = models.CharField(_("incident type"), max_length=48, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=AlertStatus.choices, default=AlertStatus.OPEN
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="alerts"
    )
    zone = models.ForeignKey(
        Zone, on_delete=models.SET_NULL, null=True, blank=True, related_name="alerts"
    )
    # What it is about, generically (a device, a trip, a panel, a camera, a guard).
    subject_type = models.CharField(_("subject type"), max_length=40, blank=True)
    subject_key = models.CharField(_("subject"), max_length=120, blank=True)
    lat = models.FloatField(_("latitude"), null=True, blank=True, validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), null=True, blank=True, validators=LON_VALIDATORS)
    place = models.CharField(_("place"), max_length=300, blank=True)
    raised_at = models.DateTimeField(_("raised at"), db_index=True)
    raised_by = _person(_("raised by"), "+")
    acknowledged_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    acknowledged_by = _person(_("acknowledged by"), "+")
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    escalated_by = _person(_("escalated by"), "+")
    police_notified_at = models.DateTimeField(_("police notified at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = _person(_("resolved by"), "+")
    resolution_note = models.TextField(_("resolution note"), blank=True)
    rule = models.ForeignKey(AlertRule, on_delete=models.SET_NULL, null=True, blank=True)
    rule_alert_key = models.CharField(max_length=300, blank=True, db_index=True)
    dedup_key = models.CharField(_("de-duplication key"), max_length=300, blank=True)
    occurrences = models.PositiveIntegerField(_("occurrences"), default=1)
    last_occurred_at = models.DateTimeField(_("last occurrence"))
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    next_escalation_at = models.DateTimeField(null=True, blank=True, db_index=True)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="alerts",
    )  # fmt: skip
    details = models.JSONField(_("details"), default=dict, blank=True)
    snapshot = models.FileField(_("snapshot"), upload_to="alerts/snapshots/%Y/%m/", blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-raised_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        indexes = [
            models.Index(fields=["organisation", "status", "raised_at"]),
            models.Index(fields=["site", "raised_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """A guard sees the alerts it raised (its panic button); the control room all."""
        if getattr(user, "role", None) == Role.GUARD:
            return Q(raised_by_id=getattr(user, "pk", None))
        return Q()


class AlertStatusChange(models.Model):
    """One step of an alert's life: from, to, who, when, why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=16, choices=AlertStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=AlertStatus.choices)
    actor = _person(_("actor"), "+")
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    tenant_owner_field = "alert__organisation"
    tenant_site_field = "alert__site"

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.from_status} → {self.to_status}"


class EscalationFiring(models.Model):
    """A ladder step that fired for an alert (automatically or by hand), and when."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="firings")
    step_index = models.PositiveSmallIntegerField()
    step = models.ForeignKey(EscalationStep, on_delete=models.SET_NULL, null=True, blank=True)
    step_name = models.CharField(max_length=120, blank=True)
    fired_at = models.DateTimeField()
    actor = _person(_("fired by"), "+")

    tenant_owner_field = "alert__organisation"
    tenant_site_field = "alert__site"

    class Meta:
        ordering = ["alert", "step_index"]
        constraints = [
            models.UniqueConstraint(
                fields=["alert", "step_index"], name="alerts_firing_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} step {self.step_index} at {self.fired_at:%H:%M:%S}"


class DeliveryAttempt(TenantModel):
    """One try to tell one recipient about one alert: the auditor's "who was told what when".

    A row is created ``pending`` when a ladder step fires; the delivery worker tries it
    and marks it ``sent``, ``failed`` or ``retrying`` (then a new row, the next try,
    is scheduled at ``next_retry_at``).
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    firing = models.ForeignKey(
        EscalationFiring, on_delete=models.CASCADE, null=True, blank=True, related_name="deliveries"
    )
    channel_kind = models.CharField(_("channel"), max_length=10, choices=ChannelKind.choices)
    channel = models.ForeignKey(
        NotificationChannel, on_delete=models.SET_NULL, null=True, blank=True
    )
    recipient_user = _person(_("recipient (user)"), "+")
    recipient_contact = models.ForeignKey(Contact, on_delete=models.SET_NULL, null=True, blank=True)
    recipient_label = models.CharField(_("recipient"), max_length=200)
    is_police = models.BooleanField(_("police"), default=False)
    target = models.CharField(_("address"), max_length=500, blank=True)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("message"))
    attempt_number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    status_code = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    tenant_site_field = "alert__site"

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "due_at"])]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.channel_kind} → {self.recipient_label} #{self.attempt_number} {self.status}"
