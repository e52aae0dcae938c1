"""REST API of the reports: ``/api/v1/reports/monthly/`` and ``/api/v1/reports/annual/``.

``?format=json`` (default) gives the figures; ``?format=pdf`` or ``html`` the file, made
from the same figures. The organisation is the user's own (``organisation`` may name it;
another company's reads as unknown).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import api_view, renderer_classes
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from minewatch.core.errors import InvalidInput
from minewatch.reports import services
from minewatch.reports.scope import resolve_scope

COMMON = [
    OpenApiParameter("organisation", str, description="your organisation (id or name)"),
    OpenApiParameter("site", str, description="one of its sites (id or name)"),
    OpenApiParameter("lang", str, enum=["es", "en"]),
    OpenApiParameter("output", str, enum=["json", "pdf", "html"],
                     description="json (default): the figures; pdf or html: the report file"),
]  # fmt: skip


def _output(request: Request) -> str:
    value = request.query_params.get("output", "json")
    if value == "json":
        return value
    return services.check_format(value)


def _answer(request: Request, kind: str, period_field: str) -> Response | HttpResponse:
    now = timezone.now()
    period = request.query_params.get(period_field)
    if period in (None, ""):
        raise InvalidInput(f"{period_field} is required", field=period_field)
    output = _output(request)
    params: dict[str, Any] = {period_field: period}
    scope = resolve_scope(
        actor=request.user, now=now, organisation=request.query_params.get("organisation"),
        site=request.query_params.get("site"), language=request.query_params.get("lang", "es"),
        **params,
    )  # fmt: skip
    if output == "json":
        build = services.monthly_report if kind == "monthly" else services.annual_report
        return Response(build(scope, now=now))
    render = services.render_monthly if kind == "monthly" else services.render_annual
    report = render(scope, now=now, fmt=output)
    response = HttpResponse(report.content, content_type=report.content_type)
    disposition = "attachment" if output == "pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{report.filename}"'
    return response


@extend_schema(parameters=[OpenApiParameter("month", str, required=True,
                                            description="YYYY-MM"), *COMMON],
               responses=dict)  # fmt: skip
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def monthly_view(request: Request) -> Response | HttpResponse:
    """The monthly security report of the user's organisation (or one site) for ``month``."""
    return _answer(request, "monthly", "month")


@extend_schema(parameters=[OpenApiParameter("year", str, required=True, description="YYYY"),
                           *COMMON], responses=dict)  # fmt: skip
@api_view(["GET"])
@renderer_classes([JSONRenderer])
def annual_view(request: Request) -> Response | HttpResponse:
    """The annual VPSHR / ICoCA report of the user's organisation for ``year``."""
    return _answer(request, "annual", "year")


api_urls = [
    path("reports/monthly/", monthly_view, name="api-reports-monthly"),
    path("reports/annual/", annual_view, name="api-reports-annual"),
]
