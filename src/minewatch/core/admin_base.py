"""ModelAdmin base that audits every save and delete made through the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction

from minewatch.core import audit
from minewatch.core.choices import AuditAction


class AuditedModelAdmin(admin.ModelAdmin):
    """Admin writes land in the audit log like service writes (note: 'via admin')."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        with transaction.atomic():
            before = None
            if change and obj.pk:
                previous = type(obj).objects.filter(pk=obj.pk).first()
                before = audit.snapshot(previous) if previous else None
            super().save_model(request, obj, form, change)
            audit.record(
                actor=request.user,
                action=AuditAction.UPDATE if change else AuditAction.CREATE,
                instance=obj,
                before=before,
                after=audit.snapshot(obj),
                note="via admin",
            )

    def delete_model(self, request: Any, obj: Any) -> None:
        with transaction.atomic():
            audit.record(
                actor=request.user,
                action=AuditAction.DELETE,
                instance=obj,
                before=audit.snapshot(obj),
                note="via admin",
            )
            super().delete_model(request, obj)
