"""REST API of the sharing app: settings, TLP, groups, agreements, what came in, exports.

The TAXII 2.1 server is in ``taxii.py`` (its own media type and envelope).
"""

from __future__ import annotations

import io
from typing import Any

from django.http import HttpResponse
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from minewatch.core.api import TenantViewSetMixin
from minewatch.core.checks import organisation_id, require
from minewatch.core.errors import InvalidInput
from minewatch.core.models import Organisation
from minewatch.sharing import queries, services
from minewatch.sharing.choices import SharedPrecision, TlpLevel
from minewatch.sharing.engine import acled
from minewatch.sharing.filtersets import (
    AcledEventFilterSet,
    ExternalIntelFilterSet,
    SharedRecordFilterSet,
)
from minewatch.sharing.models import (
    AcledEvent,
    ExternalIntel,
    GroupMembership,
    SharedRecord,
    SharingAgreement,
    SharingGroup,
    SharingSettings,
    TlpOverride,
)
from minewatch.sharing.research import research_release


class SharingSettingsSerializer(serializers.ModelSerializer):
    class Meta:
        model = SharingSettings
        fields = ["id", "organisation", "default_tlp", "research_k", "research_generalisation",
                  "research_grid_deg", "updated_at"]  # fmt: skip
        read_only_fields = ["organisation", "updated_at"]

    def update(self, instance: SharingSettings, validated: dict[str, Any]) -> SharingSettings:
        return services.save_settings(actor=self.context["request"].user, **validated)


class SharingSettingsViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.UpdateModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """The organisation's default TLP and research-export settings (one row)."""

    queryset = SharingSettings.objects.order_by("pk")
    serializer_class = SharingSettingsSerializer
    write_capability = "share"

    def get_queryset(self) -> Any:
        org_id = getattr(self.request.user, "organisation_id", None)
        if org_id is not None:
            queries.settings_for(org_id)
        return super().get_queryset()


class TlpOverrideSerializer(serializers.ModelSerializer):
    class Meta:
        model = TlpOverride
        fields = ["id", "object_kind", "object_id", "tlp"]

    def validate_object_id(self, value: int) -> int:
        if value > 2**63 - 1:
            raise serializers.ValidationError("not a record id")
        return value

    def create(self, validated: dict[str, Any]) -> TlpOverride:
        found = services.set_tlp(actor=self.context["request"].user, **validated)
        assert found is not None  # tlp is required here
        return found


class TlpOverrideViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin,
                         mixins.RetrieveModelMixin, mixins.DestroyModelMixin,
                         viewsets.GenericViewSet):  # fmt: skip
    """Per-record TLP levels over the organisation's default (POST sets, DELETE returns to default)."""

    queryset = TlpOverride.objects.order_by("object_kind", "object_id")
    serializer_class = TlpOverrideSerializer
    write_capability = "share"

    def perform_destroy(self, instance: TlpOverride) -> None:
        services.set_tlp(actor=self.request.user, object_kind=instance.object_kind,
                         object_id=instance.object_id, tlp="")  # fmt: skip


class SharingGroupSerializer(serializers.ModelSerializer):
    convenor = serializers.CharField(source="organisation.name", read_only=True)
    members = serializers.SerializerMethodField()

    class Meta:
        model = SharingGroup
        fields = ["id", "name", "description", "convenor", "members", "created_at"]
        read_only_fields = ["created_at"]

    def get_members(self, group: SharingGroup) -> list[str]:
        return services.members_named(group)

    def create(self, validated: dict[str, Any]) -> SharingGroup:
        return services.create_group(actor=self.context["request"].user, **validated)


class AddMemberSerializer(serializers.Serializer):
    organisation = serializers.IntegerField(min_value=1, max_value=2**63 - 1)


class SharingGroupViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin,
                          mixins.RetrieveModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """Industry sharing groups the organisation convenes or belongs to."""

    queryset = SharingGroup.objects.select_related("organisation")
    serializer_class = SharingGroupSerializer
    write_capability = "share"

    @extend_schema(request=AddMemberSerializer, responses=SharingGroupSerializer)
    @action(detail=True, methods=["post"])
    def members(self, request: Request, pk: str | None = None) -> Response:
        """Admit an organisation (by id) to the group: the convenor only."""
        group = self.get_object()
        data = AddMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        organisation = Organisation.objects.filter(pk=data.validated_data["organisation"]).first()
        if organisation is None:
            raise InvalidInput("unknown organisation", field="organisation")
        services.add_member(actor=request.user, group=group, organisation=organisation)
        return Response(self.get_serializer(group).data)


class GroupMembershipSerializer(serializers.ModelSerializer):
    group_name = serializers.CharField(source="group.name", read_only=True)
    threats = serializers.ListField(child=serializers.CharField(max_length=32), max_length=10,
                                    required=False)  # fmt: skip

    class Meta:
        model = GroupMembership
        fields = ["id", "group", "group_name", "organisation", "threats", "share_actors",
                  "precision", "tlp_ceiling", "reveal_identity", "is_active", "joined_at"]  # fmt: skip
        read_only_fields = ["group", "organisation", "joined_at"]

    def update(self, instance: GroupMembership, validated: dict[str, Any]) -> GroupMembership:
        values = {
            name: validated.get(name, getattr(instance, name))
            for name in (
                "threats",
                "share_actors",
                "precision",
                "tlp_ceiling",
                "reveal_identity",
                "is_active",
            )
        }
        return services.set_membership_policy(
            instance, actor=self.context["request"].user, **values
        )


class GroupMembershipViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                             mixins.UpdateModelMixin, viewsets.GenericViewSet):  # fmt: skip
    """The organisation's memberships: what it shares with each group (PATCH to choose)."""

    queryset = GroupMembership.objects.select_related("group")
    serializer_class = GroupMembershipSerializer
    write_capability = "share"


class SharedRecordSerializer(serializers.ModelSerializer):
    shared_by = serializers.SerializerMethodField()

    class Meta:
        model = SharedRecord
        fields = ["id", "group", "kind", "title", "threat", "incident_type", "severity",
                  "occurred_on", "lat", "lon", "precision", "tlp", "details", "shared_by",
                  "shared_at"]  # fmt: skip

    def get_shared_by(self, record: SharedRecord) -> str | None:
        """The sharer's name only when it allowed it (or for its own records)."""
        user = self.context["request"].user
        if record.reveal_identity or record.organisation_id == user.organisation_id:
            return record.organisation.name
        return None


class SharedRecordViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """What members shared with the groups the organisation belongs to (a separate layer)."""

    queryset = SharedRecord.objects.select_related("organisation")
    serializer_class = SharedRecordSerializer
    filterset_class = SharedRecordFilterSet


class SharingAgreementSerializer(serializers.ModelSerializer):
    threats = serializers.ListField(child=serializers.CharField(max_length=32), max_length=10,
                                    required=False)  # fmt: skip
    publisher = serializers.CharField(source="organisation.name", read_only=True)
    partner = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all(),
                                                 required=False, allow_null=True)  # fmt: skip
    group = serializers.PrimaryKeyRelatedField(queryset=SharingGroup.objects.all(),
                                               required=False, allow_null=True)  # fmt: skip

    class Meta:
        model = SharingAgreement
        fields = ["id", "name", "description", "publisher", "partner", "group", "collection_id",
                  "threats", "include_incidents", "include_actors", "include_reports",
                  "tlp_ceiling", "precision", "is_active", "valid_until", "created_at"]  # fmt: skip
        read_only_fields = ["collection_id", "created_at"]

    def create(self, validated: dict[str, Any]) -> SharingAgreement:
        return services.save_agreement(actor=self.context["request"].user, **validated)

    def update(self, instance: SharingAgreement, validated: dict[str, Any]) -> SharingAgreement:
        return services.save_agreement(actor=self.context["request"].user, agreement=instance,
                                       **validated)  # fmt: skip


class SharingAgreementViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.CreateModelMixin,
                              mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                              viewsets.GenericViewSet):  # fmt: skip
    """What the organisation publishes (and what partners publish to it): TAXII collections."""

    queryset = SharingAgreement.objects.select_related("organisation")
    serializer_class = SharingAgreementSerializer
    write_capability = "share"


class ExternalIntelSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExternalIntel
        fields = ["id", "stix_id", "stix_type", "name", "description", "aliases", "partner",
                  "modified", "tlp", "source_reliability", "information_credibility", "lat",
                  "lon", "actors", "imported_at"]  # fmt: skip


class ExternalIntelViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Intelligence received from partners (STIX imports), graded and linked to our actors."""

    queryset = ExternalIntel.objects.prefetch_related("actors")
    serializer_class = ExternalIntelSerializer
    filterset_class = ExternalIntelFilterSet


class AcledEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AcledEvent
        fields = ["id", "event_id_cnty", "event_date", "event_type", "sub_event_type", "actor1",
                  "actor2", "country", "admin1", "admin2", "admin3", "location", "lat", "lon",
                  "fatalities", "notes", "source", "threat", "incident_type", "batch"]  # fmt: skip


class AcledEventViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Imported ACLED events: the map's context layer and the forecast's outside events."""

    queryset = AcledEvent.objects.all()
    serializer_class = AcledEventSerializer
    filterset_class = AcledEventFilterSet

    @extend_schema(responses={(200, "text/csv"): str})
    @action(detail=False, methods=["get"], url_path="backtest-csv", pagination_class=None)
    def backtest_csv(self, request: Request) -> HttpResponse:
        """The (filtered) events as a forecast backtest CSV for ``risk backtest --events``."""
        import csv

        rows = self.filter_queryset(self.get_queryset()).order_by("event_date", "id")
        handle = io.StringIO()
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["time", "lat", "lon", "threat", "type"])
        writer.writerows(acled.backtest_rows(acled.AcledEventRow(
            event_id_cnty=e.event_id_cnty, event_date=e.event_date, event_type=e.event_type,
            sub_event_type=e.sub_event_type, actor1="", actor2="", country="", admin1="",
            admin2="", admin3="", location="", lat=e.lat, lon=e.lon, fatalities=e.fatalities,
            notes="", source="", threat=e.threat, incident_type=e.incident_type, raw={},
        ) for e in rows.iterator()))  # fmt: skip
        response = HttpResponse(handle.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="acled-events.csv"'
        return response


# ---- exports and imports -------------------------------------------------------------


class ExportQuerySerializer(serializers.Serializer):
    threat = serializers.MultipleChoiceField(choices=queries.ALL_THREATS, required=False)
    tlp_ceiling = serializers.ChoiceField(choices=TlpLevel.values, default=TlpLevel.AMBER)
    precision = serializers.ChoiceField(choices=SharedPrecision.values,
                                        default=SharedPrecision.APPROXIMATE)  # fmt: skip

    def scope(self) -> queries.ExportScope:
        data = self.validated_data
        return queries.ExportScope(threats=tuple(sorted(data.get("threat") or queries.ALL_THREATS)),
                                   tlp_ceiling=data["tlp_ceiling"], precision=data["precision"])  # fmt: skip


def _export_scope(request: Request) -> queries.ExportScope:
    require(request.user, "share", "export information outside your organisation")
    organisation_id(request.user)
    params = ExportQuerySerializer(data={
        **({"threat": request.query_params.getlist("threat")} if "threat" in request.query_params else {}),
        **{key: request.query_params[key] for key in ("tlp_ceiling", "precision")
           if key in request.query_params},
    })  # fmt: skip
    params.is_valid(raise_exception=True)
    return params.scope()


class StixExportView(APIView):
    """A STIX 2.1 bundle of the organisation's shareable records (managers)."""

    @extend_schema(parameters=[ExportQuerySerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        scope = _export_scope(request)
        return Response(queries.stix_bundle(request.user.organisation_id, scope, user=request.user))


class AcledExportView(APIView):
    """The organisation's shareable incidents as an ACLED CSV."""

    @extend_schema(parameters=[ExportQuerySerializer], responses={(200, "text/csv"): str})
    def get(self, request: Request) -> HttpResponse:
        scope = _export_scope(request)
        handle = io.StringIO()
        acled.write_csv(queries.acled_incidents(request.user.organisation_id, scope,
                                                request.user), handle)  # fmt: skip
        response = HttpResponse(handle.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="minewatch-acled.csv"'
        return response


class ResearchQuerySerializer(serializers.Serializer):
    k = serializers.IntegerField(min_value=2, max_value=1000, required=False)
    generalisation = serializers.ChoiceField(choices=["region", "grid"], required=False)
    grid_deg = serializers.FloatField(min_value=0.05, max_value=5.0, required=False)


class ResearchExportView(APIView):
    """The anonymised research release: rows plus what was suppressed (k-anonymity)."""

    @extend_schema(parameters=[ResearchQuerySerializer], responses={200: dict})
    def get(self, request: Request) -> Response:
        require(request.user, "share", "export information outside your organisation")
        organisation_id(request.user)
        params = ResearchQuerySerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        try:
            release = research_release(request.user.organisation_id, user=request.user,
                                       **params.validated_data)  # fmt: skip
        except ValueError as exc:
            raise InvalidInput(str(exc), field="k") from None
        return Response({"summary": release.summary(), "rows": release.rows})


class StixImportSerializer(serializers.Serializer):
    partner = serializers.CharField(max_length=200)
    source_reliability = serializers.ChoiceField(choices=list("ABCDEF"), default="C")
    bundle = serializers.JSONField()


class StixImportView(APIView):
    """Import a partner's STIX bundle as external intelligence; errors name each skipped object."""

    parser_classes = [JSONParser]

    @extend_schema(request=StixImportSerializer, responses={200: dict})
    def post(self, request: Request) -> Response:
        require(request.user, "share", "import partners' intelligence")
        data = StixImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        import json

        result = services.import_stix(
            actor=request.user, text=json.dumps(data.validated_data["bundle"]),
            partner=data.validated_data["partner"],
            source_reliability=data.validated_data["source_reliability"],
        )  # fmt: skip
        return Response(result.as_dict())


class AcledImportSerializer(serializers.Serializer):
    file = serializers.FileField()
    skip_bad = serializers.BooleanField(default=False)


class AcledImportView(APIView):
    """Import an ACLED CSV (multipart ``file``); without ``skip_bad`` any bad row stores nothing."""

    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": AcledImportSerializer}, responses={200: dict})
    def post(self, request: Request) -> Response:
        require(request.user, "share", "import ACLED files")
        data = AcledImportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput("the file is not UTF-8 text", field="file") from None
        result, _rows = services.import_acled(actor=request.user, handle=io.StringIO(text),
                                              filename=upload.name or "acled.csv",
                                              skip_bad=data.validated_data["skip_bad"])  # fmt: skip
        status = 400 if result.errors and not data.validated_data["skip_bad"] else 200
        return Response(result.as_dict(), status=status)


def register(router: BaseRouter) -> None:
    router.register("sharing-settings", SharingSettingsViewSet, basename="sharing-settings")
    router.register("tlp-overrides", TlpOverrideViewSet, basename="tlp-override")
    router.register("sharing-groups", SharingGroupViewSet, basename="sharing-group")
    router.register("group-memberships", GroupMembershipViewSet, basename="group-membership")
    router.register("shared-records", SharedRecordViewSet, basename="shared-record")
    router.register("sharing-agreements", SharingAgreementViewSet, basename="sharing-agreement")
    router.register("external-intel", ExternalIntelViewSet, basename="external-intel")
    router.register("acled-events", AcledEventViewSet, basename="acled-event")


def _taxii_urls() -> list[Any]:
    from minewatch.sharing import taxii

    return taxii.urlpatterns


api_urls = [
    path("sharing/stix-export/", StixExportView.as_view(), name="sharing-stix-export"),
    path("sharing/acled-export/", AcledExportView.as_view(), name="sharing-acled-export"),
    path("sharing/research-export/", ResearchExportView.as_view(), name="sharing-research-export"),
    path("sharing/stix-import/", StixImportView.as_view(), name="sharing-stix-import"),
    path("sharing/acled-import/", AcledImportView.as_view(), name="sharing-acled-import"),
    *_taxii_urls(),
]
