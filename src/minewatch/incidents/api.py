"""REST API of the incidents app: the register, its workflow, and the taxonomy."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.geo.models import Site
from minewatch.incidents import services, taxonomy
from minewatch.incidents.filtersets import IncidentFilterSet
from minewatch.incidents.models import Incident, IncidentStatusChange


class IncidentStatusChangeSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor.username", read_only=True, default="")

    class Meta:
        model = IncidentStatusChange
        fields = ["from_status", "to_status", "actor", "actor_name", "note", "at"]


class IncidentSerializer(serializers.ModelSerializer):
    """Every field of the incident; writes go through the incidents service."""

    site = VisibleRelatedField(queryset=Site.objects.all(), required=False, allow_null=True)
    site_name = serializers.CharField(source="site.name", read_only=True, default=None)
    region_code = serializers.CharField(source="region.code", read_only=True, default=None)
    region_name = serializers.CharField(source="region.name", read_only=True, default=None)
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    reporter_name = serializers.CharField(source="reporter.username", read_only=True, default=None)
    threat = serializers.CharField(required=False, allow_blank=True)
    incident_type = serializers.CharField()
    severity = serializers.IntegerField(required=False, allow_null=True)
    injured_total = serializers.IntegerField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    status_changes = IncidentStatusChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Incident
        exclude = ["created_at"]
        read_only_fields = [
            "organisation",
            "reference",
            "status",
            "region",
            "reporter",
            "updated_at",
        ]
        extra_kwargs = {"title": {"required": False}, "reported_at": {"required": False}}

    def get_allowed_transitions(self, incident: Incident) -> list[str]:
        return services.allowed_transitions(incident)

    def create(self, validated: dict[str, Any]) -> Incident:
        return services.report_incident(actor=self.context["request"].user, **validated)

    def update(self, instance: Incident, validated: dict[str, Any]) -> Incident:
        return services.update_incident(instance, actor=self.context["request"].user, **validated)


class TransitionSerializer(serializers.Serializer):
    status = serializers.CharField()
    note = serializers.CharField(required=False, allow_blank=True, default="")
    # Required (here or already on the incident) to refer it to the authorities.
    complaint_number = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=64
    )
    police_unit = serializers.CharField(
        required=False, allow_blank=True, allow_null=True, default=None, max_length=200
    )


class IncidentViewSet(
    TenantViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet,
):
    """The incident register: list, filter, report, edit and move through the workflow."""

    queryset = Incident.objects.select_related(
        "organisation", "site", "region", "reporter"
    ).prefetch_related("status_changes__actor")
    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    write_capability = "manage_incident"
    action_capabilities = {"create": "report_incident", "transition": "manage_incident"}

    @extend_schema(request=TransitionSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the incident to another status (only legal steps are accepted)."""
        incident = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.change_status(
            incident, actor=request.user, to_status=body.validated_data["status"],
            note=body.validated_data["note"],
            complaint_number=body.validated_data["complaint_number"],
            police_unit=body.validated_data["police_unit"],
        )  # fmt: skip
        return Response(self.get_serializer(updated).data)


def taxonomy_payload() -> dict[str, Any]:
    """Threats and their incident types with labels in Spanish and English and their mappings."""
    return {
        "threats": [
            {
                "code": threat.code,
                "label": {"es": threat.label_es, "en": threat.label_en},
                "types": [
                    {
                        "code": t.code,
                        "label": {"es": t.label_es, "en": t.label_en},
                        "default_severity": t.default_severity,
                        "acled": {
                            "event_type": t.acled_event_type,
                            "sub_event_type": t.acled_sub_event_type,
                        },  # fmt: skip
                        "gtd_attack_type": t.gtd_attack_type,
                        "stix_type": t.stix_type,
                        "protocol": t.protocol,
                    }
                    for t in taxonomy.types_of(threat.code)
                ],
            }
            for threat in taxonomy.THREATS
        ],
        "weapons": [{"code": c, "label": {"es": es, "en": en}} for c, es, en in taxonomy.WEAPONS],
        "responders": [
            {"code": c, "label": {"es": es, "en": en}} for c, es, en in taxonomy.RESPONDERS
        ],
    }


@extend_schema(responses=dict)
@api_view(["GET"])
def taxonomy_view(request: Request) -> Response:
    """The four-threat taxonomy (plus internal threats) with labels in Spanish and English."""
    return Response(taxonomy_payload())


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("incidents", IncidentViewSet)


api_urls = [path("taxonomy/", taxonomy_view, name="api-taxonomy")]
