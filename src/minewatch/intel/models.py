"""Intelligence (SPEC capability 6): graded reports, protected sources, threat actors, early warnings."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.models import LAT_VALIDATORS, LON_VALIDATORS, BoundedModel, Route, Site
from minewatch.incidents.models import Incident
from minewatch.intel.choices import (
    INFORMATION_CREDIBILITY_CHOICES,
    SOURCE_RELIABILITY_CHOICES,
    ActorKind,
    ActorRelation,
    IncidentRole,
    WarningStatus,
    WarningTargetKind,
)
from minewatch.intel.engine.grading import (
    DEFAULT_CREDIBILITY_WEIGHTS,
    DEFAULT_RELIABILITY_WEIGHTS,
    grade_weight,
)
from minewatch.intel.engine.warnings import (
    DEFAULT_DISTANCE_KM,
    DEFAULT_MIN_SIGNALS,
    DEFAULT_MIN_WEIGHT,
    DEFAULT_WINDOW_DAYS,
)

CONFIDENCE = [MinValueValidator(0.0), MaxValueValidator(1.0)]


class IntelSource(TenantModel):
    """Who told us: kept apart from reports and visible only to roles with ``see_sources``."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="intel_sources"
    )
    name = models.CharField(_("name or code name"), max_length=200)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="handled_sources", verbose_name=_("handler"),
    )  # fmt: skip
    contact = models.CharField(_("contact"), max_length=300, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("intelligence source")
        verbose_name_plural = _("intelligence sources")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="intel_source_unique")
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def role_filter(cls, user: object) -> Q:
        """Only analysts and managers (capability ``see_sources``) see sources at all."""
        return Q() if has_capability(user, "see_sources") else Q(pk__in=[])


