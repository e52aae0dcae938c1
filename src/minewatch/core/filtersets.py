"""Filters of the core app, shared by the API and the web views."""

from __future__ import annotations

import django_filters

from minewatch.core.models import AuditEntry


class AuditEntryFilterSet(django_filters.FilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEntry
        fields = ["action", "object_type", "object_id", "actor"]
