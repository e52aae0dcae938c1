"""Filters of the geo app, shared by the API and the web views."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from minewatch.core.filtersets import MineWatchFilterSet
from minewatch.geo.models import Region, Route, Site, Zone


class BBoxField(forms.CharField):
    """``min_lon,min_lat,max_lon,max_lat`` in degrees."""

    def clean(self, value: Any) -> tuple[float, float, float, float] | None:
        value = super().clean(value)
        if not value:
            return None
        parts = value.split(",")
        if len(parts) != 4:
            raise forms.ValidationError("bbox needs four numbers: min_lon,min_lat,max_lon,max_lat")
        try:
            min_lon, min_lat, max_lon, max_lat = (float(p) for p in parts)
        except ValueError:
            raise forms.ValidationError("bbox values must be numbers") from None
        if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
            raise forms.ValidationError("bbox must be min_lon<=max_lon, min_lat<=max_lat, in range")
        return min_lon, min_lat, max_lon, max_lat


class BBoxFilter(django_filters.Filter):
    """Keep rows whose point (``lat``/``lon`` fields) lies in the box."""

    field_class = BBoxField

    def __init__(self, *args: Any, lat_field: str = "lat", lon_field: str = "lon", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.lat_field, self.lon_field = lat_field, lon_field

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        min_lon, min_lat, max_lon, max_lat = value
        return qs.filter(
            **{
                f"{self.lat_field}__gte": min_lat,
                f"{self.lat_field}__lte": max_lat,
                f"{self.lon_field}__gte": min_lon,
                f"{self.lon_field}__lte": max_lon,
            }
        )


class BoundsBBoxFilter(django_filters.Filter):
    """Keep rows whose stored bounding box intersects the requested box."""

    field_class = BBoxField

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        min_lon, min_lat, max_lon, max_lat = value
        return qs.filter(
            Q(
                max_lon__gte=min_lon,
                min_lon__lte=max_lon,
                max_lat__gte=min_lat,
                min_lat__lte=max_lat,
            )
        )


class RegionFilter(django_filters.CharFilter):
    """A region by ISO 3166-2 code (``PE-LAL``) or UBIGEO code (``13``)."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        return qs.filter(
            Q(**{f"{self.field_name}__code__iexact": value})
            | Q(**{f"{self.field_name}__ubigeo": value})
        )


class SiteFilterSet(MineWatchFilterSet):
    region = RegionFilter(field_name="region")
    bbox = BBoxFilter()
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Site
        fields = ["kind", "region", "organisation", "is_active"]


class ZoneFilterSet(MineWatchFilterSet):
    bbox = BoundsBBoxFilter()

    class Meta:
        model = Zone
        fields = ["kind", "site", "route"]


class RouteFilterSet(MineWatchFilterSet):
    bbox = BoundsBBoxFilter()

    class Meta:
        model = Route
        fields = ["origin", "destination"]


class RegionFilterSet(MineWatchFilterSet):
    class Meta:
        model = Region
        fields = ["code", "ubigeo"]
