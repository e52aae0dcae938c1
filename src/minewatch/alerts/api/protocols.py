"""API of response protocols, their checklists, delivery attempts and response-time metrics."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response

from minewatch.alerts import queries, services
from minewatch.alerts.api.alerts import ChecklistSerializer, DeliverySerializer
from minewatch.alerts.filtersets import AlertFilterSet, DeliveryAttemptFilterSet
from minewatch.alerts.models import (
    Alert,
    ChecklistItem,
    DeliveryAttempt,
    ProtocolChecklist,
    ProtocolStep,
    ResponseProtocol,
)
from minewatch.core.api import TenantReadOnlyViewSet
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict


class ProtocolStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProtocolStep
        fields = [
            "order",
            "code",
            "text_es",
            "text_en",
            "role",
            "within_minutes",
            "notifies_police",
        ]


class ResponseProtocolSerializer(serializers.ModelSerializer):
    steps = ProtocolStepSerializer(many=True, read_only=True)

    class Meta:
        model = ResponseProtocol
        fields = ["id", "organisation", "code", "title_es", "title_en", "incident_types",
                  "is_active", "steps"]  # fmt: skip


class ResponseProtocolViewSet(TenantReadOnlyViewSet):
    """The organisation's response protocols (bilingual checklists per incident type)."""

    queryset = ResponseProtocol.objects.prefetch_related("steps")
    serializer_class = ResponseProtocolSerializer
    filterset_fields = ["code", "is_active"]


class TickSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    undo = serializers.BooleanField(required=False, default=False)


class ProtocolChecklistViewSet(TenantReadOnlyViewSet):
    """Checklists attached to alerts and incidents; ``tick`` records who did a step and when."""

    queryset = ProtocolChecklist.objects.select_related("protocol").prefetch_related(
        Prefetch("items", ChecklistItem.objects.select_related("ticked_by"))
    )
    serializer_class = ChecklistSerializer
    filterset_fields = ["alert", "incident", "site"]
    action_capabilities = {"tick": "read"}

    @extend_schema(request=TickSerializer, responses=ChecklistSerializer)
    @action(detail=True, methods=["post"])
    def tick(self, request: Request, pk: str | None = None) -> Response:
        checklist = self.get_object()
        body = TickSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = checklist.items.filter(pk=body.validated_data["item"]).first()
        if item is None:
            return Response({"item": ["not a step of this checklist"]}, status=400)
        services.tick_protocol_step(item, actor=request.user, note=body.validated_data["note"],
                                    undo=body.validated_data["undo"])  # fmt: skip
        return Response(ChecklistSerializer(self.get_queryset().get(pk=checklist.pk)).data)


class DeliveryAttemptViewSet(TenantReadOnlyViewSet):
    """Every notification try: who was told what, through which channel, when, with what result."""

    queryset = DeliveryAttempt.objects.select_related("firing")
    serializer_class = DeliverySerializer
    filterset_class = DeliveryAttemptFilterSet

    def get_queryset(self) -> Any:
        user = self.request.user
        allowed = has_capability(user, "operate") or has_capability(user, "audit")
        queryset = super().get_queryset()
        return queryset if allowed else queryset.none()


@extend_schema(
    parameters=[
        OpenApiParameter("raised_after", str),
        OpenApiParameter("raised_before", str),
        OpenApiParameter("site", int),
    ],  # fmt: skip
    responses=dict,
)
@api_view(["GET"])
def alert_metrics(request: Request) -> Response:
    """Time to acknowledge, to notify the police and to resolve, per site and month."""
    alerts = restrict(Alert.objects.all(), request.user)
    filtered = AlertFilterSet(request.GET, queryset=alerts).qs
    return Response({"results": queries.summarise_by_site_and_month(filtered)})


def viewsets_for_router() -> list[tuple[str, type[viewsets.GenericViewSet]]]:
    return [
        ("protocols", ResponseProtocolViewSet),
        ("protocol-checklists", ProtocolChecklistViewSet),
        ("delivery-attempts", DeliveryAttemptViewSet),
    ]
