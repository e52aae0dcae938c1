"""Filters of the intel app, shared by the API and the web lists."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.geo.filtersets import BBoxFilter
from minewatch.intel.choices import (
    INFORMATION_CREDIBILITY_CHOICES,
    SOURCE_RELIABILITY_CHOICES,
    ActorKind,
    ActorRelation,
    WarningStatus,
    WarningTargetKind,
)
from minewatch.intel.models import ActorLink, EarlyWarning, IntelReport, IntelSource, ThreatActor


def _search(queryset: QuerySet, fields: tuple[str, ...], value: Any) -> QuerySet:
    if not value:
        return queryset
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": value})
    return queryset.filter(condition)


class IntelReportFilterSet(MineWatchFilterSet):
    reliability = django_filters.MultipleChoiceFilter(
        field_name="source_reliability", choices=SOURCE_RELIABILITY_CHOICES
    )
    credibility = django_filters.MultipleChoiceFilter(
        field_name="information_credibility", choices=INFORMATION_CREDIBILITY_CHOICES
    )
    actor = IdFilter(field_name="actors")
    site = IdFilter(field_name="sites")
    observed_after = django_filters.IsoDateTimeFilter(field_name="observed_at", lookup_expr="gte")
    observed_before = django_filters.IsoDateTimeFilter(field_name="observed_at", lookup_expr="lt")
    current = django_filters.BooleanFilter(method="filter_current", label=_("Not expired"))
    bbox = BBoxFilter()
    synthetic = django_filters.BooleanFilter(field_name="is_synthetic")
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = IntelReport
        fields: list[str] = []

    def filter_current(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        if value is None:
            return queryset
        expired = Q(valid_until__lt=timezone.now())
        return queryset.exclude(expired) if value else queryset.filter(expired)

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return _search(queryset, ("reference", "title", "summary", "details"), value)


class ThreatActorFilterSet(MineWatchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=ActorKind.choices)
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = ThreatActor
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        """Name, aliases (stored as JSON text), modus operandi."""
        return _search(queryset, ("name", "aliases", "modus_operandi", "description"), value)


class ActorLinkFilterSet(MineWatchFilterSet):
    relation = django_filters.MultipleChoiceFilter(choices=ActorRelation.choices)
    actor = IdFilter(method="filter_actor")

    class Meta:
        model = ActorLink
        fields: list[str] = []

    def filter_actor(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return queryset.filter(Q(from_actor_id=value) | Q(to_actor_id=value))


class IntelSourceFilterSet(MineWatchFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))

    class Meta:
        model = IntelSource
        fields = ["is_active"]

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        return _search(queryset, ("name", "contact", "notes"), value)


class EarlyWarningFilterSet(MineWatchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=WarningStatus.choices)
    target_kind = django_filters.ChoiceFilter(choices=WarningTargetKind.choices)
    site = IdFilter(field_name="site_id")
    route = IdFilter(field_name="route_id")
    after = django_filters.IsoDateTimeFilter(field_name="window_end", lookup_expr="gte")

    class Meta:
        model = EarlyWarning
        fields: list[str] = []
