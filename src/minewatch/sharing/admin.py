"""Admin for the sharing app (writes audited)."""

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.sharing.models import (
    AcledEvent,
    ExternalIntel,
    GroupMembership,
    SharingAgreement,
    SharingGroup,
    SharingSettings,
)


@admin.register(SharingSettings)
class SharingSettingsAdmin(AuditedModelAdmin):
    list_display = ["organisation", "default_tlp", "research_k", "research_generalisation"]


@admin.register(SharingGroup)
class SharingGroupAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "created_at"]
    search_fields = ["name"]


@admin.register(GroupMembership)
class GroupMembershipAdmin(AuditedModelAdmin):
    list_display = [
        "group",
        "organisation",
        "tlp_ceiling",
        "precision",
        "reveal_identity",
        "is_active",
    ]
    list_filter = ["group", "is_active"]


@admin.register(SharingAgreement)
class SharingAgreementAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "partner", "group", "tlp_ceiling", "is_active"]
    list_filter = ["organisation", "is_active"]


@admin.register(ExternalIntel)
class ExternalIntelAdmin(AuditedModelAdmin):
    list_display = ["name", "stix_type", "partner", "organisation", "tlp", "modified"]
    list_filter = ["stix_type", "organisation"]
    search_fields = ["name", "stix_id"]


@admin.register(AcledEvent)
class AcledEventAdmin(AuditedModelAdmin):
    list_display = ["event_id_cnty", "event_date", "event_type", "admin1", "organisation"]
    list_filter = ["event_type", "organisation"]
    date_hierarchy = "event_date"
