"""Authentication backend with login throttling (``core.throttle``) and the login form."""

from __future__ import annotations

import logging
from typing import Any

from django import forms
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import PermissionDenied
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from minewatch.core import throttle

logger = logging.getLogger("minewatch.auth")


def client_address(request: Any) -> str:
    """The connection's address (a trusted proxy's X-Forwarded-For is applied by the server)."""
    if request is None:
        return "-"
    return str(request.META.get("REMOTE_ADDR", "-"))


class ThrottledModelBackend(ModelBackend):
    """Password login, refused while the user name or the address is locked out."""

    def authenticate(
        self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        if username is None:
            return None
        address = client_address(request)
        try:
            throttle.check_login(username, address)
        except throttle.LoginLocked:
            raise PermissionDenied("too many failed logins; try again later") from None
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            logger.warning("failed login for %r from %s", username[:150], address)
            throttle.record_failure(username, address)
        else:
            throttle.record_success(username, address)
        return user


class LoginForm(AuthenticationForm):
    """Django's login form that says when a lock-out ends instead of 'wrong password'."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        if username:
            until = throttle.locked_until(username, client_address(self.request))
            if until is not None:
                local = formats.time_format(timezone.localtime(until), "H:i")
                raise forms.ValidationError(
                    _("Too many failed logins from here. Try again after %(time)s, or ask a "
                      "security manager to unlock the account.") % {"time": local},
                    code="locked",
                )  # fmt: skip
        return super().clean()


def log_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """``user_logged_in`` receiver: one log line per sign-in (user and organisation in JSON logs)."""
    logger.info("login of %s from %s", user.get_username(), client_address(request))
