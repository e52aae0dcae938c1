"""Single sign-on with OpenID Connect (mozilla-django-oidc), configured by MINEWATCH_OIDC_*.

Mining companies sign their staff in with Entra ID or Keycloak. MineWatch is the relying
party: ``/security/oidc/login/`` sends the browser to the provider, the callback trades the
code for tokens (server to server), checks the ID token's signature against the
provider's published keys (RS256) and its nonce, reads the claims, and signs in **the
existing user with that e-mail address**. Nothing about a person's access is taken from
the provider unless the operator says so:

* no account is created for an unknown e-mail unless ``MINEWATCH_OIDC_CREATE_USERS=true``
  (then in ``MINEWATCH_OIDC_ORGANISATION`` with ``MINEWATCH_OIDC_DEFAULT_ROLE``);
* the role is never changed from a claim unless ``MINEWATCH_OIDC_ROLE_CLAIM`` names one
  (and its value is a MineWatch role).

Endpoints come from the provider's discovery document
(``<issuer>/.well-known/openid-configuration``), fetched on first use and kept.
A provider's MFA replaces MineWatch's own second factor for sessions it signed in.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import requests
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

from minewatch.core import audit
from minewatch.core.choices import AuditAction, Role

logger = logging.getLogger("minewatch.accounts.oidc")

SSO_SESSION_KEY = "minewatch_sso"
DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}
_discovery: dict[str, dict[str, Any]] = {}


def is_enabled() -> bool:
    return bool(getattr(settings, "MINEWATCH_OIDC_ISSUER", ""))


def discovery(issuer: str) -> dict[str, Any]:
    """The provider's discovery document (fetched once per process)."""
    if issuer not in _discovery:
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        response = requests.get(url, timeout=10)
        response.raise_for_status()
        document = response.json()
        if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
            raise ImproperlyConfigured(f"{url} names issuer {document.get('issuer')!r}, "
                                       f"not MINEWATCH_OIDC_ISSUER={issuer!r}")  # fmt: skip
        _discovery[issuer] = document
    return _discovery[issuer]


def oidc_setting(attr: str, *default: Any) -> Any:
    """A mozilla-django-oidc setting; the provider's endpoints from discovery if not set."""
    if attr in DISCOVERED and not getattr(settings, attr, None) and is_enabled():
        return discovery(settings.MINEWATCH_OIDC_ISSUER)[DISCOVERED[attr]]
    return import_from_settings(attr, *default)


class MineWatchOIDCBackend(OIDCAuthenticationBackend):
    """Sign in the active user whose e-mail the provider vouches for; create or re-role only
    when configured."""

    get_settings = staticmethod(oidc_setting)

    def filter_users_by_claims(self, claims: dict[str, Any]) -> Any:
        email = claims.get("email")
        if not email:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        # An address the provider did not verify could be anyone's.
        return bool(claims.get("email")) and claims.get("email_verified", True) is not False

    def create_user(self, claims: dict[str, Any]) -> Any:
        from minewatch.core import services
        from minewatch.core.models import Organisation

        organisation = Organisation.objects.filter(
            name=settings.MINEWATCH_OIDC_ORGANISATION).first()  # fmt: skip
        if organisation is None:
            logger.error("SSO: MINEWATCH_OIDC_ORGANISATION %r does not exist; %s not created",
                         settings.MINEWATCH_OIDC_ORGANISATION, claims.get("email"))  # fmt: skip
            return None
        role = self._claimed_role(claims) or settings.MINEWATCH_OIDC_DEFAULT_ROLE
        user = services.create_user(
            actor=None, username=claims["email"][:150], email=claims["email"],
            password=secrets.token_urlsafe(32), organisation=organisation, role=role,
            first_name=str(claims.get("given_name", ""))[:150],
            last_name=str(claims.get("family_name", ""))[:150],
        )  # fmt: skip
        user.set_unusable_password()  # signs in through the provider only
        user.save(update_fields=["password"])
        return user

    def update_user(self, user: Any, claims: dict[str, Any]) -> Any:
        role = self._claimed_role(claims)
        if role and role != user.role:
            with transaction.atomic():
                before = {"role": user.role}
                user.role = role
                user.save(update_fields=["role"])
                audit.record(actor=None, action=AuditAction.UPDATE, instance=user, before=before,
                             after={"role": role}, note="role from the SSO provider's claim")  # fmt: skip
        return user

    def _claimed_role(self, claims: dict[str, Any]) -> str | None:
        claim = getattr(settings, "MINEWATCH_OIDC_ROLE_CLAIM", "")
        if not claim:
            return None
        value = claims.get(claim)
        if isinstance(value, list):  # Keycloak/Entra give roles as a list: take the first known
            value = next((v for v in value if v in Role.values), None)
        return value if value in Role.values else None


class SSOLoginView(OIDCAuthenticationRequestView):
    """Send the browser to the provider's sign-in page."""

    get_settings = staticmethod(oidc_setting)


class SSOCallbackView(OIDCAuthenticationCallbackView):
    """Back from the provider: signed in, or back to the login page saying why not."""

    get_settings = staticmethod(oidc_setting)

    def login_failure(self) -> Any:
        messages.error(self.request, _("Single sign-on did not find an active MineWatch user "
                                       "with your e-mail address. Ask an administrator."))  # fmt: skip
        return HttpResponseRedirect(reverse("login"))

    def login_success(self) -> Any:
        response = super().login_success()
        self.request.session[SSO_SESSION_KEY] = True
        return response