class ThreatActor(BoundedModel):
    """A criminal organisation, illegal-mining group, terrorist remnant, unknown group or person.

    ``geometry`` is the area of operation (GeoJSON polygon), with its bounding box.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="threat_actors"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ActorKind.choices)
    aliases = models.JSONField(_("aliases"), default=list, blank=True)
    modus_operandi = models.TextField(_("modus operandi"), blank=True)
    description = models.TextField(_("description"), blank=True)
    incidents = models.ManyToManyField(
        Incident, through="IncidentActor", related_name="+", blank=True
    )
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("threat actor")
        verbose_name_plural = _("threat actors")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="threat_actor_unique")
        ]

    def __str__(self) -> str:
        return self.name


class IncidentActor(models.Model):
    """A real actor linked to an incident (the incident keeps its free-text ``linked_actors``)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(ThreatActor, on_delete=models.CASCADE, related_name="incident_links")
    role = models.CharField(
        _("role"), max_length=16, choices=IncidentRole.choices, default=IncidentRole.SUSPECTED
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    objects = TenantQuerySet.as_manager()
    tenant_owner_field = "actor__organisation"
    tenant_site_field = None

    class Meta:
        verbose_name = _("incident actor")
        verbose_name_plural = _("incident actors")
        constraints = [
            models.UniqueConstraint(fields=["incident", "actor"], name="incident_actor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} ↔ {self.incident_id}"


class IntelReport(BoundedModel):
    """What was learnt, where (point or area), when, about whom, graded with the Admiralty code."""

    # The audit log leaves out which source it came from for roles without ``see_sources``.
    audit_protected_fields = {"source": "see_sources"}

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="intel_reports"
    )
    reference = models.CharField(_("reference"), max_length=32, unique=True)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary"))
    details = models.TextField(_("details"), blank=True)
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    observed_at = models.DateTimeField(_("observed at"), db_index=True)
    reported_at = models.DateTimeField(_("reported at"))
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    source_reliability = models.CharField(
        _("source reliability"), max_length=1, choices=SOURCE_RELIABILITY_CHOICES
    )
    information_credibility = models.CharField(
        _("information credibility"), max_length=1, choices=INFORMATION_CREDIBILITY_CHOICES
    )
    source = models.ForeignKey(
        IntelSource, on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    actors = models.ManyToManyField(ThreatActor, related_name="reports", blank=True)
    sites = models.ManyToManyField(Site, related_name="intel_reports", blank=True)
    incidents = models.ManyToManyField(Incident, related_name="+", blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    is_synthetic = models.BooleanField(_("synthetic (demo data)"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-observed_at", "-id"]
        verbose_name = _("intelligence report")
        verbose_name_plural = _("intelligence reports")
        indexes = [models.Index(fields=["organisation", "observed_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def grade(self) -> str:
        return f"{self.source_reliability}{self.information_credibility}"

    @property
    def weight(self) -> float:
        return grade_weight(self.source_reliability, self.information_credibility)


class ActorLink(TenantModel):
    """An analyst's link between two actors, with its evidence, source and confidence (0..1)."""

    audit_protected_fields = {"source": "see_sources"}

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="actor_links"
    )
    from_actor = models.ForeignKey(ThreatActor, on_delete=models.CASCADE, related_name="links_out")
    to_actor = models.ForeignKey(ThreatActor, on_delete=models.CASCADE, related_name="links_in")
    relation = models.CharField(_("relation"), max_length=24, choices=ActorRelation.choices)
    evidence = models.TextField(_("evidence"), blank=True)
    source = models.ForeignKey(
        IntelSource, on_delete=models.PROTECT, null=True, blank=True, related_name="actor_links"
    )
    report = models.ForeignKey(
        IntelReport, on_delete=models.SET_NULL, null=True, blank=True, related_name="actor_links"
    )
    confidence = models.FloatField(_("confidence (0–1)"), default=0.5, validators=CONFIDENCE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["from_actor", "to_actor"]
        verbose_name = _("actor link")
        verbose_name_plural = _("actor links")
        constraints = [
            models.UniqueConstraint(
                fields=["from_actor", "to_actor", "relation"], name="actor_link_unique"
            ),
            models.CheckConstraint(
                condition=~Q(from_actor=models.F("to_actor")), name="actor_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_actor} —{self.relation}→ {self.to_actor}"


class EarlyWarning(TenantModel):
    """Reports and incidents clustering near a site or route; ``reasons`` says which and how much."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="early_warnings"
    )
    target_kind = models.CharField(_("target"), max_length=8, choices=WarningTargetKind.choices)
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="early_warnings"
    )
    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, null=True, blank=True, related_name="early_warnings"
    )
    fingerprint = models.CharField(max_length=64)
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"), db_index=True)
    total_weight = models.FloatField(_("total weight"))
    min_weight = models.FloatField(_("threshold"))
    window_days = models.FloatField(_("window (days)"))
    distance_km = models.FloatField(_("distance (km)"))
    reasons = models.JSONField(_("reasons"), default=list)
    reports = models.ManyToManyField(IntelReport, related_name="early_warnings", blank=True)
    incidents = models.ManyToManyField(Incident, related_name="+", blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=WarningStatus.choices, default=WarningStatus.OPEN
    )
    raised_at = models.DateTimeField(_("raised at"), auto_now_add=True)

    # A contractor assigned to the site sees the warnings about it.
    tenant_site_field = "site"

    class Meta:
        ordering = ["-window_end", "-id"]
        verbose_name = _("early warning")
        verbose_name_plural = _("early warnings")
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "fingerprint"], name="early_warning_unique"
            )
        ]

    def __str__(self) -> str:
        target = self.site or self.route
        return f"{target}: {self.total_weight:.2f} ({self.window_end:%Y-%m-%d})"


def _default_reliability_weights() -> dict[str, float]:
    return dict(DEFAULT_RELIABILITY_WEIGHTS)


def _default_credibility_weights() -> dict[str, float]:
    return dict(DEFAULT_CREDIBILITY_WEIGHTS)


class EarlyWarningSettings(TenantModel):
    """An organisation's early-warning tunables: window, distance, threshold and grade weights.

    One row per organisation (created with it); the automatic scan and ``minewatch intel
    warnings`` read it. Defaults are those documented in ``intel.engine``.
    """

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="early_warning_settings"
    )
    window_days = models.FloatField(_("window (days)"), default=DEFAULT_WINDOW_DAYS)
    distance_km = models.FloatField(_("distance (km)"), default=DEFAULT_DISTANCE_KM)
    min_weight = models.FloatField(_("threshold"), default=DEFAULT_MIN_WEIGHT)
    min_signals = models.PositiveSmallIntegerField(_("fewest signals"), default=DEFAULT_MIN_SIGNALS)
    reliability_weights = models.JSONField(
        _("weight per source reliability (A–F)"), default=_default_reliability_weights
    )
    credibility_weights = models.JSONField(
        _("weight per information credibility (1–6)"), default=_default_credibility_weights
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["organisation"]
        verbose_name = _("early-warning settings")
        verbose_name_plural = _("early-warning settings")

    def __str__(self) -> str:
        return f"{self.organisation}: {self.window_days:g} d, {self.distance_km:g} km"

    def clean(self) -> None:
        """The service's checks (admin forms run them too): a ValidationError naming the field."""
        from django.core.exceptions import ValidationError

        from minewatch.core.errors import InvalidInput
        from minewatch.intel.early_warnings import SETTINGS_FIELDS, clean_settings

        values = {name: getattr(self, name) for name in SETTINGS_FIELDS}
        try:
            clean_settings(values, {})
        except InvalidInput as exc:
            raise ValidationError({exc.field: exc.message}) from None
