"""Shared API pieces: the tenant-scoped viewset base, related fields, health."""

from __future__ import annotations

from typing import Any

from django.db import connection
from rest_framework import viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.relations import PrimaryKeyRelatedField
from rest_framework.request import Request
from rest_framework.response import Response

import minewatch
from minewatch.core.tenancy import restrict


class TenantViewSetMixin:
    """Start every read from what the requesting user may see (see core.tenancy)."""

    queryset: Any = None

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()  # type: ignore[misc]
        return restrict(queryset, self.request.user)  # type: ignore[attr-defined]


class TenantReadOnlyViewSet(TenantViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only, tenant-scoped viewset."""


@api_view(["GET"])
@authentication_classes([])
@permission_classes([AllowAny])
def health(request: Request) -> Response:
    """Each part's state (database, alert worker, broker, last backup, last signed checkpoint).

    ``status`` is ``ok`` when every part is, ``degraded`` when one is, and ``down`` (HTTP 503)
    when the database does not answer. No authentication: nothing in it is confidential.
    """
    from minewatch.core.metrics import health_checks

    checks = health_checks()
    states = {check["status"] for check in checks.values()}
    overall = "down" if "down" in states else "degraded" if "degraded" in states else "ok"
    vendor = "postgresql" if connection.vendor == "postgresql" else "sqlite"
    body = {"status": overall, "database": vendor, "version": minewatch.__version__,
            "checks": checks}  # fmt: skip
    return Response(body, status=503 if overall == "down" else 200)


class VisibleRelatedField(PrimaryKeyRelatedField):
    """A primary-key field that only accepts records the requesting user may see.

    A record of another organisation gets the same error as one that does not
    exist, so the API never confirms that it exists.
    """

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        request = self.context.get("request")
        return restrict(queryset, request.user) if request is not None else queryset.none()
