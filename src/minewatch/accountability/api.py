"""REST API of the accountability app: grievances and use-of-force reports.

Serializers shape data; the services validate (400 naming the field) and write.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.accountability.engine.legal import MODALITIES, PROHIBITED
from minewatch.accountability.filtersets import GrievanceFilterSet, UseOfForceReportFilterSet
from minewatch.accountability.models import (
    Contractor,
    Grievance,
    InKindSupport,
    PublicSecurityAgreement,
    UseOfForceAmendment,
    UseOfForceReport,
    can_see_complainant,
)
from minewatch.accountability.services import agreements as agreement_services
from minewatch.accountability.services import contractors as contractor_services
from minewatch.accountability.services import grievances as grievance_services
from minewatch.accountability.services import use_of_force as force_services
from minewatch.core.api import TenantViewSetMixin

IDENTITY_FIELDS = ("complainant_name", "complainant_contact")


class GrievanceSerializer(serializers.ModelSerializer):
    """A grievance; the complainant's identity only for the owner's liaison and security manager."""

    category = serializers.CharField()
    channel = serializers.CharField()
    contractor = serializers.IntegerField(source="contractor_id", required=False, allow_null=True)
    site = serializers.IntegerField(source="site_id", required=False, allow_null=True)
    use_of_force_report = serializers.IntegerField(source="use_of_force_report_id",
                                                   required=False, allow_null=True)  # fmt: skip
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    received_at = serializers.DateTimeField(required=False)
    has_photo = serializers.SerializerMethodField()
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Grievance
        fields = [
            "id", "organisation", "reference", "tracking_code", "channel", "category",
            "description", "place_name", "lat", "lon", "site", "occurred_on", "occurred_when",
            "is_anonymous", "complainant_name", "complainant_contact", "language", "contractor",
            "personnel", "use_of_force_report", "has_photo", "status", "status_label",
            "received_at", "filed_by", "acknowledge_due_on", "acknowledged_at", "assigned_to",
            "response_due_on", "response", "responded_at", "outcome", "remedy", "appeal_reason",
            "appealed_at", "closed_at", "non_retaliation_noted", "is_synthetic", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "organisation", "reference", "tracking_code", "is_anonymous", "language", "status",
            "filed_by", "acknowledge_due_on", "acknowledged_at", "assigned_to",
            "response_due_on", "response", "responded_at", "outcome", "remedy",
            "appeal_reason", "appealed_at", "closed_at", "created_at",
        ]  # fmt: skip

    def get_has_photo(self, grievance: Grievance) -> bool:
        return bool(grievance.photo_sha256)

    def to_representation(self, instance: Grievance) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is None or not can_see_complainant(request.user, instance):
            for name in (*IDENTITY_FIELDS, "tracking_code"):
                data.pop(name, None)
        return data

    def _links(self, validated: dict[str, Any]) -> dict[str, Any]:
        return {name: validated.pop(f"{name}_id") for name in
                ("contractor", "site", "use_of_force_report") if f"{name}_id" in validated}  # fmt: skip

    def create(self, validated: dict[str, Any]) -> Grievance:
        links = self._links(validated)
        return grievance_services.file_grievance(actor=self.context["request"].user,
                                                 **validated, **links)  # fmt: skip

    def update(self, instance: Grievance, validated: dict[str, Any]) -> Grievance:
        links = self._links(validated)
        for name in ("category", "personnel", "non_retaliation_noted"):
            if name in validated:
                links[name] = validated.pop(name)
        if validated:
            field = sorted(validated)[0]
            raise serializers.ValidationError(
                {field: ["the facts of a grievance are kept as received; add a note instead"]}
            )
        return grievance_services.update_grievance_links(
            instance, actor=self.context["request"].user, **links
        )


class GrievanceNoteSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AssignSerializer(GrievanceNoteSerializer):
    assigned_to = serializers.IntegerField()


class RespondSerializer(serializers.Serializer):
    response = serializers.CharField()
    outcome = serializers.CharField()
    remedy = serializers.CharField(required=False, allow_blank=True, default="")


class AppealSerializer(serializers.Serializer):
    reason = serializers.CharField()


class GrievanceViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Grievances of the organisation (and, for a contractor, about its own personnel)."""

    queryset = Grievance.objects.select_related("contractor", "assigned_to")
    serializer_class = GrievanceSerializer
    filterset_class = GrievanceFilterSet
    write_capability = "community"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def _step(self, request: Request, body_class: type, service: Any, rename: dict | None = None
              ) -> Response:  # fmt: skip
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        for old, new in (rename or {}).items():
            values[new] = values.pop(old)
        grievance = service(self.get_object(), actor=request.user, **values)
        return Response(self.get_serializer(grievance).data)

    @extend_schema(request=GrievanceNoteSerializer, responses=GrievanceSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, pk: str | None = None) -> Response:
        """received → acknowledged (the response deadline starts)."""
        return self._step(
            request, GrievanceNoteSerializer, grievance_services.acknowledge_grievance
        )

    @extend_schema(request=AssignSerializer, responses=GrievanceSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """acknowledged or appealed → under review by a person of the organisation."""
        return self._step(request, AssignSerializer, grievance_services.assign_grievance,
                          {"assigned_to": "assignee"})  # fmt: skip

    @extend_schema(request=RespondSerializer, responses=GrievanceSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request: Request, pk: str | None = None) -> Response:
        """under review → response given, with the outcome and remedy."""
        return self._step(request, RespondSerializer, grievance_services.respond_to_grievance)

    @extend_schema(request=GrievanceNoteSerializer, responses=GrievanceSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request: Request, pk: str | None = None) -> Response:
        """response given (or acknowledged, withdrawn) → closed."""
        return self._step(request, GrievanceNoteSerializer, grievance_services.close_grievance)

    @extend_schema(request=AppealSerializer, responses=GrievanceSerializer)
    @action(detail=True, methods=["post"])
    def appeal(self, request: Request, pk: str | None = None) -> Response:
        """response given or closed → appealed (then reviewed again)."""
        return self._step(request, AppealSerializer, grievance_services.appeal_grievance)


class UseOfForceAmendmentSerializer(serializers.ModelSerializer):
    amended_by_name = serializers.CharField(source="amended_by.username", read_only=True,
                                            default=None)  # fmt: skip

    class Meta:
        model = UseOfForceAmendment
        fields = ["id", "field", "old_value", "new_value", "reason", "amended_by",
                  "amended_by_name", "amended_at"]  # fmt: skip


class UseOfForceReportSerializer(serializers.ModelSerializer):
    """A use-of-force report; the service checks every value (400 naming the field)."""

    force_level = serializers.CharField()
    justification = serializers.CharField(required=False, allow_blank=True)
    incident = serializers.IntegerField(source="incident_id", required=False, allow_null=True)
    site = serializers.IntegerField(source="site_id", required=False, allow_null=True)
    contractor = serializers.IntegerField(source="contractor_id", required=False,
                                          allow_null=True)  # fmt: skip
    lat = serializers.FloatField(required=False, allow_null=True)
    lon = serializers.FloatField(required=False, allow_null=True)
    rounds_fired = serializers.IntegerField(required=False)
    amendments = UseOfForceAmendmentSerializer(many=True, read_only=True)
    force_level_label = serializers.CharField(source="get_force_level_display", read_only=True)

    class Meta:
        model = UseOfForceReport
        fields = [
            "id", "organisation", "reference", "incident", "site", "occurred_at", "place",
            "lat", "lon", "personnel", "contractor", "subjects", "force_level",
            "force_level_label", "warning_given", "warning_details", "justification",
            "justification_details", "injuries_personnel", "injuries_subjects", "has_injuries",
            "medical_aid_given", "medical_aid_at", "medical_aid_details", "rounds_fired",
            "weapon", "witnesses", "police_informed", "police_informed_at", "police_unit",
            "reporter", "filed_at", "filing_due_at", "is_late", "status", "review_opened_at",
            "reviewer", "reviewed_at", "finding", "review_actions", "amendments",
            "is_synthetic", "created_at",
        ]  # fmt: skip
        read_only_fields = [
            "organisation", "reference", "has_injuries", "reporter", "filed_at",
            "filing_due_at", "is_late", "status", "review_opened_at", "reviewer", "reviewed_at",
            "finding", "review_actions", "created_at",
        ]  # fmt: skip

    @staticmethod
    def _values(validated: dict[str, Any]) -> dict[str, Any]:
        for name in ("incident", "site", "contractor"):
            if f"{name}_id" in validated:
                validated[name] = validated.pop(f"{name}_id")
        return validated

    def create(self, validated: dict[str, Any]) -> UseOfForceReport:
        return force_services.file_use_of_force_report(actor=self.context["request"].user,
                                                       **self._values(validated))  # fmt: skip

    def update(self, instance: UseOfForceReport, validated: dict[str, Any]) -> UseOfForceReport:
        return force_services.update_use_of_force_report(
            instance, actor=self.context["request"].user, **self._values(validated)
        )


class ReviewSerializer(serializers.Serializer):
    finding = serializers.CharField()
    actions = serializers.CharField(required=False, allow_blank=True, default="")


class AmendSerializer(serializers.Serializer):
    reason = serializers.CharField()
    changes = serializers.DictField(help_text="field → new value, as in the report")


class UseOfForceReportViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                              mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Use-of-force reports: filed by field staff and operators, reviewed by another manager.

    Nothing is deletable; a reviewed report changes only through ``amend``.
    """

    queryset = UseOfForceReport.objects.select_related("reporter", "reviewer").prefetch_related(
        "amendments"
    )
    serializer_class = UseOfForceReportSerializer
    filterset_class = UseOfForceReportFilterSet
    write_capability = "report_use_of_force"
    action_capabilities = {"review": "review_use_of_force",
                           "open_review": "review_use_of_force"}  # fmt: skip
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=ReviewSerializer, responses=UseOfForceReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request: Request, pk: str | None = None) -> Response:
        """Record the finding and actions (a manager who is not the reporter)."""
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        report = force_services.review_use_of_force(self.get_object(), actor=request.user,
                                                    **body.validated_data)  # fmt: skip
        return Response(self.get_serializer(report).data)

    @extend_schema(request=None, responses=UseOfForceReportSerializer)
    @action(detail=True, methods=["post"], url_path="open-review")
    def open_review(self, request: Request, pk: str | None = None) -> Response:
        """Take a filed report into review."""
        report = force_services.open_review(self.get_object(), actor=request.user)
        return Response(self.get_serializer(report).data)

    @extend_schema(request=AmendSerializer, responses=UseOfForceReportSerializer)
    @action(detail=True, methods=["post"])
    def amend(self, request: Request, pk: str | None = None) -> Response:
        """Amend a reviewed report: each changed field is kept with the reason."""
        body = AmendSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        changes = dict(body.validated_data["changes"])
        partial = UseOfForceReportSerializer(data=changes, partial=True)
        partial.is_valid(raise_exception=True)
        values = UseOfForceReportSerializer._values(dict(partial.validated_data))
        report = force_services.amend_use_of_force_report(
            self.get_object(), actor=request.user, reason=body.validated_data["reason"], **values
        )
        return Response(self.get_serializer(report).data)


class ContractorSerializer(serializers.ModelSerializer):
    """A registry entry; RUC, modalities and ICoCA status checked by the service (400 naming it)."""

    company = serializers.IntegerField(source="company_id")
    company_name = serializers.CharField(source="company.name", read_only=True)
    ruc = serializers.CharField()
    icoca_status = serializers.CharField(required=False)
    modalities = serializers.ListField(child=serializers.CharField(), allow_empty=True)
    track_record = serializers.SerializerMethodField()

    class Meta:
        model = Contractor
        fields = ["id", "organisation", "company", "company_name", "ruc", "sucamec_authorisation",
                  "sucamec_expires_on", "modalities", "icoca_status", "icoca_since", "insurer",
                  "insurance_policy", "insurance_expires_on", "contract_starts_on",
                  "contract_ends_on", "notes", "is_synthetic", "track_record", "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "created_at"]

    def get_track_record(self, contractor: Contractor) -> dict[str, Any] | None:
        view = self.context.get("view")
        if view is None or getattr(view, "action", None) != "retrieve":
            return None  # computed on the detail only (a handful of queries each)
        return contractor_services.track_record(contractor)

    def _values(self, validated: dict[str, Any]) -> dict[str, Any]:
        if "company_id" in validated:
            validated["company"] = validated.pop("company_id")
        return validated

    def create(self, validated: dict[str, Any]) -> Contractor:
        return contractor_services.save_contractor(actor=self.context["request"].user,
                                                   **self._values(validated))  # fmt: skip

    def update(self, instance: Contractor, validated: dict[str, Any]) -> Contractor:
        return contractor_services.save_contractor(
            actor=self.context["request"].user, contractor=instance, **self._values(validated)
        )


class AssignmentRequestSerializer(serializers.Serializer):
    site = serializers.IntegerField()
    modality = serializers.CharField()
    starts_on = serializers.DateField(required=False, allow_null=True)
    ends_on = serializers.DateField(required=False, allow_null=True)


class AssignmentOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    site = serializers.IntegerField(source="site_id")
    contractor = serializers.IntegerField(source="contractor_id")
    modality = serializers.CharField()
    service = serializers.CharField()
    starts_on = serializers.DateField(allow_null=True)
    ends_on = serializers.DateField(allow_null=True)


class ContractorViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                        viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """The client's registry of private security companies (the company reads its own entry)."""

    queryset = Contractor.objects.select_related("company")
    serializer_class = ContractorSerializer
    write_capability = "manage_contractors"
    filterset_fields = ["icoca_status", "company"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=AssignmentRequestSerializer, responses={201: AssignmentOutSerializer})
    @action(detail=True, methods=["post"])
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Assign the contractor to a site for a modality its SUCAMEC authorisation covers."""
        body = AssignmentRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assignment = contractor_services.assign_contractor_to_site(
            actor=request.user, contractor=self.get_object(), **body.validated_data
        )
        return Response(AssignmentOutSerializer(assignment).data, status=201)


class InKindSupportSerializer(serializers.ModelSerializer):
    kind = serializers.CharField()
    value_pen = serializers.CharField()

    class Meta:
        model = InKindSupport
        fields = ["id", "kind", "description", "value_pen", "given_on", "recorded_by",
                  "created_at"]  # fmt: skip
        read_only_fields = ["recorded_by", "created_at"]


class AgreementSerializer(serializers.ModelSerializer):
    """An agreement with the police or armed forces, its support in kind and linked incidents."""

    force = serializers.CharField()
    # Written as lists of ids; read back by to_representation (incidents: only those visible).
    sites = serializers.ListField(child=serializers.IntegerField(), required=False,
                                  write_only=True)  # fmt: skip
    incidents = serializers.ListField(child=serializers.IntegerField(), required=False,
                                      write_only=True)  # fmt: skip
    support = InKindSupportSerializer(many=True, read_only=True)
    support_total_pen = serializers.SerializerMethodField()

    class Meta:
        model = PublicSecurityAgreement
        fields = ["id", "organisation", "reference", "force", "counterpart", "legal_basis",
                  "scope", "starts_on", "ends_on", "human_rights_clauses", "units_deployed",
                  "sites", "incidents", "support", "support_total_pen", "is_synthetic",
                  "created_at"]  # fmt: skip
        read_only_fields = ["organisation", "created_at"]

    def to_representation(self, instance: PublicSecurityAgreement) -> dict[str, Any]:
        data = super().to_representation(instance)
        request = self.context.get("request")
        from minewatch.core.tenancy import restrict
        from minewatch.incidents.models import Incident

        data["sites"] = [s.pk for s in instance.sites.all()]
        incidents = Incident.objects.filter(pk__in=[i.pk for i in instance.incidents.all()])
        data["incidents"] = list(
            (restrict(incidents, request.user) if request else incidents.none())
            .values_list("pk", flat=True)
        )  # fmt: skip
        return data

    def get_support_total_pen(self, agreement: PublicSecurityAgreement) -> str:
        return str(sum((s.value_pen for s in agreement.support.all()), start=0))

    def create(self, validated: dict[str, Any]) -> PublicSecurityAgreement:
        return agreement_services.save_agreement(actor=self.context["request"].user, **validated)

    def update(self, instance: PublicSecurityAgreement,
               validated: dict[str, Any]) -> PublicSecurityAgreement:  # fmt: skip
        return agreement_services.save_agreement(actor=self.context["request"].user,
                                                 agreement=instance, **validated)  # fmt: skip


class AgreementViewSet(TenantViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin,
                       viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Agreements with public security (VPSHR), with the support given in kind."""

    queryset = PublicSecurityAgreement.objects.prefetch_related("support", "sites", "incidents")
    serializer_class = AgreementSerializer
    write_capability = "manage_contractors"
    filterset_fields = ["force"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    @extend_schema(request=InKindSupportSerializer, responses={201: InKindSupportSerializer})
    @action(detail=True, methods=["post"])
    def support(self, request: Request, pk: str | None = None) -> Response:
        """Record support given in kind (fuel, food, lodging, transport...) with value and date."""
        body = InKindSupportSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        record = agreement_services.record_support(self.get_object(), actor=request.user,
                                                   **body.validated_data)  # fmt: skip
        return Response(InKindSupportSerializer(record).data, status=201)


@extend_schema(responses=dict)
@api_view(["GET"])
def legal_services_view(request: Request) -> Response:
    """The D.Leg. 1213 modalities SUCAMEC authorises, and the services the law refuses."""
    return Response({
        "modalities": [{"code": m.code, "label": {"es": m.label_es, "en": m.label_en}}
                       for m in MODALITIES],
        "prohibited": [{"code": p.code, "label": {"es": p.label_es, "en": p.label_en},
                        "law": p.law} for p in PROHIBITED],
    })  # fmt: skip


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("grievances", GrievanceViewSet)
    router.register("use-of-force-reports", UseOfForceReportViewSet)
    router.register("contractors", ContractorViewSet)
    router.register("security-agreements", AgreementViewSet)


api_urls = [path("security-services/", legal_services_view, name="api-security-services")]
