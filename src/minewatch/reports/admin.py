"""Admin of the report schedule's record: read-only (what went to whom, and errors)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from minewatch.reports.models import ReportDispatch


@admin.register(ReportDispatch)
class ReportDispatchAdmin(admin.ModelAdmin):
    list_display = ("period", "kind", "organisation", "status", "attempts", "sent_at")
    list_filter = ("status", "kind")
    search_fields = ("organisation__name", "period")

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False
