"""Admin for the core models. The audit log is read-only here as everywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from minewatch.core.admin_base import AuditedModelAdmin
from minewatch.core.models import AuditEntry, Organisation, User


@admin.register(Organisation)
class OrganisationAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "tax_id", "country"]
    list_filter = ["kind", "country"]
    search_fields = ["name", "tax_id"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "organisation", "role", "is_active"]
    list_filter = ["role", "organisation", "is_active"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (_("MineWatch"), {"fields": ("organisation", "role", "phone", "preferred_language")}),
    )


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor_name", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_repr", "actor_name", "object_id"]
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
