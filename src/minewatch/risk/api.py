"""REST API of the risk app: register, matrix, deployed controls, gaps, losses, forecast."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.core.errors import InvalidInput
from minewatch.core.models import Organisation
from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site
from minewatch.incidents.models import Incident
from minewatch.risk import analysis, services
from minewatch.risk.choices import CONTROLS
from minewatch.risk.covariates import covariates_for
from minewatch.risk.engine.gaps import DEFAULT_EFFECTIVENESS, THREATS
from minewatch.risk.engine.register import BAND_NAMES
from minewatch.risk.filtersets import (
    ControlEffectivenessFilterSet,
    DeployedControlFilterSet,
    RiskRegisterEntryFilterSet,
)
from minewatch.risk.models import (
    ControlEffectiveness,
    DeployedControl,
    RiskBands,
    RiskRegisterEntry,
)


class RiskRegisterEntrySerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all())
    site_name = serializers.CharField(source="site.name", read_only=True)
    threat = serializers.CharField()
    likelihood = serializers.IntegerField(required=False, allow_null=True)
    impact = serializers.IntegerField()

    class Meta:
        model = RiskRegisterEntry
        fields = ["id", "organisation", "site", "site_name", "threat", "likelihood",
                  "suggested_likelihood", "suggestion_basis", "suggested_at", "impact",
                  "inherent_score", "inherent_band", "coverage", "residual_likelihood",
                  "residual_score", "residual_band", "owner", "review_date", "notes",
                  "updated_at"]  # fmt: skip
        read_only_fields = ["organisation", "suggested_likelihood", "suggestion_basis",
                            "suggested_at", "inherent_score", "inherent_band", "coverage",
                            "residual_likelihood", "residual_score", "residual_band",
                            "updated_at"]  # fmt: skip

    def create(self, validated: dict[str, Any]) -> RiskRegisterEntry:
        return services.save_register_entry(actor=self.context["request"].user, **validated)

    def update(self, instance: RiskRegisterEntry, validated: dict[str, Any]) -> RiskRegisterEntry:
        data = {k: getattr(instance, k) for k in ("site", "threat", "impact", "likelihood",
                                                  "owner", "review_date", "notes")}  # fmt: skip
        data.update(validated)
        return services.save_register_entry(actor=self.context["request"].user, entry=instance,
                                            **data)  # fmt: skip


class ControlEffectivenessSerializer(serializers.ModelSerializer):
    control = serializers.CharField()
    threat = serializers.CharField()
    effectiveness = serializers.FloatField()
    default = serializers.SerializerMethodField()

    class Meta:
        model = ControlEffectiveness
        fields = ["id", "organisation", "control", "threat", "effectiveness", "default",
                  "rationale", "updated_at"]  # fmt: skip
        read_only_fields = ["organisation", "updated_at"]

    def get_default(self, row: ControlEffectiveness) -> float | None:
        values = DEFAULT_EFFECTIVENESS.get(row.control)
        return None if values is None else values[THREATS.index(row.threat)]

    def create(self, validated: dict[str, Any]) -> ControlEffectiveness:
        return services.set_effectiveness(actor=self.context["request"].user, **validated)

    def update(self, instance: ControlEffectiveness, validated: dict[str, Any]) -> Any:
        data = {
            "control": instance.control,
            "threat": instance.threat,
            "effectiveness": instance.effectiveness,
            "rationale": instance.rationale,
        }
        data.update(validated)
        return services.set_effectiveness(actor=self.context["request"].user, **data)


class DeployedControlSerializer(serializers.ModelSerializer):
    site = VisibleRelatedField(queryset=Site.objects.all())
    control = serializers.CharField()
    quality = serializers.FloatField()

    class Meta:
        model = DeployedControl
        fields = ["id", "organisation", "site", "control", "quality", "notes", "updated_at"]
        read_only_fields = ["organisation", "updated_at"]

    def create(self, validated: dict[str, Any]) -> DeployedControl:
        return services.deploy_control(actor=self.context["request"].user, **validated)

    def update(self, instance: DeployedControl, validated: dict[str, Any]) -> DeployedControl:
        data = {"site": instance.site, "control": instance.control, "quality": instance.quality,
                "notes": instance.notes}  # fmt: skip
        data.update(validated)
        return services.deploy_control(actor=self.context["request"].user, **data)


class RiskRegisterEntryViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                               mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """The risk register: one entry per site and threat."""

    queryset = RiskRegisterEntry.objects.select_related("site")
    serializer_class = RiskRegisterEntrySerializer
    filterset_class = RiskRegisterEntryFilterSet
    write_capability = "analyse"
    action_capabilities = {"refresh_suggestion": "analyse"}

    @extend_schema(request=None, responses=RiskRegisterEntrySerializer)
    @action(detail=True, methods=["post"], url_path="refresh-suggestion")
    def refresh_suggestion(self, request: Request, pk: str | None = None) -> Response:
        """Recompute the suggested likelihood; the chosen likelihood is left as it is."""
        entry = services.refresh_suggestion(self.get_object(), actor=request.user)
        return Response(self.get_serializer(entry).data)


class ControlEffectivenessViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                                  mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """The organisation's edits of the control × threat effectiveness matrix."""

    queryset = ControlEffectiveness.objects.all()
    serializer_class = ControlEffectivenessSerializer
    filterset_class = ControlEffectivenessFilterSet
    write_capability = "analyse"


