"""What an organisation configures: rules, escalation ladders, contacts and channels."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.alerts.choices import SEVERITY_CHOICES, ChannelKind, ContactKind
from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel
from minewatch.geo.models import Region, Site, Zone

SEVERITY_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class Contact(TenantModel):
    """Someone outside the user list who is told: a PNP station, a crisis team, a gateway.

    A police contact is tied to the site (or the region) whose area it covers, so the
    ladder step "police of the site's area" finds the right comisaría.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=ContactKind.choices)
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="alert_contacts"
    )
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    area = models.CharField(_("area covered"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name


class NotificationChannel(TenantModel):
    """How one kind of message leaves MineWatch for this organisation (server, URL, topic).

    ``config`` keys: e-mail ``host, port, sender, use_starttls, username, password``;
    webhook ``url`` (optional extra receiver), ``secret``; SMS ``url, template, secret``;
    MQTT ``host, port, topic``. Tries and backoff are per channel.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    timeout_s = models.FloatField(
        _("timeout (s)"), default=5.0, validators=[MinValueValidator(0.1)]
    )
    max_attempts = models.PositiveSmallIntegerField(
        _("tries"), default=4, validators=[MinValueValidator(1), MaxValueValidator(20)]
    )
    backoff_base_s = models.FloatField(_("first retry after (s)"), default=5.0)
    backoff_max_s = models.FloatField(_("longest retry wait (s)"), default=300.0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class EscalationPolicy(TenantModel):
    """An ordered ladder for alerts of some threats/kinds at or above a severity."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    threats = models.JSONField(_("threats (empty: any)"), default=list, blank=True)
    kinds = models.JSONField(_("alert kinds (empty: any)"), default=list, blank=True)
    min_severity = models.PositiveSmallIntegerField(
        _("minimum severity"), default=1, choices=SEVERITY_CHOICES, validators=SEVERITY_VALIDATORS
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("escalation policy")
        verbose_name_plural = _("escalation policies")

    def __str__(self) -> str:
        return self.name


class EscalationStep(models.Model):
    """One rung: who (roles, users, contacts, the site's police), how (channels), wait."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    recipient_roles = models.JSONField(_("roles"), default=list, blank=True)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    contacts = models.ManyToManyField(Contact, blank=True, related_name="+")
    notify_site_police = models.BooleanField(_("police of the site's area"), default=False)
    channels = models.JSONField(_("channels"), default=list)
    wait_s = models.PositiveIntegerField(_("wait before next step (s)"), default=300)

    tenant_owner_field = "policy__organisation"
    tenant_site_field = None

    class Meta:
        ordering = ["policy", "order"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "order"], name="alerts_step_order_unique")
        ]
        verbose_name = _("escalation step")
        verbose_name_plural = _("escalation steps")

    def __str__(self) -> str:
        return f"{self.policy_id}#{self.order} {self.name}"


class AlertRule(TenantModel):
    """Which detections become alerts, and how they fold (de-duplication) and throttle.

    Empty match lists mean "any". The rules engine (``alerts.engine.rules``) evaluates
    it; its de-duplication state lives in :class:`RuleState` so it survives restarts.
    """

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    is_enabled = models.BooleanField(_("enabled"), default=True)
    kinds = models.JSONField(_("detection kinds"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    sites = models.ManyToManyField(Site, blank=True, related_name="+")
    zones = models.ManyToManyField(Zone, blank=True, related_name="+")
    min_severity = models.PositiveSmallIntegerField(
        _("minimum severity"), default=1, choices=SEVERITY_CHOICES, validators=SEVERITY_VALIDATORS
    )
    window_start = models.TimeField(_("from (local time)"), null=True, blank=True)
    window_end = models.TimeField(_("until (local time)"), null=True, blank=True)
    dedup_minutes = models.PositiveIntegerField(_("fold repeats within (min)"), default=10)
    throttle_max_alerts = models.PositiveIntegerField(
        _("at most N new alerts"), null=True, blank=True
    )
    throttle_window_minutes = models.PositiveIntegerField(_("per (min)"), default=60)
    alert_severity = models.PositiveSmallIntegerField(
        _("alert severity (empty: the detection's)"), null=True, blank=True,
        choices=SEVERITY_CHOICES, validators=SEVERITY_VALIDATORS,
    )  # fmt: skip
    threat = models.CharField(_("threat"), max_length=32, blank=True)
    incident_type = models.CharField(_("incident type"), max_length=48, blank=True)
    escalation_policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="rules"
    )
    suppressed_count = models.PositiveIntegerField(_("throttled detections"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name


class RuleState(models.Model):
    """The rules engine's throttle state of one rule; its row lock orders a rule's detections.

    The de-duplication entries live one per key in :class:`RuleSlot`, so a rule watching
    thousands of sensors reads and writes one small row per detection, not all of them.
    """

    rule = models.OneToOneField(AlertRule, on_delete=models.CASCADE, related_name="state")
    data = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_owner_field = "rule__organisation"
    tenant_site_field = None

    def __str__(self) -> str:
        return f"state of rule {self.rule_id}"


class RuleSlot(models.Model):
    """One open de-duplication entry of a rule: the alert repeats of this key fold into."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="slots")
    slot = models.CharField(max_length=400)
    alert_key = models.CharField(max_length=300, db_index=True)
    data = models.JSONField(default=dict)
    last_at = models.DateTimeField(db_index=True)

    tenant_owner_field = "rule__organisation"
    tenant_site_field = None

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["rule", "slot"], name="alerts_rule_slot_unique")
        ]

    def __str__(self) -> str:
        return self.slot
