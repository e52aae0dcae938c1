"""REST API of the evidence locker: upload, list, detail with custody log, download, custody
actions, and the complaint dossier of an incident (``POST /api/v1/incidents/{id}/dossier``)."""

from __future__ import annotations

import tempfile
from typing import Any

from django.http import FileResponse, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.core.drf import ObjectJSONParser
from minewatch.core.tenancy import restrict
from minewatch.evidence import dossiers, services
from minewatch.evidence.choices import EvidenceKind
from minewatch.evidence.filtersets import EvidenceItemFilterSet
from minewatch.evidence.models import CustodyEntry, EvidenceItem
from minewatch.incidents.models import Incident


class CustodyEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = CustodyEntry
        fields = ["sequence", "action", "actor_name", "occurred_at", "reason",
                  "recipient_organisation", "recipient_document_number", "prev_hash",
                  "entry_hash"]  # fmt: skip


class EvidenceItemSerializer(serializers.ModelSerializer):
    """An item; on create, a multipart upload with the file and what the person declares."""

    file = serializers.FileField(write_only=True, allow_empty_file=True)  # the service refuses it
    incident = VisibleRelatedField(queryset=Incident.objects.all())
    incident_reference = serializers.CharField(source="incident.reference", read_only=True)
    kind = serializers.ChoiceField(choices=EvidenceKind.choices)
    uploaded_by_name = serializers.CharField(
        source="uploaded_by.username", read_only=True, default=None
    )
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = EvidenceItem
        exclude = ["uploaded_by", "organisation"]
        read_only_fields = [
            "sha256", "size_bytes", "content_type", "content_label", "original_name",
            "file_captured_at", "file_time_zone_assumed", "file_lat", "file_lon",
            "file_altitude_m", "file_duration_s", "file_camera", "metadata_error",
            "discrepancies", "custody_status", "legal_hold", "custody_head_hash",
            "custody_length", "created_at",
        ]  # fmt: skip
        extra_kwargs = {"collected_by": {"required": False}, "collected_at": {"required": False}}

    def get_download_url(self, item: EvidenceItem) -> str:
        return f"/api/v1/evidence/{item.pk}/download/"

    def create(self, validated: dict[str, Any]) -> EvidenceItem:
        upload = validated.pop("file")
        return services.intake_evidence(
            actor=self.context["request"].user, incident=validated.pop("incident"),
            file=upload, kind=validated.pop("kind"), original_name=upload.name, **validated,
        )  # fmt: skip


class EvidenceItemDetailSerializer(EvidenceItemSerializer):
    """The item with its custody log and the result of verifying its file and chain."""

    custody = CustodyEntrySerializer(many=True, read_only=True)
    verification = serializers.SerializerMethodField()

    def get_verification(self, item: EvidenceItem) -> dict[str, Any]:
        result = services.verify_item(item)
        return {
            "is_ok": result.is_ok,
            "file_status": result.file_status,
            "chain_problems": [
                {"kind": p.kind, "sequence": p.sequence, "message": p.message}
                for p in result.chain_problems
            ],  # fmt: skip
        }


