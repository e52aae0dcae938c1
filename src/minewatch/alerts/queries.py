"""Read-only views of alerts: response times per alert and per site and month."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import QuerySet

from minewatch.alerts.models import Alert

METRICS = ("time_to_acknowledge_s", "time_to_notify_police_s", "time_to_resolve_s")


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


def alert_times(alert: Alert) -> dict[str, float | None]:
    """Seconds from raising to acknowledgement, to the police being told, to resolution."""
    return {
        "time_to_acknowledge_s": _seconds(alert.raised_at, alert.acknowledged_at),
        "time_to_notify_police_s": _seconds(alert.raised_at, alert.police_notified_at),
        "time_to_resolve_s": _seconds(alert.raised_at, alert.resolved_at),
    }


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "median_s": None, "mean_s": None, "p90_s": None}
    ordered = sorted(values)
    p90 = ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]
    return {"count": len(values), "median_s": statistics.median(ordered),
            "mean_s": round(statistics.fmean(ordered), 1), "p90_s": p90}  # fmt: skip


def summarise_by_site_and_month(alerts: QuerySet) -> list[dict[str, Any]]:
    """Per (site, month in local time): alert count and response-time summaries."""
    zone = ZoneInfo(settings.TIME_ZONE)
    rows = alerts.values_list(
        "site_id", "site__name", "raised_at", "acknowledged_at", "police_notified_at", "resolved_at"
    )
    groups: dict[tuple[int | None, str], dict[str, Any]] = {}
    values: dict[tuple[int | None, str], dict[str, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for site_id, site_name, raised, acked, police, resolved in rows.iterator():
        key = (site_id, raised.astimezone(zone).strftime("%Y-%m"))
        group = groups.setdefault(key, {"site": site_id, "site_name": site_name, "month": key[1],
                                        "alerts": 0})  # fmt: skip
        group["alerts"] += 1
        for name, end in zip(METRICS, (acked, police, resolved), strict=True):
            seconds = _seconds(raised, end)
            if seconds is not None:
                values[key][name].append(seconds)
    result = []
    for key in sorted(groups, key=lambda k: (k[1], k[0] or 0)):
        result.append({**groups[key], **{name: _summary(values[key][name]) for name in METRICS}})
    return result


def visible_checklists(user: Any, *, alert: Any = None, incident: Any = None) -> QuerySet:
    """The checklists of an alert, or of an incident (its own and its alerts'), that ``user``
    may see, with their protocol, steps and who ticked them."""
    from django.db.models import Prefetch, Q

    from minewatch.alerts.models import ChecklistItem, ProtocolChecklist
    from minewatch.core.tenancy import restrict

    checklists = restrict(ProtocolChecklist.objects.all(), user)
    if incident is not None:
        checklists = checklists.filter(Q(incident=incident) | Q(alert__incident=incident))
    else:
        checklists = checklists.filter(alert=alert)
    items = ChecklistItem.objects.select_related("ticked_by").order_by("order")
    return (
        checklists.select_related("protocol", "alert")
        .prefetch_related(Prefetch("items", items))
        .order_by("started_at", "pk")
        .distinct()
    )
