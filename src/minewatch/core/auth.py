"""Authentication backend with login throttling per user name and client address."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied


def _key(username: str, address: str) -> str:
    digest = hashlib.sha256(f"{username.lower()}|{address}".encode()).hexdigest()[:32]
    return f"login-failures:{digest}"


def client_address(request: Any) -> str:
    if request is None:
        return "-"
    return str(request.META.get("REMOTE_ADDR", "-"))


class ThrottledModelBackend(ModelBackend):
    """Refuse a login after too many failures from one address for one user name.

    Limits come from the MINEWATCH_LOGIN_ATTEMPTS and MINEWATCH_LOGIN_LOCKOUT_S tunables.
    """

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            return None
        key = _key(username, client_address(request))
        attempts = int(settings.TUNABLES["login_attempts"])
        if (cache.get(key) or 0) >= attempts:
            raise PermissionDenied("too many failed logins; try again later")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            lockout_s = int(settings.TUNABLES["login_lockout_s"])
            cache.set(key, (cache.get(key) or 0) + 1, timeout=lockout_s)
        else:
            cache.delete(key)
        return user
