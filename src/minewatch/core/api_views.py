"""Core API: who am I, organisations, users, the audit log."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.core import live
from minewatch.core.api import TenantReadOnlyViewSet
from minewatch.core.filtersets import AuditEntryFilterSet
from minewatch.core.models import AuditEntry, Organisation, User
from minewatch.core.serializers import (
    AuditEntrySerializer,
    OrganisationSerializer,
    UserSerializer,
)


class OrganisationViewSet(TenantReadOnlyViewSet):
    queryset = Organisation.objects.all()
    serializer_class = OrganisationSerializer


class UserViewSet(TenantReadOnlyViewSet):
    queryset = User.objects.select_related("organisation").order_by("username")
    serializer_class = UserSerializer
    filterset_fields = ["role"]
    action_capabilities = {"unlock_login": "unlock_logins"}

    @extend_schema(responses=UserSerializer)
    @action(detail=False, methods=["get"])
    def me(self, request: Request) -> Response:
        """The signed-in user."""
        return Response(UserSerializer(request.user).data)

    @extend_schema(request=None, responses={200: dict})
    @action(detail=True, methods=["post"], url_path="unlock-login")
    def unlock_login(self, request: Request, pk: str | None = None) -> Response:
        """Lift a login lock-out on this user (security managers and admins of the organisation)."""
        from minewatch.core import throttle

        user = self.get_object()
        return Response({"cleared": throttle.unlock(user, actor=request.user)})


class AuditEntryViewSet(TenantReadOnlyViewSet):
    queryset = AuditEntry.objects.all()
    serializer_class = AuditEntrySerializer
    filterset_class = AuditEntryFilterSet
    action_capabilities = {"list": "audit", "retrieve": "audit"}


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("organisations", OrganisationViewSet)
    router.register("users", UserViewSet)
    router.register("audit", AuditEntryViewSet, basename="audit")


# The live stream (server-sent events) every app's events go out on.
api_urls = [path("stream/", live.stream, name="api-stream")]
