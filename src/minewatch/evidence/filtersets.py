"""Evidence filters, shared by the API and the web pages."""

from __future__ import annotations

import django_filters

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.evidence.choices import CustodyStatus, EvidenceKind
from minewatch.evidence.models import EvidenceItem


class EvidenceItemFilterSet(MineWatchFilterSet):
    incident = IdFilter(field_name="incident_id")
    kind = django_filters.MultipleChoiceFilter(choices=EvidenceKind.choices)
    sha256 = django_filters.CharFilter(field_name="sha256", lookup_expr="iexact")
    custody_status = django_filters.ChoiceFilter(choices=CustodyStatus.choices)
    legal_hold = django_filters.BooleanFilter()
    collected_after = django_filters.IsoDateTimeFilter(field_name="collected_at", lookup_expr="gte")
    collected_before = django_filters.IsoDateTimeFilter(field_name="collected_at", lookup_expr="lt")
    synthetic = django_filters.BooleanFilter(field_name="is_synthetic")

    class Meta:
        model = EvidenceItem
        fields: list[str] = []
