"""REST API of the inventory app: weighbridges, lots and their chain, weighings (batch), findings,
seal checks and the monthly reconciliation."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin
from minewatch.core.errors import InvalidInput
from minewatch.core.roles import has_capability
from minewatch.inventory import magazine, queries, services
from minewatch.inventory.filtersets import (
    LossFindingFilterSet,
    LotFilterSet,
    MagazineEntryFilterSet,
    SealCheckFilterSet,
    WeighbridgeFilterSet,
    WeighingFilterSet,
)
from minewatch.inventory.models import (
    LossFinding,
    Lot,
    MagazineEntry,
    ScaleCapture,
    SealCheck,
    Weighbridge,
    Weighing,
)

MAX_BATCH = 1000


class WeighbridgeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Weighbridge
        fields = ["id", "organisation", "site", "code", "name", "accuracy_class", "mpe_pct",
                  "is_active"]  # fmt: skip
        read_only_fields = ["organisation"]


class WeighingSerializer(serializers.ModelSerializer):
    lot_reference = serializers.CharField(source="lot.reference", read_only=True)
    weighbridge_code = serializers.CharField(source="weighbridge.code", read_only=True)
    truck_plate = serializers.CharField(source="truck.plate", read_only=True)

    class Meta:
        model = Weighing
        fields = ["id", "organisation", "lot", "lot_reference", "ticket_number", "custody_point",
                  "weighbridge", "weighbridge_code", "mpe_pct", "truck", "truck_plate",
                  "weighed_at", "wet_tonnes", "moisture_pct", "dry_tonnes", "is_synthetic",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class LotSerializer(serializers.ModelSerializer):
    weighings = WeighingSerializer(many=True, read_only=True)
    truck_plate = serializers.CharField(source="truck.plate", read_only=True)
    trip_reference = serializers.CharField(source="trip.reference", read_only=True, default=None)

    class Meta:
        model = Lot
        fields = ["id", "organisation", "reference", "product", "origin", "destination", "route",
                  "trip", "trip_reference", "truck", "truck_plate", "contractor", "driver_name",
                  "seal_numbers", "dispatched_at", "dispatched_dry_t", "received_dry_t",
                  "difference_t", "sigma_t", "z_score", "is_synthetic", "weighings",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class LossFindingSerializer(serializers.ModelSerializer):
    lot_reference = serializers.CharField(source="lot.reference", read_only=True, default=None)
    began_lot_reference = serializers.CharField(source="began_lot.reference", read_only=True,
                                                default=None)  # fmt: skip

    class Meta:
        model = LossFinding
        fields = ["id", "organisation", "site", "kind", "lot", "lot_reference", "series_kind",
                  "series_key", "series_label", "began_lot", "began_lot_reference", "began_at",
                  "trips", "z_score", "estimated_loss_t", "severity", "details", "is_synthetic",
                  "created_at"]  # fmt: skip
        read_only_fields = fields


class SealCheckSerializer(serializers.ModelSerializer):
    class Meta:
        model = SealCheck
        fields = ["id", "organisation", "lot", "checked_at", "checked_by", "results", "is_ok",
                  "photos", "notes", "created_at"]  # fmt: skip
        read_only_fields = fields


def _body(request: Request) -> dict[str, Any]:
    if not isinstance(request.data, dict):
        raise InvalidInput("a JSON object is expected")
    return dict(request.data.items())


class WeighbridgeViewSet(
    TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet
):
    """Weighing instruments and their accuracy (maximum permissible error, % of load)."""

    queryset = Weighbridge.objects.select_related("site")
    serializer_class = WeighbridgeSerializer
    filterset_class = WeighbridgeFilterSet
    write_capability = "manage_sites"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        record = services.save_weighbridge(
            actor=request.user, site=body.get("site"), code=str(body.get("code") or ""),
            mpe_pct=body.get("mpe_pct"), name=str(body.get("name") or ""),
            accuracy_class=str(body.get("accuracy_class") or ""),
        )  # fmt: skip
        return Response(WeighbridgeSerializer(record).data, status=status.HTTP_201_CREATED)


LOT_FIELDS = ("reference", "product", "origin", "destination", "truck", "dispatched_at", "trip",
              "route", "driver_name", "seal_numbers")  # fmt: skip


class LotViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Lots (truckloads) with their chain of weighings and their balance once weighed at both ends."""

    queryset = Lot.objects.select_related("truck", "trip").prefetch_related(
        "weighings__weighbridge", "weighings__truck", "weighings__lot"
    )
    serializer_class = LotSerializer
    filterset_class = LotFilterSet
    write_capability = "operate"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        unknown = sorted(set(body) - set(LOT_FIELDS))
        if unknown:
            raise InvalidInput("unknown field", field=unknown[0])
        seals = body.get("seal_numbers") or []
        if not isinstance(seals, list):
            raise InvalidInput("a list of seal numbers is expected", field="seal_numbers")
        values = {name: body.get(name) for name in LOT_FIELDS}
        values["seal_numbers"], values["driver_name"] = seals, str(values["driver_name"] or "")
        values["reference"], values["product"] = str(values["reference"] or ""), values["product"]
        lot = services.register_lot(actor=request.user, **values)
        return Response(LotSerializer(lot).data, status=status.HTTP_201_CREATED)


