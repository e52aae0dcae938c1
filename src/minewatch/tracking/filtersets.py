"""Filters of the tracking app, shared by the API (and later web pages)."""

from __future__ import annotations

import django_filters

from minewatch.core.filtersets import IdFilter, MineWatchFilterSet
from minewatch.tracking.choices import DetectionKind, TripStatus, VehicleKind
from minewatch.tracking.models import Detection, Device, IngestRejection, Position, Trip, Vehicle


class VehicleFilterSet(MineWatchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=VehicleKind.choices)
    plate = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Vehicle
        fields = ["site", "contractor", "is_active"]


class DeviceFilterSet(MineWatchFilterSet):
    unique_id = django_filters.CharFilter()

    class Meta:
        model = Device
        fields = ["site", "vehicle", "protocol", "is_active"]


class TripFilterSet(MineWatchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=TripStatus.choices)

    class Meta:
        model = Trip
        fields = ["site", "route"]


class PositionFilterSet(MineWatchFilterSet):
    """``device`` is the device id; ``device_key`` the tracker identifier it sends."""

    device = IdFilter(field_name="device_id")
    device_key = django_filters.CharFilter(field_name="device__unique_id")
    since = django_filters.IsoDateTimeFilter(field_name="fix_time", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="fix_time", lookup_expr="lt")

    class Meta:
        model = Position
        fields: list[str] = []


class DetectionFilterSet(MineWatchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=DetectionKind.choices)
    since = django_filters.IsoDateTimeFilter(field_name="time", lookup_expr="gte")
    until = django_filters.IsoDateTimeFilter(field_name="time", lookup_expr="lt")
    device = IdFilter(field_name="device_id")
    trip = IdFilter(field_name="trip_id")

    class Meta:
        model = Detection
        fields = ["site"]


class IngestRejectionFilterSet(MineWatchFilterSet):
    class Meta:
        model = IngestRejection
        fields = ["source", "reason", "device_key"]
