"""Admin for evidence: read-only. Files and custody change only through the services."""

from typing import Any

from django.contrib import admin

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.evidence.models import CustodyEntry, EvidenceItem


class CustodyEntryInline(admin.TabularInline):
    model = CustodyEntry
    extra = 0
    can_delete = False
    fields = ["sequence", "occurred_at", "action", "actor_name", "reason",
              "recipient_organisation", "recipient_document_number", "entry_hash"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(EvidenceItem)
class EvidenceItemAdmin(AuditedModelAdmin):
    list_display = ["pk", "incident", "kind", "sha256", "size_bytes", "collected_at",
                    "custody_status", "legal_hold", "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["kind", "custody_status", "legal_hold", "organisation", "is_synthetic"]
    search_fields = ["sha256", "original_name", "description", "incident__reference"]
    inlines = [CustodyEntryInline]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
