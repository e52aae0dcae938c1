"""REST API of the geo app: regions, sites, zones, routes, contractor assignments."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, viewsets
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin
from minewatch.core.errors import InvalidInput
from minewatch.core.tenancy import restrict
from minewatch.geo import services
from minewatch.geo.filtersets import RegionFilterSet, RouteFilterSet, SiteFilterSet, ZoneFilterSet
from minewatch.geo.models import Region, Route, Site, SiteAssignment, Zone


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "ubigeo", "name", "min_lon", "min_lat", "max_lon", "max_lat"]


class RegionDetailSerializer(RegionSerializer):
    class Meta(RegionSerializer.Meta):
        fields = [*RegionSerializer.Meta.fields, "geometry"]


def visible_related(user: Any, model: type, pk: Any, field: str) -> Any:
    """A related record the user may see, or InvalidInput naming ``field`` (never a leak)."""
    if pk in (None, ""):
        return None
    found = restrict(model.objects.filter(pk=getattr(pk, "pk", pk)), user).first()
    if found is None:
        raise InvalidInput(f"unknown {field} {getattr(pk, 'pk', pk)!r}", field=field)
    return found


class OwnedSerializer(serializers.ModelSerializer):
    """Writes go through a service; the owner is the requesting user's organisation."""

    organisation_name = serializers.CharField(source="organisation.name", read_only=True)

    def owner(self) -> Any:
        user = self.context["request"].user
        if user.organisation is None:
            raise InvalidInput("your user belongs to no organisation", field="organisation")
        return user.organisation


class SiteSerializer(OwnedSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True, default=None)
    region_name = serializers.CharField(source="region.name", read_only=True, default=None)
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lon = serializers.FloatField(min_value=-180, max_value=180)

    class Meta:
        model = Site
        fields = [
            "id", "organisation", "organisation_name", "name", "kind", "parent", "lat", "lon",
            "country", "region", "region_code", "region_name", "altitude_m", "geometry",
            "description", "is_active", "source",
        ]  # fmt: skip
        read_only_fields = ["organisation", "region"]

    def create(self, validated: dict[str, Any]) -> Site:
        request = self.context["request"]
        return services.save_site(actor=request.user, organisation=self.owner(), **validated)

    def update(self, instance: Site, validated: dict[str, Any]) -> Site:
        data = {**{k: getattr(instance, k) for k in ("name", "kind", "lat", "lon", "geometry")}}
        data.update(validated)
        return services.save_site(
            actor=self.context["request"].user,
            organisation=instance.organisation,
            site=instance,
            **data,
        )


class ZoneSerializer(OwnedSerializer):
    class Meta:
        model = Zone
        fields = [
            "id", "organisation", "organisation_name", "site", "route", "name", "kind", "shape",
            "geometry", "center_lat", "center_lon", "radius_m", "speed_limit_kmh", "description",
        ]  # fmt: skip
        read_only_fields = ["organisation", "shape"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        attrs["site"] = visible_related(user, Site, attrs.get("site"), "site")
        attrs["route"] = visible_related(user, Route, attrs.get("route"), "route")
        return attrs

    def create(self, validated: dict[str, Any]) -> Zone:
        return services.save_zone(
            actor=self.context["request"].user, organisation=self.owner(), **validated
        )

    def update(self, instance: Zone, validated: dict[str, Any]) -> Zone:
        data = {"name": instance.name, "kind": instance.kind, "site": instance.site}
        if instance.shape == "circle":
            data.update(center_lat=instance.center_lat, center_lon=instance.center_lon,
                        radius_m=instance.radius_m)  # fmt: skip
        else:
            data["geometry"] = instance.geometry
        data.update(validated)
        if "radius_m" in validated:
            data.pop("geometry", None)
        return services.save_zone(
            actor=self.context["request"].user,
            organisation=instance.organisation,
            zone=instance,
            **data,
        )


class RouteSerializer(OwnedSerializer):
    class Meta:
        model = Route
        fields = [
            "id", "organisation", "organisation_name", "name", "origin", "destination", "geometry",
            "buffer_m", "speed_limit_kmh", "length_m", "description", "source",
        ]  # fmt: skip
        read_only_fields = ["organisation", "length_m"]
        extra_kwargs = {"geometry": {"required": True}}

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["request"].user
        for field in ("origin", "destination"):
            if field in attrs:
                attrs[field] = visible_related(user, Site, attrs[field], field)
        return attrs

    def create(self, validated: dict[str, Any]) -> Route:
        return services.save_route(
            actor=self.context["request"].user, organisation=self.owner(), **validated
        )

    def update(self, instance: Route, validated: dict[str, Any]) -> Route:
        data = {"name": instance.name, "geometry": instance.geometry, "buffer_m": instance.buffer_m}
        data.update(validated)
        return services.save_route(
            actor=self.context["request"].user,
            organisation=instance.organisation,
            route=instance,
            **data,
        )


class SiteAssignmentSerializer(serializers.ModelSerializer):
    contractor_name = serializers.CharField(source="contractor.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = SiteAssignment
        fields = ["id", "site", "site_name", "contractor", "contractor_name", "service",
                  "starts_on", "ends_on", "is_active"]  # fmt: skip
        read_only_fields = fields


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """Peru's regions (public reference data)."""

    queryset = Region.objects.all()
    filterset_class = RegionFilterSet
    pagination_class = None

    def get_serializer_class(self) -> type:
        return RegionDetailSerializer if self.action == "retrieve" else RegionSerializer


class GeoViewSet(
    TenantViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """Sites, zones and routes: readable by every role that sees them, written by managers."""

    write_capability = "manage_sites"


class SiteViewSet(GeoViewSet):
    queryset = Site.objects.select_related("region", "organisation")
    serializer_class = SiteSerializer
    filterset_class = SiteFilterSet


class ZoneViewSet(GeoViewSet):
    queryset = Zone.objects.select_related("organisation")
    serializer_class = ZoneSerializer
    filterset_class = ZoneFilterSet


class RouteViewSet(GeoViewSet):
    queryset = Route.objects.select_related("organisation")
    serializer_class = RouteSerializer
    filterset_class = RouteFilterSet


class SiteAssignmentViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    queryset = SiteAssignment.objects.select_related("site", "contractor")
    serializer_class = SiteAssignmentSerializer
    filterset_fields = ["site", "contractor", "is_active"]


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("regions", RegionViewSet)
    router.register("sites", SiteViewSet)
    router.register("zones", ZoneViewSet)
    router.register("routes", RouteViewSet)
    router.register("site-assignments", SiteAssignmentViewSet)
