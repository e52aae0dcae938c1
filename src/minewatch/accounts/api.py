"""Accounts API: named API tokens, two-factor status, policy and reset."""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from minewatch.accounts import services
from minewatch.accounts.choices import TokenScope
from minewatch.accounts.models import ApiToken
from minewatch.core.api import TenantViewSetMixin, VisibleRelatedField
from minewatch.core.choices import Role
from minewatch.core.errors import InvalidInput, NotAllowed
from minewatch.core.models import User
from minewatch.core.roles import has_capability


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as listed: never its secret (``token`` appears once, in the create answer)."""

    user = serializers.SlugRelatedField(slug_field="username", read_only=True)
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "scope", "prefix", "user", "allowed_networks", "created_at",
                  "expires_at", "last_used_at", "last_used_from", "revoked_at", "is_active"]  # fmt: skip
        read_only_fields = fields


class ApiTokenCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text=_("What uses the token."))
    scope = serializers.ChoiceField(choices=TokenScope.choices, default=TokenScope.READ)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=services.MAX_TOKEN_DAYS,
                                               default=services.DEFAULT_TOKEN_DAYS)  # fmt: skip
    allowed_networks = serializers.CharField(
        required=False, allow_blank=True, max_length=1000,
        help_text=_("Optional address ranges, e.g. 10.0.0.0/8, 192.0.2.7"),
    )  # fmt: skip


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(read_only=True, help_text=_("Shown once; store it now."))

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ApiTokenViewSet(TenantViewSetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin,
                      viewsets.GenericViewSet):  # fmt: skip
    """Your API tokens (an admin sees the organisation's): create, list, revoke.

    Every role may manage its own tokens; a token can do no more than its user.
    """

    queryset = ApiToken.objects.select_related("user").all()
    serializer_class = ApiTokenSerializer
    filterset_fields = ["scope"]
    action_capabilities = {"create": "read", "revoke": "read"}

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def create(self, request: Request) -> Response:
        """Create a token for yourself; the answer holds it once (only its digest is kept)."""
        if getattr(request.auth, "scope", None) is not None:
            raise NotAllowed(_("An API token cannot create tokens; sign in to do it."))
        form = ApiTokenCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        token, secret = services.create_token(actor=request.user, user=request.user,
                                              **form.validated_data)  # fmt: skip
        body = ApiTokenSerializer(token).data | {"token": secret}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=ApiTokenSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str | None = None) -> Response:
        """Revoke the token now; it is kept, inactive, for the record."""
        token = services.revoke_token(self.get_object(), actor=request.user)
        return Response(ApiTokenSerializer(token).data)


class TwoFactorStatusSerializer(serializers.Serializer):
    enrolled = serializers.BooleanField()
    required = serializers.BooleanField()
    recovery_codes_left = serializers.IntegerField()
    required_roles = serializers.ListField(child=serializers.CharField())


class TwoFactorPolicySerializer(serializers.Serializer):
    required_roles = serializers.ListField(
        child=serializers.ChoiceField(choices=Role.choices), allow_empty=True, max_length=20
    )


class TwoFactorResetSerializer(serializers.Serializer):
    user = VisibleRelatedField(queryset=User.objects.all())


class TwoFactorViewSet(viewsets.ViewSet):
    """Two-factor login: your status, the organisation's policy, an admin's reset."""

    action_capabilities = {"list": "read", "policy": "read", "reset": "manage_users"}
    serializer_class = TwoFactorStatusSerializer

    def _status(self, user: Any) -> dict[str, Any]:
        return {
            "enrolled": services.has_two_factor(user),
            "required": services.two_factor_required(user),
            "recovery_codes_left": services.unused_recovery_codes(user),
            "required_roles": services.required_roles(user.organisation_id),
        }

    @extend_schema(responses=TwoFactorStatusSerializer)
    def list(self, request: Request) -> Response:
        """Whether you use two-factor login, must, and how many recovery codes are left."""
        return Response(self._status(request.user))

    @extend_schema(methods=["GET"], responses=TwoFactorPolicySerializer)
    @extend_schema(methods=["PUT"], request=TwoFactorPolicySerializer,
                   responses=TwoFactorPolicySerializer)  # fmt: skip
    @action(detail=False, methods=["get", "put"])
    def policy(self, request: Request) -> Response:
        """The roles of your organisation that must use two-factor login (admins change it)."""
        org = request.user.organisation
        if request.method == "PUT":
            if org is None or not has_capability(request.user, "manage_users"):
                raise NotAllowed(_("Only an administrator of the organisation can change this."))
            form = TwoFactorPolicySerializer(data=request.data)
            form.is_valid(raise_exception=True)
            services.set_policy(actor=request.user, organisation=org,
                                roles=form.validated_data["required_roles"])  # fmt: skip
        org_id = org.pk if org is not None else None
        return Response({"required_roles": services.required_roles(org_id)})

    @extend_schema(request=TwoFactorResetSerializer, responses={200: dict})
    @action(detail=False, methods=["post"])
    def reset(self, request: Request) -> Response:
        """Remove a user's authenticator and recovery codes (a lost phone); they enrol again."""
        form = TwoFactorResetSerializer(data=request.data, context={"request": request})
        form.is_valid(raise_exception=True)
        user = form.validated_data["user"]
        if user.organisation_id != request.user.organisation_id and not request.user.is_superuser:
            raise InvalidInput(_("No such user."), field="user")
        removed = services.reset_two_factor(actor=request.user, user=user)
        return Response({"user": user.username, "devices_removed": removed})


def register(router: BaseRouter) -> None:
    """Add this app's endpoints to the API router."""
    router.register("api-tokens", ApiTokenViewSet, basename="api-token")


# Not a list of records, so beside the router (the tenancy walk lists router endpoints).
api_urls = [
    path("two-factor/", TwoFactorViewSet.as_view({"get": "list"}), name="two-factor-status"),
    path("two-factor/policy/", TwoFactorViewSet.as_view({"get": "policy", "put": "policy"}),
         name="two-factor-policy"),
    path("two-factor/reset/", TwoFactorViewSet.as_view({"post": "reset"}),
         name="two-factor-reset"),
]  # fmt: skip
