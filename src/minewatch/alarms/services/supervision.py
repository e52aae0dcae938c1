"""Periodic checks the alerts worker runs: silent panels, missed checkpoints, lone guards.

Each check turns what the pure engines find into detections; the alert rules fold the
repeats (a panel still silent at the next check adds to the same alert's counter).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from minewatch.alarms.engine import supervision, tours
from minewatch.alarms.models import AlarmPanel, TourRun
from minewatch.alarms.services.tours import engine_route
from minewatch.alerts.choices import AlertSource
from minewatch.alerts.services import AlertInput, raise_alert

logger = logging.getLogger("minewatch.alarms")
# A tour is over (not "in progress") this long after its last checkpoint was due.
TOUR_GRACE_S = 3600


def check_silent_panels(now: dt.datetime) -> int:
    panels = {p.account: p for p in AlarmPanel.objects.filter(is_active=True, max_silence_s__isnull=False)
              .select_related("site")}  # fmt: skip
    silent = supervision.find_silent_panels(
        # A panel that never reported is counted from when it was registered.
        last_seen_utc={a: p.last_seen_at or p.created_at for a, p in panels.items()},
        max_silence_s={a: float(p.max_silence_s) for a, p in panels.items()}, now_utc=now,
    )  # fmt: skip
    raised = 0
    for found in silent:
        panel = panels[found.account]
        since = f"{found.silent_s / 60:.0f} min" if found.silent_s else "nunca reportó"
        raised += len(raise_alert(AlertInput(
            organisation_id=panel.organisation_id, kind="alarm.panel_silent", severity=3,
            source=AlertSource.ALARM_PANEL, occurred_at=now, site_id=panel.site_id,
            title=f"Panel de alarma sin reportar: {panel.name} ({since})", subject_type="panel",
            subject_key=panel.account, lat=panel.site.lat, lon=panel.site.lon,
            details={"account": panel.account, "max_silence_s": panel.max_silence_s},
        )))  # fmt: skip
    return raised


def _tour_alert(
    tour: TourRun, kind: str, severity: int, title: str, now: dt.datetime, key: str
) -> int:
    return len(raise_alert(AlertInput(
        organisation_id=tour.organisation_id, kind=kind, severity=severity,
        source=AlertSource.GUARD_TOUR, occurred_at=now, site_id=tour.site_id, title=title[:200],
        subject_type="tour", subject_key=key, lat=tour.site.lat, lon=tour.site.lon,
        details={"tour": tour.pk, "route": tour.route_id, "guard": tour.guard.username},
    )))  # fmt: skip


def check_tours(now: dt.datetime) -> int:
    """Missed or late checkpoints of running tours (each alerted once per tour)."""
    raised = 0
    running = TourRun.objects.filter(ended_at__isnull=True).select_related("route", "site", "guard")
    for tour in running.prefetch_related("route__checkpoints", "scans__checkpoint"):
        route = engine_route(tour.route)
        scans = [tours.CheckpointScan(s.checkpoint.code, s.scanned_at) for s in tour.scans.all()]
        report = tours.evaluate_tour(
            route, tour_start_utc=tour.started_at, scans=scans, now_utc=now
        )
        with transaction.atomic():
            for result in report.results:
                if result.status not in ("missed", "late") or result.code in tour.alerted_codes:
                    continue
                kind = f"tour.checkpoint_{result.status}"
                title = f"Punto de control {'omitido' if result.status == 'missed' else 'tardío'}: {result.code} ({tour.route.name}, {tour.guard.username})"
                raised += _tour_alert(tour, kind, 3 if result.status == "missed" else 2, title, now,
                                      f"{tour.pk}:{result.code}")  # fmt: skip
                tour.alerted_codes = [*tour.alerted_codes, result.code]
            last_due = max((c.offset_s + c.tolerance_s for c in route.checkpoints), default=0)
            if (now - tour.started_at).total_seconds() > last_due + TOUR_GRACE_S:
                tour.ended_at = now
            tour.save(update_fields=["alerted_codes", "ended_at"])
    return raised


def check_lone_guards(now: dt.datetime) -> int:
    """Lone guards silent past their route's interval: "man down" (severity 5)."""
    raised = 0
    running = TourRun.objects.filter(ended_at__isnull=True, is_lone_guard=True,
                                     route__lone_guard_interval_minutes__isnull=False)  # fmt: skip
    for tour in running.select_related("route", "site", "guard"):
        overdue = tours.find_guards_without_check_in(
            on_duty_since_utc={str(tour.pk): tour.started_at},
            last_check_in_utc={str(tour.pk): tour.last_check_in_at} if tour.last_check_in_at else {},
            max_interval_s=tour.route.lone_guard_interval_minutes * 60.0, now_utc=now,
        )  # fmt: skip
        for guard in overdue:
            title = f"Vigilante sin reportarse {guard.silent_s / 60:.0f} min: {tour.guard.username} ({tour.route.name})"
            raised += _tour_alert(
                tour, "guard.no_check_in", 5, title, now, f"{tour.pk}:{tour.guard.username}"
            )
    return raised


def run_checks(now: dt.datetime | None = None) -> int:
    """All three checks; one failing is logged and does not stop the others."""
    now = now or timezone.now()
    raised = 0
    for check in (check_silent_panels, check_tours, check_lone_guards):
        try:
            raised += check(now)
        except Exception:
            logger.exception("alarms check %s failed", check.__name__)
    return raised
