"""REST API of the tracking app: devices, vehicles, trips (with progress), positions,
detections and ingest rejections; trip actions start, arrive and abort. Tenant-scoped."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantReadOnlyViewSet, TenantViewSetMixin
from minewatch.tracking.choices import TripStatus
from minewatch.tracking.filtersets import (
    DetectionFilterSet,
    DeviceFilterSet,
    IngestRejectionFilterSet,
    PositionFilterSet,
    TripFilterSet,
    VehicleFilterSet,
)
from minewatch.tracking.models import (
    Detection,
    Device,
    IngestRejection,
    Position,
    Trip,
    TripVehicle,
    Vehicle,
)
from minewatch.tracking.progress import latest_by_vehicle
from minewatch.tracking.serializers import (
    DetectionSerializer,
    DeviceSerializer,
    IngestRejectionSerializer,
    PositionSerializer,
    TripActionSerializer,
    TripSerializer,
    VehicleSerializer,
)
from minewatch.tracking.services import fleet

RECENT_DETECTIONS = 5


class _Writable(
    TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):  # fmt: skip
    """List, read, create and edit; writes through the fleet service."""


class VehicleViewSet(_Writable):
    queryset = Vehicle.objects.select_related("contractor")
    serializer_class = VehicleSerializer
    filterset_class = VehicleFilterSet
    write_capability = "manage_sites"


class DeviceViewSet(_Writable):
    """Trackers with their latest fix (the live map reads this list)."""

    queryset = Device.objects.select_related("vehicle", "tracker_state")
    serializer_class = DeviceSerializer
    filterset_class = DeviceFilterSet
    write_capability = "manage_sites"
    action_capabilities = {"rotate_secret": "manage_sites"}

    @extend_schema(request=None, responses=DeviceSerializer)
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request: Request, pk: str | None = None) -> Response:
        """Issue a new secret (the old one stops working); the answer's ``secret`` shows it once."""
        device = self.get_object()
        secret = fleet.rotate_device_secret(device, actor=request.user)
        device.issued_secret = secret
        return Response(self.get_serializer(device).data)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        members = TripVehicle.objects.filter(trip__status=TripStatus.EN_ROUTE).values_list(
            "vehicle_id", "trip__reference"
        )
        context["trip_by_vehicle"] = dict(members)
        return context


class TripViewSet(_Writable):
    """Trips with convoy, cargo, progress along the route, ETA, last fix age, escort distance."""

    queryset = Trip.objects.select_related(
        "route__origin", "route__destination", "site"
    ).prefetch_related("members__vehicle")
    serializer_class = TripSerializer
    filterset_class = TripFilterSet
    write_capability = "operate"
    action_capabilities = {"start": "operate", "arrive": "operate", "abort": "operate"}

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        trips = list(page if page is not None else queryset)
        serializer = self.get_serializer(trips, many=True, context=self._context_for(trips))
        data = serializer.data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        trip = self.get_object()
        return Response(self._serialize(trip))

    def _context_for(self, trips: list[Trip]) -> dict[str, Any]:
        recent: dict[int, list] = defaultdict(list)
        rows = Detection.objects.filter(trip__in=trips).select_related("device", "trip")
        for detection in rows.order_by("-time")[: RECENT_DETECTIONS * max(len(trips), 1) * 4]:
            if len(recent[detection.trip_id]) < RECENT_DETECTIONS:
                recent[detection.trip_id].append(detection)
        return {**self.get_serializer_context(), "latest_by_vehicle": latest_by_vehicle(trips),
                "recent_detections": recent}  # fmt: skip

    def _serialize(self, trip: Trip) -> dict[str, Any]:
        trip = self.get_queryset().get(pk=trip.pk)
        return TripSerializer(trip, context=self._context_for([trip])).data

    def _step(self, request: Request, to_status: str) -> Response:
        trip = self.get_object()
        body = TripActionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fleet.change_trip_status(
            trip, actor=request.user, to_status=to_status, reason=body.validated_data["reason"]
        )
        return Response(self._serialize(trip))

    @extend_schema(request=TripActionSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request: Request, pk: str | None = None) -> Response:
        """The convoy departs: planned → en_route (the detectors start watching it)."""
        return self._step(request, TripStatus.EN_ROUTE)

    @extend_schema(request=TripActionSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"])
    def arrive(self, request: Request, pk: str | None = None) -> Response:
        """The convoy arrived: en_route → arrived."""
        return self._step(request, TripStatus.ARRIVED)

    @extend_schema(request=TripActionSerializer, responses=TripSerializer)
    @action(detail=True, methods=["post"])
    def abort(self, request: Request, pk: str | None = None) -> Response:
        """Abort a planned or en-route trip (a reason is required)."""
        return self._step(request, TripStatus.ABORTED)


class PositionViewSet(TenantReadOnlyViewSet):
    """Stored fixes; filter with ``device`` (id) or ``device_key``, ``since`` and ``until``."""

    queryset = Position.objects.select_related("device").order_by("-fix_time", "-id")
    serializer_class = PositionSerializer
    filterset_class = PositionFilterSet


class DetectionViewSet(TenantReadOnlyViewSet):
    """What the detectors found; filter with ``kind``, ``since``, ``until``, ``device``, ``trip``."""

    queryset = Detection.objects.select_related("device", "trip")
    serializer_class = DetectionSerializer
    filterset_class = DetectionFilterSet


class IngestRejectionViewSet(TenantReadOnlyViewSet):
    """Counters of refused fixes by device identifier, source and reason."""

    queryset = IngestRejection.objects.all()
    serializer_class = IngestRejectionSerializer
    filterset_class = IngestRejectionFilterSet


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("vehicles", VehicleViewSet)
    router.register("devices", DeviceViewSet)
    router.register("trips", TripViewSet)
    router.register("positions", PositionViewSet)
    router.register("detections", DetectionViewSet)
    router.register("ingest-rejections", IngestRejectionViewSet)
