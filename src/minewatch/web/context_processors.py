"""Values every page template needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from minewatch import __version__
from minewatch.core.roles import has_capability
from minewatch.web import features, setup
from minewatch.web.setup import CONTRAST_COOKIE
from minewatch.web.strings import JS_STRINGS


def minewatch(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    role = getattr(user, "role", None)
    is_guard = bool(user and role == "guard" and not getattr(user, "is_superuser", False))
    return {
        "minewatch_version": __version__,
        "tile_url": settings.TUNABLES["tile_url"],
        "can_report": bool(user and has_capability(user, "report_incident")),
        "can_manage": bool(user and has_capability(user, "manage_incident")),
        "can_operate": bool(user and has_capability(user, "operate")),
        "is_guard": is_guard,
        "can_see_reports": bool(user and has_capability(user, "see_reports")),
        "can_audit": bool(user and has_capability(user, "audit")),
        "features": features.available(),
        "js_strings": JS_STRINGS,
        "sso_enabled": bool(getattr(settings, "MINEWATCH_OIDC_ISSUER", "")),
        # Setup pages, the liaison's community home and the high-contrast theme (web/setup.py).
        "can_setup": bool(user and setup.may_setup(user)),
        "can_community": bool(user and has_capability(user, "community")),
        "contrast_high": getattr(request, "COOKIES", {}).get(CONTRAST_COOKIE) == "high",
    }
