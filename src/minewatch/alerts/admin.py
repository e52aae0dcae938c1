"""Admin of alerting: rules, ladders, contacts and channels are edited here; alerts are read."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from minewatch.alerts.models import (
    Alert,
    AlertRule,
    AlertStatusChange,
    ChecklistItem,
    Contact,
    DeliveryAttempt,
    EscalationFiring,
    EscalationPolicy,
    EscalationStep,
    NotificationChannel,
    ProtocolChecklist,
    ProtocolStep,
    ResponseProtocol,
)
from minewatch.core.admin_base import AuditedModelAdmin


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StatusChangeInline(ReadOnlyInline):
    model = AlertStatusChange
    fields = ["from_status", "to_status", "actor", "note", "at"]


class FiringInline(ReadOnlyInline):
    model = EscalationFiring
    fields = ["step_index", "step_name", "fired_at", "actor"]


class DeliveryInline(ReadOnlyInline):
    model = DeliveryAttempt
    fields = ["channel_kind", "recipient_label", "target", "attempt_number", "status",
              "status_code", "error", "created_at", "finished_at"]  # fmt: skip


@admin.register(Alert)
class AlertAdmin(AuditedModelAdmin):
    """Alerts change through the console and the API (services); the admin only reads them."""

    list_display = ["reference", "raised_at", "kind", "severity", "status", "site", "occurrences",
                    "organisation", "is_synthetic"]  # fmt: skip
    list_filter = ["status", "source", "severity", "organisation", "is_synthetic"]
    search_fields = ["reference", "title", "subject_key"]
    date_hierarchy = "raised_at"
    inlines = [StatusChangeInline, FiringInline, DeliveryInline]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AlertRule)
class AlertRuleAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "is_enabled", "min_severity", "dedup_minutes",
                    "throttle_max_alerts", "suppressed_count"]  # fmt: skip
    list_filter = ["is_enabled", "organisation"]
    filter_horizontal = ["sites", "zones"]
    readonly_fields = ["suppressed_count"]


class EscalationStepInline(admin.TabularInline):
    model = EscalationStep
    extra = 0
    fields = ["order", "name", "recipient_roles", "notify_site_police", "channels", "wait_s",
              "users", "contacts"]  # fmt: skip


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(AuditedModelAdmin):
    list_display = ["name", "organisation", "min_severity", "is_active"]
    list_filter = ["organisation", "is_active"]
    inlines = [EscalationStepInline]


@admin.register(Contact)
class ContactAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "site", "region", "area", "email", "phone", "organisation"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name", "area", "email", "phone"]


@admin.register(NotificationChannel)
class NotificationChannelAdmin(AuditedModelAdmin):
    list_display = ["name", "kind", "organisation", "is_active", "max_attempts", "timeout_s"]
    list_filter = ["kind", "organisation"]


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    """The record of who was told what and when: read-only."""

    list_display = ["created_at", "alert", "channel_kind", "recipient_label", "attempt_number",
                    "status", "status_code", "error"]  # fmt: skip
    list_filter = ["status", "channel_kind", "is_police", "organisation"]
    search_fields = ["recipient_label", "target", "alert__reference"]

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class ProtocolStepInline(admin.TabularInline):
    model = ProtocolStep
    extra = 0


@admin.register(ResponseProtocol)
class ResponseProtocolAdmin(AuditedModelAdmin):
    list_display = ["code", "title_es", "organisation", "is_active"]
    list_filter = ["organisation", "is_active"]
    inlines = [ProtocolStepInline]


class ChecklistItemInline(ReadOnlyInline):
    model = ChecklistItem
    fields = ["order", "code", "text_es", "due_at", "ticked_at", "ticked_by", "note"]


@admin.register(ProtocolChecklist)
class ProtocolChecklistAdmin(admin.ModelAdmin):
    list_display = ["protocol", "alert", "incident", "started_at", "completed_at", "organisation"]
    inlines = [ChecklistItemInline]

    def has_add_permission(self, request: Any) -> bool:
        return False
