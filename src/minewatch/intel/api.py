"""REST API of the intel app: reports, sources (restricted), actors and their graph, warnings."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.core.errors import InvalidInput
from minewatch.core.roles import has_capability
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident
from minewatch.intel import early_warnings, queries, services
from minewatch.intel.choices import IncidentRole
from minewatch.intel.engine.grading import (
    CREDIBILITY_BY_CODE,
    INFORMATION_CREDIBILITY,
    RELIABILITY_BY_CODE,
    SOURCE_RELIABILITY,
)
from minewatch.intel.engine.graph import neighbourhood
from minewatch.intel.filtersets import (
    ActorLinkFilterSet,
    EarlyWarningFilterSet,
    IntelReportFilterSet,
    IntelSourceFilterSet,
    ThreatActorFilterSet,
)
from minewatch.intel.models import (
    ActorLink,
    EarlyWarning,
    EarlyWarningSettings,
    IntelReport,
    IntelSource,
    ThreatActor,
)

SOURCE_FIELDS = ("source", "source_name")


def _meaning(table: dict[str, Any], code: str) -> dict[str, str] | None:
    grade = table.get(code)
    return {"es": grade.label_es, "en": grade.label_en} if grade else None


class SourceProtectedSerializer(serializers.ModelSerializer):
    """Omits the source (id and name) for roles without ``see_sources``."""

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not has_capability(request.user, "see_sources"):
            for name in SOURCE_FIELDS:
                data.pop(name, None)
        return data


class IntelSourceSerializer(serializers.ModelSerializer):
    handler_name = serializers.CharField(source="handler.username", read_only=True, default=None)

    class Meta:
        model = IntelSource
        fields = ["id", "organisation", "name", "handler", "handler_name", "contact", "notes",
                  "is_active", "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "created_at"]

    def validate_handler(self, value: Any) -> Any:
        user = self.context["request"].user
        if value is not None and value.organisation_id != user.organisation_id:
            raise serializers.ValidationError("the handler must belong to your organisation")
        return value

    def create(self, validated: dict[str, Any]) -> IntelSource:
        return services.save_source(actor=self.context["request"].user, **validated)

    def update(self, instance: IntelSource, validated: dict[str, Any]) -> IntelSource:
        data = {k: getattr(instance, k) for k in ("name", "handler", "contact", "notes",
                                                  "is_active")}  # fmt: skip
        data.update(validated)
        return services.save_source(actor=self.context["request"].user, source=instance, **data)


class IntelReportSerializer(SourceProtectedSerializer):
    """A graded report. Grades are validated by the service (400 naming the field)."""

    source_reliability = serializers.CharField()
    information_credibility = serializers.CharField()
    source = VisibleRelatedField(queryset=IntelSource.objects.all(), required=False,
                                 allow_null=True)  # fmt: skip
    source_name = serializers.CharField(source="source.name", read_only=True, default=None)
    actors = VisibleRelatedField(queryset=ThreatActor.objects.all(), many=True, required=False)
    sites = VisibleRelatedField(queryset=Site.objects.all(), many=True, required=False)
    incidents = VisibleRelatedField(queryset=Incident.objects.all(), many=True, required=False)
    lat = serializers.FloatField(required=False)
    lon = serializers.FloatField(required=False)
    geometry = serializers.JSONField(required=False, allow_null=True)
    reported_at = serializers.DateTimeField(required=False, allow_null=True)
    grade = serializers.CharField(read_only=True)
    weight = serializers.FloatField(read_only=True)
    source_reliability_meaning = serializers.SerializerMethodField()
    information_credibility_meaning = serializers.SerializerMethodField()
    author_name = serializers.CharField(source="author.username", read_only=True, default=None)

    class Meta:
        model = IntelReport
        fields = [
            "id", "organisation", "reference", "title", "summary", "details", "geometry", "lat",
            "lon", "observed_at", "reported_at", "valid_until", "source_reliability",
            "source_reliability_meaning", "information_credibility",
            "information_credibility_meaning", "grade", "weight", "source", "source_name",
            "actors", "sites", "incidents", "author", "author_name", "is_synthetic", "created_at",
        ]  # fmt: skip
        read_only_fields = ["organisation", "reference", "author", "created_at"]

    def get_source_reliability_meaning(self, report: IntelReport) -> dict[str, str] | None:
        return _meaning(RELIABILITY_BY_CODE, report.source_reliability)

    def get_information_credibility_meaning(self, report: IntelReport) -> dict[str, str] | None:
        return _meaning(CREDIBILITY_BY_CODE, report.information_credibility)

    def create(self, validated: dict[str, Any]) -> IntelReport:
        return services.report_intel(actor=self.context["request"].user, **validated)

    def update(self, instance: IntelReport, validated: dict[str, Any]) -> IntelReport:
        return services.update_report(instance, actor=self.context["request"].user, **validated)


class ThreatActorSerializer(serializers.ModelSerializer):
    incidents = VisibleRelatedField(queryset=Incident.objects.all(), many=True, required=False)
    geometry = serializers.JSONField(required=False, allow_null=True)
    kind = serializers.CharField()

    class Meta:
        model = ThreatActor
        fields = ["id", "organisation", "name", "kind", "aliases", "geometry", "min_lon",
                  "min_lat", "max_lon", "max_lat", "modus_operandi", "description", "incidents",
                  "is_synthetic", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = ["organisation", "min_lon", "min_lat", "max_lon", "max_lat",
                            "created_at", "updated_at"]  # fmt: skip

    def to_representation(self, instance: ThreatActor) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None:  # only the incidents this user may see
            from minewatch.core.tenancy import restrict

            data["incidents"] = list(
                restrict(Incident.objects.filter(pk__in=data["incidents"]), request.user)
                .values_list("pk", flat=True)
            )  # fmt: skip
        return data

    def create(self, validated: dict[str, Any]) -> ThreatActor:
        return services.save_actor(actor=self.context["request"].user, **validated)

    def update(self, instance: ThreatActor, validated: dict[str, Any]) -> ThreatActor:
        data: dict[str, Any] = {
            k: getattr(instance, k)
            for k in (
                "name",
                "kind",
                "aliases",
                "geometry",
                "modus_operandi",
                "description",
                "is_synthetic",
            )
        }
        data.update(validated)
        return services.save_actor(actor=self.context["request"].user, threat_actor=instance,
                                   **data)  # fmt: skip


class ActorLinkSerializer(SourceProtectedSerializer):
    from_actor = VisibleRelatedField(queryset=ThreatActor.objects.all())
    to_actor = VisibleRelatedField(queryset=ThreatActor.objects.all())
    source = VisibleRelatedField(queryset=IntelSource.objects.all(), required=False,
                                 allow_null=True)  # fmt: skip
    source_name = serializers.CharField(source="source.name", read_only=True, default=None)
    report = VisibleRelatedField(queryset=IntelReport.objects.all(), required=False,
                                 allow_null=True)  # fmt: skip
    relation = serializers.CharField()
    confidence = serializers.FloatField(required=False, default=0.5)

    class Meta:
        model = ActorLink
        fields = ["id", "organisation", "from_actor", "to_actor", "relation", "evidence",
                  "source", "source_name", "report", "confidence", "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "created_at"]

    def create(self, validated: dict[str, Any]) -> ActorLink:
        return services.link_actors(actor=self.context["request"].user, **validated)

    def update(self, instance: ActorLink, validated: dict[str, Any]) -> ActorLink:
        data = {k: getattr(instance, k) for k in ("from_actor", "to_actor", "relation", "evidence",
                                                  "source", "report", "confidence")}  # fmt: skip
        data.update(validated)
        return services.link_actors(actor=self.context["request"].user, **data)


class EarlyWarningSerializer(serializers.ModelSerializer):
    site_name = serializers.CharField(source="site.name", read_only=True, default=None)
    route_name = serializers.CharField(source="route.name", read_only=True, default=None)

    class Meta:
        model = EarlyWarning
        fields = ["id", "organisation", "target_kind", "site", "site_name", "route",
                  "route_name", "window_start", "window_end", "total_weight", "min_weight",
                  "window_days", "distance_km", "reasons", "reports", "incidents", "status",
                  "raised_at"]  # fmt: skip


class EarlyWarningSettingsSerializer(serializers.ModelSerializer):
    """An organisation's early-warning settings; the service checks every value (400 naming it).

    Grade tables may be sent partially (``{"reliability_weights": {"B": 0.9}}``).
    """

    window_days = serializers.FloatField(required=False)
    distance_km = serializers.FloatField(required=False)
    min_weight = serializers.FloatField(required=False)
    min_signals = serializers.IntegerField(required=False)
    reliability_weights = serializers.JSONField(required=False)
    credibility_weights = serializers.JSONField(required=False)

    class Meta:
        model = EarlyWarningSettings
        fields = ["id", "organisation", *early_warnings.SETTINGS_FIELDS, "updated_at"]
        read_only_fields = ["organisation", "updated_at"]

    def update(
        self, instance: EarlyWarningSettings, validated: dict[str, Any]
    ) -> EarlyWarningSettings:
        return early_warnings.save_warning_settings(
            instance, actor=self.context["request"].user, **validated
        )


class IncidentLinkSerializer(serializers.Serializer):
    """Link a threat actor to an incident the user can see (role: perpetrator, suspected, ...)."""

    incident = serializers.IntegerField()
    role = serializers.CharField(required=False, default=IncidentRole.SUSPECTED)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class IncidentLinkOutSerializer(serializers.Serializer):
    actor = serializers.IntegerField(source="actor_id")
    incident = serializers.IntegerField(source="incident_id")
    role = serializers.CharField()
    note = serializers.CharField()


class StatusSerializer(serializers.Serializer):
    status = serializers.CharField()


class IntelReportViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Intelligence reports graded with the Admiralty code."""

    queryset = IntelReport.objects.select_related("source", "author").prefetch_related(
        "actors", "sites", "incidents"
    )
    serializer_class = IntelReportSerializer
    filterset_class = IntelReportFilterSet
    write_capability = "analyse"


class IntelSourceViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Protected sources: analysts and managers of the owning organisation only."""

    queryset = IntelSource.objects.select_related("handler")
    serializer_class = IntelSourceSerializer
    filterset_class = IntelSourceFilterSet
    write_capability = "see_sources"
    action_capabilities = {"list": "see_sources", "retrieve": "see_sources"}


class ThreatActorViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                         viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Threat actors, and their neighbourhood in the actor graph."""

    queryset = ThreatActor.objects.prefetch_related("incident_links")
    serializer_class = ThreatActorSerializer
    filterset_class = ThreatActorFilterSet
    write_capability = "analyse"
    action_capabilities = {"link_incident": "analyse"}

    @extend_schema(
        parameters=[OpenApiParameter("hops", int, description="1–6 edges (default 2)")],
        responses=dict,
    )
    @action(detail=True, methods=["get"])
    def graph(self, request: Request, pk: str | None = None) -> Response:
        """Actors, incidents and reports within ``hops`` edges, and how each actor is reached."""
        threat_actor = self.get_object()
        raw = request.query_params.get("hops", "2")
        try:
            hops = int(raw)
        except ValueError:
            raise InvalidInput(f"{raw!r} is not a whole number", field="hops") from None
        try:
            body = neighbourhood(
                queries.actor_graph(request.user), f"actor:{threat_actor.pk}", hops
            )
        except ValueError as exc:
            raise InvalidInput(str(exc), field="hops") from None
        return Response(body)

    @extend_schema(request=IncidentLinkSerializer, responses={201: IncidentLinkOutSerializer})
    @action(detail=True, methods=["post"], url_path="incidents")
    def link_incident(self, request: Request, pk: str | None = None) -> Response:
        """Link this actor to an incident (or change the role of an existing link)."""
        threat_actor = self.get_object()
        body = IncidentLinkSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        link = services.link_actor_to_incident(
            actor=request.user, threat_actor=threat_actor, **body.validated_data
        )
        return Response(IncidentLinkOutSerializer(link).data, status=201)


class ActorLinkViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Links between actors with evidence and confidence."""

    queryset = ActorLink.objects.select_related("source")
    serializer_class = ActorLinkSerializer
    filterset_class = ActorLinkFilterSet
    write_capability = "analyse"


class TriageSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=services.TRIAGE_DECISIONS)
    incident = serializers.IntegerField(required=False, allow_null=True, default=None,
                                        min_value=1, max_value=2**31 - 1)  # fmt: skip
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=400)


class EarlyWarningViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Early warnings raised by the scan; operators acknowledge or close them."""

    queryset = EarlyWarning.objects.select_related("site", "route").prefetch_related(
        "reports", "incidents"
    )
    serializer_class = EarlyWarningSerializer
    filterset_class = EarlyWarningFilterSet
    action_capabilities = {"status": "operate", "triage": "read"}

    @extend_schema(request=StatusSerializer, responses=EarlyWarningSerializer)
    @action(detail=True, methods=["post"])
    def status(self, request: Request, pk: str | None = None) -> Response:
        """Set the warning's status (open, acknowledged, closed)."""
        body = StatusSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warning = services.set_warning_status(
            self.get_object(), actor=request.user, status=body.validated_data["status"]
        )
        return Response(self.get_serializer(warning).data)

    @extend_schema(request=TriageSerializer, responses=EarlyWarningSerializer)
    @action(detail=True, methods=["post"])
    def triage(self, request: Request, pk: str | None = None) -> Response:
        """Accept, dismiss, or link the warning to an incident (analysts, operators, managers)."""
        body = TriageSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        warning = services.triage_warning(self.get_object(), actor=request.user,
                                          **body.validated_data)  # fmt: skip
        return Response(self.get_serializer(warning).data)


