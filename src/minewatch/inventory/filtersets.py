"""Filters of the inventory app, shared by the API and the web lists."""

from __future__ import annotations

import django_filters

from minewatch.core.filtersets import MineWatchFilterSet
from minewatch.inventory.choices import CustodyPoint, FindingKind, Product, SeriesKind
from minewatch.inventory.models import (
    LossFinding,
    Lot,
    MagazineEntry,
    SealCheck,
    Weighbridge,
    Weighing,
)


class WeighbridgeFilterSet(MineWatchFilterSet):
    class Meta:
        model = Weighbridge
        fields = ["site", "is_active", "code"]


class LotFilterSet(MineWatchFilterSet):
    product = django_filters.MultipleChoiceFilter(choices=Product.choices)
    since = django_filters.IsoDateTimeFilter(field_name="dispatched_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="dispatched_at", lookup_expr="lt")
    is_balanced = django_filters.BooleanFilter(field_name="z_score", lookup_expr="isnull",
                                               exclude=True)  # fmt: skip

    class Meta:
        model = Lot
        fields = ["reference", "origin", "destination", "truck", "trip", "contractor", "route"]


class WeighingFilterSet(MineWatchFilterSet):
    custody_point = django_filters.MultipleChoiceFilter(choices=CustodyPoint.choices)

    class Meta:
        model = Weighing
        fields = ["lot", "ticket_number", "weighbridge", "truck"]


class LossFindingFilterSet(MineWatchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=FindingKind.choices)
    series_kind = django_filters.MultipleChoiceFilter(choices=SeriesKind.choices)

    class Meta:
        model = LossFinding
        fields = ["lot", "site", "series_key"]


class SealCheckFilterSet(MineWatchFilterSet):
    class Meta:
        model = SealCheck
        fields = ["lot", "is_ok"]


class MagazineEntryFilterSet(MineWatchFilterSet):
    since = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="occurred_at", lookup_expr="lt")

    class Meta:
        model = MagazineEntry
        fields = ["magazine", "product", "kind", "blast_id"]