class HandOverSerializer(serializers.Serializer):
    recipient_organisation = serializers.CharField(allow_blank=True)
    document_number = serializers.CharField(allow_blank=True)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class EvidenceItemViewSet(
    TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """The evidence locker: upload, list, detail (logged as a view), download (logged)."""

    queryset = EvidenceItem.objects.select_related("incident", "uploaded_by")
    serializer_class = EvidenceItemSerializer
    filterset_class = EvidenceItemFilterSet
    parser_classes = [MultiPartParser, FormParser, ObjectJSONParser]
    write_capability = "manage_evidence"
    action_capabilities = {
        "create": "manage_evidence", "hand_over": "manage_incident",
        "return_item": "manage_incident", "legal_hold": "legal_hold",
        "release": "legal_hold", "verify": "read", "download": "read",
    }  # fmt: skip

    def get_serializer_class(self) -> type[serializers.Serializer]:
        if self.action == "retrieve":
            return EvidenceItemDetailSerializer
        return super().get_serializer_class()

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The item with its custody log; the view itself is appended to the log first."""
        item = self.get_object()
        services.record_view(item, actor=request.user, reason="API")
        return Response(EvidenceItemDetailSerializer(item, context={"request": request}).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """Stream the original file (attachment); the download is logged in the custody chain."""
        item = self.get_object()
        stream = services.open_for_download(item, actor=request.user, reason="API")
        return FileResponse(
            stream, as_attachment=True, content_type=item.content_type,
            filename=item.original_name or f"evidencia-{item.pk}.{item.content_label}",
        )  # fmt: skip

    def _done(self, item: EvidenceItem) -> Response:
        item.refresh_from_db()
        return Response(
            EvidenceItemDetailSerializer(item, context=self.get_serializer_context()).data
        )

    @extend_schema(request=HandOverSerializer, responses=EvidenceItemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request: Request, pk: str | None = None) -> Response:
        """Hand the item to a police unit or prosecutor's office (their document number required)."""
        item = self.get_object()
        body = HandOverSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.hand_over(item, actor=request.user, **body.validated_data))

    @extend_schema(request=ReasonSerializer, responses=EvidenceItemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="return")
    def return_item(self, request: Request, pk: str | None = None) -> Response:
        """Record the item's return from the authority."""
        item = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.return_item(item, actor=request.user, **body.validated_data))

    @extend_schema(request=ReasonSerializer, responses=EvidenceItemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="legal-hold")
    def legal_hold(self, request: Request, pk: str | None = None) -> Response:
        """Put the item under legal hold (managers)."""
        item = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._done(services.set_legal_hold(item, actor=request.user, **body.validated_data))

    @extend_schema(request=ReasonSerializer, responses=EvidenceItemDetailSerializer)
    @action(detail=True, methods=["post"], url_path="release-hold")
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Lift the legal hold (managers)."""
        item = self.get_object()
        body = ReasonSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        released = services.release_legal_hold(item, actor=request.user, **body.validated_data)
        return self._done(released)

    @extend_schema(request=None, responses=EvidenceItemDetailSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        """Rehash the file and check the chain; when intact, log a 'verified' entry."""
        item = self.get_object()
        services.verify_and_record(item, actor=request.user)
        return self._done(item)


class DossierRequestSerializer(serializers.Serializer):
    output = serializers.ChoiceField(choices=["zip", "pdf"], default="zip")


class IncidentDossierView(APIView):
    """Build the complaint dossier of an incident: the ZIP (PDF + files + manifest) or the PDF."""

    write_capability = "manage_incident"
    parser_classes = [ObjectJSONParser, FormParser, MultiPartParser]

    @extend_schema(
        request=DossierRequestSerializer,
        parameters=[OpenApiParameter("output", str, enum=["zip", "pdf"], required=False)],
        responses={
            (200, "application/zip"): OpenApiTypes.BINARY,
            (200, "application/pdf"): OpenApiTypes.BINARY,
        },  # fmt: skip
    )
    def post(self, request: Request, pk: int) -> HttpResponse:
        """Every item's custody log records the export; the file is returned as an attachment."""
        incident = get_object_or_404(
            restrict(Incident.objects.select_related("organisation", "site", "region"),
                     request.user), pk=pk,
        )  # fmt: skip
        output = request.query_params.get("output") or request.data.get("output") or "zip"
        body = DossierRequestSerializer(data={"output": output})
        body.is_valid(raise_exception=True)
        name = f"denuncia-{incident.reference}"
        if body.validated_data["output"] == "pdf":
            result = dossiers.build_dossier_pdf(incident, actor=request.user)
            response = HttpResponse(result.pdf_bytes, content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
            return response
        target = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        dossiers.build_dossier(incident, actor=request.user, target=target)
        target.seek(0)
        return FileResponse(
            target, as_attachment=True, filename=f"{name}.zip", content_type="application/zip"
        )


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("evidence", EvidenceItemViewSet)


api_urls = [
    path("incidents/<int:pk>/dossier", IncidentDossierView.as_view(), name="api-incident-dossier"),
]
