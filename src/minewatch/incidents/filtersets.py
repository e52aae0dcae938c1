"""Incident filters, shared by the API and the web list."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.geo.filtersets import BBoxFilter, RegionFilter
from minewatch.incidents.choices import (
    INCIDENT_TYPE_CHOICES,
    THREAT_CHOICES,
    Confidentiality,
    IncidentStatus,
)
from minewatch.incidents.models import Incident


class IncidentFilterSet(MineWatchFilterSet):
    threat = django_filters.MultipleChoiceFilter(choices=THREAT_CHOICES)
    type = django_filters.MultipleChoiceFilter(
        field_name="incident_type", choices=INCIDENT_TYPE_CHOICES
    )
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices)
    region = RegionFilter(field_name="region")
    site = IdFilter(field_name="site_id")
    severity_min = django_filters.NumberFilter(field_name="severity", lookup_expr="gte")
    occurred_after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    occurred_before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    date_from = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="occurred_at", lookup_expr="date__lte")
    bbox = BBoxFilter()
    confidentiality = django_filters.ChoiceFilter(choices=Confidentiality.choices)
    synthetic = django_filters.BooleanFilter(field_name="is_synthetic")
    q = django_filters.CharFilter(method="search", label="search")

    class Meta:
        model = Incident
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """Free text over reference, title, narrative, modus operandi, place and complaint number."""
        if not value:
            return queryset
        condition = Q()
        for field in ("reference", "title", "narrative", "modus_operandi", "location_description",
                      "complaint_number"):  # fmt: skip
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)
