"""Filters of the risk app, shared by the API and the web pages."""

from __future__ import annotations

import django_filters

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.incidents.choices import THREAT_CHOICES
from minewatch.risk.choices import CONTROL_CHOICES
from minewatch.risk.models import ControlEffectiveness, DeployedControl, RiskRegisterEntry


class RiskRegisterEntryFilterSet(MineWatchFilterSet):
    site = IdFilter(field_name="site_id")
    threat = django_filters.MultipleChoiceFilter(choices=THREAT_CHOICES)
    band = django_filters.CharFilter(field_name="residual_band")
    review_before = django_filters.DateFilter(field_name="review_date", lookup_expr="lte")

    class Meta:
        model = RiskRegisterEntry
        fields: list[str] = []


class DeployedControlFilterSet(MineWatchFilterSet):
    site = IdFilter(field_name="site_id")
    control = django_filters.MultipleChoiceFilter(choices=CONTROL_CHOICES)

    class Meta:
        model = DeployedControl
        fields: list[str] = []


class ControlEffectivenessFilterSet(MineWatchFilterSet):
    control = django_filters.MultipleChoiceFilter(choices=CONTROL_CHOICES)
    threat = django_filters.MultipleChoiceFilter(choices=THREAT_CHOICES)

    class Meta:
        model = ControlEffectiveness
        fields: list[str] = []
