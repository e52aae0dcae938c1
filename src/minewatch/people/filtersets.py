"""Filters of the people app, shared by the API and the web lists."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from minewatch.core.filtersets import MineWatchFilterSet
from minewatch.people.choices import AnomalyKind, Direction, PersonRole, PersonStatus
from minewatch.people.models import AccessAnomaly, AccessEvent, Person


class PersonFilterSet(MineWatchFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Name"))
    role = django_filters.MultipleChoiceFilter(choices=PersonRole.choices)
    status = django_filters.MultipleChoiceFilter(choices=PersonStatus.choices)

    class Meta:
        model = Person
        fields = ["employer", "role", "status", "is_synthetic"]

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        # Names only: searching by document number would tell anyone whether it is on file.
        return queryset.filter(name__icontains=value) if value else queryset


class AccessEventFilterSet(MineWatchFilterSet):
    after = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    before = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")
    direction = django_filters.ChoiceFilter(choices=Direction.choices)

    class Meta:
        model = AccessEvent
        fields = ["access_point", "person", "direction", "result"]


class AccessAnomalyFilterSet(MineWatchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AnomalyKind.choices)

    class Meta:
        model = AccessAnomaly
        fields = ["access_point", "person", "kind"]
