"""Admin for the geo models."""

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.geo.models import Region, Route, Site, SiteAssignment, Zone


@admin.register(Region)
class RegionAdmin(AuditedModelAdmin):
    list_display = ["name", "code", "ubigeo"]
    search_fields = ["name", "code", "ubigeo"]
    exclude = ["geometry"]


@admin.register(Site)
class SiteAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "organisation", "region", "lat", "lon", "is_active"]
    list_filter = ["kind", "organisation", "region"]
    search_fields = ["name"]


@admin.register(Zone)
class ZoneAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "shape", "site", "route", "organisation"]
    list_filter = ["kind", "shape", "organisation"]
    search_fields = ["name"]


@admin.register(Route)
class RouteAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "origin", "destination", "buffer_m", "length_m"]
    search_fields = ["name"]


@admin.register(SiteAssignment)
class SiteAssignmentAdmin(AuditedModelAdmin):
    list_display = ["contractor", "site", "service", "is_active", "starts_on", "ends_on"]
    list_filter = ["contractor", "is_active"]
