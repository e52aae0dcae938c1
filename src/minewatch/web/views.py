"""Pages of the operations-centre web app that belong to no single capability.

The map, console, convoys and dashboard are server-rendered shells; their
live data comes from the JSON endpoints below and the REST API, refreshed by
the server-sent-events stream when it is installed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from minewatch.core.choices import Role
from minewatch.core.roles import has_capability
from minewatch.geo.choices import SiteKind, ZoneKind
from minewatch.incidents.taxonomy import THREATS, types_of
from minewatch.web import queries

MAP_DAYS_CHOICES = (30, 90, 365, 1825)
DEFAULT_MAP_DAYS = 365


def is_guard(user: object) -> bool:
    return getattr(user, "role", None) == Role.GUARD and not getattr(user, "is_superuser", False)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """After login: the operations map; a guard lands on the field report."""
    if is_guard(request.user):
        return redirect("incidents:field")
    if getattr(request.user, "role", None) == Role.LIAISON:
        return redirect("liaison-home")
    return redirect("map")


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    """The operations map: regions, sites, zones, routes, incidents, convoys and alerts."""
    if is_guard(request.user):
        return redirect("incidents:field")
    return render(
        request,
        "web/map.html",
        {"threats": THREATS, "zone_kinds": ZoneKind.choices, "days_choices": MAP_DAYS_CHOICES,
         "default_days": DEFAULT_MAP_DAYS, "site_kinds": SiteKind.choices,
         "extent": queries.visible_extent(request.user),
         "can_draw": has_capability(request.user, "manage_sites")},
    )  # fmt: skip


def _private_json(data: dict, max_age_s: int = 0) -> JsonResponse:
    response = JsonResponse(data)
    response["Cache-Control"] = f"private, max-age={max_age_s}"
    return response


@login_required
@require_GET
def map_regions(request: HttpRequest) -> JsonResponse:
    """Peru's regions as a GeoJSON FeatureCollection (bundled, works offline)."""
    return _private_json(queries.regions_geojson(), max_age_s=3600)


@login_required
@require_GET
def map_layers(request: HttpRequest) -> JsonResponse:
    """Sites, zones, routes and incidents of the last ``days`` days the user may see."""
    try:
        days = int(request.GET.get("days", DEFAULT_MAP_DAYS))
    except ValueError:
        return JsonResponse({"days": ["must be a whole number of days"]}, status=400)
    if not 1 <= days <= 3660:
        return JsonResponse({"days": ["must be between 1 and 3660"]}, status=400)
    since = timezone.now() - dt.timedelta(days=days)
    user = request.user
    return _private_json(
        {
            "sites": queries.sites_geojson(user),
            "zones": queries.zones_geojson(user),
            "routes": queries.routes_geojson(user),
            "incidents": queries.incidents_geojson(user, since),
        }
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Incidents per month by threat, top regions and sites, open alerts, time to acknowledge."""
    since = timezone.now() - dt.timedelta(days=365)
    user = request.user
    per_month = queries.incidents_per_month(user)
    english = (get_language() or "es").startswith("en")
    chart = {
        "labels": per_month["labels"],
        "series": [
            {"code": t.code, "label": t.label_en if english else t.label_es,
             "data": per_month["series"][t.code]}
            for t in THREATS
        ],
    }  # fmt: skip
    return render(
        request,
        "web/dashboard.html",
        {
            "chart": chart,
            "alerts": queries.alert_figures(user, timezone.now() - dt.timedelta(days=30)),
            "top_regions": queries.top_counts(user, "region", since),
            "top_sites": queries.top_counts(user, "site", since),
            "total_12m": sum(sum(v) for v in per_month["series"].values()),
            "open_incidents": queries.visible_incidents(user).exclude(status="closed").count(),
        },
    )


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """The alarm console: open alerts by severity and age, with their escalation ladder.

    "Open incident" asks for the type (the alert's suggestion preselected), grouped by threat.
    """
    english = (get_language() or "es").startswith("en")
    type_groups = [
        (t.label_en if english else t.label_es,
         [(k.code, k.label_en if english else k.label_es) for k in types_of(t.code)])
        for t in THREATS
    ]  # fmt: skip
    return render(request, "web/console.html", {"type_groups": type_groups})


@login_required
def convoys(request: HttpRequest) -> HttpResponse:
    """Trips en route with progress, ETA, last fix age, escort distance and detections."""
    if is_guard(request.user):
        return redirect("incidents:field")
    return render(request, "web/convoys.html", {})


@login_required
def trip_detail(request: HttpRequest, trip_id: int) -> HttpResponse:
    """One trip: its track on the map, convoy, cargo and detections (from the tracking API).

    A shell like the other live screens: the tracking API decides what the user may see,
    so a trip of another company is a "not found" there and on this page.
    """
    if is_guard(request.user):
        return redirect("incidents:field")
    from minewatch.people.queries import manifest_lines

    # people managers plan a manifest on any trip; others see the link once it has one
    has_manifest = (has_capability(request.user, "manage_people")
                    or manifest_lines(request.user, trip_id).exists())  # fmt: skip
    return render(request, "web/trip_detail.html", {"trip_id": trip_id,
                                                    "has_manifest": has_manifest})  # fmt: skip
