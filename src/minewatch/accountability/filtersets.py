"""Filters of the accountability app, shared by the API and the web lists."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minewatch.accountability.choices import (
    ForceLevel,
    GrievanceCategory,
    GrievanceChannel,
    GrievanceStatus,
    ReviewFinding,
    UseOfForceStatus,
)
from minewatch.accountability.models import Grievance, UseOfForceReport
from minewatch.core.filtersets import IdFilter, MineWatchFilterSet


class GrievanceFilterSet(MineWatchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=GrievanceStatus.choices,
                                                 label=_("Status"))  # fmt: skip
    category = django_filters.MultipleChoiceFilter(choices=GrievanceCategory.choices,
                                                   label=_("Category"))  # fmt: skip
    channel = django_filters.ChoiceFilter(choices=GrievanceChannel.choices,
                                          label=_("Received through"))  # fmt: skip
    contractor = IdFilter(field_name="contractor_id")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Deadline missed"))
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = Grievance
        fields: list[str] = []

    def filter_overdue(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        today = timezone.localdate()
        late = Q(status=GrievanceStatus.RECEIVED, acknowledge_due_on__lt=today) | Q(
            status__in=[GrievanceStatus.ACKNOWLEDGED, GrievanceStatus.UNDER_REVIEW,
                        GrievanceStatus.APPEALED], response_due_on__lt=today,
        )  # fmt: skip
        return queryset.filter(late) if value else queryset.exclude(late)

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if not value:
            return queryset
        return queryset.filter(Q(reference__icontains=value) | Q(description__icontains=value)
                               | Q(place_name__icontains=value))  # fmt: skip


class UseOfForceReportFilterSet(MineWatchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=UseOfForceStatus.choices,
                                                 label=_("Status"))  # fmt: skip
    force_level = django_filters.MultipleChoiceFilter(choices=ForceLevel.choices,
                                                      label=_("Force level"))  # fmt: skip
    finding = django_filters.ChoiceFilter(choices=ReviewFinding.choices, label=_("Finding"))
    contractor = IdFilter(field_name="contractor_id")
    incident = IdFilter(field_name="incident_id")
    is_late = django_filters.BooleanFilter(label=_("Filed late"))
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")

    class Meta:
        model = UseOfForceReport
        fields: list[str] = []
