"""Read-only data for the web screens: map layers as GeoJSON and dashboard figures.

Every query starts from what the user may see (``core.tenancy.restrict``); the
regions are public reference data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db.models import Count, Max, Min, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from minewatch.core.tenancy import restrict
from minewatch.geo.models import Region, Route, Site, Zone
from minewatch.incidents.models import Incident
from minewatch.incidents.taxonomy import THREATS

MAP_INCIDENT_LIMIT = 1000


def feature(geometry: dict[str, Any] | None, properties: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def collection(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def point(lat: float, lon: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


def regions_geojson() -> dict[str, Any]:
    """Peru's departamentos from the bundled boundaries (public reference data)."""
    return collection(
        [
            feature(r.geometry, {"id": r.pk, "name": r.name, "code": r.code, "ubigeo": r.ubigeo})
            for r in Region.objects.all()
        ]
    )


def visible_incidents(user: Any) -> QuerySet:
    """Incidents the user may see (tenancy and role: a guard sees only its own reports)."""
    return restrict(Incident.objects.select_related("site", "region"), user)


def sites_geojson(user: Any) -> dict[str, Any]:
    sites = restrict(Site.objects.select_related("region", "organisation"), user)
    return collection(
        [
            feature(
                point(s.lat, s.lon),
                {
                    "id": s.pk,
                    "name": s.name,
                    "kind": s.kind,
                    "kind_label": s.get_kind_display(),
                    "region": s.region.name if s.region else "",
                    "owner": s.organisation.name,
                    "area": s.geometry,
                    "altitude_m": s.altitude_m,
                },
            )  # fmt: skip
            for s in sites
        ]
    )


def zones_geojson(user: Any) -> dict[str, Any]:
    zones = restrict(Zone.objects.select_related("site", "route"), user)
    features = []
    for z in zones:
        properties = {
            "id": z.pk, "name": z.name, "kind": z.kind, "kind_label": z.get_kind_display(),
            "shape": z.shape, "radius_m": z.radius_m, "site": z.site.name if z.site else "",
            "route": z.route.name if z.route else "",
            "site_id": z.site_id, "route_id": z.route_id,
        }  # fmt: skip
        if z.shape == "circle" and z.center_lat is not None:
            features.append(feature(point(z.center_lat, z.center_lon), properties))
        elif z.geometry:
            features.append(feature(z.geometry, properties))
    return collection(features)


def routes_geojson(user: Any) -> dict[str, Any]:
    routes = restrict(Route.objects.all(), user)
    return collection(
        [
            feature(
                r.geometry,
                {
                    "id": r.pk,
                    "name": r.name,
                    "buffer_m": r.buffer_m,
                    "length_km": round(r.length_m / 1000, 1),
                    "speed_limit_kmh": r.speed_limit_kmh,
                    "origin_id": r.origin_id,
                },
            )  # fmt: skip
            for r in routes
            if r.geometry
        ]
    )


def incidents_geojson(user: Any, since: dt.datetime) -> dict[str, Any]:
    incidents = visible_incidents(user).filter(occurred_at__gte=since)[:MAP_INCIDENT_LIMIT]
    return collection(
        [
            feature(
                point(i.lat, i.lon),
                {
                    "id": i.pk,
                    "reference": i.reference,
                    "title": i.title,
                    "threat": i.threat,
                    "threat_label": str(i.get_threat_display()),
                    "type_label": str(i.get_incident_type_display()),
                    "severity": i.severity,
                    "status_label": str(i.get_status_display()),
                    "occurred_at": i.occurred_at.isoformat(),
                    "site": i.site.name if i.site else "",
                    "url": f"/incidents/{i.pk}/",
                },
            )  # fmt: skip
            for i in incidents
        ]
    )


def incidents_per_month(user: Any, months: int = 12) -> dict[str, Any]:
    """Counts per calendar month (local time) and threat over the last ``months`` months."""
    now = timezone.localtime()
    index = now.year * 12 + now.month - 1 - (months - 1)
    start = now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=0, minute=0,
                        second=0, microsecond=0)  # fmt: skip
    rows = (
        visible_incidents(user)
        .filter(occurred_at__gte=start)
        .annotate(month=TruncMonth("occurred_at"))
        .values("month", "threat")
        .annotate(n=Count("id"))
    )
    labels: list[str] = []
    cursor = start.date()
    while cursor <= now.date():
        labels.append(cursor.strftime("%Y-%m"))
        cursor = (cursor + dt.timedelta(days=32)).replace(day=1)
    counts = {t.code: [0] * len(labels) for t in THREATS}
    for row in rows:
        key = row["month"].strftime("%Y-%m")
        if key in labels and row["threat"] in counts:
            counts[row["threat"]][labels.index(key)] += row["n"]
    return {"labels": labels, "series": counts}


def top_counts(user: Any, field: str, since: dt.datetime, limit: int = 8) -> list[dict[str, Any]]:
    """The regions or sites with most incidents since ``since``: [{name, n}] biggest first."""
    rows = (
        visible_incidents(user)
        .filter(occurred_at__gte=since)
        .exclude(**{f"{field}__isnull": True})
        .values(f"{field}__name")
        .annotate(n=Count("id"))
        .order_by("-n", f"{field}__name")[:limit]
    )
    return [{"name": row[f"{field}__name"], "n": row["n"]} for row in rows]


def alert_figures(user: Any, since: dt.datetime) -> dict[str, Any] | None:
    """Open alerts now and mean time to acknowledge since ``since``; None without the alerts app."""
    if not apps.is_installed("minewatch.alerts"):
        return None
    alert_model = apps.get_model("alerts", "Alert")
    alerts = restrict(alert_model.objects.all(), user)
    open_alerts = alerts.exclude(status="resolved")
    acknowledged = alerts.filter(raised_at__gte=since, acknowledged_at__isnull=False)
    waits = [
        (acked - raised).total_seconds()
        for raised, acked in acknowledged.values_list("raised_at", "acknowledged_at")
    ]
    return {
        "open": open_alerts.count(),
        "critical": open_alerts.filter(severity__gte=5).count(),
        "acknowledged_count": len(waits),
        "mean_ack_s": sum(waits) / len(waits) if waits else None,
    }


def visible_extent(user: Any) -> list[list[float]] | None:
    """[[south, west], [north, east]] around the sites, zones and routes the user may see.

    The map opens on it (issue #14): a contractor sees its assigned sites, not all of
    Peru. None when the user sees no site, zone or route.
    """
    boxes = []
    for model in (Site, Zone, Route):
        box = restrict(model.objects.all(), user).aggregate(
            south=Min("min_lat"), west=Min("min_lon"), north=Max("max_lat"), east=Max("max_lon")
        )
        if box["south"] is not None:
            boxes.append(box)
    if not boxes:
        return None
    return [
        [min(b["south"] for b in boxes), min(b["west"] for b in boxes)],
        [max(b["north"] for b in boxes), max(b["east"] for b in boxes)],
    ]
