"""Admin for the accountability app (writes audited; nothing can be deleted)."""

from typing import Any

from django.contrib import admin

from minewatch.accountability.models import (
    Contractor,
    Grievance,
    GrievanceStep,
    InKindSupport,
    PublicSecurityAgreement,
    UseOfForceAmendment,
    UseOfForceReport,
)
from minewatch.core.admin_base import AuditedModelAdmin


class UndeletableAdmin(AuditedModelAdmin):
    """Accountability records are kept: the admin offers no delete."""

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class GrievanceStepInline(admin.TabularInline):
    model = GrievanceStep
    extra = 0
    can_delete = False
    readonly_fields = ["status", "note", "actor", "at"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Grievance)
class GrievanceAdmin(UndeletableAdmin):
    list_display = ["reference", "category", "channel", "status", "received_at",
                    "acknowledge_due_on", "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["status", "category", "channel", "organisation", "is_synthetic"]
    search_fields = ["reference", "description", "place_name"]
    date_hierarchy = "received_at"
    readonly_fields = ["reference", "tracking_code", "photo_sha256", "overdue_alerted",
                       "created_at", "updated_at"]  # fmt: skip
    inlines = [GrievanceStepInline]


class AmendmentInline(admin.TabularInline):
    model = UseOfForceAmendment
    extra = 0
    can_delete = False
    readonly_fields = ["field", "old_value", "new_value", "reason", "amended_by", "amended_at"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(UseOfForceReport)
class UseOfForceReportAdmin(UndeletableAdmin):
    list_display = ["reference", "occurred_at", "force_level", "status", "finding", "is_late",
                    "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["force_level", "status", "finding", "is_late", "organisation", "is_synthetic"]
    search_fields = ["reference", "place", "personnel", "subjects"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["reference", "filed_at", "filing_due_at", "is_late", "created_at",
                       "updated_at"]  # fmt: skip
    inlines = [AmendmentInline]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        """A reviewed report changes only through an amendment (API or web), never here."""
        if obj is not None and obj.status == "reviewed":
            return [field.name for field in obj._meta.concrete_fields]
        return self.readonly_fields


@admin.register(Contractor)
class ContractorAdmin(UndeletableAdmin):
    list_display = ["company", "ruc", "sucamec_authorisation", "sucamec_expires_on",
                    "icoca_status", "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["icoca_status", "organisation", "is_synthetic"]
    search_fields = ["company__name", "ruc", "sucamec_authorisation"]
    readonly_fields = ["expiry_alerted_for", "created_at", "updated_at"]


class InKindSupportInline(admin.TabularInline):
    model = InKindSupport
    extra = 0
    can_delete = False
    readonly_fields = ["recorded_by", "created_at"]


@admin.register(PublicSecurityAgreement)
class PublicSecurityAgreementAdmin(UndeletableAdmin):
    list_display = ["reference", "force", "counterpart", "starts_on", "ends_on", "organisation",
                    "is_synthetic"]  # fmt: skip
    list_filter = ["force", "organisation", "is_synthetic"]
    search_fields = ["reference", "counterpart", "scope"]
    filter_horizontal = ["sites", "incidents"]
    inlines = [InKindSupportInline]
