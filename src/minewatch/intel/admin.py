"""Admin for the intel app (writes audited)."""

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.intel.models import (
    ActorLink,
    EarlyWarning,
    EarlyWarningSettings,
    IncidentActor,
    IntelReport,
    IntelSource,
    ThreatActor,
)


@admin.register(IntelSource)
class IntelSourceAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "handler", "is_active"]
    list_filter = ["organisation", "is_active"]
    search_fields = ["name", "contact", "notes"]


@admin.register(IntelReport)
class IntelReportAdmin(AuditedModelAdmin):
    list_display = ["reference", "title", "observed_at", "source_reliability",
                    "information_credibility", "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["source_reliability", "information_credibility", "organisation", "is_synthetic"]
    search_fields = ["reference", "title", "summary"]
    date_hierarchy = "observed_at"
    filter_horizontal = ["actors", "sites", "incidents"]
    readonly_fields = ["reference", "created_at", "updated_at"]


class IncidentActorInline(admin.TabularInline):
    model = IncidentActor
    extra = 0
    raw_id_fields = ["incident"]


@admin.register(ThreatActor)
class ThreatActorAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "organisation", "is_synthetic"]
    list_filter = ["kind", "organisation", "is_synthetic"]
    search_fields = ["name", "modus_operandi"]
    inlines = [IncidentActorInline]


@admin.register(ActorLink)
class ActorLinkAdmin(AuditedModelAdmin):
    list_display = ["from_actor", "relation", "to_actor", "confidence", "organisation"]
    list_filter = ["relation", "organisation"]


@admin.register(EarlyWarning)
class EarlyWarningAdmin(AuditedModelAdmin):
    list_display = ["window_end", "target_kind", "site", "route", "total_weight", "status",
                    "organisation"]  # fmt: skip
    list_filter = ["status", "target_kind", "organisation"]
    readonly_fields = ["fingerprint", "reasons", "raised_at"]


@admin.register(EarlyWarningSettings)
class EarlyWarningSettingsAdmin(AuditedModelAdmin):
    list_display = ["organisation", "window_days", "distance_km", "min_weight", "min_signals",
                    "updated_at"]  # fmt: skip
    readonly_fields = ["updated_at"]
