"""Alarm services: panel events, silent panels, camera intrusions and snapshots, guard tours."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from minewatch.alarms import services
from minewatch.alarms.models import (
    AlarmPanel,
    CheckpointScan,
    PanelEventRecord,
    TourRun,
)
from minewatch.alarms.services.supervision import (
    check_lone_guards,
    check_silent_panels,
    check_tours,
)
from minewatch.alarms.testing import frigate_message, panel_event
from minewatch.alerts.models import Alert
from minewatch.core.errors import InvalidInput

pytestmark = pytest.mark.django_db

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def test_burglary_on_a_perimeter_zone_is_stored_and_alerted_once_even_if_replayed(world) -> None:
    event = panel_event("A1A1", code="BA", zone="3", sequence="0100", category="perimeter")
    record = services.record_panel_event(event)
    assert record.alert.kind == "alarm.perimeter" and "Cerco norte" in record.alert.title
    assert services.record_panel_event(event) is None  # the same frame after a receiver restart
    assert PanelEventRecord.objects.filter(sequence="0100").count() == 1


def test_heartbeat_only_refreshes_last_seen_and_unknown_account_is_ignored(world) -> None:
    when = timezone.now() + dt.timedelta(seconds=5)
    assert services.record_panel_event(panel_event("A1A1", code="RP", received_at_utc=when)) is None
    assert AlarmPanel.objects.get(account="A1A1").last_seen_at == when
    assert services.record_panel_event(panel_event("FFFF")) is None


def test_silent_panel_raises_one_alert_that_counts_the_checks(world) -> None:
    now = timezone.now() + dt.timedelta(hours=1)
    check_silent_panels(now)
    check_silent_panels(now + dt.timedelta(minutes=1))
    alerts = Alert.objects.filter(kind="alarm.panel_silent", site=world.sites["a1"])
    assert alerts.count() == 1 and alerts.get().occurrences == 2


@pytest.mark.parametrize("account, key, field", [("12G4", "", "account"), ("1234", "short", "key")])
def test_bad_panel_account_or_key_is_refused_by_field(world, account, key, field) -> None:
    with pytest.raises(InvalidInput) as error:
        services.save_panel(actor=world.users["security_manager"], organisation=world.orgs["a"],
                            site=world.sites["a1"], name="x", account=account, key=key)  # fmt: skip
    assert error.value.field == field


def test_frigate_intrusion_is_alerted_once_per_event_and_snapshot_kept(world) -> None:
    message = frigate_message("cam_a1", event_id="1701.5-zz")
    record = services.handle_frigate_message(message)
    assert record.alert.kind == "camera.intrusion" and record.zone == "cerco"
    assert services.handle_frigate_message(message) is None  # Frigate's "update" of the same object
    kept = services.attach_snapshot("cam_a1", "person", JPEG)
    assert kept.pk == record.pk
    alert = Alert.objects.get(pk=record.alert_id)
    assert alert.snapshot.read() == JPEG


@pytest.mark.parametrize(
    "payload",
    [b"not json", b"[]", b'{"type": "new"}', b'{"type": "new", "after": {"camera": "cam_a1"}}'],
)
def test_malformed_frigate_messages_are_refused_without_raising(world, payload) -> None:
    assert services.handle_frigate_message(payload) is None
    assert services.handle_frigate_message(frigate_message("cam_a1", event_id="ok-1")) is not None


def test_detection_outside_watched_zone_or_label_is_not_an_intrusion(world) -> None:
    assert services.handle_frigate_message(frigate_message("cam_a1", zones=("parking",))) is None
    assert (
        services.handle_frigate_message(frigate_message("cam_a1", label="dog", event_id="d"))
        is None
    )
    assert services.attach_snapshot("cam_a1", "person", b"GIF89a") is None


def test_scan_rates_the_checkpoint_and_completes_the_tour(world) -> None:
    assert world.extra["scan_a1"].status == "on_time"
    walker, now = world.users["operator"], timezone.now()
    tour = services.start_tour(actor=walker, route=world.extra["route_a1"],
                               started_at=now - dt.timedelta(minutes=50))  # fmt: skip
    first = services.record_scan(
        actor=walker, code="a1-CP1", scanned_at=now - dt.timedelta(minutes=48)
    )
    second = services.record_scan(actor=walker, code="a1-CP2")  # due 30 min ago (+5 min tolerance)
    assert (first.status, second.status) == ("on_time", "late")
    assert first.tour_id == second.tour_id == tour.pk
    assert TourRun.objects.get(pk=tour.pk).ended_at is not None


def test_unknown_or_foreign_code_is_refused_and_nothing_stored(world) -> None:
    before = CheckpointScan.objects.count()
    for code in ("NO-SUCH", "b1-CP2"):
        with pytest.raises(InvalidInput) as error:
            services.record_scan(actor=world.users["guard"], code=code)
        assert error.value.field == "code"
    assert CheckpointScan.objects.count() == before


def test_missed_checkpoint_alerts_once_per_tour(world) -> None:
    tour = world.extra["scan_a1"].tour
    late = tour.started_at + dt.timedelta(minutes=30)
    check_tours(late)
    check_tours(late + dt.timedelta(minutes=1))
    alert = Alert.objects.get(kind="tour.checkpoint_missed", site=world.sites["a1"])
    assert alert.occurrences == 1
    assert "a1-CP2" in alert.title


def test_lone_guard_without_check_in_raises_man_down_and_check_in_resets_it(world) -> None:
    route = world.extra["route_a1"]
    guard = world.users["guard"]
    start = timezone.now() - dt.timedelta(minutes=10)
    tour = services.start_tour(actor=guard, route=route, started_at=start, is_lone_guard=True)
    assert check_lone_guards(start + dt.timedelta(minutes=29)) == 0
    services.check_in(tour, actor=guard, at=start + dt.timedelta(minutes=25))
    assert check_lone_guards(start + dt.timedelta(minutes=50)) == 0
    assert check_lone_guards(start + dt.timedelta(minutes=56)) == 1
    alert = Alert.objects.get(kind="guard.no_check_in")
    assert alert.severity == 5 and guard.username in alert.title