class EarlyWarningSettingsViewSet(TenantViewSetMixin, mixins.UpdateModelMixin,
                                  viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """The organisation's early-warning settings (window, distance, threshold, grade weights).

    Everyone of the organisation reads them; analysts and managers change them. The
    automatic scan and ``minewatch intel warnings`` use them.
    """

    queryset = EarlyWarningSettings.objects.all()
    serializer_class = EarlyWarningSettingsSerializer
    write_capability = "analyse"


def grading_payload() -> dict[str, Any]:
    """Both Admiralty scales with their meanings in Spanish and English and their weights."""
    return {
        key: [{"code": g.code, "label": {"es": g.label_es, "en": g.label_en}, "weight": g.weight}
              for g in scale]
        for key, scale in (("source_reliability", SOURCE_RELIABILITY),
                           ("information_credibility", INFORMATION_CREDIBILITY))
    }  # fmt: skip


@extend_schema(responses=dict)
@api_view(["GET"])
def grading_view(request: Request) -> Response:
    """The Admiralty grading scales (A–F, 1–6) with their standard meanings."""
    return Response(grading_payload())


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("intel-reports", IntelReportViewSet)
    router.register("intel-sources", IntelSourceViewSet)
    router.register("actors", ThreatActorViewSet)
    router.register("actor-links", ActorLinkViewSet)
    router.register("early-warnings", EarlyWarningViewSet)
    router.register("early-warning-settings", EarlyWarningSettingsViewSet)


api_urls = [path("intel-grading/", grading_view, name="api-intel-grading")]
