"""Admin for incidents. Status changes are read-only history."""

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.incidents.models import Incident, IncidentStatusChange


class IncidentStatusChangeInline(admin.TabularInline):
    model = IncidentStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["from_status", "to_status", "actor", "note", "at"]

    def has_add_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


@admin.register(Incident)
class IncidentAdmin(AuditedModelAdmin):
    list_display = ["reference", "occurred_at", "threat", "incident_type", "severity", "status",
                    "site", "region", "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["threat", "status", "severity", "region", "organisation", "is_synthetic"]
    search_fields = ["reference", "title", "narrative", "complaint_number"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["reference", "status", "region", "created_at", "updated_at"]
    inlines = [IncidentStatusChangeInline]