class WeighingBatchSerializer(serializers.Serializer):
    weighings = serializers.ListField(child=serializers.DictField())


class WeighingViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Weighbridge tickets; idempotent on the ticket number (a repeat answers 200, not 201)."""

    queryset = Weighing.objects.select_related("lot", "weighbridge", "truck")
    serializer_class = WeighingSerializer
    filterset_class = WeighingFilterSet
    write_capability = "operate"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        weighing, created = services.record_weighing(actor=request.user, values=_body(request))
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(WeighingSerializer(weighing).data, status=code)

    @extend_schema(request=WeighingBatchSerializer, responses=dict)
    @action(detail=False, methods=["post"])
    def batch(self, request: Request) -> Response:
        """Many tickets at once: each item succeeds or fails alone (``results`` per index).

        Answers 400 when any item failed (the good ones are stored; sending the batch
        again is safe, tickets are idempotent), else 200.
        """
        items = request.data.get("weighings") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items:
            raise InvalidInput("a non-empty list is expected", field="weighings")
        if len(items) > MAX_BATCH:
            raise InvalidInput(f"at most {MAX_BATCH} items per batch", field="weighings")
        results = services.record_weighings(actor=request.user, items=items)
        failed = sum(1 for r in results if r.status == "error")
        body = {"created": sum(1 for r in results if r.status == "created"),
                "unchanged": sum(1 for r in results if r.status == "unchanged"),
                "failed": failed, "results": [r.as_dict() for r in results]}  # fmt: skip
        return Response(body, status=status.HTTP_400_BAD_REQUEST if failed else status.HTTP_200_OK)


class LossFindingViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """What the loss detection found (trip losses, CUSUM drifts, seal discrepancies)."""

    queryset = LossFinding.objects.select_related("lot", "began_lot")
    serializer_class = LossFindingSerializer
    filterset_class = LossFindingFilterSet


class SealCheckViewSet(TenantViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Seals found on arrival: ``{"lot", "observed": [{"number", "condition"}], "photos": [ids]}``."""

    queryset = SealCheck.objects.prefetch_related("photos")
    serializer_class = SealCheckSerializer
    filterset_class = SealCheckFilterSet
    write_capability = "operate"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        photos = body.get("photos") or []
        if not isinstance(photos, list):
            raise InvalidInput("a list of evidence ids is expected", field="photos")
        check = services.check_seals(
            actor=request.user, lot=body.get("lot"), observed=body.get("observed"),
            checked_at=body.get("checked_at"), photos=photos, notes=str(body.get("notes") or ""),
        )  # fmt: skip
        return Response(SealCheckSerializer(check).data, status=status.HTTP_201_CREATED)


class MagazineEntrySerializer(serializers.ModelSerializer):
    reversed_by = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = MagazineEntry
        fields = ["id", "organisation", "magazine", "product", "kind", "quantity", "occurred_at",
                  "guia_remision", "blast_id", "authorised_person", "reverses", "reversed_by",
                  "reason", "book_balance", "recorded_by", "is_synthetic", "created_at"]  # fmt: skip
        read_only_fields = fields


