"""REST API of the alarms app: panels, camera rules, patrol routes, tours and scans."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, Http404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.alarms import services
from minewatch.alarms.models import (
    AlarmPanel,
    CameraObservationRecord,
    CameraZoneRule,
    Checkpoint,
    CheckpointScan,
    PanelEventRecord,
    PatrolRoute,
    TourRun,
)
from minewatch.alerts.api.config import ConfigViewSet, owner
from minewatch.core.api import TenantReadOnlyViewSet, TenantViewSetMixin, VisibleRelatedField
from minewatch.core.serializers import WholeItemSerializerMixin
from minewatch.geo.models import Site, Zone


class AlarmPanelSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all())
    key = serializers.CharField(write_only=True, required=False, allow_blank=True)
    has_key = serializers.SerializerMethodField()

    class Meta:
        model = AlarmPanel
        fields = ["id", "organisation", "site", "name", "account", "key", "has_key", "zone_map",
                  "max_silence_s", "max_age_s", "last_seen_at", "is_active"]  # fmt: skip
        read_only_fields = ["organisation", "last_seen_at"]

    def get_has_key(self, panel: AlarmPanel) -> bool:
        return bool(panel.key)

    def create(self, validated: dict[str, Any]) -> AlarmPanel:
        return services.save_panel(
            actor=self.context["request"].user, organisation=owner(self), **validated
        )

    def update(self, instance: AlarmPanel, validated: dict[str, Any]) -> AlarmPanel:
        return services.save_panel(actor=self.context["request"].user, organisation=instance.organisation,
                                   panel=instance, **validated)  # fmt: skip


class PanelEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = PanelEventRecord
        fields = ["id", "panel", "site", "code", "category", "zone", "area", "message", "sequence",
                  "event_time", "received_at", "is_encrypted", "alert"]  # fmt: skip


class CameraZoneRuleSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all())
    zone = VisibleRelatedField(queryset=Zone.objects.all(), required=False, allow_null=True)
    zones = serializers.ListField(child=serializers.CharField(max_length=100))
    labels = serializers.ListField(child=serializers.CharField(max_length=40), required=False)

    class Meta:
        model = CameraZoneRule
        fields = ["id", "organisation", "site", "zone", "camera", "zones", "labels", "min_score",
                  "window_start", "window_end", "is_active"]  # fmt: skip
        read_only_fields = ["organisation"]

    def create(self, validated: dict[str, Any]) -> CameraZoneRule:
        return services.save_camera_rule(actor=self.context["request"].user, organisation=owner(self),
                                         **validated)  # fmt: skip

    def update(self, instance: CameraZoneRule, validated: dict[str, Any]) -> CameraZoneRule:
        return services.save_camera_rule(actor=self.context["request"].user,
                                         organisation=instance.organisation, rule=instance, **validated)  # fmt: skip


class CameraObservationSerializer(serializers.ModelSerializer):
    has_snapshot = serializers.SerializerMethodField()

    class Meta:
        model = CameraObservationRecord
        fields = ["id", "site", "rule", "event_id", "camera", "label", "zone", "score",
                  "occurred_at", "reason", "has_snapshot", "alert"]  # fmt: skip

    def get_has_snapshot(self, record: CameraObservationRecord) -> bool:
        return bool(record.snapshot)


class CheckpointSerializer(WholeItemSerializerMixin, serializers.ModelSerializer):
    class Meta:
        model = Checkpoint
        fields = ["order", "code", "name", "offset_minutes", "tolerance_minutes", "lat", "lon"]
        read_only_fields = ["order"]


class PatrolRouteSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all())
    checkpoints = CheckpointSerializer(many=True, required=False)

    class Meta:
        model = PatrolRoute
        fields = ["id", "organisation", "site", "name", "lone_guard_interval_minutes", "is_active",
                  "checkpoints"]  # fmt: skip
        read_only_fields = ["organisation"]

    def create(self, validated: dict[str, Any]) -> PatrolRoute:
        return services.save_route(
            actor=self.context["request"].user, organisation=owner(self), **validated
        )

    def update(self, instance: PatrolRoute, validated: dict[str, Any]) -> PatrolRoute:
        return services.save_route(actor=self.context["request"].user, organisation=instance.organisation,
                                   route=instance, **validated)  # fmt: skip


class CheckpointScanSerializer(serializers.ModelSerializer):
    code = serializers.CharField(max_length=64, write_only=True)
    checkpoint_code = serializers.CharField(source="checkpoint.code", read_only=True)
    scanned_at = serializers.DateTimeField(required=False, allow_null=True)
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    lon = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)

    class Meta:
        model = CheckpointScan
        fields = ["id", "code", "checkpoint", "checkpoint_code", "tour", "site", "guard",
                  "scanned_at", "received_at", "lat", "lon", "status"]  # fmt: skip
        read_only_fields = ["checkpoint", "tour", "site", "guard", "received_at", "status"]

    def create(self, validated: dict[str, Any]) -> CheckpointScan:
        return services.record_scan(actor=self.context["request"].user, **validated)


class TourRunSerializer(serializers.ModelSerializer):
    route = VisibleRelatedField(queryset=PatrolRoute.objects.all())
    guard_name = serializers.CharField(source="guard.username", read_only=True)
    scans = CheckpointScanSerializer(many=True, read_only=True)

    class Meta:
        model = TourRun
        fields = ["id", "route", "site", "guard", "guard_name", "started_at", "ended_at",
                  "is_lone_guard", "last_check_in_at", "alerted_codes", "scans"]  # fmt: skip
        read_only_fields = ["site", "guard", "ended_at", "last_check_in_at", "alerted_codes"]

    def create(self, validated: dict[str, Any]) -> TourRun:
        return services.start_tour(actor=self.context["request"].user, **validated)


class AlarmPanelViewSet(ConfigViewSet):
    queryset = AlarmPanel.objects.select_related("site")
    serializer_class = AlarmPanelSerializer
    filterset_fields = ["site", "is_active"]


class PanelEventViewSet(TenantReadOnlyViewSet):
    queryset = PanelEventRecord.objects.all()
    serializer_class = PanelEventSerializer
    filterset_fields = ["panel", "site", "category"]


class CameraZoneRuleViewSet(ConfigViewSet):
    queryset = CameraZoneRule.objects.select_related("site")
    serializer_class = CameraZoneRuleSerializer
    filterset_fields = ["site", "camera", "is_active"]


class CameraObservationViewSet(TenantReadOnlyViewSet):
    queryset = CameraObservationRecord.objects.all()
    serializer_class = CameraObservationSerializer
    filterset_fields = ["site", "camera", "label", "alert"]

    @extend_schema(responses={(200, "image/jpeg"): bytes})
    @action(detail=True, methods=["get"])
    def snapshot(self, request: Request, pk: str | None = None) -> FileResponse:
        """The JPEG snapshot Frigate sent for this intrusion."""
        record = self.get_object()
        if not record.snapshot:
            raise Http404("no snapshot")
        return FileResponse(record.snapshot.open("rb"), content_type="image/jpeg")


class PatrolRouteViewSet(ConfigViewSet):
    queryset = PatrolRoute.objects.select_related("site").prefetch_related("checkpoints")
    serializer_class = PatrolRouteSerializer
    filterset_fields = ["site", "is_active"]


class TourRunViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Tours: guards start them (or just scan), check in when alone, end them."""

    queryset = TourRun.objects.select_related("guard").prefetch_related("scans__checkpoint")
    serializer_class = TourRunSerializer
    filterset_fields = ["route", "site", "guard"]
    write_capability = "report_incident"
    action_capabilities = {"check_in": "report_incident", "end": "report_incident"}

    @extend_schema(request=None, responses=TourRunSerializer)
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request: Request, pk: str | None = None) -> Response:
        """A lone guard says "I am fine" (restarts the man-down timer)."""
        tour = services.check_in(self.get_object(), actor=request.user)
        return Response(TourRunSerializer(tour, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses=TourRunSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request: Request, pk: str | None = None) -> Response:
        tour = services.end_tour(self.get_object(), actor=request.user)
        return Response(TourRunSerializer(tour, context=self.get_serializer_context()).data)


class CheckpointScanViewSet(
    TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """``POST {"code": "..."}``: a guard scanned a posted QR/NFC code."""

    queryset = CheckpointScan.objects.select_related("checkpoint")
    serializer_class = CheckpointScanSerializer
    filterset_fields = ["tour", "site", "guard", "status"]
    write_capability = "report_incident"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        scan = body.save()
        return Response(self.get_serializer(scan).data, status=status.HTTP_201_CREATED)


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("alarm-panels", AlarmPanelViewSet)
    router.register("panel-events", PanelEventViewSet)
    router.register("camera-rules", CameraZoneRuleViewSet)
    router.register("camera-intrusions", CameraObservationViewSet)
    router.register("patrol-routes", PatrolRouteViewSet)
    router.register("tour-runs", TourRunViewSet)
    router.register("checkpoint-scans", CheckpointScanViewSet)
