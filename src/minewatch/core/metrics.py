"""``/metrics`` in Prometheus' text format, and the checks behind ``/api/v1/health``.

Process counters (HTTP requests by method and status, alert intake queue depth) come from
this process; everything the database knows (alerts by status, acknowledgement latency,
escalations, failed deliveries, positions stored, the last backup and the last signed
checkpoint) is read at scrape time by a collector, so every process answers the same.
The endpoint needs ``Authorization: Bearer <MINEWATCH_METRICS_TOKEN>``; with no token set
it is off (404), so nothing leaks by default.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.utils import timezone
from prometheus_client import CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

# Collectors are not described at registration: that would query the database on import.
REGISTRY = CollectorRegistry(auto_describe=False)
HTTP_REQUESTS = Counter(
    "minewatch_http_requests", "HTTP requests answered, by method and status class.",
    ["method", "status"], registry=REGISTRY,
)  # fmt: skip


def _seconds_since(moment: dt.datetime | None) -> float:
    return (timezone.now() - moment).total_seconds() if moment else float("nan")


def last_backup_at() -> dt.datetime | None:
    from minewatch.core.backup import last_backup

    state = last_backup(Path(settings.DATA_DIR))
    return dt.datetime.fromisoformat(state["at"]) if state else None


def last_checkpoint_at() -> dt.datetime | None:
    from minewatch.core.models import SignedCheckpoint

    return (
        SignedCheckpoint.objects.order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class DatabaseCollector:
    """What the database knows, read at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from minewatch.alerts.models import Alert, DeliveryAttempt, EscalationFiring
        from minewatch.tracking.models import Position

        by_status = GaugeMetricFamily("minewatch_alerts", "Alerts by status.", labels=["status"])
        for status, count in _counts(Alert.objects.values_list("status")).items():
            by_status.add_metric([status], count)
        yield by_status
        since = timezone.now() - dt.timedelta(hours=24)
        pairs = Alert.objects.filter(raised_at__gte=since, acknowledged_at__isnull=False)
        latencies = [(ack - raised).total_seconds()
                     for raised, ack in pairs.values_list("raised_at", "acknowledged_at")]  # fmt: skip
        ack = GaugeMetricFamily("minewatch_alert_ack_latency_seconds",
                                "Raise to acknowledgement over the last 24 h.", labels=["quantile"])  # fmt: skip
        for share in (0.5, 0.9, 0.99):
            ack.add_metric([str(share)], _percentile(latencies, share))
        yield ack
        yield GaugeMetricFamily("minewatch_escalations", "Escalation steps fired (all time).",
                                value=EscalationFiring.objects.count())  # fmt: skip
        deliveries = GaugeMetricFamily("minewatch_deliveries", "Notification deliveries by status.",
                                       labels=["status"])  # fmt: skip
        for status, count in _counts(DeliveryAttempt.objects.values_list("status")).items():
            deliveries.add_metric([status], count)
        yield deliveries
        recent = Position.objects.filter(received_at__gte=timezone.now() - dt.timedelta(minutes=5))
        yield GaugeMetricFamily("minewatch_positions_received_5m",
                                "Tracker fixes stored in the last 5 minutes.", value=recent.count())  # fmt: skip
        yield GaugeMetricFamily("minewatch_last_backup_age_seconds", "Age of the last backup.",
                                value=_seconds_since(last_backup_at()))  # fmt: skip
        yield GaugeMetricFamily("minewatch_checkpoint_age_seconds",
                                "Age of the last signed checkpoint.",
                                value=_seconds_since(last_checkpoint_at()))  # fmt: skip


class ProcessCollector:
    """Queues of this process."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from minewatch.alerts.services import intake

        running = intake.running_intake()
        depth = running.waiting if running is not None else 0
        yield GaugeMetricFamily("minewatch_alert_intake_queue", "Detections waiting for the "
                                "alert rules in this process.", value=depth)  # fmt: skip


def _counts(rows: Any) -> dict[str, int]:
    from django.db.models import Count

    first = rows.model._meta.get_field("status").attname
    return dict(rows.values_list(first).annotate(n=Count("pk")).values_list(first, "n"))


REGISTRY.register(DatabaseCollector())
REGISTRY.register(ProcessCollector())


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text exposition; Bearer token required (404 when no token is configured)."""
    token = str(settings.TUNABLES.get("metrics_token") or "")
    if not token:
        return HttpResponseNotFound("metrics are off: set MINEWATCH_METRICS_TOKEN")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(given.encode(), token.encode()):
        response = HttpResponse("a valid metrics token is needed", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)


class RequestMetricsMiddleware:
    """Counts every answered request by method and status class (2xx, 4xx, …)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        HTTP_REQUESTS.labels(request.method or "?", f"{response.status_code // 100}xx").inc()
        return response


# ------------------------------------------------------------------------------- health


def health_checks() -> dict[str, dict[str, Any]]:
    """Each part's state: ``ok``, ``degraded`` or ``down``, with what was seen."""
    checks: dict[str, dict[str, Any]] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = {"status": "ok", "vendor": connection.vendor}
    except Exception as error:  # noqa: BLE001 - any failure is the answer
        checks["database"] = {"status": "down", "error": str(error)[:200]}
        return checks
    checks["alert_worker"] = _worker_check()
    checks["broker"] = _broker_check()
    backup_at = last_backup_at()
    backup_age = _seconds_since(backup_at)
    checks["backup"] = {
        "status": "ok" if backup_at and backup_age < 2 * 86400 else "degraded",
        "last": backup_at.isoformat() if backup_at else None,
    }
    checkpoint_at = last_checkpoint_at()
    interval = int(settings.TUNABLES.get("checkpoint_interval_s") or 3600)
    fresh = checkpoint_at is not None and _seconds_since(checkpoint_at) < 2 * max(interval, 60)
    checks["checkpoint"] = {"status": "ok" if fresh else "degraded",
                            "last": checkpoint_at.isoformat() if checkpoint_at else None}  # fmt: skip
    return checks


def _worker_check() -> dict[str, Any]:
    from minewatch.alerts.models import DeliveryAttempt

    overdue = DeliveryAttempt.objects.filter(
        status__in=["pending", "retrying"], due_at__lt=timezone.now() - dt.timedelta(minutes=5)
    ).count()
    return {"status": "ok" if overdue == 0 else "degraded", "overdue_deliveries": overdue}


def _broker_check() -> dict[str, Any]:
    import socket

    broker = str(settings.TUNABLES.get("mqtt_broker") or "")
    if not broker:
        return {"status": "ok", "configured": False}
    host, _, port_text = broker.rpartition(":")
    host, port = (host or broker), int(port_text) if port_text.isdigit() else 1883
    try:
        with socket.create_connection((host, port), timeout=1):
            return {"status": "ok", "configured": True, "address": f"{host}:{port}"}
    except OSError as error:
        return {"status": "degraded", "configured": True, "error": str(error)[:200]}
