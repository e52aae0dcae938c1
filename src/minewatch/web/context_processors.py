"""Values every page template needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from minewatch import __version__
from minewatch.core.roles import has_capability


def minewatch(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    return {
        "minewatch_version": __version__,
        "tile_url": settings.TUNABLES["tile_url"],
        "can_report": bool(user and has_capability(user, "report_incident")),
        "can_manage": bool(user and has_capability(user, "manage_incident")),
    }
