"""Admin of alarm panels, camera rules, patrol routes; events and scans are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from minewatch.alarms.models import (
    AlarmPanel,
    CameraObservationRecord,
    CameraZoneRule,
    Checkpoint,
    CheckpointScan,
    PanelEventRecord,
    PatrolRoute,
    TourRun,
)
from minewatch.core.admin_base import AuditedModelAdmin


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AlarmPanel)
class AlarmPanelAdmin(AuditedModelAdmin):
    list_display = [
        "name",
        "account",
        "site",
        "organisation",
        "last_seen_at",
        "max_silence_s",
        "is_active",
    ]
    list_filter = ["organisation", "is_active"]
    search_fields = ["name", "account"]
    readonly_fields = ["last_seen_at"]


@admin.register(CameraZoneRule)
class CameraZoneRuleAdmin(AuditedModelAdmin):
    list_display = ["camera", "site", "min_score", "window_start", "window_end", "is_active"]
    list_filter = ["organisation", "is_active"]


class CheckpointInline(admin.TabularInline):
    model = Checkpoint
    extra = 0


@admin.register(PatrolRoute)
class PatrolRouteAdmin(AuditedModelAdmin):
    list_display = ["name", "site", "lone_guard_interval_minutes", "is_active", "organisation"]
    inlines = [CheckpointInline]


@admin.register(PanelEventRecord)
class PanelEventRecordAdmin(ReadOnlyAdmin):
    list_display = ["received_at", "panel", "code", "category", "zone", "alert"]
    list_filter = ["category", "organisation"]


@admin.register(CameraObservationRecord)
class CameraObservationRecordAdmin(ReadOnlyAdmin):
    list_display = ["occurred_at", "camera", "label", "zone", "score", "alert", "snapshot"]


@admin.register(TourRun)
class TourRunAdmin(ReadOnlyAdmin):
    list_display = ["route", "guard", "started_at", "ended_at", "is_lone_guard", "last_check_in_at"]


@admin.register(CheckpointScan)
class CheckpointScanAdmin(ReadOnlyAdmin):
    list_display = ["scanned_at", "checkpoint", "guard", "status"]