class DeployedControlViewSet(TenantViewSetMixin, mixins.CreateModelMixin,
                             mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):  # fmt: skip
    """Controls in place per site, with their deployment quality."""

    queryset = DeployedControl.objects.select_related("site")
    serializer_class = DeployedControlSerializer
    filterset_class = DeployedControlFilterSet
    write_capability = "manage_sites"


def _int_param(request: Request, name: str, default: int) -> int:
    raw = request.query_params.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(f"{raw!r} is not a whole number", field=name) from None


def _sites(request: Request) -> list[Site]:
    visible = restrict(Site.objects.all(), request.user)
    raw = request.query_params.get("site")
    if raw in (None, ""):
        return list(visible)
    if not raw.isdigit():
        raise InvalidInput(f"{raw!r} is not a site id", field="site")
    return [get_object_or_404(visible, pk=int(raw))]


@extend_schema(parameters=[OpenApiParameter("site", int)], responses=dict)
@api_view(["GET"])
def gaps_view(request: Request) -> Response:
    """Coverage and gap per threat for one site (``?site=``) or every visible site."""
    return Response({"sites": [{"site": s.pk, "site_name": s.name, "threats": analysis.site_gaps(s)}
                               for s in _sites(request)]})  # fmt: skip


@extend_schema(parameters=[OpenApiParameter("site", int, required=True),
                           OpenApiParameter("controls", str, description="comma-separated codes"),
                           OpenApiParameter("seed", int), OpenApiParameter("years", int)],
               responses=dict)  # fmt: skip
@api_view(["GET"])
def losses_view(request: Request) -> Response:
    """Cost of inaction: annual loss P50/P90/P99 as today and with the proposed controls."""
    if not request.query_params.get("site"):
        raise InvalidInput("a site is required", field="site")
    site = _sites(request)[0]
    proposed = [c for c in request.query_params.get("controls", "").split(",") if c]
    years = _int_param(request, "years", 20_000)
    if not 100 <= years <= 200_000:
        raise InvalidInput("years must be between 100 and 200,000", field="years")
    return Response(analysis.site_losses(site, proposed, seed=_int_param(request, "seed", 0),
                                         years=years))  # fmt: skip


@extend_schema(parameters=[OpenApiParameter("threat", str), OpenApiParameter("days", int),
                           OpenApiParameter("resolution", int), OpenApiParameter("method", str),
                           OpenApiParameter("geometry", bool, description="hexagon outlines")],
               responses=dict)  # fmt: skip
