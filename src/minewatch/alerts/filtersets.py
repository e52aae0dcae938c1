"""Filters of the alerts app, shared by the API and (later) the console."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from minewatch.alerts.choices import (
    NOT_RESOLVED,
    AlertSource,
    AlertStatus,
    ChannelKind,
    DeliveryStatus,
)
from minewatch.alerts.models import Alert, DeliveryAttempt
from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.geo.filtersets import BBoxFilter


class AlertFilterSet(MineWatchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=AlertStatus.choices)
    source = django_filters.MultipleChoiceFilter(choices=AlertSource.choices)
    kind = django_filters.CharFilter()
    site = IdFilter(field_name="site_id")
    severity_min = django_filters.NumberFilter(field_name="severity", lookup_expr="gte")
    raised_after = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="gte")
    raised_before = django_filters.IsoDateTimeFilter(field_name="raised_at", lookup_expr="lt")
    is_open = django_filters.BooleanFilter(method="filter_open", label="not resolved")
    incident = IdFilter(field_name="incident_id")
    bbox = BBoxFilter()
    q = django_filters.CharFilter(method="search", label="search")

    class Meta:
        model = Alert
        fields: list[str] = []

    def filter_open(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        condition = Q(status__in=NOT_RESOLVED)
        return queryset.filter(condition) if value else queryset.exclude(condition)

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if not value:
            return queryset
        condition = Q()
        for field in ("reference", "title", "description", "subject_key", "place"):
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class DeliveryAttemptFilterSet(MineWatchFilterSet):
    alert = IdFilter(field_name="alert_id")
    status = django_filters.MultipleChoiceFilter(choices=DeliveryStatus.choices)
    channel = django_filters.MultipleChoiceFilter(
        field_name="channel_kind", choices=ChannelKind.choices
    )
    is_police = django_filters.BooleanFilter()
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = DeliveryAttempt
        fields: list[str] = []
