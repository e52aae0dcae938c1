"""DRF authentication with named API tokens: ``Authorization: Bearer <token>`` or ``Token <token>``.

Only tokens of this app's format (``mw_…``) are handled here; anything else is left to
the next authentication class (the legacy per-user key, sessions). A token of this
format that is unknown, revoked, expired or used from outside its address ranges is
refused with 401 and a message saying which.
"""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions

from minewatch.accounts import services
from minewatch.accounts.engine.tokens import looks_like_token
from minewatch.accounts.errors import TokenRefused
from minewatch.core.auth import client_address

KEYWORDS = (b"bearer", b"token")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """Authenticate a request as the owner of a named API token (``request.auth`` is the token)."""

    def authenticate(self, request: Any) -> tuple[Any, Any] | None:
        header = authentication.get_authorization_header(request).split()
        if len(header) != 2 or header[0].lower() not in KEYWORDS:
            return None
        try:
            raw = header[1].decode()
        except UnicodeError:
            return None
        if not looks_like_token(raw):
            return None
        try:
            token = services.authenticate_token(raw, client_address(request))
        except TokenRefused as exc:
            raise exceptions.AuthenticationFailed(exc.text) from None
        return token.user, token

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="api"'
