"""Raising detections in batches (``services.batch``) and the intake queue in front of it."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from minewatch.alerts import services
from minewatch.alerts.models import Alert, AlertRule, ChecklistItem, DeliveryAttempt, RuleSlot
from minewatch.alerts.services.batch import raise_alerts
from minewatch.alerts.services.intake import AlertIntake
from minewatch.alerts.testing import make_input
from minewatch.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def burst(site, subjects: list[str], t0: dt.datetime) -> list:  # noqa: ANN001
    return [
        make_input(site, subject_key=subject, occurred_at=t0 + dt.timedelta(seconds=10 * i))
        for i, subject in enumerate(subjects)
    ]


def summary(alerts) -> list[tuple]:  # noqa: ANN001
    return sorted(
        (a.subject_key, a.occurrences, a.severity, a.status, a.deliveries.count(),
         a.checklists.count(), a.firings.count())
        for a in alerts
    )  # fmt: skip


def test_a_batch_gives_what_one_by_one_gives(world) -> None:
    t0 = timezone.now() - dt.timedelta(minutes=5)
    subjects = ["P-1", "P-2", "P-1", "P-3", "P-1", "P-2"]
    one_by_one = [services.raise_alert(item)[0] for item in burst(world.sites["a1"], subjects, t0)]
    batched = raise_alerts(burst(world.sites["a2"], subjects, t0))
    assert [len(found) for found in batched] == [1] * len(subjects)
    # Repeats point at the alert they folded into, within the batch too.
    assert batched[0][0].pk == batched[2][0].pk == batched[4][0].pk
    assert batched[1][0].pk == batched[5][0].pk != batched[0][0].pk
    first = Alert.objects.filter(pk__in={a.pk for a in one_by_one})
    second = Alert.objects.filter(pk__in={a[0].pk for a in batched})
    assert [row[:4] for row in summary(first)] == [row[:4] for row in summary(second)]
    assert summary(second)[0][1] == 3  # P-1: one alert, three occurrences
    for alert in second:  # every new alert: history, ladder, deliveries, checklist, audit
        assert alert.status_changes.count() == 1 and alert.firings.count() == 1
        assert alert.deliveries.exists() and alert.checklists.get().items.exists()
        assert AuditEntry.objects.filter(
            object_type="alerts.alert", object_id=str(alert.pk)
        ).exists()


def test_a_later_batch_folds_into_the_alert_of_an_earlier_one(world) -> None:
    t0 = timezone.now() - dt.timedelta(minutes=5)
    first = raise_alerts(burst(world.sites["a1"], ["P-7"] * 3, t0))
    second = raise_alerts(burst(world.sites["a1"], ["P-7"] * 4, t0 + dt.timedelta(minutes=1)))
    assert {a[0].pk for a in first + second} == {first[0][0].pk}
    assert Alert.objects.get(pk=first[0][0].pk).occurrences == 7
    assert RuleSlot.objects.filter(alert_key=first[0][0].rule_alert_key).count() == 1


def test_a_resolved_alert_no_longer_absorbs_repeats_in_a_batch(world) -> None:
    t0 = timezone.now() - dt.timedelta(minutes=5)
    [[alert]] = raise_alerts(burst(world.sites["a1"], ["P-8"], t0))
    services.resolve_alert(alert, actor=world.users["operator"], note="falsa alarma")
    [[again], [repeat]] = raise_alerts(burst(world.sites["a1"], ["P-8", "P-8"], t0))
    assert again.pk != alert.pk and repeat.pk == again.pk
    assert Alert.objects.get(pk=again.pk).occurrences == 2


def test_throttled_detections_in_a_batch_are_counted(world) -> None:
    rule = AlertRule.objects.get(organisation=world.orgs["a"], name__startswith="Alarmas de intrus")
    services.save_rule(actor=world.users["security_manager"], organisation=world.orgs["a"],
                       rule=rule, throttle_max_alerts=2, throttle_window_minutes=60)  # fmt: skip
    t0 = timezone.now() - dt.timedelta(minutes=5)
    results = raise_alerts(burst(world.sites["a1"], [f"T-{i}" for i in range(5)], t0))
    assert [len(found) for found in results] == [1, 1, 0, 0, 0]
    rule.refresh_from_db()
    assert rule.suppressed_count == 3


def test_one_bad_detection_does_not_lose_the_others(world) -> None:
    t0 = timezone.now() - dt.timedelta(minutes=5)
    items = burst(world.sites["a1"], ["G-1", "G-2", "G-3"], t0)
    # Details that cannot be stored as JSON make the whole batch's insert fail.
    bad = make_input(world.sites["a1"], subject_key="G-bad", details={"raw": object()})
    results = raise_alerts([items[0], bad, items[1], items[2]])
    assert [len(found) for found in results] == [1, 0, 1, 1]
    assert Alert.objects.filter(subject_key__startswith="G-").count() == 3


def test_a_batch_costs_a_bounded_number_of_queries(world) -> None:
    t0 = timezone.now() - dt.timedelta(minutes=5)
    raise_alerts(burst(world.sites["a1"], ["warm"], t0))
    with CaptureQueriesContext(connection) as few:
        raise_alerts(burst(world.sites["a1"], [f"Q-{i}" for i in range(5)], t0))
    with CaptureQueriesContext(connection) as many:
        raise_alerts(burst(world.sites["a1"], [f"R-{i}" for i in range(100)], t0))
    # One at a time this is ~24 queries each; batched, reads are shared and inserts bulk
    # (SQLite splits a bulk insert into statements of at most 999 parameters).
    assert len(few.captured_queries) < 40 and len(many.captured_queries) < 80
    assert ChecklistItem.objects.filter(checklist__alert__subject_key__startswith="R-").exists()
    assert DeliveryAttempt.objects.filter(alert__subject_key__startswith="R-").count() >= 100


def test_the_intake_raises_queued_detections_in_batches(world) -> None:
    seen: list[int] = []
    intake = AlertIntake(max_batch=4, on_batch=lambda items, results: seen.append(len(items)))
    t0 = timezone.now() - dt.timedelta(minutes=5)
    for item in burst(world.sites["a1"], ["I-1"] * 6 + ["I-2"] * 4, t0):
        intake.submit(item)
    assert intake.waiting == 10
    while intake.run_once():
        pass
    assert seen == [4, 4, 2] and intake.wait_idle(0)
    rows = Alert.objects.filter(subject_key__startswith="I-").order_by("subject_key")
    assert [(a.subject_key, a.occurrences) for a in rows] == [("I-1", 6), ("I-2", 4)]


@pytest.mark.django_db(transaction=True)
def test_detection_events_go_through_a_running_intake(world) -> None:
    from minewatch.alerts.services import intake as intake_module
    from minewatch.core.events import Event, dispatch

    running = intake_module.start_in_thread(max_batch=50)
    try:
        event = Event("detection.route_deviation", world.orgs["a"].pk, {
            "kind": "route_deviation", "trip": "TRIP-9", "site_id": world.sites["a1"].pk,
            "time": timezone.now().isoformat(), "lat": -7.7, "lon": -77.5,
        }, site_id=world.sites["a1"].pk)  # fmt: skip
        done = threading.Event()
        running.on_batch = lambda items, results: done.set()
        dispatch(event)
        assert done.wait(30) and running.wait_idle(30)
    finally:
        intake_module.stop_running()
    assert Alert.objects.filter(kind="route_deviation", subject_key="TRIP-9").count() == 1


class LockedAtStart(AlertIntake):
    """An intake whose first look at the journal meets a locked database (CI saw SQLite's
    "database table is locked: alerts_intakeentry" there, and the thread ended)."""

    checked = False

    @property
    def waiting(self) -> int:
        if not self.checked:
            self.checked = True
            from django.db import OperationalError

            raise OperationalError("database table is locked: alerts_intakeentry")
        return super().waiting


@pytest.mark.django_db(transaction=True)
def test_a_database_error_when_the_intake_starts_does_not_end_its_thread(world) -> None:
    intake = LockedAtStart(max_batch=50)
    thread = threading.Thread(target=intake.run_forever, daemon=True)
    thread.start()
    try:
        intake.submit(make_input(world.sites["a1"], subject_key="after-the-lock"))
        assert intake.wait_idle(30)
        assert thread.is_alive()
    finally:
        intake.stop()
        thread.join(30)
    assert Alert.objects.filter(subject_key="after-the-lock").count() == 1


def test_intake_rejects_a_zero_batch() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        AlertIntake(max_batch=0)


@pytest.mark.django_db(transaction=True)
def test_a_journal_write_outside_a_transaction_waits_for_the_process_write_turn(world) -> None:
    # submit_many took the turn and submit did not: on SQLite the lone insert met the intake
    # thread's transaction ("database table is locked: alerts_intakeentry", CI)
    from django.db import connections

    from minewatch.alerts.services.bulk import write_turn

    intake = AlertIntake(max_batch=50)
    holding, release, submitted = threading.Event(), threading.Event(), threading.Event()

    def writer_holding_the_turn() -> None:
        with write_turn():
            holding.set()
            release.wait(30)

    def detector() -> None:
        try:
            intake.submit(make_input(world.sites["a1"], subject_key="waits-its-turn"))
            submitted.set()
        finally:
            connections.close_all()

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writers do not take turns")
    holder = threading.Thread(target=writer_holding_the_turn, daemon=True)
    holder.start()
    assert holding.wait(10)
    submitting = threading.Thread(target=detector, daemon=True)
    submitting.start()
    try:
        assert not submitted.wait(0.5)  # queued behind the writer, not racing it
    finally:
        release.set()
    assert submitted.wait(30)
    holder.join(10)
    submitting.join(10)
