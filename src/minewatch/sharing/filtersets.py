"""Filters of the sharing app, shared by the API and the web lists."""

from __future__ import annotations

import django_filters

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.sharing.choices import SharedKind
from minewatch.sharing.models import AcledEvent, ExternalIntel, SharedRecord


class SharedRecordFilterSet(MineWatchFilterSet):
    group = IdFilter(field_name="group_id")
    kind = django_filters.ChoiceFilter(choices=SharedKind.choices)
    threat = django_filters.MultipleChoiceFilter(choices=THREAT_CHOICES)

    class Meta:
        model = SharedRecord
        fields = ["group", "kind", "threat"]


class ExternalIntelFilterSet(MineWatchFilterSet):
    stix_type = django_filters.CharFilter()
    partner = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = ExternalIntel
        fields = ["stix_type", "partner"]


class AcledEventFilterSet(MineWatchFilterSet):
    event_type = django_filters.CharFilter()
    threat = django_filters.MultipleChoiceFilter(choices=THREAT_CHOICES)
    date_from = django_filters.DateFilter(field_name="event_date", lookup_expr="gte")
    date_to = django_filters.DateFilter(field_name="event_date", lookup_expr="lte")

    class Meta:
        model = AcledEvent
        fields = ["event_type", "threat", "date_from", "date_to"]
