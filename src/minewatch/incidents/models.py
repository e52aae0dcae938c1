"""The incident record (SPEC capability 1) and its status history."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.choices import Role
from minewatch.core.models import Organisation
from minewatch.core.roles import MANAGERS
from minewatch.core.tenancy import TenantModel, prefixed
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, Region, Site
from minewatch.incidents.choices import (
    INCIDENT_TYPE_CHOICES,
    THREAT_CHOICES,
    Confidentiality,
    IncidentStatus,
    LocationPrecision,
    MaterialUnit,
    TimeOfDay,
    TimePrecision,
)

COUNT = [MinValueValidator(0)]


class Incident(TenantModel):
    """A security incident typed by the four-threat taxonomy, with the evidence the seed names.

    The owner is the company whose site or operation was affected; a contractor
    sees it when assigned to that site.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("owner")
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    threat = models.CharField(_("threat"), max_length=32, choices=THREAT_CHOICES, db_index=True)
    incident_type = models.CharField(
        _("incident type"), max_length=48, choices=INCIDENT_TYPE_CHOICES, db_index=True
    )
    severity = models.PositiveSmallIntegerField(
        _("severity"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    status = models.CharField(
        _("status"), max_length=32, choices=IncidentStatus.choices, default=IncidentStatus.REPORTED
    )
    confidentiality = models.CharField(
        _("confidentiality"), max_length=16, choices=Confidentiality.choices,
        default=Confidentiality.INTERNAL,
    )  # fmt: skip
    # When
    occurred_at = models.DateTimeField(_("occurred at"), db_index=True)
    occurred_at_precision = models.CharField(
        _("time precision"),
        max_length=8,
        choices=TimePrecision.choices,
        default=TimePrecision.MINUTE,
    )
    reported_at = models.DateTimeField(_("reported at"))
    time_of_day = models.CharField(
        _("time of day"), max_length=10, choices=TimeOfDay.choices, default=TimeOfDay.UNKNOWN
    )
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="reported_incidents", verbose_name=_("reporter"),
    )  # fmt: skip
    # Where
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    location_precision = models.CharField(
        _("location precision"), max_length=12, choices=LocationPrecision.choices,
        default=LocationPrecision.EXACT,
    )  # fmt: skip
    location_description = models.CharField(_("place"), max_length=300, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents"
    )
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="incidents",
        verbose_name=_("site"),
    )  # fmt: skip
    # How (the evidence the seed names: modus operandi, assailants, weapons, timing)
    narrative = models.TextField(_("narrative"), blank=True)
    modus_operandi = models.TextField(_("modus operandi"), blank=True)
    modus_operandi_tags = models.JSONField(_("modus operandi tags"), default=list, blank=True)
    assailants_min = models.PositiveIntegerField(_("assailants (min)"), null=True, blank=True)
    assailants_max = models.PositiveIntegerField(_("assailants (max)"), null=True, blank=True)
    weapons = models.JSONField(_("weapons"), default=list, blank=True)
    vehicles_used = models.JSONField(_("vehicles used"), default=list, blank=True)
    # Impact
    fatalities = models.PositiveIntegerField(_("fatalities"), default=0)
    injured_staff = models.PositiveIntegerField(_("injured staff"), default=0)
    injured_contractors = models.PositiveIntegerField(_("injured contractors"), default=0)
    injured_security = models.PositiveIntegerField(_("injured security personnel"), default=0)
    injured_police = models.PositiveIntegerField(_("injured police/armed forces"), default=0)
    injured_community = models.PositiveIntegerField(_("injured community members"), default=0)
    injured_assailants = models.PositiveIntegerField(_("injured assailants"), default=0)
    kidnapped = models.PositiveIntegerField(_("kidnapped / held"), default=0)
    loss_usd = models.DecimalField(
        _("loss (USD)"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    material_lost = models.CharField(_("material lost"), max_length=100, blank=True)
    material_loss_quantity = models.DecimalField(
        _("material quantity"), max_digits=14, decimal_places=3, null=True, blank=True,
        validators=[MinValueValidator(0)],
    )  # fmt: skip
    material_loss_unit = models.CharField(
        _("material unit"), max_length=8, choices=MaterialUnit.choices, blank=True
    )
    # Response
    responders = models.JSONField(_("responders"), default=list, blank=True)
    police_notified_at = models.DateTimeField(_("police notified at"), null=True, blank=True)
    complaint_number = models.CharField(_("complaint number"), max_length=64, blank=True)
    police_unit = models.CharField(_("police unit"), max_length=200, blank=True)
    response_minutes = models.PositiveIntegerField(
        _("response time (minutes)"), null=True, blank=True
    )
    response_notes = models.TextField(_("response"), blank=True)
    # Links and provenance
    linked_actors = models.JSONField(_("linked actors"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        indexes = [
            models.Index(fields=["organisation", "occurred_at"]),
            models.Index(fields=["organisation", "threat", "occurred_at"]),
            models.Index(fields=["lat", "lon"]),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """Restricted incidents need a manager or analyst; confidential ones a manager.

        A guard (field staff) sees only the internal incidents it reported itself.
        """
        role = getattr(user, "role", None)
        if role in MANAGERS:
            return Q()
        if role == Role.ANALYST:
            return ~Q(confidentiality=Confidentiality.CONFIDENTIAL)
        if role == Role.GUARD:
            return Q(
                confidentiality=Confidentiality.INTERNAL, reporter_id=getattr(user, "pk", None)
            )
        return Q(confidentiality=Confidentiality.INTERNAL)

    @property
    def injured_total(self) -> int:
        return (
            self.injured_staff + self.injured_contractors + self.injured_security
            + self.injured_police + self.injured_community + self.injured_assailants
        )  # fmt: skip


class IncidentStatusChange(models.Model):
    """One step of an incident's workflow: from, to, who, when, why."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=32, choices=IncidentStatus.choices, blank=True)
    to_status = models.CharField(max_length=32, choices=IncidentStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    tenant_owner_field = "incident__organisation"
    tenant_site_field = "incident__site"

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.incident_id}: {self.from_status} → {self.to_status}"

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """The incident's rules decide (see ``Incident.role_filter``)."""
        return prefixed(Incident.role_filter(user), "incident__")