ENTRY_FIELDS = ("magazine", "product", "kind", "quantity", "occurred_at", "guia_remision",
                "blast_id", "authorised_person")  # fmt: skip


class MagazineEntryViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                           viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """The explosives magazine ledger: append-only; ``POST …/{id}/reverse/ {"reason"}`` cancels a line."""

    queryset = MagazineEntry.objects.select_related("reversed_by")
    serializer_class = MagazineEntrySerializer
    filterset_class = MagazineEntryFilterSet
    write_capability = "operate"
    action_capabilities = {"reverse": "manage_sites"}

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = _body(request)
        unknown = sorted(set(body) - set(ENTRY_FIELDS))
        if unknown:
            raise InvalidInput("unknown field", field=unknown[0])
        values = {name: body.get(name) for name in ENTRY_FIELDS}
        for name in ("product", "kind", "guia_remision", "blast_id", "authorised_person"):
            values[name] = str(values[name] or "")
        entry = magazine.record_entry(actor=request.user, **values)
        return Response(MagazineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=dict, responses=MagazineEntrySerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request: Request, pk: str | None = None) -> Response:
        reason = request.data.get("reason") if isinstance(request.data, dict) else None
        reversal = magazine.reverse_entry(self.get_object(), actor=request.user,
                                          reason=str(reason or ""))  # fmt: skip
        return Response(MagazineEntrySerializer(reversal).data, status=status.HTTP_201_CREATED)


class ScaleCaptureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScaleCapture
        fields = ["id", "organisation", "weighbridge", "mass_kg", "captured_at", "frame",
                  "weighing"]  # fmt: skip
        read_only_fields = fields


class ScaleCaptureViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """Stable masses read from weighbridge indicators (``minewatch inventory listen``); name one
    as ``capture`` in a weighing instead of ``wet_tonnes``. ``?unused=true`` lists the free ones."""

    queryset = ScaleCapture.objects.all()
    serializer_class = ScaleCaptureSerializer
    filterset_fields = ["weighbridge"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        if self.request.query_params.get("unused") == "true":
            queryset = queryset.filter(weighing__isnull=True)
        return queryset


def _row(row: Any) -> dict[str, Any]:
    return {"key": row.key, "trips": row.trips, "dispatched_t": round(row.dispatched_t, 3),
            "received_t": round(row.received_t, 3), "difference_t": round(row.difference_t, 3),
            "sigma_t": round(row.sigma_t, 3), "difference_pct": round(row.difference_pct, 3),
            "z_score": round(row.z_score, 2)}  # fmt: skip


@extend_schema(parameters=[OpenApiParameter("month", str, description="YYYY-MM (default: now)")],
               responses=dict)  # fmt: skip
@api_view(["GET"])
def reconciliation(request: Request) -> Response:
    """Dry tonnes dispatched and received in a month, the difference and its 1σ uncertainty."""
    if not has_capability(request.user, "read"):
        return Response({"detail": "Your role does not allow this action."}, status=403)
    try:
        data = queries.reconciliation(request.user, request.query_params.get("month"))
    except ValueError:
        raise InvalidInput("expected YYYY-MM", field="month") from None
    return Response({
        "month": data["month"], "pending_lots": data["pending"],
        "total": _row(data["total"]) if data["total"] else None,
        "by_route": [_row(r) for r in data["by_route"]],
        "by_contractor": [_row(r) for r in data["by_contractor"]],
    })  # fmt: skip


api_urls = [
    path("inventory/reconciliation/", reconciliation, name="inventory-reconciliation"),
]


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("weighbridges", WeighbridgeViewSet)
    router.register("lots", LotViewSet)
    router.register("weighings", WeighingViewSet)
    router.register("loss-findings", LossFindingViewSet)
    router.register("seal-checks", SealCheckViewSet)
    router.register("magazine-entries", MagazineEntryViewSet)
    router.register("scale-captures", ScaleCaptureViewSet)
