"""/metrics (Prometheus, token-protected) and /api/v1/health's parts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from minewatch.core import ledger


def test_metrics_are_off_without_a_token(world: Any, client: Any, settings: Any) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "metrics_token": ""}
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_token_and_report_the_database(
    world: Any, client: Any, settings: Any, tmp_path: Path
) -> None:
    settings.TUNABLES = {**settings.TUNABLES, "metrics_token": "s3cret-scrape"}
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape")
    assert response.status_code == 200
    text = response.content.decode()
    for name in ("minewatch_alerts", "minewatch_alert_ack_latency_seconds", "minewatch_escalations",
                 "minewatch_deliveries", "minewatch_positions_received_5m",
                 "minewatch_last_backup_age_seconds", "minewatch_checkpoint_age_seconds",
                 "minewatch_alert_intake_queue", "minewatch_http_requests_total"):  # fmt: skip
        assert f"\n{name}" in text or text.startswith(name), name
    assert 'minewatch_http_requests_total{method="GET",status="4xx"}' in text


def test_health_reports_each_part(
    world: Any, api_client: Any, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path
    settings.TUNABLES = {**settings.TUNABLES, "mqtt_broker": "127.0.0.1:1", "signing_key": ""}
    body = api_client().get("/api/v1/health").json()
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["backup"] == {"status": "degraded", "last": None}
    assert body["checks"]["checkpoint"]["status"] == "degraded"
    assert body["checks"]["broker"]["status"] == "degraded"  # nothing listens on port 1
    assert body["status"] == "degraded"
    ledger.write_checkpoint(reason="test")
    (tmp_path / "last_backup.json").write_text(
        '{"at": "2099-01-01T00:00:00+00:00", "path": "x", "bytes": 1}'
    )
    settings.TUNABLES = {**settings.TUNABLES, "mqtt_broker": ""}
    body = api_client().get("/api/v1/health").json()
    assert body["checks"]["checkpoint"]["status"] == "ok"
    assert body["checks"]["backup"]["status"] == "ok"
    assert body["status"] == "ok", body
