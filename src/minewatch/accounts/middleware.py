"""Keep a signed-in session to the second-factor pages until it passes the second factor.

After the password, a user who has an authenticator must enter a code (or a recovery
code) before anything else; a user whose role the organisation's policy names, and who
has none yet, must set one up first. API calls with a token are not sessions and are
not affected (a token is the second factor's equivalent: made by a verified session or
the server's operator); an API call on such a half-signed-in session gets 403 in JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from minewatch.accounts import services
from minewatch.accounts.oidc import SSO_SESSION_KEY
from minewatch.core.middleware import is_api_request

# Paths a half-signed-in session may still reach (the second-factor pages are added below).
OPEN_PREFIXES = ("/static/", "/i18n/", "/accounts/logout/", "/accounts/login/", "/metrics",
                 "/api/v1/health", "/ingest/", "/jsi18n/", "/security/oidc/")  # fmt: skip


class TwoFactorMiddleware:
    """Redirect to verification or enrolment until the session passed its second factor."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or request.path.startswith(OPEN_PREFIXES):
            return self.get_response(request)
        verify_url = reverse("accounts:two-factor-verify")
        enrol_url = reverse("accounts:two-factor-enrol")
        if request.path in (verify_url, enrol_url) or user.is_verified():
            return self.get_response(request)
        if request.session.get(SSO_SESSION_KEY):  # the provider's own MFA applies
            return self.get_response(request)
        if services.has_two_factor(user):
            target = verify_url
        elif services.two_factor_required(user):
            target = enrol_url
        else:
            return self.get_response(request)
        if is_api_request(request):
            return JsonResponse({"detail": _("Two-factor verification required: finish signing "
                                             "in on the web page first, or use an API token.")},
                                status=403)  # fmt: skip
        return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")
