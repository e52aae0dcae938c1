"""Which optional capabilities are installed, so screens show only what exists.

The web app is built before and alongside the tracking, alerts and evidence
apps; each screen asks here whether the API it needs is mounted instead of
importing those apps (which keeps ``web`` free of hard dependencies on them).
"""

from __future__ import annotations

from functools import cache

from django.urls import Resolver404, resolve

# Feature name → the API path whose presence means the feature is installed.
FEATURE_PATHS: dict[str, str] = {
    "alerts": "/api/v1/alerts/",
    "panic": "/api/v1/alerts/panic/",
    "trips": "/api/v1/trips/",
    "devices": "/api/v1/devices/",
    "positions": "/api/v1/positions/",
    "detections": "/api/v1/detections/",
    "stream": "/api/v1/stream/",
    "evidence": "/api/v1/evidence/",
    "protocols": "/api/v1/protocols/",
    "forecast": "/api/v1/risk/forecast/",
}


@cache
def has_path(path: str) -> bool:
    """True when ``path`` resolves to a view (the URL configuration is fixed per process)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    # The router's API root is not a feature, and ".../panic/" must not count when it
    # only matches the detail route of a record whose id would be "panic".
    name = match.url_name or ""
    return name != "api-root" and not name.endswith("-detail")


def available() -> dict[str, bool]:
    """``{feature: installed}`` for every entry of :data:`FEATURE_PATHS`."""
    return {name: has_path(path) for name, path in FEATURE_PATHS.items()}
