"""Regions of Peru, sites, zones, transport routes and contractor site assignments."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from minewatch.core.models import Organisation
from minewatch.core.tenancy import TenantModel, TenantQuerySet
from minewatch.geo.choices import SiteKind, ZoneKind, ZoneShape

LAT_VALIDATORS = [MinValueValidator(-90.0), MaxValueValidator(90.0)]
LON_VALIDATORS = [MinValueValidator(-180.0), MaxValueValidator(180.0)]


class Region(models.Model):
    """A first-level division of Peru (departamento), from the bundled boundaries.

    Public reference data: every organisation sees every region.
    """

    code = models.CharField(_("ISO 3166-2 code"), max_length=8, unique=True)
    ubigeo = models.CharField(_("UBIGEO code"), max_length=6)
    name = models.CharField(_("name"), max_length=100)
    geometry = models.JSONField(_("boundary (GeoJSON)"))
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class BoundedModel(TenantModel):
    """A tenant record with a GeoJSON geometry and its bounding box (for fast bbox filters)."""

    geometry = models.JSONField(_("geometry (GeoJSON)"), null=True, blank=True)
    min_lon = models.FloatField(null=True, blank=True)
    min_lat = models.FloatField(null=True, blank=True)
    max_lon = models.FloatField(null=True, blank=True)
    max_lat = models.FloatField(null=True, blank=True)

    class Meta:
        abstract = True


class Site(BoundedModel):
    """A mine, concession, plant, camp, port, warehouse, explosives magazine or access point."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="sites", verbose_name=_("owner")
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=SiteKind.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    lat = models.FloatField(_("latitude"), validators=LAT_VALIDATORS)
    lon = models.FloatField(_("longitude"), validators=LON_VALIDATORS)
    country = models.CharField(_("country"), max_length=2, default="PE")
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, null=True, blank=True, related_name="sites"
    )
    altitude_m = models.FloatField(_("altitude (m)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    tenant_site_field = "self"

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "name"], name="site_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Route(BoundedModel):
    """A transport corridor: a line, a buffer in metres, authorised stops (zones) and a speed limit."""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="routes")
    name = models.CharField(_("name"), max_length=200)
    origin = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="routes_out"
    )
    destination = models.ForeignKey(
        Site, on_delete=models.PROTECT, null=True, blank=True, related_name="routes_in"
    )
    buffer_m = models.FloatField(
        _("corridor half-width (m)"), default=500.0, validators=[MinValueValidator(1.0)]
    )
    speed_limit_kmh = models.FloatField(_("speed limit (km/h)"), null=True, blank=True)
    length_m = models.FloatField(_("length (m)"), default=0.0)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=300, blank=True)

    # A route is visible to a contractor assigned to its origin site.
    tenant_site_field = "origin"

    class Meta:
        ordering = ["name"]
        verbose_name = _("route")
        verbose_name_plural = _("routes")

    def __str__(self) -> str:
        return self.name


class Zone(BoundedModel):
    """An area with a meaning for security: perimeter, authorised stop, hotspot, community…"""

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="zones")
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, null=True, blank=True, related_name="zones"
    )
    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, null=True, blank=True, related_name="zones"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=32, choices=ZoneKind.choices)
    shape = models.CharField(_("shape"), max_length=10, choices=ZoneShape.choices)
    center_lat = models.FloatField(null=True, blank=True, validators=LAT_VALIDATORS)
    center_lon = models.FloatField(null=True, blank=True, validators=LON_VALIDATORS)
    radius_m = models.FloatField(_("radius (m)"), null=True, blank=True)
    speed_limit_kmh = models.FloatField(_("speed limit (km/h)"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)

    tenant_site_field = "site"

    class Meta:
        ordering = ["name"]
        verbose_name = _("zone")
        verbose_name_plural = _("zones")

    def __str__(self) -> str:
        return self.name


class SiteAssignment(models.Model):
    """A security contractor assigned to protect a site: it then sees that site's records."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="assignments")
    contractor = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="site_assignments"
    )
    service = models.CharField(_("service"), max_length=200, blank=True)
    # The SUCAMEC modality (D.Leg. 1213) the contractor provides here; checked against its
    # authorisation by accountability.services.contractors.assign_contractor_to_site.
    modality = models.CharField(_("SUCAMEC modality"), max_length=48, blank=True)
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TenantQuerySet.as_manager()
    # The owner (the site's company) and the contractor both see the assignment.
    tenant_owner_field = ("site__organisation", "contractor")
    tenant_site_field = None

    class Meta:
        ordering = ["site", "contractor"]
        verbose_name = _("site assignment")
        verbose_name_plural = _("site assignments")
        constraints = [
            models.UniqueConstraint(fields=["site", "contractor"], name="assignment_unique")
        ]

    def __str__(self) -> str:
        return f"{self.contractor} → {self.site}"