@api_view(["GET"])
def forecast_view(request: Request) -> Response:
    """Expected incidents per H3 cell over the next days, from the incidents the user may see."""
    threat = analysis.check_threat(request.query_params.get("threat"), allow_all=True)
    days = _int_param(request, "days", 7)
    resolution = _int_param(request, "resolution", 7)
    method = request.query_params.get("method", "mixture")
    incidents = restrict(Incident.objects.all(), request.user)
    if threat:
        incidents = incidents.filter(threat=threat)
    boundaries = request.query_params.get("geometry", "false").lower()
    if boundaries not in {"true", "false", "1", "0"}:
        raise InvalidInput(f"{boundaries!r} is not true or false", field="geometry")
    explain: dict = {}
    cells = analysis.forecast_cells(
        incidents, days=days, resolution=resolution, method=method,
        covariates=covariates_for(user=request.user), explain=explain,
        boundaries=boundaries in {"true", "1"},
    )  # fmt: skip
    return Response({"threat": threat or "all", "days": days, "resolution": resolution,
                     "method": method, "cells": cells, **explain})  # fmt: skip


@extend_schema(responses=dict)
@api_view(["GET"])
def controls_view(request: Request) -> Response:
    """The control catalogue with labels and the documented default effectiveness per threat."""
    return Response([
        {"code": code, "label": {"es": es, "en": en},
         "default_effectiveness": dict(zip(THREATS, DEFAULT_EFFECTIVENESS[code], strict=True))}
        for code, es, en in CONTROLS
    ])  # fmt: skip


def _bands_organisation(request: Request) -> Organisation:
    """The organisation whose bands are asked for: one's own; a superuser names any."""
    raw = request.query_params.get("organisation")
    user = request.user
    if raw in (None, ""):
        if user.organisation_id is None:
            raise InvalidInput("name the organisation (?organisation=id)", field="organisation")
        return user.organisation
    if not raw.isdigit():
        raise InvalidInput(f"{raw!r} is not an organisation id", field="organisation")
    if not user.is_superuser and int(raw) != user.organisation_id:
        raise Http404  # never confirm that another organisation exists
    return get_object_or_404(Organisation.objects.all(), pk=int(raw))


def _bands_body(request: Request, organisation: Organisation) -> dict[str, Any]:
    return {"organisation": organisation.pk,
            "bands": analysis.band_legend(organisation.pk),
            "is_default": not RiskBands.objects.filter(organisation=organisation).exists(),
            "names": list(BAND_NAMES),
            "can_edit": has_capability(request.user, "manage_sites")}  # fmt: skip


@extend_schema(parameters=[OpenApiParameter("organisation", int)], request=dict, responses=dict)
@api_view(["GET", "PUT"])
def bands_view(request: Request) -> Response:
    """The organisation's risk bands (score ranges 1–25); its security managers change them.

    PUT ``{"bands": [{"name": "low", "min_score": 1}, {"name": "medium", "min_score": 5},
    ...]}`` (``max_score`` optional, checked). Changing them re-bands the register.
    """
    organisation = _bands_organisation(request)
    if request.method == "PUT":
        body = request.data if isinstance(request.data, dict) else {}
        if "bands" not in body:
            raise InvalidInput("bands is required", field="bands")
        services.set_risk_bands(actor=request.user, bands=body["bands"],
                                organisation=organisation)  # fmt: skip
    return Response(_bands_body(request, organisation))


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("risk-register", RiskRegisterEntryViewSet)
    router.register("control-effectiveness", ControlEffectivenessViewSet)
    router.register("deployed-controls", DeployedControlViewSet)


api_urls = [
    path("risk/gaps/", gaps_view, name="api-risk-gaps"),
    path("risk/losses/", losses_view, name="api-risk-losses"),
    path("risk/forecast/", forecast_view, name="api-risk-forecast"),
    path("risk/controls/", controls_view, name="api-risk-controls"),
    path("risk/bands/", bands_view, name="api-risk-bands"),
]
