"""Security headers the whole site needs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
