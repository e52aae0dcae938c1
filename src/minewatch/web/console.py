"""The alarm console as a queue: every open alert with its detail in one JSON answer,
and the printable shift handover.

``queue.json`` replaces one request per alert: the ladder with its timers, the protocol
checklists, the deliveries in words, the notes, the nearest site and the convoy of each
open alert come from a handful of prefetched queries. Everything starts from what the
user may see (``core.tenancy.restrict``); the delivery log only for the roles the
delivery-attempts API shows it to (operators, managers, auditors).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from minewatch.core.roles import has_capability
from minewatch.core.tenancy import restrict
from minewatch.geo.models import Site

QUEUE_LIMIT = 500
HANDOVER_HOURS = 12
EARTH_RADIUS_M = 6_371_008.8


def _alerts_installed() -> bool:
    return apps.is_installed("minewatch.alerts")


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km.

    >>> round(distance_km(-12.0, -77.0, -12.0, -77.01), 2)
    1.09
    """
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)) / 1000


def may_see_deliveries(user: Any) -> bool:
    """The same rule as the delivery-attempts API."""
    return has_capability(user, "operate") or has_capability(user, "audit")


def delivery_words(channel_label: str, recipient: str, status_label: str) -> str:
    """One delivery in words: "SMS gateway to a-operator: Sent"."""
    return _("%(channel)s to %(recipient)s: %(status)s") % {
        "channel": channel_label, "recipient": recipient, "status": status_label,
    }  # fmt: skip


def _nearest_site(alert: Any, sites: list[Any]) -> dict[str, Any] | None:
    if alert.lat is None or alert.lon is None:
        site = alert.site
        return {"id": site.pk, "name": site.name, "lat": site.lat, "lon": site.lon,
                "distance_km": None} if site else None  # fmt: skip
    best = None
    for site in sites:
        km = distance_km(alert.lat, alert.lon, site.lat, site.lon)
        if best is None or km < best[0]:
            best = (km, site)
    if best is None:
        return None
    return {"id": best[1].pk, "name": best[1].name, "lat": best[1].lat, "lon": best[1].lon,
            "distance_km": round(best[0], 1)}  # fmt: skip


def _trip_reference(alert: Any) -> str:
    if alert.subject_type == "trip" and alert.subject_key:
        return alert.subject_key
    trip = (alert.details or {}).get("trip") if isinstance(alert.details, dict) else None
    return trip if isinstance(trip, str) else ""


def _convoys(user: Any, references: set[str]) -> dict[str, dict[str, Any]]:
    """Trip reference → {id, reference, status, vehicles: [{plate, lat, lon, at}]}."""
    if not references or not apps.is_installed("minewatch.tracking"):
        return {}
    trip_model = apps.get_model("tracking", "Trip")
    trips = restrict(trip_model.objects.filter(reference__in=references), user).prefetch_related(
        "members__vehicle__devices__tracker_state"
    )
    found: dict[str, dict[str, Any]] = {}
    for trip in trips:
        vehicles = []
        for member in trip.members.all():
            for device in member.vehicle.devices.all():
                state = getattr(device, "tracker_state", None)
                fix = state.last_position if state is not None else {}
                if isinstance(fix, dict) and fix.get("lat") is not None:
                    vehicles.append({"plate": member.vehicle.plate, "lat": fix.get("lat"),
                                     "lon": fix.get("lon"), "at": fix.get("fix_time")})  # fmt: skip
        found[trip.reference] = {"id": trip.pk, "reference": trip.reference,
                                 "status": trip.get_status_display(), "vehicles": vehicles}  # fmt: skip
    return found


def open_alerts(user: Any) -> Any:
    """The open alerts the user may see, with everything the queue's detail pane shows."""
    from minewatch.alerts.models import Alert, ChecklistItem, ProtocolChecklist

    checklists = ProtocolChecklist.objects.select_related("protocol").prefetch_related(
        Prefetch("items", ChecklistItem.objects.select_related("ticked_by").order_by("order"))
    )
    return (
        restrict(Alert.objects.exclude(status="resolved"), user)
        .select_related("site", "policy", "incident")
        .annotate(steps_fired=Count("firings", distinct=True))
        .prefetch_related(
            "firings__actor",
            "deliveries__firing",
            "status_changes__actor",
            "policy__steps",
            Prefetch("checklists", checklists),
        )  # fmt: skip
        .order_by("-severity", "raised_at", "id")
    )


def _checklist_rows(alert: Any, english: bool, can_tick: bool) -> list[dict[str, Any]]:
    rows = []
    for checklist in alert.checklists.all():
        rows.append({
            "id": checklist.pk,
            "title": checklist.protocol.title_en if english else checklist.protocol.title_es,
            "completed_at": checklist.completed_at,
            "can_tick": can_tick,
            "items": [
                {"id": item.pk, "code": item.code, "text": item.text_en if english else item.text_es,
                 "role": item.role, "due_at": item.due_at, "notifies_police": item.notifies_police,
                 "ticked_at": item.ticked_at,
                 "ticked_by": item.ticked_by.username if item.ticked_by else None,
                 "note": item.note}
                for item in checklist.items.all()
            ],
        })  # fmt: skip
    return rows


