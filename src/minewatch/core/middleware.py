"""Middleware the whole site needs: request ids, server-error handling, security headers."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _

from minewatch.core import logs

logger = logging.getLogger("minewatch.request")

# An incoming X-Request-ID (from a proxy or a client) is kept only if it is short and plain,
# so it can go into logs and headers as is; anything else is replaced by a new one.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

# Every asset is served from our own origin (vendored Leaflet, htmx, charts);
# map tiles may come from the optional tile server, hence img-src https:.
CSP = (
    "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


class ContentSecurityPolicyMiddleware:
    """Add a Content-Security-Policy header unless the view set its own."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        if request.path.startswith("/api/v1/docs"):
            # Swagger UI (vendored) needs inline scripts of its own.
            response.setdefault(
                "Content-Security-Policy",
                CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'"),
            )
        else:
            response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Referrer-Policy", "same-origin")
        return response


# What a view raises to answer 404, 403 or 400: Django turns them into those answers.
EXPECTED_EXCEPTIONS = (Http404, PermissionDenied, SuspiciousOperation, BadRequest)


def is_api_request(request: Any) -> bool:
    """API and tracker endpoints answer JSON; web pages answer HTML."""
    return request.path.startswith(("/api/", "/ingest/"))


class RequestIdMiddleware:
    """Give every request an id (``request.request_id``), echoed in ``X-Request-ID``.

    An unhandled exception is logged here with its traceback and the request id
    (Django logs nothing to the console outside DEBUG), and an API client gets
    JSON naming the request id instead of the HTML error page. The id lets an
    operator find the traceback of the answer a user reports.
    """

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        token = logs.set_current_request(request)  # JSON log lines carry its id, user, org
        try:
            response = self.get_response(request)
        finally:
            logs.reset_current_request(token)
        response["X-Request-ID"] = request.request_id
        return response

    def process_exception(self, request: Any, exception: Exception) -> Any:
        if isinstance(exception, EXPECTED_EXCEPTIONS):
            return None  # Django answers these itself (404, 403, 400): not a server error
        request_id = getattr(request, "request_id", "-")
        logger.error(
            "server error on %s %s [request %s]", request.method, request.path, request_id,
            exc_info=exception,
        )  # fmt: skip
        if not is_api_request(request):
            return None  # Django renders its 500 page; the id is in the response header
        return JsonResponse(
            {"detail": _("Internal server error; quote the request id when reporting it."),
             "request_id": request_id},
            status=500,
        )  # fmt: skip