def _notes(alert: Any) -> list[dict[str, Any]]:
    from minewatch.alerts.choices import AlertStatus

    notes = []
    for change in alert.status_changes.all():
        notes.append({
            "at": change.at,
            "actor": change.actor.username if change.actor else _("system"),
            "from": AlertStatus(change.from_status).label if change.from_status else "",
            "to": AlertStatus(change.to_status).label, "note": change.note,
        })  # fmt: skip
    if alert.resolution_note:
        notes.append({"at": alert.resolved_at, "actor": "", "from": "", "to": "",
                      "note": alert.resolution_note})  # fmt: skip
    return notes


def queue_rows(user: Any, request: HttpRequest | None = None) -> list[dict[str, Any]]:
    """Every open alert the user may see, as the console's queue draws it."""
    from minewatch.alerts.api.alerts import ladder
    from minewatch.alerts.choices import AlertStatus, ChannelKind, DeliveryStatus, kind_label
    from minewatch.alerts.services.alerts import allowed_actions

    now = timezone.now()
    english = (get_language() or "es").startswith("en")
    deliveries_visible = may_see_deliveries(user)
    can_tick = has_capability(user, "operate")
    alerts = list(open_alerts(user)[:QUEUE_LIMIT])
    sites = list(restrict(Site.objects.all(), user).only("id", "name", "lat", "lon"))
    convoys = _convoys(user, {ref for ref in map(_trip_reference, alerts) if ref})
    rows = []
    for alert in alerts:
        step_ladder = ladder(alert, now)
        if step_ladder is not None and not deliveries_visible:
            for step in step_ladder["steps"]:
                step["deliveries"] = []
        deliveries = []
        if deliveries_visible:
            for attempt in sorted(alert.deliveries.all(), key=lambda d: (d.created_at, d.pk)):
                deliveries.append({
                    "at": attempt.finished_at or attempt.created_at,
                    "status": attempt.status, "is_police": attempt.is_police,
                    "text": delivery_words(ChannelKind(attempt.channel_kind).label,
                                           attempt.recipient_label or attempt.target,
                                           DeliveryStatus(attempt.status).label),
                })  # fmt: skip
        snapshot = reverse("alert-snapshot", args=[alert.pk]) if alert.snapshot else None
        rows.append({
            "id": alert.pk, "reference": alert.reference, "title": alert.title,
            "severity": alert.severity, "status": alert.status,
            "status_label": AlertStatus(alert.status).label,
            "source": alert.source, "source_label": alert.get_source_display(),
            "kind_label": kind_label(alert.kind), "incident_type": alert.incident_type,
            "site": {"id": alert.site.pk, "name": alert.site.name} if alert.site else None,
            "place": alert.place, "lat": alert.lat, "lon": alert.lon,
            "raised_at": alert.raised_at, "last_occurred_at": alert.last_occurred_at,
            "occurrences": alert.occurrences,
            "incident": {"id": alert.incident.pk, "reference": alert.incident.reference}
            if alert.incident else None,
            "actions": allowed_actions(alert), "snapshot_url": snapshot,
            "url": reverse("alerts:detail", args=[alert.pk]),
            "ladder": step_ladder, "deliveries": deliveries,
            "checklists": _checklist_rows(alert, english, can_tick),
            "notes": _notes(alert), "nearest_site": _nearest_site(alert, sites),
            "convoy": convoys.get(_trip_reference(alert)),
        })  # fmt: skip
    return rows


@login_required
@require_GET
def queue_json(request: HttpRequest) -> JsonResponse:
    """The console's queue in one answer: ``{"now": ..., "alerts": [...]}``."""
    if not _alerts_installed():
        raise Http404("the alerts module is not installed")
    response = JsonResponse({"now": timezone.now(), "alerts": queue_rows(request.user, request)})
    response["Cache-Control"] = "private, no-store"
    return response


def handover_data(user: Any, now: dt.datetime, hours: int = HANDOVER_HOURS) -> dict[str, Any]:
    """What the next shift needs: open alerts, those the police were told of, and the changes
    (alert status changes, incidents reported or moved) of the last ``hours`` hours."""
    from minewatch.alerts.models import Alert, AlertStatusChange

    since = now - dt.timedelta(hours=hours)
    alerts = restrict(Alert.objects.all(), user).select_related("site", "incident")
    open_rows = list(alerts.exclude(status="resolved").order_by("-severity", "raised_at"))
    police = list(
        alerts.filter(Q(police_notified_at__gte=since) | Q(status="escalated",
                                                           police_notified_at__isnull=False))
        .order_by("-police_notified_at")
    )  # fmt: skip
    visible_ids = alerts.values("pk")
    changes = list(
        AlertStatusChange.objects.filter(alert__in=visible_ids, at__gte=since)
        .select_related("alert", "actor")
        .order_by("-at")[:300]
    )
    from minewatch.web.queries import visible_incidents

    incidents = list(
        visible_incidents(user).filter(Q(reported_at__gte=since) | Q(updated_at__gte=since))
        .order_by("-updated_at")[:100]
    )  # fmt: skip
    return {"since": since, "now": now, "hours": hours, "open": open_rows, "police": police,
            "changes": changes, "incidents": incidents}  # fmt: skip


@login_required
def handover(request: HttpRequest) -> HttpResponse:
    """The printable shift handover of the alarm console."""
    if not _alerts_installed():
        raise Http404("the alerts module is not installed")
    return render(request, "web/handover.html", handover_data(request.user, timezone.now()))
